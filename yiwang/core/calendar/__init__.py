"""The working-day calendar (工作日与调休)."""

from yiwang.core.calendar.models import CalendarDay, CalendarYear
from yiwang.core.calendar.service import (
    WorkCalendar,
    YearNotLoaded,
    add_workdays,
    allow_weekend_only,
    import_schedule,
    is_workday,
    load,
    parse_schedule,
    seed_from_package,
    workdays_between,
    years,
)

__all__ = [
    "CalendarDay",
    "CalendarYear",
    "WorkCalendar",
    "YearNotLoaded",
    "add_workdays",
    "allow_weekend_only",
    "import_schedule",
    "is_workday",
    "load",
    "parse_schedule",
    "seed_from_package",
    "workdays_between",
    "years",
]
