"""The first ``make run``: where to go, the demo passwords kept, another port, a port taken."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.processes import ROOT, base_env, free_port

pytestmark = pytest.mark.slow

TABLE_HEAD = "Passwords are shown this once"
TABLE_ROW = re.compile(r"^  ([a-z_]+)\s+(\S+)\s+(sysadmin|department_admin|editor|member)\s")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **base_env(),
        "YIWANG_DATABASE_URL": f"sqlite:///{tmp_path}/var/yiwang.db",
        "YIWANG_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def _serve(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yiwang", "serve", "--demo", *options],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_first_start_ends_with_the_demo_passwords_and_where_to_go(tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "yiwang", "serve", "--demo"),
                *("--host", "127.0.0.1", "--port", str(port)),
            ],
            env=_env(tmp_path, YIWANG_LOG_FORMAT="json"),
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and server.poll() is None:
                if "/login?next=/console" in log_path.read_text(encoding="utf-8"):
                    break
                time.sleep(0.2)
            time.sleep(1)  # whatever the server logs just after
            printed = log_path.read_text(encoding="utf-8")
            assert server.poll() is None, printed
            sign_in = f"http://127.0.0.1:{port}/login?next=/console"
            with urllib.request.urlopen(sign_in, timeout=10) as response:
                assert response.status == 200
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    lines = printed.splitlines()
    head = next(i for i, line in enumerate(lines) if TABLE_HEAD in line)
    logs_before = [line for line in lines[:head] if line.startswith("{")]
    after = lines[head:]
    # The demo's background jobs and the server's start-up were logged before the table...
    assert any(json.loads(line)["message"] == "job finished" for line in logs_before)
    assert any("Application startup complete" in line for line in logs_before)
    # ...which, with the addresses, is the last thing printed.
    assert [line for line in after if line.startswith("{")] == [], printed
    assert after[-3:] == [
        f"  门户 portal:                http://127.0.0.1:{port}/",
        f"  控制台登录 console sign-in: {sign_in}",
        f"  接口文档 API docs:          http://127.0.0.1:{port}/api/docs",
    ]
    assert f"listening on 127.0.0.1:{port}" in after[-4]

    shown = {m[1]: m[2] for line in after if (m := TABLE_ROW.match(line))}
    assert "admin" in shown
    assert len(shown) >= 20
    passwords = tmp_path / "var" / "demo-passwords.txt"
    assert "var/demo-passwords.txt" in printed
    assert stat.S_IMODE(passwords.stat().st_mode) == 0o600
    kept = {
        row.split()[0]: row.split()[1]
        for row in passwords.read_text(encoding="utf-8").splitlines()
        if row and not row.startswith("#")
    }
    assert kept == shown


def test_a_port_in_use_is_one_line_and_a_failure(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        on_loopback = _serve(tmp_path, "--host", "127.0.0.1", "--port", str(port))
        on_every_address = _serve(tmp_path, "--port", str(port))
    for result in (on_loopback, on_every_address):
        assert result.returncode == 1
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"端口 {port} 已被占用："), line
        suggested = re.search(r"use make run PORT=(\d+) \(or yiwang serve --port (\d+)\)", line)
        assert suggested, line
        assert suggested[1] == suggested[2]
        assert int(suggested[1]) != port
    # Told before anything was made: no database, no data folder.
    assert not (tmp_path / "var").exists()


def test_make_run_passes_the_port_and_the_addresses() -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")

    def command(*assignments: str) -> str:
        dry = subprocess.run(
            ["make", "--no-print-directory", "-n", "run", *assignments],
            cwd=ROOT,
            env={**base_env(), "PORT": "1234", "HOST": "192.0.2.1"},  # the environment's: ignored
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        (serve,) = [line for line in dry.stdout.splitlines() if " serve " in line]
        return serve.split("yiwang ", 1)[1].strip()

    assert command() == "serve --demo --port 8000"
    assert command("PORT=8080") == "serve --demo --port 8080"
    assert (
        command("PORT=8081", "HOST=127.0.0.1 ::1")
        == "serve --demo --port 8081 --host 127.0.0.1 --host ::1"
    )
