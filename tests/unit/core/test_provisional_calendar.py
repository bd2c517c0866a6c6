"""The provisional calendar derived from the holiday law, checked against the official
schedules published under that law (2025 and 2026, from chinese-calendar) and, for every year
it covers, against the law itself."""

from __future__ import annotations

import datetime as dt

import chinese_calendar.constants as official
import pytest

from yiwang.core.calendar import provisional

D = dt.date


def _official(year: int) -> tuple[set[dt.date], set[dt.date]]:
    off = {day for day in official.holidays if day.year == year}
    worked = {day for day in official.workdays if day.year == year and day.weekday() >= 5}
    return off, worked


def _derived(year: int) -> tuple[set[dt.date], set[dt.date]]:
    days = provisional.schedule(year)
    return {d.day for d in days if not d.is_workday}, {d.day for d in days if d.is_workday}


def test_2025_is_derived_exactly_as_the_state_council_arranged_it() -> None:
    assert _derived(2025) == _official(2025)


def test_2026_differs_only_where_the_notice_made_a_special_case() -> None:
    # The 2026 notice gave 春节 nine days (from Sunday 15 February, with Saturday 14 worked);
    # the principles' eight days from 除夕 keep Sunday 15 worked instead. Nothing else differs.
    off, worked = _official(2026)
    derived_off, derived_worked = _derived(2026)
    assert off ^ derived_off == {D(2026, 2, 15)}
    assert worked ^ derived_worked == {D(2026, 2, 14), D(2026, 2, 15)}


def test_lunar_dates_come_from_the_library() -> None:
    festivals = {f.name: f.statutory for f in provisional.festivals(2027)}
    assert festivals["春节"] == (D(2027, 2, 5), D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8))
    assert festivals["端午节"] == (D(2027, 6, 9),)
    assert festivals["中秋节"] == (D(2027, 9, 15),)
    assert festivals["清明节"] == (D(2027, 4, 5),)
    assert provisional.festivals(2028)[1].statutory[1] == D(2028, 1, 26)  # 春节


def test_national_day_and_mid_autumn_together_are_eight_days() -> None:
    off, _ = _derived(2028)  # 中秋 on 3 October
    assert {D(2028, 10, n) for n in range(1, 9)} <= off


def test_a_small_holiday_on_a_wednesday_is_the_day_alone() -> None:
    off, _ = _derived(2027)  # 端午 and 中秋 fall on Wednesdays
    assert D(2027, 6, 9) in off
    assert not {D(2027, 6, 8), D(2027, 6, 10), D(2027, 9, 14), D(2027, 9, 16)} & off


@pytest.mark.parametrize("year", range(provisional.FIRST_YEAR, provisional.LAST_YEAR + 1))
def test_every_year_keeps_the_law(year: int) -> None:
    days = provisional.schedule(year)
    off = {d.day for d in days if not d.is_workday}
    worked = {d.day for d in days if d.is_workday}
    statutory = [day for f in provisional.festivals(year) for day in f.statutory]
    assert set(statutory) <= off, "every statutory holiday is a day off"
    assert all(day.weekday() >= 5 for day in worked), "only weekends are worked to make up"
    assert not off & worked
    assert all(day.year == year for day in off | worked), "no day of another year is changed"
    # Each weekday taken beyond the statutory days (and their 补假) is made up by a weekend.
    weekdays_off = sum(1 for day in off if day.weekday() < 5)
    assert weekdays_off - len(statutory) == len(worked)


@pytest.mark.parametrize("year", [2024, 2100])
def test_years_outside_the_law_are_not_derived(year: int) -> None:
    assert not provisional.covers(year)
    with pytest.raises(ValueError, match=str(year)):
        provisional.schedule(year)
