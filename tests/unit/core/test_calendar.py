"""The working-day calendar, on the schedule seeded from chinese-calendar."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwang.core import calendar
from yiwang.core.calendar import CalendarDay, YearNotLoaded
from yiwang.core.errors import InvalidInput, PermissionDenied
from yiwang.core.policy import SYSTEM, Actor, Role

D = dt.date


def test_a_makeup_saturday_is_a_workday(session: Session) -> None:
    assert calendar.is_workday(session, D(2025, 10, 11))  # Saturday, 国庆调休
    assert calendar.is_workday(session, D(2025, 9, 28))  # Sunday, 国庆调休


def test_national_day_week_is_not_worked(session: Session) -> None:
    for day in range(1, 9):
        assert not calendar.is_workday(session, D(2025, 10, day)), day


def test_ordinary_weekend_and_weekday(session: Session) -> None:
    assert not calendar.is_workday(session, D(2025, 11, 22))  # Saturday
    assert calendar.is_workday(session, D(2025, 11, 24))  # Monday


def test_ten_workdays_after_national_day_eve(session: Session) -> None:
    assert calendar.add_workdays(session, D(2025, 9, 26), 10) == D(2025, 10, 16)


def test_counting_back_and_between(session: Session) -> None:
    assert calendar.add_workdays(session, D(2025, 10, 16), -10) == D(2025, 9, 26)
    assert calendar.workdays_between(session, D(2025, 9, 26), D(2025, 10, 16)) == 10
    assert calendar.workdays_between(session, D(2025, 10, 16), D(2025, 9, 26)) == -10
    assert calendar.add_workdays(session, D(2025, 10, 1), 0) == D(2025, 10, 9)


def test_spring_festival_2026_is_in_the_schedule(session: Session) -> None:
    assert not calendar.is_workday(session, D(2026, 2, 17))  # 春节


def test_a_year_without_schedule_is_an_error(session: Session) -> None:
    with pytest.raises(YearNotLoaded) as caught:
        calendar.is_workday(session, D(2027, 3, 1))
    assert "2027" in caught.value.message("zh-CN")
    assert "2027" in caught.value.message("en")
    with pytest.raises(YearNotLoaded):
        calendar.add_workdays(session, D(2026, 12, 25), 10)  # runs into 2027


def test_weekend_only_counting_when_an_operator_allows_it(session: Session) -> None:
    calendar.allow_weekend_only(session, actor=SYSTEM, year=2027)
    assert calendar.is_workday(session, D(2027, 3, 1))  # Monday
    assert not calendar.is_workday(session, D(2027, 3, 6))  # Saturday
    calendar.allow_weekend_only(session, actor=SYSTEM, year=2027, allowed=False)
    with pytest.raises(YearNotLoaded):
        calendar.is_workday(session, D(2027, 3, 1))


SCHEDULE_2027 = """date,type,name
2027-01-01,holiday,元旦
2027-02-06,holiday,春节
2027-02-07,holiday,春节
2027-02-08,holiday,春节
2027-02-09,holiday,春节
2027-02-10,holiday,春节
2027-02-11,holiday,春节
2027-02-12,holiday,春节
2027-02-13,holiday,春节
2027-02-20,workday,春节调休
""".encode()


def test_import_a_new_year(session: Session) -> None:
    years = calendar.import_schedule(
        session, actor=SYSTEM, content=SCHEDULE_2027, filename="2027.csv"
    )
    assert years == [2027]
    assert not calendar.is_workday(session, D(2027, 2, 8))  # Monday in the holiday
    assert calendar.is_workday(session, D(2027, 2, 20))  # make-up Saturday
    assert calendar.is_workday(session, D(2027, 2, 15))


def test_import_json(session: Session) -> None:
    content = json.dumps(
        {"years": [2027], "days": [{"date": "2027-10-01", "type": "holiday", "name": "国庆节"}]}
    ).encode()
    assert calendar.import_schedule(session, actor=SYSTEM, content=content, filename="a.json") == [
        2027
    ]
    assert not calendar.is_workday(session, D(2027, 10, 1))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"2027-02-30,holiday\n", "line 1"),
        (b"date,type\n2027-01-01,party\n", "line 2"),
        (b"2027-01-01\n", "line 1"),
        (b"", "no days"),
        (b"2027-01-01,holiday\n2027-01-01,holiday\n", "twice"),
        ("2027-01-01,holiday,元旦\n".encode("gbk"), "UTF-8"),
    ],
)
def test_bad_schedule_files_change_nothing(session: Session, content: bytes, problem: str) -> None:
    before = session.scalar(select(func.count()).select_from(CalendarDay))
    with pytest.raises(InvalidInput) as caught:
        calendar.import_schedule(session, actor=SYSTEM, content=content, filename="x.csv")
    assert problem in caught.value.message("en")
    assert session.scalar(select(func.count()).select_from(CalendarDay)) == before
    with pytest.raises(YearNotLoaded):
        calendar.is_workday(session, D(2027, 1, 4))


def test_only_a_sysadmin_imports(session: Session) -> None:
    editor = Actor(user_id=1, username="e", role=Role.EDITOR, department_id=1, via="token")
    with pytest.raises(PermissionDenied):
        calendar.import_schedule(session, actor=editor, content=SCHEDULE_2027, filename="2027.csv")


def test_reimporting_a_year_replaces_it(session: Session) -> None:
    calendar.import_schedule(session, actor=SYSTEM, content=SCHEDULE_2027, filename="2027.csv")
    calendar.import_schedule(
        session, actor=SYSTEM, content=b"2027-05-03,holiday\n", filename="b.csv"
    )
    assert calendar.is_workday(session, D(2027, 2, 8))  # no longer a holiday
    assert not calendar.is_workday(session, D(2027, 5, 3))
