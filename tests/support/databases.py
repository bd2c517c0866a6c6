"""Test databases: a migrated SQLite file and a migrated PostgreSQL database per test run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from yiwang.core.cache import VersionedCache
from yiwang.core.db import Database
from yiwang.migrate import upgrade_and_seed

PG_ADMIN_URL = os.environ.get(
    "YIWANG_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_PG = os.environ.get("YIWANG_TEST_REQUIRE_PG") == "1"


def _pg_admin() -> Engine:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def postgres_unavailable() -> str | None:
    """Return why PostgreSQL cannot be used, or None if it can."""
    try:
        engine = _pg_admin()
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001  (any failure to connect means the PostgreSQL runs are skipped)
        return f"PostgreSQL at {make_url(PG_ADMIN_URL).render_as_string()} unreachable: {exc}"
    return None


@contextmanager
def new_database(kind: str, tmp_dir: Path) -> Iterator[str]:
    """Create an empty database of ``kind`` and yield its URL; drop it afterwards."""
    if kind == "sqlite":
        path = tmp_dir / f"yiwang-{uuid.uuid4().hex[:8]}.db"
        yield f"sqlite:///{path}"
        return
    reason = postgres_unavailable()
    if reason:
        if REQUIRE_PG:
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"yiwang_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = _pg_admin()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def migrated_database(kind: str, tmp_dir: Path) -> Iterator[Database]:
    with new_database(kind, tmp_dir) as url:
        db = Database(url, pool_size=5)
        upgrade_and_seed(db)
        try:
            yield db
        finally:
            db.dispose()


class BoundDatabase(Database):
    """A :class:`Database` whose every session runs inside one outer transaction on one
    connection, each ``commit`` releasing a SAVEPOINT; the test rolls it all back."""

    def __init__(self, parent: Database, connection: Connection) -> None:
        self.url = parent.url
        self.engine = parent.engine
        self.connection = connection
        self.cache = VersionedCache()
        self.sessionmaker = sessionmaker(
            bind=connection,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
            info={"cache": self.cache, "database": self},
        )
