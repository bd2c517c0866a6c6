"""The working-day calendar, on the schedule seeded from chinese-calendar."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support.calendars import notice_2027
from yiwang.core import calendar
from yiwang.core.calendar import CalendarDay, YearNotLoaded
from yiwang.core.errors import InvalidInput, PermissionDenied
from yiwang.core.policy import SYSTEM, Actor, Role

pytestmark = pytest.mark.dates


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


def test_a_year_without_an_official_schedule_is_counted_provisionally(session: Session) -> None:
    assert calendar.is_workday(session, D(2027, 3, 1))  # a Monday
    assert not calendar.is_workday(session, D(2027, 3, 6))  # a Saturday
    for day in (D(2027, 2, 5), D(2027, 2, 8), D(2027, 10, 1), D(2027, 5, 1), D(2027, 1, 1)):
        assert not calendar.is_workday(session, day), day  # statutory holidays
    found = calendar.due(session, D(2026, 12, 25), 10)  # runs into 2027
    assert found.provisional
    assert found.day == D(2027, 1, 11)  # 2027-01-01 is 元旦
    assert not calendar.due(session, D(2026, 3, 2), 10).provisional  # 2026 is official


def test_due_over_spring_festival_2027(session: Session) -> None:
    # 除夕 is 2027-02-05 and 初三 2027-02-08: neither is a working day.
    found = calendar.due(session, D(2027, 2, 3), 5)
    assert found.provisional
    assert found.day >= D(2027, 2, 12)


def test_a_year_the_law_cannot_be_applied_to_is_refused(session: Session) -> None:
    for day in (D(2100, 3, 1), D(2003, 3, 3)):
        with pytest.raises(YearNotLoaded) as caught:
            calendar.is_workday(session, day)
        assert str(day.year) in caught.value.message("zh-CN")
        assert str(day.year) in caught.value.message("en")


def test_import_a_new_year(session: Session) -> None:
    years = calendar.import_schedule(
        session, actor=SYSTEM, content=notice_2027().encode(), filename="2027.csv"
    )
    assert years == [2027]
    assert not calendar.is_workday(session, D(2027, 2, 13))  # off in this notice
    assert calendar.is_workday(session, D(2027, 2, 20))  # its make-up Saturday
    assert calendar.is_workday(session, D(2027, 2, 15))
    assert not calendar.due(session, D(2027, 2, 3), 5).provisional


def test_import_json(session: Session) -> None:
    days = [
        {"date": day, "type": "workday" if kind == "workday" else "holiday", "name": name}
        for day, kind, name in (line.split(",") for line in notice_2027().splitlines()[1:])
    ]
    content = json.dumps({"years": [2027], "days": days}, ensure_ascii=False, indent=1).encode()
    assert calendar.import_schedule(session, actor=SYSTEM, content=content, filename="a.json") == [
        2027
    ]
    assert not calendar.is_workday(session, D(2027, 10, 1))


def _with(*lines: str, drop: str | None = None) -> bytes:
    kept = [
        line for line in notice_2027().splitlines() if drop is None or not line.startswith(drop)
    ]
    return "\n".join([*kept, *lines]).encode()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (_with("2027-02-30,holiday"), "line 36: '2027-02-30' is not a date"),
        (_with("2027-03-01,party"), "line 36: the type must be holiday or workday"),
        (_with("2027-03-01"), "line 36: expected date,type"),
        (b"", "lists no days"),
        (_with("2027-10-02,holiday,国庆节"), "line 36: 2027-10-02 is already listed on line"),
        (_with("2027-06-09,workday,端午调休", drop="2027-06-09"), "statutory holiday (端午节)"),
        (_with(drop="2027-02-08"), "does not list 2027-02-08 (春节)"),
        (notice_2027().encode("gbk"), "not UTF-8"),
        (notice_2027().replace("2027-", "2026-").encode(), "does not list 2026-"),
    ],
)
def test_bad_schedule_files_change_nothing(session: Session, content: bytes, problem: str) -> None:
    before = session.scalar(select(func.count()).select_from(CalendarDay))
    with pytest.raises(InvalidInput) as caught:
        calendar.import_schedule(session, actor=SYSTEM, content=content, filename="x.csv")
    assert problem in caught.value.message("en")
    assert caught.value.message("zh-CN") != caught.value.message("en")
    assert session.scalar(select(func.count()).select_from(CalendarDay)) == before
    assert calendar.due(session, D(2027, 1, 4), 1).provisional


def test_a_file_of_another_year_than_asked_for_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        calendar.import_schedule(
            session, actor=SYSTEM, content=notice_2027().encode(), filename="x.csv", year=2028
        )
    assert "2028" in caught.value.message("zh-CN")
    assert calendar.due(session, D(2027, 1, 4), 1).provisional


def test_bad_json_names_its_line(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        calendar.import_schedule(
            session, actor=SYSTEM, content=b'{"years": [2027],\n "days": [}', filename="x.json"
        )
    assert "line 2" in caught.value.message("en")


def test_only_a_sysadmin_imports(session: Session) -> None:
    editor = Actor(user_id=1, username="e", role=Role.EDITOR, department_id=1, via="token")
    with pytest.raises(PermissionDenied):
        calendar.import_schedule(
            session, actor=editor, content=notice_2027().encode(), filename="2027.csv"
        )


def test_reimporting_a_year_replaces_it(session: Session) -> None:
    calendar.import_schedule(
        session, actor=SYSTEM, content=notice_2027().encode(), filename="2027.csv"
    )
    other = notice_2027().replace("2027-02-20,workday", "2027-02-27,workday")
    calendar.import_schedule(session, actor=SYSTEM, content=other.encode(), filename="b.csv")
    assert not calendar.is_workday(session, D(2027, 2, 20))  # no longer a make-up day
    assert calendar.is_workday(session, D(2027, 2, 27))
