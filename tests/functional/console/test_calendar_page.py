"""The console's holiday calendar: the years and their state, next year's warning from
1 October (also on the front page), and a sysadmin importing the notice."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.core import make_department, make_user
from tests.functional.core.test_pages import csrf_of, sign_in
from tests.support.calendars import notice_2027
from yiwang.core import calendar, clock
from yiwang.core.policy import Role

pytestmark = pytest.mark.dates

HTML = {"Accept": "text/html"}


def test_from_october_the_console_warns_that_next_year_is_provisional(
    app_client: TestClient, session: Session
) -> None:
    department = make_department(session, name_zh="市场监管局")
    make_user(session, username="clerk", role=Role.EDITOR, department=department)
    session.commit()
    sign_in(app_client, "clerk")
    with clock.pin("2026-10-01"):
        home = app_client.get("/console", headers=HTML).text
        page = app_client.get("/console/calendar", headers=HTML).text
    assert "2027 年的官方节假日安排尚未导入" in home
    assert "yiwang calendar import" not in home  # a clerk imports nothing: told what it means
    assert 'href="/console/calendar"' in home
    assert '<tr id="year-2027"><td>2027</td>' in page
    assert "预计" in page
    assert 'action="/console/calendar"' not in page  # an editor cannot import
    with clock.pin("2026-09-30"):
        assert "尚未导入" not in app_client.get("/console", headers=HTML).text


def test_a_sysadmin_imports_the_notice(app_client: TestClient, session: Session) -> None:
    make_user(session, username="root", role=Role.SYSADMIN)
    session.commit()
    sign_in(app_client, "root")
    page = app_client.get("/console/calendar", headers=HTML).text
    bad = app_client.post(
        "/console/calendar",
        data={"csrf": csrf_of(page), "year": "2027"},
        files={"file": ("2027.csv", b"date,type\n2027-01-01,holiday\n2027-01-01,holiday\n")},
        headers=HTML,
    )
    assert bad.status_code == 422
    assert "第 3 行：2027-01-01 已在第 2 行列出" in bad.text
    assert calendar.due(session, dt.date(2027, 3, 1), 1).provisional  # nothing changed

    done = app_client.post(
        "/console/calendar",
        data={"csrf": csrf_of(page), "year": "2027"},
        files={"file": ("2027.csv", notice_2027().encode())},
        headers=HTML,
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = app_client.get(done.headers["location"], headers=HTML).text
    assert 'id="calendar-imported"' in shown
    assert "import:2027.csv" in shown
    unsigned = app_client.post(
        "/console/calendar", files={"file": ("2027.csv", notice_2027().encode())}, headers=HTML
    )
    assert unsigned.status_code == 403
