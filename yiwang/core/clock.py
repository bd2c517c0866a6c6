"""The one clock of yiwang: every "now" and "today" comes from here.

Times are UTC and timezone-aware; dates people see and deadlines count are dates in China
Standard Time (UTC+8, no daylight saving), never the server's local date and never the
database server's clock.

The clock can be set, for tests and rehearsals only:

- ``YIWANG_CLOCK`` (an ISO 8601 time with an offset, e.g. ``2027-12-31T09:00:00+08:00``) makes
  a process start its clock at that moment and let it run on from there, so a server started as
  a separate process lives on the same date as the test that started it;
- :func:`pin` (a context manager) stops the clock at a moment inside the current process.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

# China Standard Time: the zone of every local date (China keeps one offset all year).
CHINA = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

ENV_VAR = "YIWANG_CLOCK"

_lock = threading.Lock()
_pinned: dt.datetime | None = None
_offset: dt.timedelta | None = None  # set from YIWANG_CLOCK, once per process


def parse_moment(text: str) -> dt.datetime:
    """Read an ISO 8601 time (or a date, taken as 09:00 China time that day); a time without an
    offset is China time. Raise ValueError for anything else."""
    text = text.strip()
    if len(text) == 10:
        day = dt.date.fromisoformat(text)
        return dt.datetime(day.year, day.month, day.day, 9, tzinfo=CHINA)
    moment = dt.datetime.fromisoformat(text)
    return moment.replace(tzinfo=CHINA) if moment.tzinfo is None else moment


def _offset_from_env() -> dt.timedelta:
    global _offset  # noqa: PLW0603  (the process's clock is set once, at first use)
    with _lock:
        if _offset is None:
            value = os.environ.get(ENV_VAR, "").strip()
            _offset = (
                parse_moment(value) - dt.datetime.fromtimestamp(time.time(), dt.UTC)
                if value
                else dt.timedelta(0)
            )
        return _offset


def now() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    pinned = _pinned
    if pinned is not None:
        return pinned
    real = dt.datetime.fromtimestamp(time.time(), dt.UTC)
    offset = _offset if _offset is not None else _offset_from_env()
    return real + offset if offset else real


def today() -> dt.date:
    """Today's date in China."""
    return now().astimezone(CHINA).date()


def local_date(moment: dt.datetime) -> dt.date:
    """The date in China at ``moment`` (a timezone-aware time)."""
    return moment.astimezone(CHINA).date()


def is_set() -> bool:
    """Whether this process runs on a set clock (``YIWANG_CLOCK`` or :func:`pin`)."""
    return _pinned is not None or bool(_offset_from_env())


@contextmanager
def pin(moment: dt.datetime | dt.date | str) -> Iterator[dt.datetime]:
    """Stop the clock at ``moment`` inside this process until the block ends."""
    global _pinned  # noqa: PLW0603  (one clock per process, by design)
    if isinstance(moment, str):
        moment = parse_moment(moment)
    elif not isinstance(moment, dt.datetime):
        moment = dt.datetime(moment.year, moment.month, moment.day, 9, tzinfo=CHINA)
    if moment.tzinfo is None:
        raise ValueError("a pinned time needs an offset")
    before = _pinned
    _pinned = moment.astimezone(dt.UTC)
    try:
        yield _pinned
    finally:
        _pinned = before


def start_at(moment: dt.datetime | None) -> None:
    """Let the clock run on from ``moment`` (None: the real time again), as ``YIWANG_CLOCK``
    does at start-up. For test fixtures that move a whole run to another date."""
    global _offset  # noqa: PLW0603
    with _lock:
        _offset = (
            dt.timedelta(0)
            if moment is None
            else moment - dt.datetime.fromtimestamp(time.time(), dt.UTC)
        )
