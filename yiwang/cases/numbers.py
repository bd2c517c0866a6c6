"""Case numbers: ``<division>-<yyyymmdd>-<seq>``, from one counter row per division and day."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, Integer, String, bindparam, create_engine, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from yiwang.cases.models import NumberSequence


def next_number(session: Session, *, division_code: str, day: dt.date) -> str:
    """The next case number of a division and day, e.g. ``330100-20251009-000042``, from one
    counter row per division and day incremented in one statement, so numbers never repeat.

    On SQLite the increment is part of the caller's transaction (which holds the write lock
    anyway). On PostgreSQL it is a transaction of its own on a connection kept for numbering:
    the counter row is locked for that one statement, not until the filing commits, so
    filings in parallel do not queue on it. A filing that fails after it was numbered leaves
    its number unused."""
    prefix = f"{division_code}-{day:%Y%m%d}"
    last = _write_counter(session, prefix, None)
    return f"{prefix}-{last:06d}"


def raise_counters(session: Session, lasts: Mapping[str, int]) -> None:
    """Make sure the counters of these prefixes (``<division>-<yyyymmdd>``) are at least at
    these numbers, for cases inserted with numbers of their own (the demo's history). On
    PostgreSQL this is committed at once, like every increment (see :func:`next_number`)."""
    for prefix, last in lasts.items():
        _write_counter(session, prefix, last)


def _counter_statement(dialect: str, *, increment: bool) -> Any:
    """``INSERT … ON CONFLICT DO UPDATE … RETURNING last`` for a counter: add one, or raise it
    to at least ``:last``. Built once per dialect and kind (parameters ``prefix``, ``last``)."""
    key = (dialect, increment)
    statement = _COUNTER_STATEMENTS.get(key)
    if statement is None:
        postgresql = dialect == "postgresql"
        insert = pg_insert if postgresql else sqlite_insert
        bigger = func.greatest if postgresql else func.max
        last = bindparam("last", type_=Integer)
        statement = (
            insert(NumberSequence)
            .values(prefix=bindparam("prefix", type_=String), last=last)
            .on_conflict_do_update(
                index_elements=[NumberSequence.prefix],
                set_={
                    "last": NumberSequence.last + 1
                    if increment
                    else bigger(NumberSequence.last, last)
                },
            )
            .returning(NumberSequence.last)
        )
        _COUNTER_STATEMENTS[key] = statement
    return statement


_COUNTER_STATEMENTS: dict[tuple[str, bool], Any] = {}


def _write_counter(session: Session, prefix: str, at_least: int | None) -> int:
    engine = session.get_bind().engine
    dialect = engine.dialect.name
    statement = _counter_statement(dialect, increment=at_least is None)
    parameters = {"prefix": prefix, "last": 1 if at_least is None else at_least}
    if dialect != "postgresql":
        return int(session.execute(statement, parameters).scalar_one())
    with _numbering_engine(engine).connect() as connection:
        return int(connection.execute(statement, parameters).scalar_one())


_numbering_lock = threading.Lock()
_numbering_engines: dict[str, Engine] = {}


def _numbering_engine(engine: Engine) -> Engine:
    """A small pool of autocommit connections to the same database, apart from the request
    pool: a request holding one of its pool's connections never waits for a second there."""
    key = engine.url.render_as_string(hide_password=False)
    with _numbering_lock:
        numbering = _numbering_engines.get(key)
        if numbering is None:
            numbering = create_engine(
                engine.url,
                isolation_level="AUTOCOMMIT",
                pool_size=2,
                max_overflow=2,
                pool_pre_ping=True,
                # Safe without waiting for the WAL flush: the filing that uses the number
                # commits later, and its own commit flushes the WAL past this increment. A
                # crash before that loses the increment and the filing together, so no number
                # is ever given twice. The lock timeout turns a counter row held by an open
                # transaction (which should never happen) into an error instead of a hang.
                connect_args={"options": "-c synchronous_commit=off -c lock_timeout=10s"},
            )
            _numbering_engines[key] = numbering
    return numbering


__all__ = ["next_number", "raise_counters"]
