"""A live yiwang for the browser tests and the screenshots: a SQLite database with the demo
loaded by the real ``yiwang demo``, a ``yiwang serve`` process on a free port, and Debian's
Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import base_env

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (CI installs chromium from .ci/debian-packages)"
    try:
        import playwright.sync_api  # noqa: F401, PLC0415
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = base_env()
    env.update(
        YIWANG_DATABASE_URL=database_url,
        YIWANG_VAR_DIR=str(var_dir),
        YIWANG_LOG_FORMAT="text",
        YIWANG_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def _yiwang(database_url: str, var_dir: Path, *args: str, stdin: str | None = None) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "yiwang", *args],
        env=_env(database_url, var_dir),
        cwd=var_dir,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"yiwang {' '.join(args)} failed:\n{done.stderr[-3000:]}")


def demo_database(workdir: Path) -> str:
    """Create a SQLite database under ``workdir`` with the demo loaded; return its URL."""
    var_dir = workdir / "var"
    var_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{workdir / 'yiwang.db'}"
    _yiwang(url, var_dir, "db", "upgrade")
    _yiwang(url, var_dir, "demo")
    return url


PASSWORD = "browser-tests-Pa55word"  # a test account on a throwaway database


def create_user(database_url: str, username: str, role: str, department: str | None = None) -> str:
    """Create a user with ``yiwang user create`` (``department``: id, division code or Chinese
    name) and the password :data:`PASSWORD`; return the username."""
    var_dir = Path(database_url.removeprefix("sqlite:///")).parent / "var"
    args = ["user", "create", username, "--role", role, "--password-stdin"]
    if department is not None:
        args += ["--department", department]
    _yiwang(database_url, var_dir, *args, stdin=PASSWORD + "\n")
    return username


def sign_in(page: object, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form of the live server the page points at."""
    page.goto("/login")  # type: ignore[attr-defined]
    page.get_by_label("用户名").fill(username)  # type: ignore[attr-defined]
    page.get_by_label("密码").fill(password)  # type: ignore[attr-defined]
    page.get_by_role("button", name="登录").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/account")  # type: ignore[attr-defined]


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


@contextlib.contextmanager
def serving(database_url: str, workdir: Path, **env: str) -> Iterator[Server]:
    """Run ``yiwang serve`` on a free loopback port until the block ends."""
    port = free_port()
    var_dir = workdir / "var"
    var_dir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"serve-{port}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "yiwang",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-worker",
            ],
            env=_env(database_url, var_dir, **env),
            cwd=var_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"yiwang serve exited at start:\n{server.log_tail()}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(server.url + "/healthz", timeout=2),  # noqa: S310
            ):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"yiwang serve did not answer:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def launch_options() -> dict[str, object]:
    """How Playwright starts Debian's Chromium."""
    return {"executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}


def mosquitto_missing() -> str | None:
    return None if shutil.which("mosquitto") else "the mosquitto broker is not installed"
