"""The console's front page: sign-in needed, and the sections each role is shown."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.core import make_department, make_user
from tests.functional.core.test_pages import sign_in
from yiwang.core.policy import Role

HTML = {"Accept": "text/html"}


def test_the_console_needs_a_signed_in_user(app_client: TestClient) -> None:
    response = app_client.get("/console", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/console"


def test_each_role_sees_its_sections(app_client: TestClient, session: Session) -> None:
    department = make_department(session, name_zh="市场监管局")
    make_user(session, username="clerk", role=Role.EDITOR, department=department)
    make_user(session, username="chief", role=Role.DEPARTMENT_ADMIN, department=department)
    make_user(session, username="root", role=Role.SYSADMIN)
    session.commit()

    sign_in(app_client, "clerk")
    page = app_client.get("/console", headers=HTML).text
    assert "市场监管局" in page
    assert 'href="/console/cases"' in page
    assert 'href="/console/data"' in page
    assert 'href="/console/users"' not in page
    assert 'href="/console/audit"' not in page

    app_client.cookies.clear()
    sign_in(app_client, "chief")
    page = app_client.get("/console", headers=HTML).text
    assert 'href="/console/users"' in page
    assert 'href="/console/audit"' not in page

    app_client.cookies.clear()
    sign_in(app_client, "root")
    page = app_client.get("/console", headers=HTML).text
    assert 'href="/console/users"' in page
    assert 'href="/console/audit"' in page
