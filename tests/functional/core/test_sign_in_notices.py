"""The owner of an account whose sign-ins were throttled is told at their next sign-in: how
many failed, from which addresses, between when and when. One notice per throttling episode,
not one per failed try; audited when it is raised and when it is dismissed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.core import PASSWORD, make_user
from tests.support.clocks import StoppedClock
from tests.support.databases import BoundDatabase
from tests.support.second_factor import HTML, csrf_on
from yiwang.app import create_app
from yiwang.core.audit import AuditEntry
from yiwang.core.config import Settings
from yiwang.core.identity import SignInNotice
from yiwang.core.policy import Role

START = dt.datetime(2026, 12, 8, 1, 0, tzinfo=dt.UTC)  # 09:00 in China


@pytest.fixture
def now() -> Iterator[StoppedClock]:
    stopped = StoppedClock(START)
    try:
        yield stopped
    finally:
        stopped.close()


@pytest.fixture
def other_address(db: BoundDatabase, settings: Settings) -> Iterator[TestClient]:
    """A second browser, elsewhere on the network."""
    app = create_app(settings, db)
    with TestClient(app, client=("198.51.100.7", 40000)) as client:
        yield client


def try_password(client: TestClient, password: str, *, next: str = "/console") -> tuple[int, str]:
    """Sign in as ``clerk``; return the status and where it leads (or the Retry-After)."""
    form = client.get("/login", headers=HTML)
    answer = client.post(
        "/login",
        data={"username": "clerk", "password": password, "csrf": csrf_on(form.text), "next": next},
        headers=HTML,
        follow_redirects=False,
    )
    return answer.status_code, answer.headers.get("location") or answer.headers.get(
        "retry-after", ""
    )


def wait_out(now: StoppedClock) -> None:
    """Let the wait a failure earned pass (seconds, this early in a run)."""
    now.move(dt.timedelta(seconds=20))


def notices(session: Session) -> list[SignInNotice]:
    session.expire_all()
    return list(session.scalars(select(SignInNotice).order_by(SignInNotice.id)))


def audited(session: Session, action: str) -> int:
    return len(session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_one_notice_per_episode_shown_at_the_next_sign_in(
    app_client: TestClient,
    other_address: TestClient,
    session: Session,
    now: StoppedClock,
) -> None:
    make_user(session, username="clerk", role=Role.EDITOR)
    session.commit()
    for _ in range(4):
        assert try_password(app_client, "wrong")[0] == 401
    assert notices(session) == []  # free tries: no notice yet
    assert try_password(app_client, "wrong")[0] == 401  # the fifth starts the waits
    assert len(notices(session)) == 1
    wait_out(now)
    assert try_password(other_address, "wrong")[0] == 401
    wait_out(now)
    now.move(dt.timedelta(minutes=4))
    assert try_password(other_address, "wrong")[0] == 401
    wait_out(now)

    (notice,) = notices(session)  # still one, brought up to date
    assert notice.failures == 7
    assert notice.addresses == "testclient,198.51.100.7"
    assert notice.episode_started_at == START
    assert notice.seen_at is None
    assert audited(session, "user.sign_in_notice") == 1
    assert audited(session, "auth.throttled") == 3  # one per wait, as before

    # The owner signs in: led to the notice first, then on to where they were going.
    status, landing = try_password(app_client, PASSWORD)
    assert (status, landing) == (303, "/account?next=/console")
    page = app_client.get(landing + "&lang=en", headers=HTML)
    assert (
        "7 failed sign-ins to your account from testclient, 198.51.100.7 between "
        "2026-12-08 09:00 and 2026-12-08 09:04" in page.text
    )
    zh = app_client.get(landing + "&lang=zh-CN", headers=HTML)
    assert "有 7 次登录失败" in zh.text
    dismissed = app_client.post(
        f"/account/notices/{notice.id}/seen",
        data={"csrf": csrf_on(zh.text), "next": "/console"},
        headers=HTML,
        follow_redirects=False,
    )
    assert dismissed.status_code == 303
    assert dismissed.headers["location"] == "/console"
    assert notices(session)[0].seen_at is not None
    assert audited(session, "user.sign_in_notice_seen") == 1
    assert "failed sign-ins" not in app_client.get("/account?lang=en", headers=HTML).text

    # The success ended the episode: the next run of failures is another notice.
    app_client.cookies.clear()
    now.move(dt.timedelta(minutes=10))
    for _ in range(5):
        try_password(app_client, "wrong")
    assert len(notices(session)) == 2
    assert notices(session)[1].failures == 5


def test_no_notice_without_an_owner_or_without_a_wait(
    app_client: TestClient, session: Session, now: StoppedClock
) -> None:
    make_user(session, username="clerk", role=Role.EDITOR)
    session.commit()
    for _ in range(5):
        form = app_client.get("/login", headers=HTML)
        app_client.post(
            "/login",
            data={"username": "nobody", "password": "x", "csrf": csrf_on(form.text)},
            headers=HTML,
        )
    for n in range(25):  # token guesses throttle the address alone
        app_client.get("/api/v1/users/me", headers={"Authorization": f"Bearer yw_guess{n}"})
    assert try_password(app_client, "wrong")[0] in (401, 429)
    assert notices(session) == []
    assert audited(session, "user.sign_in_notice") == 0


def test_a_notice_is_for_its_owner_alone(
    app_client: TestClient, session: Session, now: StoppedClock
) -> None:
    make_user(session, username="clerk", role=Role.EDITOR)
    make_user(session, username="nosy", role=Role.SYSADMIN)
    session.commit()
    for _ in range(5):
        try_password(app_client, "wrong")
    (notice,) = notices(session)
    from tests.functional.core.test_pages import sign_in  # noqa: PLC0415

    app_client.cookies.clear()
    sign_in(app_client, "nosy")
    page = app_client.get("/account", headers=HTML)
    refused = app_client.post(
        f"/account/notices/{notice.id}/seen", data={"csrf": csrf_on(page.text)}, headers=HTML
    )
    assert refused.status_code == 404
    assert notices(session)[0].seen_at is None
