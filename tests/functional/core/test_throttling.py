"""Guessing is throttled (ASVS V2.2.1): wrong web logins, wrong Basic passwords, token guesses
and query-code guesses are counted per account and per address in the database; past the free
tries each further one waits longer (429 with Retry-After), even with the right secret, until
the wait is over; then the right one works and clears the account's count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.core import PASSWORD, make_user
from tests.functional.core.test_pages import csrf_of
from yiwang.app import create_app
from yiwang.core import clock
from yiwang.core.audit import AuditEntry
from yiwang.core.config import Settings
from yiwang.core.db import Database
from yiwang.core.identity import throttle
from yiwang.core.policy import Role

HTML = {"Accept": "text/html"}
START = dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC)


@pytest.fixture
def at() -> Iterator[list[dt.datetime]]:
    """The clock, stopped; tests move it by assigning ``at[0]``."""
    moment = [START]
    original = clock.now
    clock_now = lambda: moment[0]  # noqa: E731
    clock.now = clock_now  # type: ignore[assignment]
    try:
        yield moment
    finally:
        clock.now = original  # type: ignore[assignment]


def _login(client: TestClient, username: str, password: str) -> tuple[int, str | None]:
    form = client.get("/login", headers=HTML)
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "csrf": csrf_of(form.text)},
        headers=HTML,
        follow_redirects=False,
    )
    return answer.status_code, answer.headers.get("retry-after")


def test_wrong_web_logins_are_slowed_and_the_right_one_waits_too(
    app_client: TestClient, session: Session, at: list[dt.datetime]
) -> None:
    make_user(session, username="clerk", role=Role.EDITOR)
    session.commit()
    answers = [_login(app_client, "clerk", "wrong") for _ in range(5)]
    assert answers == [(401, None)] * 5  # the free tries
    status, retry = _login(app_client, "clerk", "wrong")
    assert status == 429
    assert retry is not None
    assert _login(app_client, "clerk", PASSWORD)[0] == 429  # even the right password waits
    at[0] = START + dt.timedelta(seconds=int(retry) + 1)
    assert _login(app_client, "clerk", "wrong")[0] == 401  # heard again: a failure...
    status, longer = _login(app_client, "clerk", "wrong")
    assert status == 429
    assert longer is not None
    assert int(longer) > int(retry)  # ...and each further one waits longer
    at[0] += dt.timedelta(seconds=int(longer) + 1)
    assert _login(app_client, "clerk", PASSWORD)[0] == 303  # the owner gets in
    assert _login(app_client, "clerk", "wrong")[0] == 401  # and the count starts afresh
    throttled = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "auth.throttled")
    ).all()
    assert throttled
    assert throttled[0].object_type == "account"
    assert throttled[0].object_id == "clerk"


def test_the_message_is_in_the_users_language(
    app_client: TestClient, session: Session, at: list[dt.datetime]
) -> None:
    for _ in range(6):
        _login(app_client, "nobody", "wrong")
    form = app_client.get("/login?lang=en", headers=HTML)
    page = app_client.post(
        "/login?lang=en",
        data={"username": "nobody", "password": "x", "csrf": csrf_of(form.text)},
        headers=HTML,
    )
    assert page.status_code == 429
    assert "Too many failed attempts" in page.text


def test_basic_passwords_and_token_guesses_are_throttled_across_app_instances(
    committed_database: Database, settings: Settings, at: list[dt.datetime]
) -> None:
    # Real commits: the failures are counted in transactions of their own, beside requests
    # that are rolled back with their 401.
    db = committed_database
    with db.session() as session:
        make_user(session, username="api_user", role=Role.EDITOR)
    one = TestClient(create_app(settings, db))
    other = TestClient(create_app(settings, db))  # another process or node: same database
    for client in (one, other, one, other, one):
        assert client.get("/api/v1/users/me", auth=("api_user", "wrong")).status_code == 401
    refused = other.get("/api/v1/users/me", auth=("api_user", PASSWORD))
    assert refused.status_code == 429
    assert refused.headers["retry-after"]
    assert refused.json()["error"]["code"] == "auth.throttled"

    tokens = [
        one.get("/api/v1/users/me", headers={"Authorization": f"Bearer yw_guess{n}"})
        for n in range(settings.throttle_free_per_address + 1)
    ]
    assert {t.status_code for t in tokens[:-1]} == {401}
    assert tokens[-1].status_code == 429
    # Writes too: the count survives the rollback of the refused request.
    posts = [other.post("/api/v1/tokens", headers={"Authorization": "Bearer yw_x"}, json={})]
    assert posts[0].status_code == 429


def test_query_code_guesses_are_throttled(
    committed_database: Database, settings: Settings, at: list[dt.datetime]
) -> None:
    client = TestClient(create_app(settings, committed_database))
    answers = [
        client.get("/api/v1/cases/330100-20261207-000001", headers={"X-Query-Code": f"G{n:07d}"})
        for n in range(settings.throttle_free_per_address + 1)
    ]
    assert {a.status_code for a in answers[:-1]} == {404}
    assert answers[-1].status_code == 429
    assert answers[-1].headers["retry-after"]


def test_the_delay_doubles_up_to_its_ceiling() -> None:
    assert [throttle.delay_after(n, 5, 900) for n in range(4, 10)] == [0, 1, 2, 4, 8, 16]
    assert throttle.delay_after(40, 5, 900) == 900


def _signed_in(client: TestClient) -> bool:
    return client.get("/api/v1/users/me").status_code == 200


def test_a_web_login_ends_when_idle_and_at_its_absolute_end(
    app_client: TestClient, session: Session, settings: Settings, at: list[dt.datetime]
) -> None:
    make_user(session, username="clerk", role=Role.EDITOR)
    session.commit()
    idle = dt.timedelta(minutes=settings.session_idle_minutes)
    assert _login(app_client, "clerk", PASSWORD)[0] == 303
    assert _signed_in(app_client)
    # Used now and then, it stays: each use after half the idle time moves the end on.
    for _ in range(4):
        at[0] += idle * 0.75
        assert _signed_in(app_client)
    # Unused for longer than the idle time, it has ended.
    at[0] += idle + dt.timedelta(seconds=1)
    assert not _signed_in(app_client)

    assert _login(app_client, "clerk", PASSWORD)[0] == 303
    end = at[0] + dt.timedelta(hours=settings.session_hours)
    while at[0] + idle * 0.75 < end:  # however busy, it ends at its absolute end
        at[0] += idle * 0.75
        assert _signed_in(app_client)
    at[0] = end + dt.timedelta(seconds=1)
    assert not _signed_in(app_client)
