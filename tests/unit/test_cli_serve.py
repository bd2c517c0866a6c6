"""The demo passwords file and the addresses ``yiwang serve`` prints."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from yiwang import cli_serve
from yiwang.core.policy import Role
from yiwang.demo import DemoUser

USERS = [
    DemoUser("admin", Role.SYSADMIN, None, "first-secret"),
    DemoUser("zjenv_editor", Role.EDITOR, "浙江省生态环境厅", "second-secret"),
]


def test_the_passwords_file_replaces_an_older_one_readable_by_others(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir()
    older = var / cli_serve.PASSWORDS_FILE
    older.write_text("admin old-secret\n")
    older.chmod(0o644)
    old_umask = os.umask(0)  # the widest umask: the file is 0600 all the same
    try:
        path = cli_serve.write_passwords(var, USERS, database="sqlite:///var/yiwang.db")
    finally:
        os.umask(old_umask)
    assert path == older
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = [r.split() for r in path.read_text(encoding="utf-8").splitlines() if r[:1] != "#"]
    assert rows == [
        ["admin", "first-secret", "sysadmin", "-"],
        ["zjenv_editor", "second-secret", "editor", "浙江省生态环境厅"],
    ]
    assert [p.name for p in var.iterdir()] == [cli_serve.PASSWORDS_FILE]


def test_the_passwords_file_does_not_follow_a_planted_link(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir()
    target = tmp_path / "elsewhere.txt"
    target.write_text("untouched")
    (var / f".{cli_serve.PASSWORDS_FILE}.partial").symlink_to(target)
    cli_serve.write_passwords(var, USERS, database="sqlite://")
    assert target.read_text() == "untouched"


def _bound(*hosts: str) -> list[socket.socket]:
    return cli_serve.bind_all(hosts, 0)


def test_where_to_go_names_the_loopback_address_when_every_address_is_served() -> None:
    sockets = _bound("0.0.0.0")  # noqa: S104
    try:
        port = sockets[0].getsockname()[1]
        lines = cli_serve.where_to_go(sockets)
    finally:
        for sock in sockets:
            sock.close()
    assert f"http://127.0.0.1:{port}/" in lines[1]
    assert f"http://127.0.0.1:{port}/login?next=/console" in lines[2]
    assert f"listening on 0.0.0.0:{port}" in lines[0]


def test_a_host_that_is_not_here_is_one_line() -> None:
    with pytest.raises(cli_serve.CannotListen) as caught:
        cli_serve.bind_all(["192.0.2.1"], 0)  # TEST-NET-1: never an address of this machine
    assert str(caught.value).startswith("本机没有地址 192.0.2.1 / 192.0.2.1 is not an address")
