"""Fault-injection tests: processes killed, servers restarted, under load. Selected with
``-m faults`` (and left out with ``-m "not faults"``); each runs in well under two minutes.

The PostgreSQL restarts happen on a cluster of the test's own (``initdb`` into a temporary
directory, on a free port), never on the shared server other tests and people use."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.mqtt import free_port
from yiwang.core.db import Database
from yiwang.migrate import upgrade_and_seed


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: p.parts[-3])
    if found:
        return found[-1].parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


class PrivateCluster:
    """A PostgreSQL cluster in a temporary directory, run as the ``postgres`` account when the
    tests run as root (PostgreSQL refuses to run as root)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.datadir = Path(tempfile.mkdtemp(prefix="yiwang-faults-pg-"))
        self.log = self.datadir.parent / f"{self.datadir.name}.log"
        self._prefix: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.datadir, account.pw_uid, account.pw_gid)
            self.log.touch()
            os.chown(self.log, account.pw_uid, account.pw_gid)
            self._prefix = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/yiwang"

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [*self._prefix, *args], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            pytest.fail(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}\n{self.tail()}")

    def init(self) -> None:
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )
        self.start()
        engine = create_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres",
            isolation_level="AUTOCOMMIT",
        )
        with engine.connect() as connection:
            connection.execute(text("CREATE DATABASE yiwang"))
        engine.dispose()

    def start(self) -> None:
        # fsync off: the machine does not crash in these tests, only the server does, and the
        # operating system keeps what the server wrote.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.datadir} -c fsync=off "
            "-c max_connections=50"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.log),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w", "stop")

    def crash_and_restart(self, *, down_s: float) -> None:
        """Stop the server as a crash would (immediate: no checkpoint, connections cut), keep
        it down for ``down_s`` seconds, and start it again (it recovers from its WAL)."""
        self.stop("immediate")
        time.sleep(down_s)
        self.start()

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.datadir, ignore_errors=True)
        self.log.unlink(missing_ok=True)


@pytest.fixture
def private_postgres() -> Iterator[tuple[PrivateCluster, Database]]:
    """A migrated database on a PostgreSQL cluster of this test's own, which it may restart."""
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    cluster = PrivateCluster(bindir)
    try:
        cluster.init()
        db = Database(cluster.url, pool_size=5)
        upgrade_and_seed(db)
        try:
            yield cluster, db
        finally:
            db.dispose()
    finally:
        cluster.remove()
