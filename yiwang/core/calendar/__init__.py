"""The working-day calendar (工作日与调休)."""

from yiwang.core.calendar.models import CalendarDay, CalendarYear
from yiwang.core.calendar.service import (
    IMPORTED_EVENT,
    CalendarStatus,
    Due,
    WorkCalendar,
    YearNotLoaded,
    YearStatus,
    add_workdays,
    due,
    import_schedule,
    is_workday,
    load,
    log_warnings,
    parse_schedule,
    seed_from_package,
    status,
    workdays_between,
    years,
)

__all__ = [
    "IMPORTED_EVENT",
    "CalendarDay",
    "CalendarStatus",
    "CalendarYear",
    "Due",
    "WorkCalendar",
    "YearNotLoaded",
    "YearStatus",
    "add_workdays",
    "due",
    "import_schedule",
    "is_workday",
    "load",
    "log_warnings",
    "parse_schedule",
    "seed_from_package",
    "status",
    "workdays_between",
    "years",
]
