"""Helpers the benchmarks share: free ports, servers started and always stopped, wrk runs.

Everything here talks to 127.0.0.1 only, and every loop and wait is bounded in time.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


class BenchError(RuntimeError):
    """A benchmark could not measure what it set out to measure."""


# --- ports and processes ----------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without any ``YIWANG_*`` setting, plus ``overrides``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIWANG_")}
    env.update(overrides)
    return env


def run_cli(args: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float = 120) -> str:
    """Run a command to completion and return its standard output; raise with its output if it
    fails."""
    done = subprocess.run(
        list(args),
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(
            f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


@dataclass
class Server:
    """A server process in its own process group, with its output in a log file."""

    name: str
    args: list[str]
    port: int
    env: dict[str, str]
    cwd: Path
    log_path: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_at: float = 0.0

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.started_at = time.perf_counter()
            self.proc = subprocess.Popen(
                self.args,
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_ready(
        self, path: str = "/healthz", timeout: float = 60.0, interval: float = 0.01
    ) -> float:
        """Poll ``path`` until it answers 200; return the seconds since :meth:`start`."""
        if self.proc is None:
            raise BenchError(f"{self.name} was not started")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(
                    f"{self.name} exited {self.proc.returncode} before it answered:\n"
                    f"{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.base_url + path, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return time.perf_counter() - self.started_at
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(interval)
        raise BenchError(
            f"{self.name} did not answer {path} within {timeout:.0f} s:\n{self.log_tail()}"
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the whole process group: SIGTERM, then SIGKILL if it lingers."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
            break
        # whatever the leader left behind in its group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def running(server: Server, *, ready_path: str = "/healthz") -> Iterator[Server]:
    """Start ``server``, wait until it answers, and stop it on the way out, error or not."""
    try:
        server.start()
        server.wait_ready(ready_path)
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def temp_dir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        yield Path(name)


_SHARED: dict[str, Path] = {}


def shared_temp_dir(name: str) -> Path:
    """A temporary directory that lives as long as this process (removed when it exits): for
    what one benchmark makes and a later one in the same run can reuse (a generated file, a
    loaded database)."""
    path = _SHARED.get(name)
    if path is None or not path.is_dir():
        path = Path(tempfile.mkdtemp(prefix=f"yiwang-bench-{name}-"))
        _SHARED[name] = path
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@dataclass(frozen=True)
class Measured:
    """A child process run to completion: its wall time, its peak resident memory and output."""

    seconds: float
    max_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def _vm_hwm_mb(pid: int) -> float | None:
    """The peak resident set (VmHWM) of a running process, in MB; None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def run_measured(
    args: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float
) -> Measured:
    """Run a command in a process group of its own and return its wall time and peak RSS; kill
    the whole group if it outlives ``timeout``.

    The peak is the child's VmHWM, read from /proc every 20 ms while it runs (the high-water
    mark only grows, so the last reading is the peak but for the last 20 ms). Not ``ru_maxrss``
    from ``wait4``: Linux carries the high-water mark across ``exec``, so a child spawned by a
    process of 600 MB would report at least 600 MB."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(args),
            env=dict(env),
            cwd=cwd,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = started + timeout
        pid, status, peak = 0, 0, 0.0
        try:
            while True:
                hwm = _vm_hwm_mb(proc.pid)
                if hwm is not None:
                    peak = max(peak, hwm)
                pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    raise BenchError(f"{' '.join(args)} took more than {timeout:.0f} s")
                time.sleep(0.02)
        finally:
            if not pid:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status) if pid else -9
            # whatever the child left behind in its group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return Measured(
            seconds=seconds,
            max_rss_mb=peak,
            returncode=proc.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


# --- latency, one request after another --------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile of ``values`` (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def sequential_latencies(
    url: str,
    *,
    count: int,
    warmup: int,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> list[float]:
    """GET ``url`` ``warmup`` times, then ``count`` times one after the other on one keep-alive
    connection; return the measured latencies in milliseconds (request sent to body read).
    Any status but 200 is an error."""
    return latencies_of([url] * (warmup + count), warmup=warmup, headers=headers, timeout=timeout)


def latencies_of(
    urls: Sequence[str],
    *,
    warmup: int,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> list[float]:
    """GET each of ``urls`` (all on one server) in turn on one keep-alive connection; return the
    latencies in milliseconds of all but the first ``warmup``. Any status but 200 is an
    error."""
    if not urls:
        return []
    parts = urllib.parse.urlsplit(urls[0])
    if parts.hostname != HOST or parts.port is None:
        raise BenchError(f"refusing to load anything but {HOST}: {urls[0]}")
    origin = f"http://{HOST}:{parts.port}"
    conn = http.client.HTTPConnection(HOST, parts.port, timeout=timeout)
    latencies: list[float] = []
    try:
        for i, url in enumerate(urls):
            if not url.startswith(origin + "/"):
                raise BenchError(f"{url} is not on {origin}")
            target = url.removeprefix(origin)
            started = time.perf_counter()
            conn.request("GET", target, headers=dict(headers or {}))
            response = conn.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise BenchError(f"{url} answered {response.status}: {body[:300]!r}")
            if i >= warmup:
                latencies.append(elapsed)
    finally:
        conn.close()
    return latencies


# --- PostgreSQL --------------------------------------------------------------------------------

PG_ADMIN_URL = f"postgresql://postgres@{HOST}:5432/postgres"


def postgres_missing() -> str | None:
    """Why PostgreSQL on 127.0.0.1:5432 cannot be used here, or None if it can."""
    try:
        import psycopg  # noqa: PLC0415
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({type(exc).__name__})"
    return None


@contextlib.contextmanager
def throwaway_postgres(prefix: str) -> Iterator[str]:
    """Create an empty PostgreSQL database on 127.0.0.1:5432, yield its URL, and drop it
    (``WITH (FORCE)``, so that lingering connections do not keep it) on the way out."""
    import psycopg  # noqa: PLC0415
    from psycopg import sql  # noqa: PLC0415

    name = f"{prefix}_{os.getpid()}_{os.urandom(3).hex()}"
    database = sql.Identifier(name)
    with psycopg.connect(PG_ADMIN_URL, connect_timeout=5, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(database))
    try:
        yield f"postgresql://postgres@{HOST}:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=5, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))


def get_json(url: str, headers: Mapping[str, str] | None = None) -> tuple[int, Any, int]:
    """GET ``url`` once; return the status, the decoded JSON body (None if it is not JSON) and
    the body's size in bytes."""
    request = urllib.request.Request(url, headers=dict(headers or {}))  # noqa: S310 (127.0.0.1)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    try:
        return status, json.loads(body), len(body)
    except ValueError:
        return status, None, len(body)


# --- wrk --------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    """The path of ``wrk``, installing Debian's package if it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise BenchError("wrk is not installed (apt-get install wrk)")
    print("bench: installing wrk (apt-get install -y wrk)", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    if (
        subprocess.run(install, env=env, capture_output=True, timeout=600, check=False).returncode
        != 0
    ):
        subprocess.run(
            ["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600, check=False
        )
        subprocess.run(install, env=env, capture_output=True, timeout=600, check=True)
    found = shutil.which("wrk")
    if not found:
        raise BenchError("wrk is still missing after apt-get install wrk")
    return found


def wrk_version(wrk: str) -> str:
    done = subprocess.run(
        [wrk, "--version"], capture_output=True, text=True, timeout=10, check=False
    )
    first = (done.stdout or done.stderr).splitlines()
    return first[0].split(" Copyright")[0].strip() if first else "unknown"


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_LATENCY = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests_per_s": round(self.requests_per_s, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "requests": self.requests,
            "non_2xx": self.non_2xx,
            "socket_errors": self.socket_errors,
        }


def parse_wrk(output: str) -> WrkResult:
    rps = _RPS.search(output)
    latencies = {
        m.group(1): float(m.group(2)) * _UNITS[m.group(3)] for m in _LATENCY.finditer(output)
    }
    total = _TOTAL.search(output)
    if rps is None or "99" not in latencies or total is None:
        raise BenchError(f"could not read wrk's output:\n{output}")
    non_2xx = _NON_2XX.search(output)
    sockets = _SOCKET.search(output)
    socket_errors = (
        dict(
            zip(
                ("connect", "read", "write", "timeout"),
                (int(g) for g in sockets.groups()),
                strict=True,
            )
        )
        if sockets
        else {}
    )
    return WrkResult(
        requests_per_s=float(rps.group(1)),
        p50_ms=latencies.get("50", float("nan")),
        p99_ms=latencies["99"],
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
    )


@dataclass(frozen=True)
class Load:
    """How hard and how long wrk pushes: one thread (the machine has 2 cores, the server gets
    the other), a modest number of connections."""

    threads: int = 1
    connections: int = 32
    seconds: int = 10
    warmup_seconds: int = 2

    def describe(self) -> str:
        return (
            f"wrk -t{self.threads} -c{self.connections} -d{self.seconds}s --latency, after "
            f"a {self.warmup_seconds} s warm-up of the same URL"
        )


def wrk(
    wrk_path: str,
    url: str,
    load: Load,
    headers: Mapping[str, str] | None = None,
    *,
    seconds: int | None = None,
    script: Path | None = None,
) -> WrkResult:
    """Run wrk against ``url`` (on 127.0.0.1 only) and return what it measured; ``script`` is a
    Lua script for wrk's ``-s`` (e.g. one that varies the request)."""
    if not url.startswith(f"http://{HOST}:"):
        raise BenchError(f"refusing to load anything but {HOST}: {url}")
    duration = load.seconds if seconds is None else seconds
    args = [
        wrk_path,
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "--latency",
    ]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    if script is not None:
        args += ["-s", str(script)]
    args.append(url)
    done = subprocess.run(args, capture_output=True, text=True, timeout=duration + 60, check=False)
    if done.returncode != 0:
        raise BenchError(f"wrk exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    result = parse_wrk(done.stdout)
    if result.non_2xx:
        raise BenchError(
            f"{url} answered {result.non_2xx} of {result.requests} requests with an "
            f"error status; the measurement is worthless:\n{done.stdout}"
        )
    return result


def measure(
    wrk_path: str, url: str, load: Load, headers: Mapping[str, str] | None = None
) -> WrkResult:
    """Warm ``url`` up, then measure it."""
    wrk(wrk_path, url, load, headers, seconds=load.warmup_seconds)
    return wrk(wrk_path, url, load, headers)
