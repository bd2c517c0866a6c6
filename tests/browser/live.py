"""A live yiwang for the browser tests and the screenshots: a SQLite database with the demo
loaded by the real ``yiwang demo``, a ``yiwang serve`` process on a free port, and Debian's
Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp

from tests.support.processes import base_env
from yiwang.core import clock
from yiwang.core.identity.second_factor import STEP_SECONDS

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


def _yiwang(database_url: str, var_dir: Path, *args: str, stdin: str | None = None) -> str:
    """Run ``yiwang ARGS`` on the database; return what it printed."""
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
    return done.stdout


def demo_database(workdir: Path) -> str:
    """Create a SQLite database under ``workdir`` with the demo loaded; return its URL."""
    var_dir = workdir / "var"
    var_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{workdir / 'yiwang.db'}"
    _yiwang(url, var_dir, "db", "upgrade")
    (workdir / DEMO_USERS).write_text(_yiwang(url, var_dir, "demo"))
    return url


DEMO_USERS = "demo-users.txt"  # what `yiwang demo` printed: the demo users and their passwords


def demo_password(database_url: str, username: str) -> str:
    """The password `yiwang demo` printed for the demo user ``username``."""
    printed = (Path(database_url.removeprefix("sqlite:///")).parent / DEMO_USERS).read_text()
    for line in printed.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == username:
            return fields[1]
    raise KeyError(f"yiwang demo printed no user {username}")


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


# The authenticator app of each user this run has set one up for: its secret, and the last
# time step whose code it gave (a code is taken once).
_SECRETS: dict[str, str] = {}
_LAST_STEP: dict[str, int] = {}


def sign_in(page: object, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form of the live server the page points at, and wait for the
    workbench it leads to. Where the second step follows (administrators), pass it as a person
    with an authenticator app does: at the first sign-in set one up with the secret the page
    shows; later give its next code."""
    page.goto("/login")  # type: ignore[attr-defined]
    page.get_by_label("用户名").fill(username)  # type: ignore[attr-defined]
    page.get_by_label("密码").fill(password)  # type: ignore[attr-defined]
    page.get_by_role("button", name="登录").click()  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r"/(console|login/second-factor)"))  # type: ignore[attr-defined]
    if "/login/second-factor" in page.url:  # type: ignore[attr-defined]
        pass_second_step(page, username)
    page.wait_for_url(re.compile(r"/console$"))  # type: ignore[attr-defined]


def _step_now() -> int:
    return int(clock.now().timestamp()) // STEP_SECONDS


def app_code(username: str) -> str:
    """The next code of ``username``'s app: of this time step, or of the next one when this
    one's was given already (the server takes a code one step ahead); waits for the step after
    that when both were."""
    step = max(_step_now(), _LAST_STEP.get(username, 0) + 1)
    while step > _step_now() + 1:
        time.sleep(0.5)
    _LAST_STEP[username] = step
    return str(pyotp.TOTP(_SECRETS[username]).at(step * STEP_SECONDS))


def pass_second_step(page: object, username: str) -> list[str]:
    """On the second-step page: set up an app when it asks for one and go on past the recovery
    codes (returned), else give the app's next code (and return no codes)."""
    secret = page.locator("#second-factor-secret")  # type: ignore[attr-defined]
    if secret.count():
        _SECRETS[username] = secret.inner_text().replace(" ", "")
        _LAST_STEP.pop(username, None)
        page.get_by_label("验证码").fill(app_code(username))  # type: ignore[attr-defined]
        page.get_by_role("button", name="完成绑定").click()  # type: ignore[attr-defined]
        codes = page.locator("#recovery-codes li")  # type: ignore[attr-defined]
        codes.first.wait_for()
        recovery_codes = [c.strip() for c in codes.all_inner_texts()]
        page.locator("#continue").click()  # type: ignore[attr-defined]
        return recovery_codes
    page.get_by_label("验证码").fill(app_code(username))  # type: ignore[attr-defined]
    page.get_by_role("button", name="验证", exact=True).click()  # type: ignore[attr-defined]
    return []


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
