"""A provisional holiday schedule for a year whose official notice is not loaded yet, derived
from the law and from the State Council's published principles for arranging it.

Sources (see docs/calendar.md):

- 《全国年节及纪念日放假办法》 as revised by 国务院令第795号 (12 November 2024, in force from
  1 January 2025), article 2: 元旦 1 day (1 January); 春节 4 days (农历除夕 to 正月初三); 清明节
  1 day (the day of the Qingming solar term); 劳动节 2 days (1 and 2 May); 端午节 1 day (农历五月
  初五); 中秋节 1 day (农历八月十五); 国庆节 3 days (1 to 3 October). Article 6: a holiday for
  everyone that falls on a Saturday or Sunday is made up on a working day (补假). Article 7
  (new): the days may be joined by swapping weekends (调休); apart from special cases, no more
  than six days are worked in a row before or after a holiday.
- The arrangement principles published with that revision (国务院办公厅关于2025年部分节假日安排
  的通知): apart from special cases, 春节 off for 8 days from 除夕, 国庆节 for 7 days from
  1 October (8 days together with 中秋节 when they meet), 劳动节 for 5 days, and 元旦, 清明节,
  端午节 and 中秋节 for 3 days joined to a weekend (the day alone when it is a Wednesday).

What this cannot know is what the notice will call a special case. The statutory days are
certain; the extra days off and the weekends worked to make up for them (调休) are the likely
arrangement, not the decided one. Lunar dates and the Qingming solar term come from
``lunar_python``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

# The law as revised in 2024 applies from 2025; the lunar library is trusted up to 2099.
FIRST_YEAR = 2025
LAST_YEAR = 2099

_DAY = dt.timedelta(days=1)
_NEAR = 21  # days either side of a holiday over which consecutive working days are weighed


@dataclass(frozen=True, slots=True)
class Festival:
    name: str
    statutory: tuple[dt.date, ...]  # the days the law gives (法定假日)
    length: int  # the days off in a row the principles ask for
    fixed_start: dt.date | None = None  # the first day, where the principles name it


@dataclass(frozen=True, slots=True)
class ProvisionalDay:
    day: dt.date
    is_workday: bool
    name: str


def covers(year: int) -> bool:
    """Whether a provisional schedule can be derived for ``year``."""
    return FIRST_YEAR <= year <= LAST_YEAR


def _lunar(year: int, month: int, day: int) -> dt.date:
    from lunar_python import Lunar  # noqa: PLC0415  (only needed for provisional years)

    solar = Lunar.fromYmd(year, month, day).getSolar()
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> dt.date:
    from lunar_python import Solar  # noqa: PLC0415

    # The lunar year that holds April has the Qingming term of that April in its table.
    term = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]
    return dt.date(term.getYear(), term.getMonth(), term.getDay())


def _small(name: str, day: dt.date) -> Festival:
    # 3 days joined to a weekend; on a Wednesday the day alone.
    return Festival(name, (day,), 1 if day.weekday() == 2 else 3)


def festivals(year: int) -> list[Festival]:
    """The festivals of ``year`` with their statutory days, in date order."""
    new_year = dt.date(year, 1, 1)
    spring = _lunar(year, 1, 1)
    eve = spring - _DAY  # 除夕: the last day of the twelfth lunar month
    mid_autumn = _lunar(year, 8, 15)
    national = dt.date(year, 10, 1)
    found = [
        _small("元旦", new_year),
        Festival("春节", tuple(eve + n * _DAY for n in range(4)), 8, fixed_start=eve),
        _small("清明节", _qingming(year)),
        Festival("劳动节", (dt.date(year, 5, 1), dt.date(year, 5, 2)), 5),
        _small("端午节", _lunar(year, 5, 5)),
    ]
    national_days = tuple(national + n * _DAY for n in range(3))
    if dt.date(year, 9, 29) <= mid_autumn <= dt.date(year, 10, 8):
        # 国庆节放假如逢中秋节则合并放假8天.
        start = min(mid_autumn, national)
        found.append(
            Festival(
                "国庆节、中秋节",
                tuple(sorted({*national_days, mid_autumn})),
                8,
                fixed_start=start,
            )
        )
    else:
        found.append(_small("中秋节", mid_autumn))
        found.append(Festival("国庆节", national_days, 7, fixed_start=national))
    return sorted(found, key=lambda f: f.statutory[0])


def _is_weekday(day: dt.date) -> bool:
    return day.weekday() < 5


def _make_ups_needed(window: list[dt.date], statutory: tuple[dt.date, ...]) -> int:
    """Weekdays off in ``window`` beyond the statutory days and their 补假: the weekends that
    must be worked to make up for them (negative when the window is too short for its 补假)."""
    weekdays = sum(1 for d in window if _is_weekday(d))
    return weekdays - len(statutory)


def _window(festival: Festival, year: int) -> list[dt.date]:
    """The days off: the fixed run where the principles name its start, else the run of the
    asked length that contains the statutory days and needs the fewest weekends worked (the
    latest such run: 补假 falls on the working day after). A run may reach into the next or
    last year only over a weekend (a provisional year changes no day of another year); a
    3-day holiday whose best run would need two weekends worked is the day alone."""
    if festival.fixed_start is not None:
        return [festival.fixed_start + n * _DAY for n in range(festival.length)]
    first, last = festival.statutory[0], festival.statutory[-1]
    best: tuple[int, list[dt.date]] | None = None
    for offset in range(festival.length - (last - first).days):
        start = first - offset * _DAY
        window = [start + n * _DAY for n in range(festival.length)]
        if any(day.year != year and _is_weekday(day) for day in window):
            continue
        needed = _make_ups_needed(window, festival.statutory)
        if needed < 0:
            continue
        if best is None or needed < best[0] or (needed == best[0] and window[0] > best[1][0]):
            best = (needed, window)
    if best is None or (festival.length == 3 and best[0] > 1):
        return _alone(festival)
    return [day for day in best[1] if day.year == year]


def _alone(festival: Festival) -> list[dt.date]:
    """The statutory days, and for each on a weekend the next working day (补假)."""
    days = list(festival.statutory)
    after = festival.statutory[-1]
    for day in festival.statutory:
        if not _is_weekday(day):
            after += _DAY
            while not _is_weekday(after):
                after += _DAY
            days.append(after)
    return sorted(days)


def _longest_run(off: set[dt.date], work: set[dt.date], start: dt.date, end: dt.date) -> int:
    longest = run = 0
    day = start
    while day <= end:
        working = day in work or (_is_weekday(day) and day not in off)
        run = run + 1 if working else 0
        longest = max(longest, run)
        day += _DAY
    return longest


def _choose_make_ups(
    window: list[dt.date], count: int, off: set[dt.date], work: set[dt.date], year: int
) -> tuple[dt.date, ...]:
    """The ``count`` weekend days to work: of the weekends within three weeks of the holiday,
    the ones that keep the longest run of working days around it shortest (the law's "no more
    than six days in a row"), then the nearest to the holiday."""
    start, end = window[0], window[-1]
    candidates = [
        day
        for day in (start + n * _DAY for n in range(-_NEAR, (end - start).days + _NEAR + 1))
        if day.year == year and not _is_weekday(day) and day not in off and day not in work
    ]
    best: tuple[tuple[int, int], tuple[dt.date, ...]] | None = None
    for chosen in itertools.combinations(candidates, count):
        # A week past the candidates on each side, so a run through the farthest one counts whole.
        longest = _longest_run(
            off, work | set(chosen), start - (_NEAR + 7) * _DAY, end + (_NEAR + 7) * _DAY
        )
        distance = sum(min(abs((d - start).days), abs((d - end).days)) for d in chosen)
        key = (longest, distance)
        if best is None or key < best[0]:
            best = (key, chosen)
    return best[1] if best is not None else ()


def schedule(year: int) -> list[ProvisionalDay]:
    """The provisional schedule of ``year``: every day off of each festival's run (weekends
    inside it included) and the weekends worked to make up for the weekdays taken."""
    if not covers(year):
        raise ValueError(f"no provisional schedule for {year}")
    found = festivals(year)
    windows = [(festival, _window(festival, year)) for festival in found]
    off = {day for _, window in windows for day in window}
    work: set[dt.date] = set()
    days: list[ProvisionalDay] = []
    for festival, window in windows:
        days.extend(ProvisionalDay(day, False, festival.name) for day in window)
        needed = _make_ups_needed(window, festival.statutory)
        if needed > 0:
            chosen = _choose_make_ups(window, needed, off, work, year)
            work.update(chosen)
            days.extend(ProvisionalDay(day, True, f"{festival.name}调休") for day in chosen)
    return sorted(days, key=lambda d: d.day)
