"""Running the real ``yiwang`` command against a test database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from yiwang.core import clock
from yiwang.core.db import Database

ROOT = Path(__file__).resolve().parents[2]


def base_env() -> dict[str, str]:
    """The environment of a process the tests start: this one's, without its yiwang settings,
    and on the test's clock when the test has set it (the process's clock runs on from the
    test's "now")."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIWANG_")}
    if clock.is_set():
        env[clock.ENV_VAR] = clock.now().isoformat()
    return env


def cli_env(db: Database, var_dir: Path, **extra: str) -> dict[str, str]:
    env = base_env()
    env.update(
        {
            "YIWANG_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
            "YIWANG_VAR_DIR": str(var_dir),
            "YIWANG_LOG_FORMAT": "text",
            "PYTHONPATH": str(ROOT),
            **extra,
        }
    )
    return env


def yiwang(
    db: Database,
    var_dir: Path,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yiwang", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**cli_env(db, var_dir), **(env or {})},
        cwd=var_dir,
        check=False,
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def live_server(
    db: Database, tmp_path: Path, *options: str, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run ``yiwang serve`` (with ``options``, e.g. ``--no-worker``) on ``db`` on a free port
    and yield its URL once /healthz answers; stop it on the way out. What the server logged is
    written to standard error, which pytest shows when the test failed."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "yiwang", "serve", "--no-migrate", *options),
                *("--host", "127.0.0.1", "--port", str(port)),
            ],
            env={**cli_env(db, tmp_path / "var"), **(env or {})},
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(server, url, log_path)
            yield url
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    sys.stderr.write(log_path.read_text())


def _wait_until_up(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"yiwang serve did not come up:\n{log.read_text()}")
