"""Deadlines in working days (the core calendar): when a case is due, when its next
supervision card falls due, and how the clock stops and resumes around 补正."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwang.cases.models import Case
from yiwang.core import calendar
from yiwang.core.calendar import CalendarDay, CalendarYear, WorkCalendar

_SESSION_KEY = "yiwang.cases.calendar"
_lock = threading.Lock()
_cache: dict[str, tuple[tuple[object, ...], WorkCalendar]] = {}


def work_calendar(session: Session) -> WorkCalendar:
    """The working-day calendar, kept per process while the schedule in the database stays the
    same (checked by a few small queries, so an import is seen at once), and reused for the rest
    of the session's transaction."""
    held = session.info.get(_SESSION_KEY)
    if held is not None and held[0] is session.get_transaction():
        return held[1]  # type: ignore[no-any-return]
    calendar_ = _shared(session)
    session.info[_SESSION_KEY] = (session.get_transaction(), calendar_)
    return calendar_


# The schedule's fingerprint in one statement, built once: any import or change moves it.
_SCHEDULE_STAMP = select(
    select(func.count()).select_from(CalendarYear).scalar_subquery(),
    select(func.max(CalendarYear.loaded_at)).scalar_subquery(),
    select(func.sum(CalendarYear.year)).scalar_subquery(),
    select(func.count()).select_from(CalendarDay).scalar_subquery(),
)


def _shared(session: Session) -> WorkCalendar:
    stamp = tuple(session.execute(_SCHEDULE_STAMP).one())
    key = str(session.get_bind().engine.url)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    loaded = calendar.load(session)
    with _lock:
        _cache[key] = (stamp, loaded)
    return loaded


def due_dates(
    cal: WorkCalendar, submitted_on: dt.date, *, legal_days: int, promised_days: int
) -> tuple[dt.date, dt.date]:
    """(legal, promised) deadlines: the n-th working day after the day of submission."""
    return cal.add_workdays(submitted_on, legal_days), cal.add_workdays(submitted_on, promised_days)


def is_provisional(cal: WorkCalendar, case: Case) -> bool:
    """Whether the case's deadlines or next card date were counted over a year that has no
    official holiday schedule (from the day of submission to the latest of them)."""
    latest = max(
        d for d in (case.legal_due_on, case.due_on, case.next_card_on, case.submitted_on) if d
    )
    return cal.is_provisional(case.submitted_on, latest)


def next_card_on(
    cal: WorkCalendar, *, due_on: dt.date, card: str | None, warn_days: int
) -> dt.date | None:
    """The day the next card falls due: yellow from the day when ``warn_days`` working days
    (or fewer) are left, red from the day after the deadline; None once red."""
    if card == "red":
        return None
    if card == "yellow" or warn_days <= 0:
        return due_on + dt.timedelta(days=1)
    return cal.add_workdays(due_on, -warn_days)


def workdays_left(cal: WorkCalendar, today: dt.date, due_on: dt.date) -> int:
    """Working days left until the deadline (0 on the day itself, negative once past)."""
    return cal.workdays_between(today, due_on)


def stopped_workdays(cal: WorkCalendar, paused_on: dt.date, resumed_on: dt.date) -> int:
    """Working days the clock stood still: after the day of the request, up to and including
    the day of the supplement."""
    return max(0, cal.workdays_between(paused_on, resumed_on))
