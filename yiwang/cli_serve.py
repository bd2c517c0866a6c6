"""What ``yiwang serve`` and ``yiwang demo`` do around the server itself: make the listening
sockets (an address that cannot be had is one line that says what to do, not a traceback),
load the demo and keep its passwords in a file only the service account can read, and say
where to go once the server listens."""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from yiwang import __version__
from yiwang.core.config import get_settings, mask_url

if TYPE_CHECKING:
    from yiwang.core.db import Database
    from yiwang.demo import DemoUser

PASSWORDS_FILE = "demo-passwords.txt"
EVERY_IPV4, EVERY_IPV6 = "0.0.0.0", "::"  # noqa: S104  (a public service listens everywhere)
CONSOLE_SIGN_IN = "/login?next=/console"

# The errors of an IPv6 socket on a machine (or container) without IPv6.
_NO_IPV6 = {errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL, errno.EPROTONOSUPPORT}


class CannotListen(Exception):
    """A listening socket could not be made; the message is the one line to show."""


# --- sockets -----------------------------------------------------------------------------------


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def bind_all(hosts: Sequence[str], port: int) -> list[socket.socket]:
    """Bind a socket to ``port`` on each of ``hosts`` (they listen once the server starts).
    Where the hosts are IPv4's and IPv6's every address and the machine has no IPv6, IPv4
    alone is served and a line says so. Raise ``CannotListen`` for anything else."""
    sockets: list[socket.socket] = []
    try:
        for host in hosts:
            try:
                sockets.append(_bind(host, port))
            except OSError as exc:
                if host == EVERY_IPV6 and EVERY_IPV4 in hosts and exc.errno in _NO_IPV6:
                    click.echo(
                        "此机器没有 IPv6，只监听 IPv4 / no IPv6 here: listening on IPv4 only",
                        err=True,
                    )
                    continue
                raise CannotListen(_explain(host, port, exc, hosts)) from exc
    except CannotListen:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _explain(host: str, port: int, exc: OSError, hosts: Sequence[str]) -> str:
    where = _address(host, port)
    if exc.errno == errno.EADDRINUSE:
        other = free_port(hosts, port + 1)
        return (
            f"端口 {port} 已被占用：{where} 上已有程序在监听 / port {port} is already in use; "
            f"use make run PORT={other} (or yiwang serve --port {other})"
        )
    if exc.errno == errno.EACCES:
        other = free_port(hosts, port + 1 if port >= 1024 else 8000)
        return (
            f"无权监听端口 {port}（1024 以下的端口需要特权）/ no permission to listen on {where}; "
            f"use make run PORT={other} (or yiwang serve --port {other})"
        )
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return (
            f"本机没有地址 {host} / {host} is not an address of this machine; "
            "use make run HOST=127.0.0.1 (or yiwang serve --host 127.0.0.1)"
        )
    return f"无法监听 {where} / cannot listen on {where}: {exc.strerror or exc}"


def free_port(hosts: Sequence[str], start: int) -> int:
    """Return the first port from ``start`` that every one of ``hosts`` can bind now (``start``
    itself when none of the next hundred can)."""
    for candidate in range(start, min(start + 100, 65536)):
        if all(_can_bind(host, candidate) for host in hosts):
            return candidate
    return start


def _can_bind(host: str, port: int) -> bool:
    try:
        _bind(host, port).close()
    except OSError as exc:
        return host == EVERY_IPV6 and exc.errno in _NO_IPV6
    return True


# --- the demo -----------------------------------------------------------------------------------


def load_demo(db: Database, *, only_if_empty: bool) -> tuple[list[DemoUser], Path | None]:
    """Load the demo into an empty database and keep its passwords in the data folder; return
    the demo users (none when the database was not empty) and the passwords file (None when it
    could not be written, which is said)."""
    from yiwang import demo as demo_data  # noqa: PLC0415

    with db.session() as session:
        if demo_data.is_loaded(session):
            if not only_if_empty:
                click.echo(
                    "The database already has departments; the demo was not loaded.", err=True
                )
            return [], None
        click.echo("正在载入演示数据 / loading the demo data …", err=True)
        users = demo_data.load(session)
    try:
        path = write_passwords(get_settings().var_dir, users, database=mask_url(str(db.url)))
    except OSError as exc:
        click.echo(f"演示密码未能写入 / the demo passwords were not written: {exc}", err=True)
        return users, None
    return users, path


def run_queued_jobs(db: Database, *, seconds: float) -> None:
    """Run the jobs that are due until none is left (or ``seconds`` have passed)."""
    from yiwang.core import tasks  # noqa: F401, PLC0415  (registers the core's job handlers)
    from yiwang.core.jobs import Worker  # noqa: PLC0415

    runner = Worker(db, lease_seconds=get_settings().job_lease_seconds)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not (runner.run_one() or runner.deliver_events() > 0):
            return


def demo_lines(users: Sequence[DemoUser], passwords: Path | None) -> list[str]:
    """The demo users and their passwords when just loaded, and where the passwords are kept."""
    lines = []
    if users:
        lines += [
            "演示数据已载入 / Demo data loaded. Passwords are shown this once:",
            "  管理员首次登录时须绑定身份验证器（两步验证）/ administrators (sysadmin, "
            "department_admin) set up an authenticator app at their first sign-in",
            *password_lines(users),
        ]
    if passwords is not None:
        lines.append(
            f"演示账号的初始密码存于 / the demo users' first passwords are kept in "
            f"{shown(passwords)} (只有本账户可读 / readable by this account alone)"
        )
    return lines


def kept_passwords(var_dir: Path) -> Path | None:
    """The passwords file of an earlier demo in ``var_dir``, if there is one."""
    path = var_dir / PASSWORDS_FILE
    return path if path.is_file() else None


# --- the demo's passwords -----------------------------------------------------------------------


def password_lines(users: Sequence[DemoUser]) -> list[str]:
    """The table of demo users: name, password, role, department; one line each."""
    width = max(len(u.username) for u in users)
    return [
        f"  {u.username:<{width}}  {u.password}  {u.role.value:<16} {u.department or '-'}"
        for u in users
    ]


def write_passwords(var_dir: Path, users: Sequence[DemoUser], *, database: str) -> Path:
    """Write the demo users and their first passwords to ``var_dir/demo-passwords.txt``,
    readable and writable by this account alone (0600) from the moment it exists, replacing
    the file of an earlier demo; return its path."""
    var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = var_dir / PASSWORDS_FILE
    partial = path.with_name(f".{PASSWORDS_FILE}.partial")
    partial.unlink(missing_ok=True)
    # Created 0600 in one step (never readable by others, whatever the umask), then renamed
    # over any older file, whose wider mode would otherwise stay.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(
            f"# yiwang 演示账号及其初始密码 / demo users and their first passwords\n"
            f"# {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {database}\n"
            "# 密码修改后这里不会更新 / a password changed later is not updated here\n"
            "# 管理员（sysadmin、department_admin）首次登录时须绑定身份验证器 / administrators "
            "set up an authenticator app at their first sign-in\n"
        )
        handle.write("\n".join(line.strip() for line in password_lines(users)) + "\n")
    os.replace(partial, path)
    return path


def shown(path: Path) -> str:
    """``path`` as the user will type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


# --- where to go --------------------------------------------------------------------------------


def _loopback(host: str) -> str:
    return {EVERY_IPV4: "127.0.0.1", EVERY_IPV6: "::1", "": "127.0.0.1"}.get(host, host)


def site_url(sockets: Sequence[socket.socket]) -> str:
    """The address a browser on this machine opens: IPv4's loopback when the server listens
    on every address, else the first address it listens on."""
    hosts = [str(sock.getsockname()[0]) for sock in sockets]
    port = int(sockets[0].getsockname()[1])
    host = "127.0.0.1" if EVERY_IPV4 in hosts else _loopback(hosts[0])
    return f"http://{_address(host, port)}"


def where_to_go(sockets: Sequence[socket.socket]) -> list[str]:
    """The last lines of start-up: where the portal, the console's sign-in and the API
    documentation are, and the addresses listened on."""
    url = site_url(sockets)
    listening = ", ".join(_address(*sock.getsockname()[:2]) for sock in sockets)
    return [
        f"yiwang {__version__} 已启动 / is up (listening on {listening}); Ctrl+C 停止 / stops it",
        f"  门户 portal:                {url}/",
        f"  控制台登录 console sign-in: {url}{CONSOLE_SIGN_IN}",
        f"  接口文档 API docs:          {url}/api/docs",
    ]


def announce_when_listening(
    sockets: Sequence[socket.socket], lines: Sequence[str], *, timeout: float = 600
) -> threading.Thread:
    """Print ``lines`` (in one write, so no log line lands inside them) as soon as the server
    accepts connections on the first of ``sockets``: after its start-up has been logged, so
    that they are the last thing on the screen."""
    family = sockets[0].family
    host, port = sockets[0].getsockname()[:2]
    target = (_loopback(str(host)), int(port))

    def wait_then_print() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.socket(family, socket.SOCK_STREAM) as probe:
                    probe.settimeout(1)
                    probe.connect(target)
            except OSError:
                time.sleep(0.1)
                continue
            click.echo("\n".join(lines))
            return

    thread = threading.Thread(target=wait_then_print, name="announce", daemon=True)
    thread.start()
    return thread
