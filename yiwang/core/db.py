"""The database: engine set-up for SQLite and PostgreSQL, the declarative base, shared column
types and sessions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, String, create_engine, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from yiwang.core import clock

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every yiwang model; one metadata for core and engines."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    """Return the current time, timezone-aware, in UTC, from the one clock
    (:mod:`yiwang.core.clock`)."""
    return clock.now()


# China Standard Time, the time people read (China keeps one offset all year). Times are
# stored in UTC and turned into this only to be shown or to find a local date.
CHINA = clock.CHINA


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: dt.datetime | None,
        dialect: Dialect,  # noqa: ARG002  (the signature TypeDecorator calls)
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")

# Shared column types (use as ``Mapped[IntPK]`` and so on).
IntPK = Annotated[int, mapped_column(primary_key=True)]
CreatedAt = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow)]
Timestamp = Annotated[dt.datetime, mapped_column(UTCDateTime())]
DivisionCodeColumn = Annotated[
    str, mapped_column(String(6), comment="GB/T 2260 six-digit administrative division code")
]


def normalize_url(url: str) -> str:
    """Return ``url`` with the psycopg 3 driver named for PostgreSQL URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin; otherwise
    # SAVEPOINTs and transactional DDL misbehave (a RELEASE can commit the whole transaction).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    cursor.close()


WRITE_INTENT = "yiwang_write_intent"
NO_WAIT = "yiwang_no_wait"
_BUSY_TIMEOUT_MS = 10000


def _sqlite_on_begin(connection: Any) -> None:
    # A transaction that is going to write takes SQLite's write lock at once (waiting up to
    # busy_timeout); upgrading a read transaction later could fail at once with SQLITE_BUSY.
    options = connection.get_execution_options()
    if options.get(NO_WAIT):
        # Fail at once if another transaction holds the write lock, instead of waiting.
        connection.exec_driver_sql("PRAGMA busy_timeout=0")
        connection.info["yiwang.no_wait"] = True
    connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE_INTENT) else "BEGIN")


def _sqlite_on_checkin(dbapi_connection: Any, record: Any) -> None:
    if record.info.pop("yiwang.no_wait", False):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.close()


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """Create an engine for ``url``: SQLite in WAL mode with foreign keys on, or PostgreSQL
    through psycopg 3."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        on_disk = bool(database) and database != ":memory:"
        pooling: dict[str, Any] = {}
        if on_disk:
            Path(str(database)).parent.mkdir(parents=True, exist_ok=True)
            # Kept open: a new SQLite connection starts with a cold page cache.
            pooling = {"pool_size": pool_size, "max_overflow": pool_size}
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False}, **pooling)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        event.listen(engine, "checkin", _sqlite_on_checkin)
        return engine
    return create_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


def declare_write(session: Session) -> None:
    """Say, before a session's first statement, that its transaction will write."""
    session.connection(execution_options={WRITE_INTENT: True})


def database_of(session: Session) -> Database | None:
    """The :class:`Database` a session was made by, for work in a transaction of its own."""
    database = session.info.get("database")
    return database if isinstance(database, Database) else None


def holds_write_intent(session: Session) -> bool:
    """Whether the session's transaction was begun as a write transaction."""
    if not session.in_transaction():
        return False
    return bool(session.connection().get_execution_options().get(WRITE_INTENT))


@contextmanager
def side_transaction(session: Session) -> Iterator[Session]:
    """A session for a small write beside the caller's work (a last-used time, an audit record
    of a read): the caller's own when it is already a write transaction, since on SQLite a second
    writer would wait for it; otherwise a transaction of its own, so a read stays a read."""
    database = database_of(session)
    if database is None or holds_write_intent(session):
        yield session
        return
    with database.session() as own:
        yield own


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        from yiwang.core.cache import VersionedCache  # noqa: PLC0415  (the cache's table needs Base)

        self.url = normalize_url(url)
        self.engine = make_engine(self.url, pool_size=pool_size)
        self.cache = VersionedCache()
        self.sessionmaker = sessionmaker(
            self.engine, expire_on_commit=False, info={"cache": self.cache, "database": self}
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, write: bool = True, wait: bool = True) -> Iterator[Session]:
        """Yield a session that commits on success and rolls back on error. ``write`` declares
        that it will write (on SQLite it then takes the write lock when it begins); with
        ``wait=False`` it fails at once (OperationalError) instead of waiting for that lock."""
        with self.sessionmaker() as session:
            if write:
                options: dict[str, Any] = {WRITE_INTENT: True}
                if not wait:
                    options[NO_WAIT] = True
                session.connection(execution_options=options)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def ping(self) -> None:
        """Reach the database with the smallest statement; raises whatever reaching it raises."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
