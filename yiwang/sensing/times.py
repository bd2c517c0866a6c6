"""Times as SensorThings writes them: ISO 8601 instants that must carry a zone, and intervals
``start/end``."""

from __future__ import annotations

import datetime as dt
import reprlib
from typing import Any

from yiwang.core.errors import InvalidInput


def _shown(value: Any) -> str:
    """What an error message shows of a value sent: its start, never the whole of a huge one."""
    return value[:80] if isinstance(value, str) else reprlib.repr(value)


def parse_instant(text: str, *, field: str = "time") -> dt.datetime:
    """Return the instant ``text`` names, in UTC. A time without a zone is refused: "08:00" means
    a different moment in Hangzhou and on a server set to UTC."""
    if not isinstance(text, str) or not text:
        raise InvalidInput("sensing.time_invalid", field=field, value=_shown(text))
    candidate = text.strip()
    if candidate.endswith(("z", "Z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        value = dt.datetime.fromisoformat(candidate)
    except ValueError:
        raise InvalidInput("sensing.time_invalid", field=field, value=_shown(text)) from None
    if value.tzinfo is None:
        raise InvalidInput("sensing.time_without_zone", field=field, value=_shown(text))
    return value.astimezone(dt.UTC)


def parse_time_value(text: str, *, field: str = "time") -> tuple[dt.datetime, dt.datetime | None]:
    """Return ``(start, end)`` of an instant (end None) or an interval ``start/end``."""
    if isinstance(text, str) and "/" in text:
        first, _, second = text.partition("/")
        start = parse_instant(first, field=field)
        end = parse_instant(second, field=field)
        if end < start:
            raise InvalidInput("sensing.interval_reversed", field=field, value=_shown(text))
        return start, end
    return parse_instant(text, field=field), None


def format_instant(value: dt.datetime) -> str:
    """``2026-11-29T02:00:00.000Z``: UTC with milliseconds, as SensorThings servers answer."""
    text = value.astimezone(dt.UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def format_interval(start: dt.datetime, end: dt.datetime | None) -> str:
    """An instant, or ``start/end`` when there is an end."""
    if end is None:
        return format_instant(start)
    return f"{format_instant(start)}/{format_instant(end)}"


def format_optional(start: dt.datetime | None, end: dt.datetime | None = None) -> str | None:
    return None if start is None else format_interval(start, end)


__all__ = [
    "format_instant",
    "format_interval",
    "format_optional",
    "parse_instant",
    "parse_time_value",
]
