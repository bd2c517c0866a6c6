"""Fixtures shared by the whole suite. Every test that touches the database runs once on
SQLite and once on PostgreSQL, inside a transaction that is rolled back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.support.databases import BoundDatabase, migrated_database
from yiwang.app import create_app
from yiwang.core import clock, security
from yiwang.core.config import Settings
from yiwang.core.db import Database

DATABASES = ["sqlite", "postgresql"]

# The production password hasher (argon2id with argon2-cffi's defaults: 64 MiB, 3 passes),
# kept for the test that checks it.
REAL_HASHER = security._hasher


# YIWANG_TEST_CLOCK (a date or an ISO time) moves the whole run to that day: the clock starts
# there and runs on, in this process and in every server or command the tests start.
TEST_CLOCK = os.environ.get("YIWANG_TEST_CLOCK", "").strip()


@pytest.fixture(autouse=True, scope="session")
def _test_clock() -> Iterator[None]:
    if not TEST_CLOCK:
        yield
        return
    clock.start_at(clock.parse_moment(TEST_CLOCK))
    try:
        yield
    finally:
        clock.start_at(None)


def pytest_report_header() -> list[str]:
    return [f"clock: {TEST_CLOCK} (YIWANG_TEST_CLOCK)"] if TEST_CLOCK else []


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashes() -> Iterator[None]:
    """Argon2id at its smallest cost inside the test process: the suite creates and signs in
    thousands of users, and the production cost (a fifth of a second each) would be most of its
    time. Hashes stay argon2id and verify alike; servers started as processes keep the real
    cost."""
    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        yield
    finally:
        security._hasher = REAL_HASHER


@pytest.fixture(scope="session", params=DATABASES)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A migrated database of each kind, shared by the tests of one run."""
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as db:
        yield db


@pytest.fixture
def db(database: Database) -> Iterator[BoundDatabase]:
    """The database as the application sees it, inside a transaction rolled back after the
    test."""
    connection = database.engine.connect()
    outer = connection.begin()
    bound = BoundDatabase(database, connection)
    try:
        yield bound
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def session(db: BoundDatabase) -> Iterator[Session]:
    with db.sessionmaker() as s:
        yield s


@pytest.fixture
def dialect(database: Database) -> str:
    return database.dialect


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url="sqlite:///unused.db",
        var_dir=tmp_path / "var",
        secret_key="test-secret-key-not-for-production",
        log_format="text",
    )


@pytest.fixture
def app_client(db: BoundDatabase, settings: Settings) -> Iterator[TestClient]:
    """A client for the application running on the test's database."""
    app = create_app(settings, db)
    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.fixture(params=DATABASES)
def committed_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database of its own, whose commits are real: for tests that run other
    processes (the CLI, workers, a server) against it."""
    with migrated_database(request.param, tmp_path) as db:
        yield db
