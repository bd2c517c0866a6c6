"""Login, logout and the account page, as a browser uses them (cookies, forms, CSRF)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.core import PASSWORD, make_department, make_user
from tests.support.second_factor import SECOND_STEP, pass_second_step
from yiwang.core.identity import ApiToken, WebSession

HTML = {"Accept": "text/html"}


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Sign in through the login form; pass the second step, when there is one, as the user
    would (an administrator sets up an authenticator app at a first sign-in)."""
    form = client.get("/login", headers=HTML)
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf": csrf_of(form.text),
            "next": "/account",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    if location.startswith(SECOND_STEP):
        location = pass_second_step(client, response, username)
    assert location == "/account"


def test_login_without_csrf_is_refused_and_starts_no_session(
    app_client: TestClient, session: Session
) -> None:
    user = make_user(session)
    session.commit()
    app_client.get("/login", headers=HTML)
    response = app_client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert "yiwang_session" not in response.cookies
    assert session.scalar(select(func.count()).select_from(WebSession)) == 0


def test_a_wrong_password_is_said_on_the_form(app_client: TestClient, session: Session) -> None:
    user = make_user(session)
    session.commit()
    form = app_client.get("/login", headers=HTML)
    response = app_client.post(
        "/login",
        data={"username": user.username, "password": "not it", "csrf": csrf_of(form.text)},
        headers=HTML,
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert user.username in response.text  # the form keeps what was typed


def test_sign_in_create_and_revoke_a_token_sign_out(
    app_client: TestClient, session: Session
) -> None:
    user = make_user(session)
    session.commit()
    sign_in(app_client, user.username)
    account = app_client.get("/account", headers=HTML)
    assert account.status_code == 200
    assert user.username in account.text

    # The form needs its CSRF token.
    refused = app_client.post("/account/tokens", data={"name": "x"}, headers=HTML)
    assert refused.status_code == 403
    created = app_client.post(
        "/account/tokens",
        headers=HTML,
        data={"name": "报表脚本", "expires_days": "30", "csrf": csrf_of(account.text)},
    )
    assert created.status_code == 201
    token = re.search(r'id="new-token">(yw_[^<]+)<', created.text)
    assert token
    assert (
        app_client.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {token.group(1)}"}
        ).status_code
        == 200
    )
    # Shown once: the account page no longer has it.
    assert token.group(1) not in app_client.get("/account", headers=HTML).text

    row = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    revoke = app_client.post(
        f"/account/tokens/{row.id}/revoke",
        data={"csrf": csrf_of(created.text)},
        headers=HTML,
        follow_redirects=False,
    )
    assert revoke.status_code == 303
    session.refresh(row)
    assert row.revoked_at is not None

    out = app_client.post(
        "/logout", data={"csrf": csrf_of(account.text)}, headers=HTML, follow_redirects=False
    )
    assert out.status_code == 303
    again = app_client.get("/account", headers=HTML, follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"].startswith("/login?next=")


def test_cookie_sessions_need_the_csrf_header_for_api_writes(
    app_client: TestClient, session: Session
) -> None:
    user = make_user(session)
    session.commit()
    sign_in(app_client, user.username)
    page = app_client.get("/account", headers=HTML)
    meta = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
    assert meta
    assert app_client.post("/api/v1/tokens", json={"name": "a"}).status_code == 403
    ok = app_client.post(
        "/api/v1/tokens", json={"name": "a"}, headers={"X-CSRF-Token": meta.group(1)}
    )
    assert ok.status_code == 201
    assert app_client.get("/api/v1/users/me").json()["username"] == user.username


def test_login_never_redirects_off_site(app_client: TestClient, session: Session) -> None:
    user = make_user(session)
    session.commit()
    form = app_client.get("/login", headers=HTML)
    response = app_client.post(
        "/login",
        headers=HTML,
        follow_redirects=False,
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf": csrf_of(form.text),
            "next": "//evil.example/steal",
        },
    )
    assert response.headers["location"] == "/console"  # the workbench, not the other site


def test_output_is_escaped(app_client: TestClient, session: Session) -> None:
    make_department(session, name_zh="<script>alert(1)</script>局")
    session.commit()
    page = app_client.get("/", headers=HTML)
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;局" in page.text


def test_pages_speak_chinese_first_and_english_on_request(app_client: TestClient) -> None:
    zh = app_client.get("/login", headers=HTML)
    assert '<html lang="zh-CN">' in zh.text
    assert "工作人员登录" in zh.text
    en = app_client.get("/login?lang=en", headers=HTML)
    assert '<html lang="en">' in en.text
    assert "Staff sign-in" in en.text
    assert app_client.get("/login", headers=HTML).text.count("Staff sign-in") == 1  # remembered
