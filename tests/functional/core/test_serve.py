"""``yiwang serve`` as an operator starts it: schema, demo, IPv4 and IPv6."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.processes import cli_env
from yiwang.core.db import Database

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
        probe.bind(("::1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_serve_answers_on_ipv4_and_ipv6_with_the_demo(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/serve.db")
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "yiwang", "serve", "--port", str(port), "--demo"],
        env=cli_env(db, tmp_path / "var"),
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, _ = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200, (tmp_path / "serve.log").read_text()
        assert _get(f"http://[::1]:{port}/healthz") == (200, b'{"status":"ok"}')
        ready_status, ready = _get(f"http://[::1]:{port}/readyz")
        assert ready_status == 200
        assert json.loads(ready)["database"] == "sqlite"
        _, body = _get(f"http://127.0.0.1:{port}/api/v1/departments?limit=100")
        names = [d["name_zh"] for d in json.loads(body)["items"]]
        assert "浙江省数据局" in names
        assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    printed = (tmp_path / "serve.log").read_text()
    assert "Passwords are shown this once" in printed
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells the truth.
    assert server.returncode in (0, -signal.SIGTERM), printed
    assert "Application shutdown complete" in printed
