"""Working days under the Chinese public-holiday schedule (holidays and make-up workdays, 调休).

The schedule lives in the database: seeded from the ``chinese-calendar`` package and extended
by importing each new year's official notice. Counting into a year with no schedule is an
error, unless an operator allowed weekend-only counting for that year.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from yiwang.core import audit
from yiwang.core.calendar.models import CalendarDay, CalendarYear
from yiwang.core.db import utcnow
from yiwang.core.errors import AppError, InvalidInput
from yiwang.core.policy import Actor, can_manage_calendar, require

_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


class YearNotLoaded(AppError):
    status_code = 422

    def __init__(self, year: int) -> None:
        super().__init__("calendar.year_not_loaded", year=year)
        self.year = year


@dataclass
class WorkCalendar:
    """A snapshot of the schedule, for fast counting in memory."""

    scheduled_years: set[int] = field(default_factory=set)
    weekend_only_years: set[int] = field(default_factory=set)
    overrides: dict[dt.date, bool] = field(default_factory=dict)

    def _check(self, day: dt.date) -> None:
        if day.year not in self.scheduled_years and day.year not in self.weekend_only_years:
            raise YearNotLoaded(day.year)

    def is_workday(self, day: dt.date) -> bool:
        self._check(day)
        override = self.overrides.get(day)
        if override is not None:
            return override
        return day.weekday() < 5

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """Return the n-th working day after ``start`` (before it, for negative n). With n = 0,
        return ``start`` if it is a working day, else the next one."""
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        day = start
        if remaining == 0:
            while not self.is_workday(day):
                day += dt.timedelta(days=1)
            return day
        while remaining:
            day += dt.timedelta(days=step)
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Count working days after ``start`` up to and including ``end`` (negative when
        ``end`` is before ``start``), the way a deadline of n working days is counted."""
        if end < start:
            return -self.workdays_between(end, start)
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


def load(session: Session) -> WorkCalendar:
    """Read the whole schedule (a few hundred rows per decade) into a :class:`WorkCalendar`."""
    calendar = WorkCalendar()
    for year in session.scalars(select(CalendarYear)):
        if year.has_schedule:
            calendar.scheduled_years.add(year.year)
        elif year.weekend_only_allowed:
            calendar.weekend_only_years.add(year.year)
    for day in session.scalars(select(CalendarDay)):
        calendar.overrides[day.day] = day.is_workday
    return calendar


def is_workday(session: Session, day: dt.date) -> bool:
    return load(session).is_workday(day)


def add_workdays(session: Session, start: dt.date, n: int) -> dt.date:
    return load(session).add_workdays(start, n)


def workdays_between(session: Session, start: dt.date, end: dt.date) -> int:
    return load(session).workdays_between(start, end)


@dataclass(frozen=True)
class ScheduleDay:
    day: dt.date
    is_workday: bool
    name: str | None = None


def _replace_years(session: Session, years: dict[int, list[ScheduleDay]], source: str) -> None:
    now = utcnow()
    for year, days in sorted(years.items()):
        session.execute(
            delete(CalendarDay).where(
                CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31)
            )
        )
        row = session.get(CalendarYear, year)
        if row is None:
            row = CalendarYear(year=year, has_schedule=True, source=source, loaded_at=now)
            session.add(row)
        row.has_schedule, row.source, row.loaded_at = True, source, now
        row.weekend_only_allowed = False
        for item in days:
            # A day that matches the plain week needs no row.
            if item.is_workday != (item.day.weekday() < 5):
                session.add(CalendarDay(day=item.day, is_workday=item.is_workday, name=item.name))
    session.flush()


def seed_from_package(session: Session) -> list[int]:
    """Load every year the ``chinese-calendar`` package covers that the database does not have
    yet; return the years loaded."""
    import chinese_calendar.constants as known  # noqa: PLC0415  (heavy; only for seeding)

    by_year: dict[int, list[ScheduleDay]] = {}
    for day, name in known.holidays.items():
        by_year.setdefault(day.year, []).append(
            ScheduleDay(day, False, _HOLIDAY_NAMES.get(name, name))
        )
    for day, name in known.workdays.items():
        if day.weekday() >= 5:
            by_year.setdefault(day.year, []).append(
                ScheduleDay(day, True, f"{_HOLIDAY_NAMES.get(name, name)}调休")
            )
    present = set(session.scalars(select(CalendarYear.year).where(CalendarYear.has_schedule)))
    missing = {year: days for year, days in by_year.items() if year not in present}
    _replace_years(session, missing, "chinese-calendar")
    return sorted(missing)


def _parse_type(value: str, where: str) -> bool:
    kind = value.strip().lower()
    if kind in ("holiday", "休", "假", "off"):
        return False
    if kind in ("workday", "班", "make-up", "makeup", "work"):
        return True
    raise _bad(f"{where}: type must be holiday or workday, not {value!r}")


def _parse_date(value: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            "calendar.bad_file", problem=f"{where}: {value!r} is not a date (YYYY-MM-DD)"
        ) from None


def _bad(problem: str) -> InvalidInput:
    return InvalidInput("calendar.bad_file", problem=problem)


def _parse_json(text: str) -> tuple[list[int], list[ScheduleDay]]:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(f"invalid JSON at line {exc.lineno}") from None
    years: list[int] = []
    entries: Iterable[Any] = data
    if isinstance(data, dict):
        entries = data.get("days", [])
        try:
            years = [int(y) for y in data.get("years", [])]
        except (TypeError, ValueError):
            raise _bad("years must be a list of years") from None
    days = []
    for index, entry in enumerate(entries, start=1):
        where = f"day {index}"
        if not isinstance(entry, dict) or "date" not in entry or "type" not in entry:
            raise _bad(f"{where}: needs date and type")
        day = _parse_date(str(entry["date"]), where)
        days.append(ScheduleDay(day, _parse_type(str(entry["type"]), where), entry.get("name")))
    return years, days


def _parse_csv(text: str) -> list[ScheduleDay]:
    days = []
    for line_no, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if line_no == 1 and row[0].strip().lower() == "date":
            continue  # the header
        where = f"line {line_no}"
        if len(row) < 2:
            raise _bad(f"{where}: expected date,type[,name]")
        name = row[2].strip() if len(row) > 2 and row[2].strip() else None
        days.append(ScheduleDay(_parse_date(row[0], where), _parse_type(row[1], where), name))
    return days


def parse_schedule(content: bytes, filename: str) -> tuple[list[int], list[ScheduleDay]]:
    """Parse a CSV (``date,type,name``) or JSON (``{"years": [...], "days": [{date, type,
    name}]}``) schedule. The years covered are those named, or those of the listed days."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _bad("the file is not UTF-8 text") from None
    if filename.lower().endswith(".json"):
        years, days = _parse_json(text)
    else:
        years, days = [], _parse_csv(text)
    if not days and not years:
        raise _bad("no days in the file")
    seen: set[dt.date] = set()
    for item in days:
        if item.day in seen:
            raise _bad(f"{item.day} is listed twice")
        seen.add(item.day)
    return sorted(set(years) | {item.day.year for item in days}), days


def import_schedule(session: Session, *, actor: Actor, content: bytes, filename: str) -> list[int]:
    """Replace the schedule of every year in the file with the file's days. All or nothing."""
    require(can_manage_calendar(actor), "calendar.import", object_type="calendar")
    years, days = parse_schedule(content, filename)
    by_year: dict[int, list[ScheduleDay]] = {year: [] for year in years}
    for item in days:
        by_year[item.day.year].append(item)
    _replace_years(session, by_year, f"import:{filename}")
    audit.record(
        session,
        actor=actor,
        action="calendar.import",
        object_type="calendar",
        details={"years": years, "days": len(days), "file": filename},
    )
    return years


def allow_weekend_only(session: Session, *, actor: Actor, year: int, allowed: bool = True) -> None:
    """Let deadlines be counted by weekends alone in a year with no schedule (or stop that)."""
    require(can_manage_calendar(actor), "calendar.allow_weekend_only", object_type="calendar")
    row = session.get(CalendarYear, year)
    if row is None:
        row = CalendarYear(year=year, has_schedule=False, source="operator", loaded_at=utcnow())
        session.add(row)
    row.weekend_only_allowed = allowed
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="calendar.allow_weekend_only",
        object_type="calendar",
        object_id=year,
        details={"allowed": allowed},
    )


def years(session: Session) -> list[CalendarYear]:
    return list(session.scalars(select(CalendarYear).order_by(CalendarYear.year)))
