"""Load beyond the comfortable, driven by wrk: 200 and 1,000 connections for 60 s on the mix of
``bench_load`` (the home page, a CKAN search, SensorThings and Open311 listings), on SQLite and
on PostgreSQL, with a 200,000-row CSV uploaded during the load, and the recovery once it ends.

``bench_load`` drives the load from one Python process, which cannot keep 1,000 connections
busy on this 2-core machine; wrk (C, epoll) can. Install it from Debian: ``apt-get install
wrk`` (run as root, the benchmark installs it itself; otherwise it stops and says so). Run with
``python -m bench load_wrk`` or ``python -m bench.bench_load --driver wrk``.

First, per database, a ceiling: the same mix on 10 connections (as many as are admitted at
once, so none is refused), what the server serves when full but not flooded. Then each run,
on a server started afresh the way ``bench_load`` starts it (``yiwang serve --no-worker``),
with one ``yiwang worker`` beside it to run the upload's load job:

- wrk keeps every connection busy (a 503 is followed at once by the next request) and counts
  the answers by status in ``load_mix.lua``, a 503 by who refused it: yiwang's admission control
  (with Retry-After) or uvicorn's connection limit (without); its latency percentiles are of all
  answers together;
- a probe sends one request every 0.25 s (the same mix, in turn) and times each answer, so that
  how long a 503 takes is measured apart from how long a 200 takes;
- 10 s into the load, a department's editor uploads the CSV through the API (a resource and a
  distribution made before the load), as a script would: on a 503 it waits the Retry-After
  seconds (1 s if there is none) and sends the file again; once accepted it polls CKAN's
  ``datastore_search`` (``limit=0``, its total) until the 200,000 rows are there, again waiting
  Retry-After on a 503;
- when wrk stops, a CKAN search is asked every 0.1 s until it answers 200 within a second.

Each load runs directly against the server and again through nginx (``deploy/nginx/yiwang.conf``
with only its listen and upstream ports changed, the way ``tests/functional/core/test_nginx.py``
starts it) in front of the same kind of server, side by side in one run:

- ``direct``: wrk, the probe and the upload talk to ``yiwang serve``;
- ``nginx``: through nginx as shipped. wrk's connections all come from 127.0.0.1, so they are a
  flood from one address, which the per-address limits cut; the probe (127.0.0.2) and the
  upload (127.0.0.3) come from addresses of their own, as a newcomer and an editor would;
- ``nginx-many``: through nginx with the per-address limits keyed by address *and port*, as if
  each of wrk's connections came from an address of its own: 1,000 clients, each limited as
  one address, and the total limit.

``YIWANG_BENCH_LOAD_PROXIES`` (e.g. ``direct,nginx``) or ``python -m bench.bench_load_wrk
--proxy nginx`` choose them; nginx's refusals are counted from its access log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import resource
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.bench_catalog_ingest import csv_file
from bench.bench_core_http import YIWANG, prepare, yiwang_server
from bench.bench_load import MIX, SECONDS, recovery
from bench.support import (
    HOST,
    REPO,
    BenchError,
    Server,
    ensure_wrk,
    free_port,
    percentile,
    postgres_missing,
    run_cli,
    running,
    temp_dir,
    throwaway_postgres,
    wrk_version,
)

CLIENTS = tuple(
    int(n) for n in os.environ.get("YIWANG_BENCH_LOAD_CLIENTS", "200,1000").split(",") if n
)
UPLOAD_ROWS = int(os.environ.get("YIWANG_BENCH_LOAD_UPLOAD_ROWS", "200000"))
UPLOAD_AFTER_S = 10.0  # into the load
UPLOAD_LIMIT_S = 300.0  # after the load ends, before the upload is given up
PROBE_INTERVAL_S = 0.25
CEILING_CLIENTS = 10  # YIWANG_DB_POOL_SIZE: admitted at once, so none is refused
CEILING_SECONDS = 15
TIMEOUT_S = 10  # wrk's and the probe's
EDITOR = "zjenv_editor"  # a department's editor in `yiwang demo`
SCRIPT = Path(__file__).with_name("load_mix.lua")
RESULT_MARK = "YIWANG_RESULT "
PROXIES = tuple(
    p
    for p in os.environ.get("YIWANG_BENCH_LOAD_PROXIES", "direct,nginx,nginx-many").split(",")
    if p
)
PROXY_LABELS = {
    "direct": "direct",
    "nginx": "nginx",
    "nginx-many": "nginx, 1 address per connection",
}
NGINX_SITE = REPO / "deploy" / "nginx" / "yiwang.conf"
WRK_ADDRESS = HOST  # wrk cannot choose its source address: the flood comes from 127.0.0.1
PROBE_ADDRESS = "127.0.0.2"  # a newcomer, from an address of its own
UPLOAD_ADDRESS = "127.0.0.3"  # the department's editor, from an address of its own


# --- wrk ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkRun:
    """What ``load_mix.lua`` counted: answers by status (``503_admission``: yiwang's, with
    Retry-After; ``503_other``: uvicorn's connection limit), wrk's error counts, and latency
    percentiles of all answers in microseconds."""

    seconds: float
    requests: int
    statuses: dict[str, int]
    errors: dict[str, int]
    latency_us: dict[str, float]

    @classmethod
    def parse(cls, stdout: str) -> WrkRun:
        line = next((x for x in stdout.splitlines() if x.startswith(RESULT_MARK)), None)
        if line is None:
            raise BenchError(f"wrk printed no {RESULT_MARK.strip()} line:\n{stdout}")
        data = json.loads(line.removeprefix(RESULT_MARK))
        return cls(
            seconds=data["duration_us"] / 1e6,
            requests=data["requests"],
            statuses={str(k): int(v) for k, v in data["statuses"].items()},
            errors=data["errors"],
            latency_us=data["latency_us"],
        )

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if s.isdigit() and 200 <= int(s) < 300)

    @property
    def other_statuses(self) -> int:
        return sum(n for s, n in self.statuses.items() if not s.startswith(("2", "503")))


def wrk_args(wrk: str, base_url: str, clients: int, seconds: int) -> list[str]:
    if not base_url.startswith(f"http://{HOST}:"):
        raise BenchError(f"refusing to load anything but {HOST}: {base_url}")
    return [
        wrk,
        "-t1",  # one thread holds 1,000 connections; the server gets the other core
        f"-c{clients}",
        f"-d{seconds}s",
        "--timeout",
        f"{TIMEOUT_S}s",
        "-H",
        "Accept-Language: zh-CN",
        "-s",
        str(SCRIPT),
        base_url,
        "--",
        *MIX,
    ]


# --- the probe: how long a 503 takes --------------------------------------------------------------


@dataclass
class Probe:
    """One request every ``PROBE_INTERVAL_S`` on one client (keep-alive where the server keeps
    the connection), each answer timed, until stopped."""

    base_url: str
    local_address: str | None = None
    answers: list[tuple[str, float]] = field(default_factory=list)  # (status or "timeout", ms)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="probe", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT_S + 5)

    def _run(self) -> None:
        headers = {"Accept-Language": "zh-CN"}
        with httpx.Client(
            base_url=self.base_url,
            timeout=TIMEOUT_S,
            headers=headers,
            transport=_transport(self.local_address),
        ) as http:
            tick = time.monotonic()
            i = 0
            while not self._stop.is_set():
                path = MIX[i % len(MIX)]
                i += 1
                started = time.perf_counter()
                try:
                    response = http.get(path)
                    status = str(response.status_code)
                    if response.status_code == 503:
                        status += "_admission" if "retry-after" in response.headers else "_other"
                except httpx.TimeoutException:
                    status = "timeout"
                except httpx.TransportError:
                    status = "error"
                self.answers.append((status, (time.perf_counter() - started) * 1000))
                tick += PROBE_INTERVAL_S
                self._stop.wait(max(0.0, tick - time.monotonic()))

    def latencies(self, *statuses: str) -> list[float]:
        return [ms for s, ms in self.answers if s in statuses]

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for status, _ in self.answers:
            found[status] = found.get(status, 0) + 1
        return found


def _transport(local_address: str | None) -> httpx.HTTPTransport | None:
    """Connections from ``local_address`` (any 127.0.0.0/8 address is this machine), so that
    nginx's per-address limits see a client other than wrk's."""
    return None if local_address is None else httpx.HTTPTransport(local_address=local_address)


# --- the upload -----------------------------------------------------------------------------------

BUSY = (503, 429)  # "come back after Retry-After": yiwang's and nginx's 503, nginx's 429


def _call(
    http: httpx.Client, method: str, url: str, *, expect: int, **kwargs: Any
) -> dict[str, Any]:
    response = http.request(method, url, **kwargs)
    if response.status_code != expect:
        raise BenchError(f"{method} {url} answered {response.status_code}: {response.text:.300}")
    return dict(response.json())


def upload_target(base_url: str, token: str) -> str:
    """An open resource of the editor's department with one distribution (made before the load);
    return the distribution's id."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        me = _call(http, "GET", "/api/v1/users/me", expect=200)
        resource = _call(
            http,
            "POST",
            "/api/v1/catalog/resources",
            expect=201,
            json={
                "title": "浙江省农特产品销售明细（负载测试）",
                "summary": "负载测试时上传的合成数据：各市农特产品的销售记录。",
                "department_id": me["department_id"],
                "state": "active",
                "open_class": "unconditional",
                "share_class": "unconditional",
                "category": "market",
            },
        )
        distribution = _call(
            http,
            "POST",
            f"/api/v1/catalog/resources/{resource['id']}/distributions",
            expect=201,
            json={"name": "销售明细"},
        )
    return str(distribution["id"])


@dataclass
class Upload:
    """An editor's script: upload the file, honouring 503 + Retry-After, then poll the datastore
    until it holds every row. Times are seconds from the first attempt."""

    base_url: str
    token: str
    distribution_id: str
    source: Path
    rows: int
    deadline: float  # time.monotonic() at which it gives up
    local_address: str | None = None
    attempts: int = 0
    busy: int = 0  # 503s (and nginx's 429s) answered to the upload
    busy_without_retry_after: int = 0
    transport_errors: int = 0  # the connection failed mid-upload (a refusal that closed it)
    retry_after_seen: set[str] = field(default_factory=set)
    tries: list[tuple[float, float, str]] = field(default_factory=list)  # (at s, took s, answer)
    polls: int = 0
    poll_busy: int = 0
    started_at: float | None = None
    started_wall: dt.datetime | None = None  # the same moment, to compare with the job's times
    accepted_at: float | None = None
    loaded_at: float | None = None
    job_id: int | None = None
    job: dict[str, Any] | None = None  # the job as the API showed it once the rows were there
    failure: str | None = None
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="upload", daemon=True)
        self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=max(0.0, self.deadline - time.monotonic()) + 30)

    def _wait(self, response: httpx.Response | None) -> None:
        value = response.headers.get("retry-after") if response is not None else None
        if response is not None and response.status_code in BUSY:
            if value is None:
                self.busy_without_retry_after += 1
            else:
                self.retry_after_seen.add(value)
        seconds = float(value) if value and value.isdigit() else 1.0
        time.sleep(min(seconds, max(0.0, self.deadline - time.monotonic())))

    def _run(self) -> None:
        try:
            self._upload_and_wait()
        except Exception as exc:  # noqa: BLE001 (recorded in the results, and the run goes on)
            self.failure = f"{type(exc).__name__}: {exc}"

    def _upload_and_wait(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=60,
            transport=_transport(self.local_address),
        ) as http:
            self.started_at = time.monotonic()
            self.started_wall = dt.datetime.now(dt.UTC)
            while self.accepted_at is None:
                if time.monotonic() > self.deadline:
                    self.failure = "never accepted"
                    return
                self.attempts += 1
                sent = time.monotonic()
                try:
                    with self.source.open("rb") as stream:
                        response = http.post(
                            f"/api/v1/catalog/distributions/{self.distribution_id}/upload",
                            files={"file": ("农特产品销售明细.csv", stream, "text/csv")},
                        )
                except httpx.TransportError as exc:
                    self._tried(sent, type(exc).__name__)
                    self.transport_errors += 1
                    self._wait(None)
                    continue
                self._tried(sent, str(response.status_code))
                if response.status_code in BUSY:
                    self.busy += 1
                    self._wait(response)
                elif response.status_code == 202:
                    self.accepted_at = time.monotonic()
                    self.job_id = int(response.json()["job"]["id"])
                else:
                    raise BenchError(
                        f"upload answered {response.status_code}: {response.text:.300}"
                    )
            url = "/api/3/action/datastore_search"
            params = {"resource_id": self.distribution_id, "limit": "0"}
            while time.monotonic() < self.deadline:
                self.polls += 1
                try:
                    response = http.get(url, params=params)
                except httpx.TransportError:
                    self._wait(None)
                    continue
                if response.status_code in BUSY:
                    self.poll_busy += 1
                    self._wait(response)
                    continue
                if response.status_code == 200 and response.json()["result"]["total"] == self.rows:
                    self.loaded_at = time.monotonic()
                    self._record_job(http)
                    return
                job = http.get(f"/api/v1/jobs/{self.job_id}")
                if job.status_code == 200 and job.json()["status"] == "failed":
                    self.failure = f"the load job failed: {job.json()['error']}"
                    return
                time.sleep(0.5)
            self.failure = "not loaded in time"

    def _record_job(self, http: httpx.Client) -> None:
        """Keep the job's own times (when the worker took it and finished), asking until the
        answer is not a 503."""
        while time.monotonic() < self.deadline:
            with contextlib.suppress(httpx.TransportError):
                response = http.get(f"/api/v1/jobs/{self.job_id}")
                if response.status_code == 200:
                    self.job = response.json()
                    return
            time.sleep(0.5)

    def _tried(self, sent: float, answer: str) -> None:
        first = sent if self.started_at is None else self.started_at
        self.tries.append((round(sent - first, 2), round(time.monotonic() - sent, 2), answer))

    def since_start(self, moment: float | None) -> float | None:
        if moment is None or self.started_at is None:
            return None
        return round(moment - self.started_at, 1)


# --- one run --------------------------------------------------------------------------------------


@contextlib.contextmanager
def worker(env: Mapping[str, str], place: Path, label: str) -> Iterator[Server]:
    """``yiwang worker`` beside the server, to run the upload's load job."""
    process = Server(
        name=f"yiwang worker ({label})",
        args=[YIWANG, "worker", "--poll", "0.5"],
        port=0,
        env=dict(env),
        cwd=place,
        log_path=place / f"worker-{label}.log",
    )
    try:
        process.start()
        yield process
    finally:
        process.stop()


# --- nginx in front ---------------------------------------------------------------------------


def nginx_site(listen_port: int, upstream_port: int, *, per_connection: bool) -> str:
    """``deploy/nginx/yiwang.conf`` with only its listen and upstream ports changed (and, for
    ``per_connection``, its per-address limits keyed by address and port)."""
    text = NGINX_SITE.read_text()
    text, listens = re.subn(r"(?m)^    listen 80;$", f"    listen {HOST}:{listen_port};", text)
    text, listens6 = re.subn(r"(?m)^    listen \[::\]:80;\n", "", text)
    text, upstreams = re.subn(
        r"(?m)^    server 127\.0\.0\.1:8000;$", f"    server {HOST}:{upstream_port};", text
    )
    keys = 3
    if per_connection:
        text, keys = re.subn(r"\$binary_remote_addr\b", "$binary_remote_addr$remote_port", text)
    if (listens, listens6, upstreams, keys) != (1, 1, 1, 3):
        raise BenchError(f"{NGINX_SITE} changed shape: update bench_load_wrk.nginx_site")
    return text


@dataclass
class Nginx:
    """nginx with the site included in its ``http`` block (as Debian's nginx.conf includes
    conf.d/*.conf), one worker process, and an access log of status, upstream status and client
    address from which its own refusals are counted."""

    server: Server
    access_log: Path

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def pids(self) -> list[int]:
        """The master's and its workers'."""
        if self.server.proc is None:
            return []
        master = self.server.proc.pid
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            children = []
        return [master, *(int(c) for c in children)]

    def refusals(self, address: str, until: float) -> dict[str, int]:
        """nginx's own answers to ``address`` until ``until`` (``time.time()``; wrk counts
        none after its duration): 503 (connections) and 429 (rate), not those of the server
        it passed on."""
        found = {"503": 0, "429": 0}
        try:
            lines = self.access_log.read_text(errors="replace").splitlines()
        except OSError:
            return found
        for line in lines:
            status, upstream, remote, moment = [*line.split(), "", "", "", ""][:4]
            if (
                remote == address
                and upstream == "-"
                and status in found
                and moment
                and float(moment) <= until
            ):
                found[status] += 1
        return found


@contextlib.contextmanager
def nginx_in_front(
    upstream: Server, place: Path, label: str, *, per_connection: bool
) -> Iterator[Nginx]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise BenchError("nginx is not installed (apt-get install nginx-light or nginx)")
    # Not under a 0700 temporary directory of root's: nginx's workers write their temp files.
    workdir = place / f"nginx-{label}"
    workdir.mkdir()
    for parent in (workdir, *workdir.parents):
        if parent == Path("/tmp"):  # noqa: S108 (only to stop walking up)
            break
        parent.chmod(parent.stat().st_mode | 0o711)
    port = free_port()
    (workdir / "yiwang.conf").write_text(
        nginx_site(port, upstream.port, per_connection=per_connection)
    )
    access_log = workdir / "access.log"
    (workdir / "nginx.conf").write_text(
        "\n".join(
            [
                "user root;" if os.geteuid() == 0 else "",
                "worker_processes 1;",
                "worker_rlimit_nofile 16384;",
                "daemon off;",
                f"pid {workdir}/nginx.pid;",
                f"error_log {workdir}/error.log warn;",
                "events { worker_connections 4096; }",
                "http {",
                *(
                    f"    {kind}_temp_path {workdir}/{kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
                ),
                "    log_format counts '$status $upstream_status $remote_addr $msec';",
                f"    access_log {access_log} counts buffer=256k flush=1s;",
                f"    include {workdir}/yiwang.conf;",
                "}",
                "",
            ]
        )
    )
    args = [binary, "-p", str(workdir), "-e", str(workdir / "error.log")]
    args += ["-c", str(workdir / "nginx.conf")]
    run_cli([*args, "-t"], env=os.environ, cwd=workdir)
    server = Server(
        name=f"nginx ({label})",
        args=args,
        port=port,
        env=dict(os.environ),
        cwd=workdir,
        log_path=workdir / "nginx.out",
    )
    with running(server):
        yield Nginx(server, access_log)


def _log_counts(path: Path) -> dict[str, int]:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return {}
    return {
        "uvicorn_limit_warnings": text.count("Exceeded concurrency limit"),
        "tracebacks": text.count("Traceback"),
        "locked": text.count("database is locked"),
    }


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a running process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _since(start: dt.datetime | None, job: dict[str, Any] | None, key: str) -> float | None:
    """Seconds from ``start`` to the job's ``key`` time (UTC), or None."""
    value = (job or {}).get(key)
    if start is None or not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return round((moment - start).total_seconds(), 1)


def probe_answers(counts: Mapping[str, int]) -> str:
    """The probe's answers as "refusals (503s and 429s) / 200s / time-outs and failed
    connections"."""
    busy = counts.get("503_admission", 0) + counts.get("503_other", 0) + counts.get("429", 0)
    lost = counts.get("timeout", 0) + counts.get("error", 0)
    return f"{busy} / {counts.get('200', 0)} / {lost}"


def _ms(values: list[float], pct: float) -> float | None:
    return round(percentile(values, pct), 1) if values else None


def ceiling(wrk: str, env: Mapping[str, str], place: Path, label: str) -> dict[str, Any]:
    """The same mix on as many connections as are admitted at once (no refusals): what the
    server serves when it is full but not flooded."""
    with running(yiwang_server(env, place, f"{label.lower()}-ceiling")) as server:
        load_before = os.getloadavg()[0]
        done = subprocess.run(
            wrk_args(wrk, server.base_url, CEILING_CLIENTS, CEILING_SECONDS),
            capture_output=True,
            text=True,
            timeout=CEILING_SECONDS + 60,
            check=False,
        )
        load_after = os.getloadavg()[0]
    if done.returncode != 0:
        raise BenchError(f"wrk exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    load = WrkRun.parse(done.stdout)
    return {
        "database": label,
        "run": f"ceiling ({CEILING_SECONDS} s)",
        "proxy": PROXY_LABELS["direct"],
        "clients": CEILING_CLIENTS,
        "served": load.ok,
        "served_per_s": round(load.ok / load.seconds, 1),
        "busy_admission": load.statuses.get("503_admission", 0),
        "busy_uvicorn": load.statuses.get("503_other", 0),
        "errors": load.other_statuses,
        "socket_errors": load.errors["connect"] + load.errors["read"] + load.errors["write"],
        "timeouts": load.errors["timeout"],
        "p50_ms": round(load.latency_us["50"] / 1000, 1),
        "p99_ms": round(load.latency_us["99"] / 1000, 1),
        "loadavg_1m": f"{load_before:.1f}→{load_after:.1f}",
        "wrk": {"statuses": load.statuses, "errors": load.errors},
    }


def measure(
    wrk: str,
    env: Mapping[str, str],
    token: str,
    place: Path,
    label: str,
    clients: int,
    proxy: str = "direct",
) -> dict[str, Any]:
    run_label = f"{label.lower()}-{clients}-{proxy}"
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(running(yiwang_server(env, place, run_label)))
        jobs = stack.enter_context(worker(env, place, run_label))
        front = (
            stack.enter_context(
                nginx_in_front(server, place, run_label, per_connection=proxy == "nginx-many")
            )
            if proxy != "direct"
            else None
        )
        url = front.base_url if front is not None else server.base_url
        distribution_id = upload_target(server.base_url, token)
        source = csv_file("utf-8", rows=UPLOAD_ROWS)
        probe = Probe(url, local_address=PROBE_ADDRESS)
        load_before = os.getloadavg()[0]
        pids = {
            "server": server.proc.pid if server.proc else None,
            "worker": jobs.proc.pid if jobs.proc else None,
        }
        nginx_pids = front.pids() if front is not None else []
        cpu_before = {name: _cpu_seconds(pid) for name, pid in pids.items()}
        nginx_cpu_before = sum(_cpu_seconds(pid) for pid in nginx_pids)
        wrk_cpu_before = _children_cpu_seconds()
        started = time.monotonic()
        started_wall = time.time()
        upload = Upload(
            url,
            token,
            distribution_id,
            source,
            UPLOAD_ROWS,
            deadline=started + SECONDS + UPLOAD_LIMIT_S,
            local_address=UPLOAD_ADDRESS,
        )
        with subprocess.Popen(
            wrk_args(wrk, url, clients, SECONDS),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        ) as proc:
            probe.start()
            try:
                proc.wait(timeout=UPLOAD_AFTER_S)
            except subprocess.TimeoutExpired:
                upload.start()
            stdout, stderr = proc.communicate(timeout=SECONDS + 60)
        ended = time.monotonic()
        load_after = os.getloadavg()[0]
        cpu = {name: round(_cpu_seconds(pid) - cpu_before[name], 1) for name, pid in pids.items()}
        if front is not None:
            cpu["nginx"] = round(sum(_cpu_seconds(p) for p in nginx_pids) - nginx_cpu_before, 1)
        cpu["wrk"] = round(_children_cpu_seconds() - wrk_cpu_before, 1)
        cpu["wall"] = round(ended - started, 1)
        probe.stop()
        recovered = recovery(url, MIX[1])
        if proc.returncode != 0:
            raise BenchError(f"wrk exited {proc.returncode}:\n{stdout}\n{stderr}")
        load = WrkRun.parse(stdout)
        upload.join()
        logs = _log_counts(server.log_path)
        if front is not None:
            time.sleep(1.5)  # the access log's buffer is flushed every second
            refused = front.refusals(WRK_ADDRESS, until=started_wall + load.seconds)
        else:
            refused = {"503": 0, "429": 0}
    busy_ms = probe.latencies("503_admission", "503_other", "429")
    ok_ms = probe.latencies("200")
    row = {
        "database": label,
        "run": f"load ({SECONDS} s) + upload",
        "proxy": PROXY_LABELS[proxy],
        "clients": clients,
        "served": load.ok,
        "served_per_s": round(load.ok / load.seconds, 1),
        # load_mix.lua counts every 503 with Retry-After as yiwang's; nginx's are set apart
        "busy_admission": max(0, load.statuses.get("503_admission", 0) - refused["503"]),
        "busy_uvicorn": load.statuses.get("503_other", 0),
        "busy_nginx": refused["503"],
        "limited_nginx": refused["429"],
        "errors": max(0, load.other_statuses - refused["429"]),
        "socket_errors": load.errors["connect"] + load.errors["read"] + load.errors["write"],
        "timeouts": load.errors["timeout"],
        "p50_ms": round(load.latency_us["50"] / 1000, 1),
        "p99_ms": round(load.latency_us["99"] / 1000, 1),
        "probe_503_p50_ms": _ms(busy_ms, 50),
        "probe_503_p99_ms": _ms(busy_ms, 99),
        "probe_200_p50_ms": _ms(ok_ms, 50),
        "probe_answers": probe_answers(probe.counts()),
        "upload_attempts": upload.attempts,
        "upload_503": upload.busy,
        "upload_accepted_s": upload.since_start(upload.accepted_at),
        "upload_loaded_s": upload.since_start(upload.loaded_at),
        "upload_job_done_s": _since(upload.started_wall, upload.job, "finished_at"),
        "upload_loaded_during_load": upload.loaded_at is not None and upload.loaded_at <= ended,
        "recovery_s": None if recovered is None else round(recovered, 2),
        "loadavg_1m": f"{load_before:.1f}→{load_after:.1f}",
        # kept in the JSON result, not in the table
        "wrk": {
            "requests": load.requests,
            "seconds": round(load.seconds, 1),
            "statuses": load.statuses,
            "errors": load.errors,
            "latency_ms": {k: round(v / 1000, 1) for k, v in load.latency_us.items()},
        },
        "probe": {
            "address": PROBE_ADDRESS,
            "answers": probe.counts(),
            "p50_ms_503": _ms(busy_ms, 50),
            "p99_ms_503": _ms(busy_ms, 99),
            "max_ms_503": round(max(busy_ms), 1) if busy_ms else None,
            "p50_ms_200": _ms(ok_ms, 50),
            "p99_ms_200": _ms(ok_ms, 99),
        },
        "upload": {
            "rows": UPLOAD_ROWS,
            "bytes": source.stat().st_size,
            "started_s": round(upload.started_at - started, 1) if upload.started_at else None,
            "attempts": upload.attempts,
            "busy_503": upload.busy,
            "busy_without_retry_after": upload.busy_without_retry_after,
            "retry_after_seen": sorted(upload.retry_after_seen),
            "transport_errors": upload.transport_errors,
            "tries": upload.tries,
            "accepted_s": upload.since_start(upload.accepted_at),
            "loaded_s": upload.since_start(upload.loaded_at),
            "load_ended_s": upload.since_start(ended),
            "job_started_s": _since(upload.started_wall, upload.job, "started_at"),
            "job_finished_s": _since(upload.started_wall, upload.job, "finished_at"),
            "polls": upload.polls,
            "poll_busy_503": upload.poll_busy,
            "failure": upload.failure,
        },
        "server_log": logs,
        "cpu_seconds": cpu,
    }
    print(
        f"bench: load_wrk {label} {clients} {proxy}: {json.dumps(row, ensure_ascii=False)}",
        flush=True,
    )
    return row


def describe(version: str) -> list[str]:
    """The notes under the table: how the numbers were made (``version``: wrk's)."""
    return [
        f"`yiwang serve --no-worker` (one uvicorn worker, its defaults: "
        f"`YIWANG_DB_POOL_SIZE=10` admitted at once, `YIWANG_DB_ADMISSION_QUEUE=64` waiting "
        f"up to `YIWANG_DB_ADMISSION_WAIT_MS=1000`, `YIWANG_MAX_CONNECTIONS=512`) and one "
        f"`yiwang worker` on a database loaded by `yiwang demo`, started afresh for each run; "
        f"{SECONDS} s per run.",
        f"Load: {version}, `wrk -t1 -c<clients> -d{SECONDS}s --timeout {TIMEOUT_S}s "
        f"-s bench/load_mix.lua`, each request one of "
        + ", ".join(f"`{p}`" for p in MIX)
        + " at random; every connection sends its next request as soon as an answer comes, a "
        "503 included (wrk does not honour Retry-After). wrk, the server, the worker and "
        "PostgreSQL share the 2 cores (127.0.0.1 only).",
        "served: 2xx answers; 503 admission: yiwang's `server_busy` (with Retry-After); 503 "
        "uvicorn: uvicorn's own refusal past `limit_concurrency` (no Retry-After, connection "
        "closed); other statuses: any other answer (a 500 also closes its connection, which "
        "wrk counts again as a read error); socket errors: failed connects, reads and writes; "
        f"time-outs: no answer within {TIMEOUT_S} s. p50/p99: wrk's percentiles over all "
        "answers, 200s and 503s together.",
        f"Probe: one more client sends one request every {PROBE_INTERVAL_S} s during the load "
        "(the mix in turn) and times each answer: its 503 p50/p99 is how long a refusal takes, "
        "its 200 p50 how long a served request took (details in the JSON result); probe 503 / "
        "200 / lost: how many of its requests were refused, served, and lost (no answer "
        f"within {TIMEOUT_S} s, or no connection).",
        f"Upload: {UPLOAD_AFTER_S:.0f} s into the load, `{EDITOR}` (a department editor of the "
        f"demo, API token) posts a {UPLOAD_ROWS:,}-row, 8-column UTF-8 CSV (the generator of "
        "`bench_catalog_ingest`) to `POST /api/v1/catalog/distributions/{id}/upload`; on a 503 "
        "it waits Retry-After seconds (1 s if none) and posts again; once accepted (202) it "
        "polls `datastore_search?resource_id=…&limit=0` every 0.5 s (waiting Retry-After on a "
        "503) until the total is every row. Upload accepted s (the 202), load job done s (the "
        "job's `finished_at`, from `GET /api/v1/jobs/{id}`) and 200k rows seen s (the first "
        f"poll that showed them) count from its first attempt, so the load ends at "
        f"{SECONDS - UPLOAD_AFTER_S:.0f} s on that clock; the load job runs in the `yiwang "
        "worker`. The times of each attempt are in the JSON result (`upload.tries`).",
        "In front: `direct`, wrk, the probe and the upload talk to `yiwang serve`; `nginx`, "
        "through nginx 1 worker process started with `deploy/nginx/yiwang.conf` (only its listen "
        "and upstream ports changed) in front of the same kind of server, started afresh too: "
        "wrk's connections all come from 127.0.0.1, a flood from one address, which nginx's "
        "per-address limits cut (50 connections with a request in flight, 20 API requests a "
        "second, burst 40); `nginx, 1 address per connection`, the same with the per-address "
        "limits keyed by address and port, as if each wrk connection were a client of its own "
        "(each limited to 20 API requests a second, all to 128 anonymous requests in flight). "
        f"The probe comes from {PROBE_ADDRESS} and the upload from {UPLOAD_ADDRESS} in every "
        "run, a newcomer and an editor with addresses of their own. 503 nginx / 429 nginx: "
        "nginx's own refusals of wrk's requests (from its access log: no upstream), both with "
        "Retry-After; 503 admission is then yiwang's alone; the probe's refusals are 503s and "
        "429s of either.",
        f"ceiling: the same mix on {CEILING_CLIENTS} connections (as many as admission lets "
        f"in at once, so none is refused) for {CEILING_SECONDS} s on a fresh server, without "
        "the worker, the probe or the upload: what the server serves when it is full but not "
        "flooded.",
        "recovery s: from the end of the load until a CKAN search answers 200 within a second "
        "(asked every 0.1 s).",
        "loadavg: the machine's 1-minute load average before and after the run.",
        "Reproduce: `apt-get install wrk`, then `.venv/bin/python -m bench.bench_load --driver "
        "wrk` (or `python -m bench load_wrk`), about 6 minutes; `YIWANG_BENCH_LOAD_SECONDS`, "
        "`YIWANG_BENCH_LOAD_CLIENTS` (e.g. `200,1000`) and `YIWANG_BENCH_LOAD_UPLOAD_ROWS` "
        "change the run.",
    ]


def nginx_version() -> str:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    done = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=10, check=False)
    return (done.stderr or done.stdout).strip().removeprefix("nginx version: ") or "unknown"


def find_wrk() -> str:
    """wrk's path (installed from Debian's package when run as root), or a clear refusal."""
    try:
        return ensure_wrk()
    except (BenchError, OSError, subprocess.SubprocessError) as exc:
        raise BenchError(
            "bench_load_wrk needs wrk, the C load generator: install Debian's package with "
            f"`apt-get install wrk` (as root) and run it again ({exc})"
        ) from exc


def run() -> dict[str, Any]:
    wrk = find_wrk()
    missing = postgres_missing()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(temp_dir("yiwang-bench-load-wrk-"))
        urls = {"SQLite": f"sqlite:///{tmp}/load.db"}
        if not missing:
            urls["PostgreSQL"] = stack.enter_context(throwaway_postgres("yiwang_bench_load_wrk"))
        places = {label: tmp / label.lower() for label in urls}
        for place in places.values():
            place.mkdir()
        csv_file("utf-8", rows=UPLOAD_ROWS)  # generated before anything is measured
        with ThreadPoolExecutor(max_workers=len(urls)) as pool:
            loading = {
                label: pool.submit(prepare, url, places[label]) for label, url in urls.items()
            }
            envs = {label: future.result()[0] for label, future in loading.items()}
        rows: list[dict[str, Any]] = []
        for label in urls:
            token = run_cli(
                [YIWANG, "token", "create", EDITOR], env=envs[label], cwd=places[label]
            ).strip()
            rows.append(ceiling(wrk, envs[label], places[label], label))
            rows += [
                measure(wrk, envs[label], token, places[label], label, clients, proxy)
                for proxy in PROXIES
                for clients in CLIENTS
            ]
    notes = describe(wrk_version(wrk))
    if missing:
        notes.append(f"PostgreSQL not measured: {missing}.")
    if any(p != "direct" for p in PROXIES):
        notes.append(f"nginx: {nginx_version()}.")
    return {
        "title": "Load with wrk: 200 and 1,000 connections, an upload meanwhile",
        "intro": "The same mix as above driven by a C load generator that keeps every "
        "connection busy, with a 200,000-row upload during the load and the recovery after it.",
        "columns": [
            ["database", "database"],
            ["run", "run"],
            ["proxy", "in front"],
            ["clients", "connections"],
            ["served", "served 2xx"],
            ["served_per_s", "served/s"],
            ["busy_admission", "503 admission"],
            ["busy_uvicorn", "503 uvicorn"],
            ["busy_nginx", "503 nginx"],
            ["limited_nginx", "429 nginx"],
            ["errors", "other statuses"],
            ["socket_errors", "socket errors"],
            ["timeouts", "time-outs"],
            ["p50_ms", "p50 ms"],
            ["p99_ms", "p99 ms"],
            ["probe_answers", "probe refused / 200 / lost"],
            ["probe_503_p50_ms", "503 p50 ms (probe)"],
            ["probe_503_p99_ms", "503 p99 ms (probe)"],
            ["upload_503", "upload 503s"],
            ["upload_accepted_s", "upload accepted s"],
            ["upload_job_done_s", "load job done s"],
            ["upload_loaded_s", f"{UPLOAD_ROWS // 1000:,}k rows seen s"],
            ["recovery_s", "recovery s"],
            ["loadavg_1m", "loadavg"],
        ],
        "rows": rows,
        "notes": notes,
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.bench_load_wrk [--proxy direct|nginx|nginx-many ...]``: this benchmark
    with only the loads named (all three by default); writes its result and rewrites
    docs/performance.md as ``python -m bench load_wrk`` does."""
    import argparse  # noqa: PLC0415

    from bench import main as bench_main  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m bench.bench_load_wrk")
    parser.add_argument("--proxy", choices=tuple(PROXY_LABELS), action="append")
    args = parser.parse_args(argv)
    if args.proxy:
        # read when bench imports this module anew (run as __main__, it is another module)
        os.environ["YIWANG_BENCH_LOAD_PROXIES"] = ",".join(dict.fromkeys(args.proxy))
    return bench_main(["load_wrk"])


if __name__ == "__main__":
    raise SystemExit(main())
