"""Working days under the Chinese public-holiday schedule (holidays and make-up workdays, 调休).

The schedule lives in the database: seeded from the ``chinese-calendar`` package and extended
by importing each new year's official notice. A year with no official schedule is counted on
the provisional schedule derived from the law (:mod:`yiwang.core.calendar.provisional`), and
everything counted over it is marked provisional; a year the law does not cover (before 2025,
or past the lunar library's range) is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from yiwang.core import audit, clock, events
from yiwang.core.calendar import provisional
from yiwang.core.calendar.models import CalendarDay, CalendarYear
from yiwang.core.db import utcnow
from yiwang.core.errors import AppError, InvalidInput
from yiwang.core.policy import Actor, can_manage_calendar, require

log = logging.getLogger(__name__)

# Published when an official schedule has been imported: ``{"years": [...], "source": ...}``.
IMPORTED_EVENT = "calendar.imported"

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


@dataclass(frozen=True, slots=True)
class Due:
    """A day counted in working days, and whether a provisional year was counted over."""

    day: dt.date
    provisional: bool


@dataclass
class WorkCalendar:
    """A snapshot of the schedule, for fast counting in memory. Years with no official schedule
    are filled in from the law on first use (see :mod:`provisional`)."""

    scheduled_years: set[int] = field(default_factory=set)
    overrides: dict[dt.date, bool] = field(default_factory=dict)
    provisional_years: set[int] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def _check(self, day: dt.date) -> None:
        year = day.year
        if year in self.scheduled_years or year in self.provisional_years:
            return
        if not provisional.covers(year):
            raise YearNotLoaded(year)
        derived = {
            item.day: item.is_workday
            for item in provisional.schedule(year)
            if item.is_workday != (item.day.weekday() < 5)
        }
        with self._lock:
            if year not in self.provisional_years:
                self.overrides.update(derived)
                self.provisional_years.add(year)

    def is_workday(self, day: dt.date) -> bool:
        self._check(day)
        override = self.overrides.get(day)
        if override is not None:
            return override
        return day.weekday() < 5

    def is_provisional(self, start: dt.date, end: dt.date) -> bool:
        """Whether counting from ``start`` to ``end`` (either order) crosses a year that has
        no official schedule."""
        low, high = min(start, end), max(start, end)
        return any(year not in self.scheduled_years for year in range(low.year, high.year + 1))

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

    def due(self, start: dt.date, n: int) -> Due:
        """:meth:`add_workdays`, saying whether the answer rests on a provisional year."""
        day = self.add_workdays(start, n)
        return Due(day, self.is_provisional(start, day))

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
    calendar.scheduled_years.update(
        session.scalars(select(CalendarYear.year).where(CalendarYear.has_schedule))
    )
    for day in session.scalars(select(CalendarDay)):
        calendar.overrides[day.day] = day.is_workday
    return calendar


def is_workday(session: Session, day: dt.date) -> bool:
    return load(session).is_workday(day)


def add_workdays(session: Session, start: dt.date, n: int) -> dt.date:
    return load(session).add_workdays(start, n)


def due(session: Session, start: dt.date, n: int) -> Due:
    """The n-th working day after ``start``, and whether it is provisional."""
    return load(session).due(start, n)


def workdays_between(session: Session, start: dt.date, end: dt.date) -> int:
    return load(session).workdays_between(start, end)


@dataclass(frozen=True)
class ScheduleDay:
    day: dt.date
    is_workday: bool
    name: str | None = None
    line: int = 0  # where the day stands in an imported file (its line, or its entry in JSON)


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


# --- reading an official schedule ---------------------------------------------------------------


def _bad(code: str, **params: Any) -> InvalidInput:
    return InvalidInput(f"calendar.{code}", **params)


def _parse_type(value: str, line: int) -> bool:
    kind = value.strip().lower()
    if kind in ("holiday", "休", "假", "off"):
        return False
    if kind in ("workday", "班", "make-up", "makeup", "work"):
        return True
    raise _bad("bad_type", line=line, value=value)


def _parse_date(value: str, line: int) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise _bad("bad_date", line=line, value=value) from None


def _parse_json(text: str) -> tuple[list[int], list[ScheduleDay]]:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad("bad_json", line=exc.lineno) from None
    years: list[int] = []
    entries: Iterable[Any] = data
    if isinstance(data, dict):
        entries = data.get("days", [])
        try:
            years = [int(y) for y in data.get("years", [])]
        except (TypeError, ValueError):
            raise _bad("bad_years") from None
    if not isinstance(entries, list):
        raise _bad("bad_json", line=1)
    # Each entry's line in the file, for messages (the n-th '{' that opens an entry).
    lines = _entry_lines(text, len(entries))
    days = []
    for index, entry in enumerate(entries):
        line = lines[index]
        if not isinstance(entry, dict) or "date" not in entry or "type" not in entry:
            raise _bad("bad_row", line=line)
        day = _parse_date(str(entry["date"]), line)
        name = entry.get("name")
        days.append(
            ScheduleDay(
                day, _parse_type(str(entry["type"]), line), str(name) if name else None, line
            )
        )
    return years, days


def _entry_lines(text: str, count: int) -> list[int]:
    """The line on which each of ``count`` day entries starts (by the '"date"' keys, in
    order); 0 where that cannot be told."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        found.extend([number] * line.count('"date"'))
    return found[:count] + [0] * (count - len(found))


def _parse_csv(text: str) -> list[ScheduleDay]:
    days = []
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if line == 1 and row[0].strip().lower() == "date":
            continue  # the header
        if len(row) < 2:
            raise _bad("bad_row", line=line)
        name = row[2].strip() if len(row) > 2 and row[2].strip() else None
        days.append(ScheduleDay(_parse_date(row[0], line), _parse_type(row[1], line), name, line))
    return days


def parse_schedule(
    content: bytes, filename: str, *, year: int | None = None
) -> tuple[list[int], list[ScheduleDay]]:
    """Parse a CSV (``date,type,name``) or JSON (``{"years": [...], "days": [{date, type,
    name}]}``) schedule and check it against the law: each day once, no make-up workday on a
    statutory holiday, every statutory holiday of the year listed as a day off, and (where
    ``year`` is given) only that year. Errors name the line. The years covered are those named,
    or those of the listed days."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _bad("not_utf8") from None
    if filename.lower().endswith(".json"):
        years, days = _parse_json(text)
    else:
        years, days = [], _parse_csv(text)
    if not days and not years:
        raise _bad("empty")
    seen: dict[dt.date, ScheduleDay] = {}
    for item in days:
        first = seen.get(item.day)
        if first is not None:
            raise _bad("duplicate_day", line=item.line, day=item.day, first=first.line)
        seen[item.day] = item
    covered = sorted(set(years) | {item.day.year for item in days})
    if years:
        for item in days:
            if item.day.year not in years:
                raise _bad("undeclared_year", line=item.line, day=item.day, years=years)
    if year is not None and covered != [year]:
        raise _bad("wrong_year", expected=year, found=", ".join(map(str, covered)))
    for each in covered:
        _check_against_law(each, seen)
    return covered, days


def _check_against_law(year: int, days: dict[dt.date, ScheduleDay]) -> None:
    """Every statutory holiday of ``year`` (where the law is known) is a day off in the file,
    and none is listed as a workday."""
    if not provisional.covers(year):
        return
    for festival in provisional.festivals(year):
        for day in festival.statutory:
            item = days.get(day)
            if item is not None and item.is_workday:
                raise _bad("workday_on_holiday", line=item.line, day=day, name=festival.name)
            if item is None and day.weekday() < 5:
                raise _bad("missing_holiday", day=day, name=festival.name, year=year)


def import_schedule(
    session: Session, *, actor: Actor, content: bytes, filename: str, year: int | None = None
) -> list[int]:
    """Replace the schedule of every year in the file with the file's days, all or nothing, and
    publish :data:`IMPORTED_EVENT` so that what was counted on provisional days is counted
    again."""
    require(can_manage_calendar(actor), "calendar.import", object_type="calendar")
    years, days = parse_schedule(content, filename, year=year)
    by_year: dict[int, list[ScheduleDay]] = {each: [] for each in years}
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
    events.publish(session, IMPORTED_EVENT, {"years": years, "source": f"import:{filename}"})
    return years


# --- status -----------------------------------------------------------------------------------

# From this day of the year on, next year's schedule is asked for (the State Council's notice
# usually comes in November or December).
WARN_FROM = (10, 1)


@dataclass(frozen=True, slots=True)
class YearStatus:
    year: int
    state: str  # official, provisional or none
    source: str | None


@dataclass(frozen=True, slots=True)
class CalendarStatus:
    today: dt.date
    years: list[YearStatus]
    warnings: list[str]  # message codes, with the year in ``warning_years``
    warning_years: list[int]


def status(session: Session, *, today: dt.date | None = None) -> CalendarStatus:
    """The years with an official schedule, this year and next with their state, and the
    warnings an operator should act on: this year counted provisionally, or (from 1 October)
    next year with no official schedule yet."""
    today = today or clock.today()
    rows = {row.year: row for row in years(session)}
    shown = sorted({*(y for y, r in rows.items() if r.has_schedule), today.year, today.year + 1})
    listed = []
    for year in shown:
        row = rows.get(year)
        if row is not None and row.has_schedule:
            listed.append(YearStatus(year, "official", row.source))
        elif provisional.covers(year):
            listed.append(YearStatus(year, "provisional", "law"))
        else:
            listed.append(YearStatus(year, "none", None))
    warnings, warning_years = [], []
    official = {y for y, r in rows.items() if r.has_schedule}
    if today.year not in official:
        warnings.append("calendar.this_year_provisional")
        warning_years.append(today.year)
    if (today.month, today.day) >= WARN_FROM and today.year + 1 not in official:
        warnings.append("calendar.next_year_provisional")
        warning_years.append(today.year + 1)
    return CalendarStatus(today, listed, warnings, warning_years)


_warned: dict[str, dt.date] = {}


def log_warnings(session: Session) -> CalendarStatus:
    """Write the status's warnings to the log, once a day per process."""
    found = status(session)
    for code, year in zip(found.warnings, found.warning_years, strict=True):
        if _warned.get(f"{code}:{year}") != found.today:
            _warned[f"{code}:{year}"] = found.today
            log.warning(
                "%s: %d has no official holiday schedule; deadlines into it are provisional. "
                "Import the State Council's notice with `yiwang calendar import FILE`.",
                code,
                year,
                extra={"year": year},
            )
    return found


def years(session: Session) -> list[CalendarYear]:
    return list(session.scalars(select(CalendarYear).order_by(CalendarYear.year)))
