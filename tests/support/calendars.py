"""Holiday schedules for the tests.

:func:`notice_2027` is a schedule of the form an official notice takes, written for the tests
(the State Council's notice for 2027 is not published yet): it keeps every statutory holiday
of 2027 but arranges the Spring Festival unlike the provisional calendar (nine days, to
Saturday 13 February, with Saturday 20 February worked instead of Saturday 13 February), so
that importing it moves deadlines counted across that festival by one working day.
"""

from __future__ import annotations

import datetime as dt

_RUNS = [
    ("2027-01-01", 3, "元旦"),
    ("2027-02-05", 9, "春节"),
    ("2027-04-03", 3, "清明节"),
    ("2027-05-01", 5, "劳动节"),
    ("2027-06-09", 1, "端午节"),
    ("2027-09-15", 1, "中秋节"),
    ("2027-10-01", 7, "国庆节"),
]
_WORKED = [
    ("2027-01-31", "春节调休"),
    ("2027-02-20", "春节调休"),
    ("2027-04-25", "劳动节调休"),
    ("2027-09-26", "国庆节调休"),
    ("2027-10-09", "国庆节调休"),
]


def notice_2027() -> str:
    """The test's 2027 schedule as CSV (``date,type,name``), one day a line after the header."""
    lines = ["date,type,name"]
    for start, length, name in _RUNS:
        first = dt.date.fromisoformat(start)
        lines.extend(
            f"{(first + dt.timedelta(days=n)).isoformat()},holiday,{name}" for n in range(length)
        )
    lines.extend(f"{day},workday,{name}" for day, name in _WORKED)
    return "\n".join(lines) + "\n"
