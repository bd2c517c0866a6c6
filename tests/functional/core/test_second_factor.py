"""Two-step verification (GB/T 22239-2019 level 3; OWASP ASVS V2.8): administrators cannot get
past the password alone, set up an authenticator app at their first sign-in, and give a code
of it (or a recovery code, once) at each sign-in after; a code is taken once; wrong codes are
throttled like wrong passwords; HTTP Basic with a password is refused for them while API tokens
keep working; an operator resets a lost phone at the command line."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.core import PASSWORD, make_token, make_user
from tests.support.clocks import StoppedClock
from tests.support.processes import yiwang
from tests.support.second_factor import (
    HTML,
    SECOND_STEP,
    code,
    csrf_on,
    recovery_codes_on,
    secret_on,
)
from yiwang.app import create_app
from yiwang.core import identity
from yiwang.core.audit import AuditEntry
from yiwang.core.config import Settings
from yiwang.core.db import Database
from yiwang.core.identity import RecoveryCode, SecondFactor, WebSession, second_factor
from yiwang.core.policy import Role

# Five seconds into a 30-second step, so a step either side is a whole step away.
START = dt.datetime(2026, 12, 8, 2, 0, 5, tzinfo=dt.UTC)
STEP = dt.timedelta(seconds=30)


@pytest.fixture
def now() -> Iterator[StoppedClock]:
    stopped = StoppedClock(START)
    try:
        yield stopped
    finally:
        stopped.close()


def password_step(
    client: TestClient, username: str, *, password: str = PASSWORD, next: str = "/console"
) -> httpx.Response:
    form = client.get("/login", headers=HTML)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf": csrf_on(form.text), "next": next},
        headers=HTML,
        follow_redirects=False,
    )


def give_code(client: TestClient, value: str, *, next: str = "/console") -> httpx.Response:
    page = client.get(f"{SECOND_STEP}?next={next}", headers=HTML)
    return client.post(
        SECOND_STEP,
        data={"code": value, "csrf": csrf_on(page.text), "next": next},
        headers=HTML,
        follow_redirects=False,
    )


def set_up(client: TestClient, username: str) -> tuple[str, list[str]]:
    """Sign in for the first time and set up an app as the page asks; return its secret and
    the recovery codes."""
    assert password_step(client, username).status_code == 303
    page = client.get(f"{SECOND_STEP}?next=/console", headers=HTML)
    secret = secret_on(page.text)
    done = client.post(
        f"{SECOND_STEP}/enrol",
        data={"code": code(secret), "csrf": csrf_on(page.text), "next": "/console"},
        headers=HTML,
    )
    assert done.status_code == 200, done.text
    return secret, recovery_codes_on(done.text)


def sign_out(client: TestClient) -> None:
    page = client.get("/account", headers=HTML)
    client.post("/logout", data={"csrf": csrf_on(page.text)}, headers=HTML)
    client.cookies.clear()


def actions(session: Session, username: str) -> list[str]:
    session.expire_all()
    user = identity.get_user_by_username(session, username)
    return list(
        session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "user", AuditEntry.object_id == str(user.id))
            .order_by(AuditEntry.seq)
        )
    )


@pytest.mark.parametrize("role", [Role.SYSADMIN, Role.DEPARTMENT_ADMIN])
def test_an_administrator_gets_nothing_with_the_password_alone(
    app_client: TestClient, session: Session, now: StoppedClock, role: Role
) -> None:
    make_user(session, username="chief", role=role)
    session.commit()
    answer = password_step(app_client, "chief")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{SECOND_STEP}?next=/console"
    assert "yiwang_session" not in answer.cookies
    pending = answer.cookies["yiwang_pending"]

    for path in ("/console", "/console/users", "/account"):
        led = app_client.get(path, headers=HTML, follow_redirects=False)
        assert led.status_code == 303, path
        assert led.headers["location"].startswith(f"{SECOND_STEP}?next="), path
    me = app_client.get("/api/v1/users/me")
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "auth.second_factor_pending"
    # The pending login's value grants nothing as a session cookie either.
    app_client.cookies.set("yiwang_session", pending)
    assert app_client.get("/api/v1/users/me").status_code == 401

    page = app_client.get(answer.headers["location"], headers=HTML)
    assert page.status_code == 200
    assert "otpauth://totp/" in page.text
    assert "<svg" in page.text  # the QR code, drawn in the page: nothing fetched
    assert secret_on(page.text)


def test_setting_up_an_app_at_the_first_sign_in(
    app_client: TestClient, session: Session, now: StoppedClock
) -> None:
    make_user(session, username="root", role=Role.SYSADMIN)
    session.commit()
    password_step(app_client, "root")
    page = app_client.get(f"{SECOND_STEP}?next=/console", headers=HTML)
    secret = secret_on(page.text)
    assert f"secret={secret}" in page.text.replace("&amp;", "&")
    assert "issuer=yiwang" in page.text.replace("&amp;", "&")

    wrong = app_client.post(
        f"{SECOND_STEP}/enrol",
        data={"code": "123456", "csrf": csrf_on(page.text), "next": "/console"},
        headers=HTML,
    )
    assert wrong.status_code == 401
    assert "验证码或恢复码不正确" in wrong.text
    assert secret_on(wrong.text) == secret  # the same secret, to try again
    assert app_client.get("/console", headers=HTML, follow_redirects=False).status_code == 303

    done = app_client.post(
        f"{SECOND_STEP}/enrol",
        data={"code": code(secret), "csrf": csrf_on(page.text), "next": "/console"},
        headers=HTML,
    )
    assert done.status_code == 200
    codes = recovery_codes_on(done.text)
    assert len(set(codes)) == 10
    assert 'href="/console" id="continue"' in done.text
    assert done.cookies.get("yiwang_session")
    assert app_client.get("/console", headers=HTML).status_code == 200

    session.expire_all()
    user = identity.get_user_by_username(session, "root")
    row = session.get(SecondFactor, user.id)
    assert row is not None
    assert row.secret_sealed
    assert secret not in row.secret_sealed  # sealed at rest
    hashes = session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id))
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert actions(session, "root") == [
        "user.create",
        "user.second_factor_enrolment",
        "user.login_password",
        "user.second_factor_failed",
        "user.second_factor_on",
        "user.login",
    ]


def test_a_code_is_taken_once_and_only_near_its_time(
    app_client: TestClient, session: Session, now: StoppedClock
) -> None:
    make_user(session, username="root", role=Role.SYSADMIN)
    session.commit()
    secret, _ = set_up(app_client, "root")  # took the code of this step
    sign_out(app_client)

    assert password_step(app_client, "root").status_code == 303
    replayed = give_code(app_client, code(secret))
    assert replayed.status_code == 401
    assert "验证码或恢复码不正确" in replayed.text
    # Two steps away (a minute's drift, or a code written down earlier) is refused too.
    assert give_code(app_client, code(secret, now.now + 2 * STEP)).status_code == 401
    # The next step's code is taken now (a phone a little ahead)...
    ahead = give_code(app_client, code(secret, now.now + STEP))
    assert ahead.status_code == 303
    assert ahead.headers["location"] == "/console"
    sign_out(app_client)
    # ...and so no code up to that step is taken again.
    now.move(STEP)
    assert password_step(app_client, "root").status_code == 303
    assert give_code(app_client, code(secret)).status_code == 401
    now.move(STEP)
    assert give_code(app_client, code(secret)).status_code == 303
    assert "user.second_factor_verified" in actions(session, "root")


def test_a_recovery_code_stands_in_once(
    app_client: TestClient, session: Session, now: StoppedClock
) -> None:
    make_user(session, username="root", role=Role.SYSADMIN)
    session.commit()
    _, codes = set_up(app_client, "root")
    sign_out(app_client)

    password_step(app_client, "root")
    assert give_code(app_client, codes[0]).status_code == 303
    sign_out(app_client)
    password_step(app_client, "root")
    assert give_code(app_client, codes[0]).status_code == 401  # spent
    typed = codes[1].upper().replace("-", " ")  # as someone types it off paper
    assert give_code(app_client, typed).status_code == 303
    account = app_client.get("/account", headers=HTML)
    assert "剩余恢复码：8" in account.text
    assert actions(session, "root").count("user.recovery_code_used") == 2


def test_wrong_codes_are_throttled_like_passwords(
    app_client: TestClient, session: Session, now: StoppedClock
) -> None:
    make_user(session, username="root", role=Role.SYSADMIN)
    session.commit()
    secret, _ = set_up(app_client, "root")
    sign_out(app_client)
    now.move(STEP)

    password_step(app_client, "root")
    guesses = [give_code(app_client, f"{n:06d}").status_code for n in range(5)]
    assert guesses == [401] * 5  # the free tries
    waiting = give_code(app_client, "000005")
    assert waiting.status_code == 429
    assert waiting.headers["retry-after"]
    assert give_code(app_client, code(secret)).status_code == 429  # the right code waits too
    # The account waits at the password too: a right password buys no fresh tries at the code.
    assert password_step(app_client, "root").status_code == 429
    throttled = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "auth.throttled")
    ).all()
    assert [(t.object_type, t.object_id) for t in throttled][:1] == [("account", "root")]
    assert actions(session, "root").count("user.second_factor_failed") == 5

    now.move(dt.timedelta(seconds=int(waiting.headers["retry-after"]) + 1))
    assert give_code(app_client, code(secret)).status_code == 303


def test_a_login_waiting_for_its_code_cannot_use_the_api(
    app_client: TestClient, session: Session, now: StoppedClock
) -> None:
    make_user(session, username="root", role=Role.SYSADMIN)
    session.commit()
    set_up(app_client, "root")
    sign_out(app_client)
    now.move(STEP)
    assert password_step(app_client, "root").status_code == 303
    page = app_client.get(SECOND_STEP, headers=HTML)
    csrf_header = {"X-CSRF-Token": csrf_on(page.text)}
    for answer in (
        app_client.get("/api/v1/users/me"),
        app_client.get("/api/v1/tokens"),
        app_client.post("/api/v1/tokens", json={"name": "mine"}, headers=csrf_header),
        app_client.get("/api/v1/audit"),
    ):
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "auth.second_factor_pending"
    session.expire_all()
    assert not identity.list_tokens(
        session,
        actor=identity.actor_for(identity.get_user_by_username(session, "root"), via="session"),
        user_id=identity.get_user_by_username(session, "root").id,
    )


def test_http_basic_with_a_password_is_refused_for_two_step_accounts(
    app_client: TestClient, session: Session, settings: Settings, now: StoppedClock
) -> None:
    root = make_user(session, username="root", role=Role.SYSADMIN)
    opted = make_user(session, username="opted", role=Role.EDITOR)
    plain = make_user(session, username="plain", role=Role.EDITOR)
    token = make_token(session, root)
    options = second_factor.configured(settings)
    as_opted = identity.actor_for(opted, via="session")
    second_factor.start_enrolment(session, actor=as_opted, user_id=opted.id, options=options)
    enrolment = second_factor.enrolment(session, user=opted, options=options)
    assert enrolment is not None
    second_factor.confirm_enrolment(
        session, actor=as_opted, user_id=opted.id, code=code(enrolment.secret), options=options
    )
    session.commit()

    for username in ("root", "opted"):  # must have one (not set up yet); has one
        refused = app_client.get(
            "/api/v1/users/me", auth=(username, PASSWORD), headers={"Accept-Language": "en"}
        )
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "auth.basic_second_factor"
        assert "use an API token" in refused.json()["error"]["message"]
    zh = app_client.get("/api/v1/users/me", auth=("root", PASSWORD))
    assert "请改用 API 令牌" in zh.json()["error"]["message"]
    wrong = app_client.get("/api/v1/users/me", auth=("root", "wrong password"))
    assert wrong.json()["error"]["code"] == "auth.bad_credentials"  # says nothing more
    assert app_client.get("/api/v1/users/me", auth=("plain", PASSWORD)).status_code == 200
    # Tokens are the way in for machines, without a second factor.
    bearer = app_client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert bearer.json()["username"] == "root"
    assert app_client.get("/api/v1/users/me", auth=("root", token)).status_code == 200
    assert plain.id


def test_anyone_may_opt_in_and_out_but_an_administrator_may_not_turn_it_off(
    app_client: TestClient, session: Session, settings: Settings, now: StoppedClock
) -> None:
    make_user(session, username="clerk", role=Role.EDITOR)
    make_user(session, username="root", role=Role.SYSADMIN)
    session.commit()
    from tests.functional.core.test_pages import sign_in  # noqa: PLC0415

    sign_in(app_client, "clerk")  # no second step: not required, not on
    account = app_client.get("/account", headers=HTML)
    assert "开启两步验证" in account.text
    started = app_client.post(
        "/account/second-factor/start",
        data={"csrf": csrf_on(account.text)},
        headers=HTML,
        follow_redirects=False,
    )
    assert started.status_code == 303
    account = app_client.get("/account", headers=HTML)
    secret = secret_on(account.text)
    done = app_client.post(
        "/account/second-factor/confirm",
        data={"code": code(secret), "csrf": csrf_on(account.text)},
        headers=HTML,
    )
    assert done.status_code == 200
    assert len(recovery_codes_on(done.text)) == 10
    assert "已开启" in done.text

    sign_out(app_client)
    now.move(STEP)
    assert password_step(app_client, "clerk").headers["location"].startswith(SECOND_STEP)
    assert give_code(app_client, code(secret), next="/account").status_code == 303
    account = app_client.get("/account", headers=HTML)
    wrong = app_client.post(
        "/account/second-factor/disable",
        data={"code": "000000", "csrf": csrf_on(account.text)},
        headers=HTML,
    )
    assert wrong.status_code == 401
    now.move(STEP)
    off = app_client.post(
        "/account/second-factor/disable",
        data={"code": code(secret), "csrf": csrf_on(account.text)},
        headers=HTML,
        follow_redirects=False,
    )
    assert off.status_code == 303
    assert "user.second_factor_off" in actions(session, "clerk")
    sign_out(app_client)
    assert password_step(app_client, "clerk", next="/account").headers["location"] == "/account"

    # An administrator may not turn it off: the form is not offered, and the service refuses.
    sign_out(app_client)
    secret, _ = set_up(app_client, "root")
    assert "关闭两步验证" not in app_client.get("/account", headers=HTML).text
    account = app_client.get("/account", headers=HTML)
    now.move(STEP)
    refused = app_client.post(
        "/account/second-factor/disable",
        data={"code": code(secret), "csrf": csrf_on(account.text)},
        headers=HTML,
    )
    assert refused.status_code == 403
    assert "您的角色必须使用两步验证，不能关闭。" in refused.text

    # Where opting in is not offered, others cannot turn it on.
    settings.mfa_opt_in = False
    sign_out(app_client)
    make_user(session, username="other", role=Role.MEMBER)
    session.commit()
    sign_in(app_client, "other")
    account = app_client.get("/account", headers=HTML)
    assert "开启两步验证" not in account.text
    refused = app_client.post(
        "/account/second-factor/start", data={"csrf": csrf_on(account.text)}, headers=HTML
    )
    assert refused.status_code == 403


def test_new_recovery_codes_and_a_new_app(
    app_client: TestClient, session: Session, now: StoppedClock
) -> None:
    make_user(session, username="root", role=Role.SYSADMIN)
    session.commit()
    secret, old_codes = set_up(app_client, "root")
    account = app_client.get("/account", headers=HTML)
    now.move(STEP)
    renewed = app_client.post(
        "/account/second-factor/recovery-codes",
        data={"code": code(secret), "csrf": csrf_on(account.text)},
        headers=HTML,
    )
    assert renewed.status_code == 200
    new_codes = recovery_codes_on(renewed.text)
    assert len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)

    # Moving to another app takes a current code; the old app works until the new one's code.
    now.move(STEP)
    refused = app_client.post(
        "/account/second-factor/start",
        data={"code": "000000", "csrf": csrf_on(account.text)},
        headers=HTML,
    )
    assert refused.status_code == 401
    moved = app_client.post(
        "/account/second-factor/start",
        data={"code": new_codes[0], "csrf": csrf_on(account.text)},
        headers=HTML,
        follow_redirects=False,
    )
    assert moved.status_code == 303
    account = app_client.get("/account", headers=HTML)
    new_secret = secret_on(account.text)
    assert new_secret != secret
    app_client.post(
        "/account/second-factor/confirm",
        data={"code": code(new_secret), "csrf": csrf_on(account.text)},
        headers=HTML,
    )
    sign_out(app_client)
    now.move(STEP)
    password_step(app_client, "root")
    assert give_code(app_client, code(secret)).status_code == 401  # the old app is gone
    assert give_code(app_client, old_codes[1]).status_code == 401  # and the old codes
    assert give_code(app_client, code(new_secret)).status_code == 303


def test_the_roles_that_must_have_it_are_a_setting(
    app_client: TestClient, session: Session, settings: Settings, now: StoppedClock
) -> None:
    make_user(session, username="clerk", role=Role.EDITOR)
    make_user(session, username="root", role=Role.SYSADMIN)
    session.commit()
    settings.mfa_required_roles = ["editor"]
    assert password_step(app_client, "clerk").headers["location"].startswith(SECOND_STEP)
    app_client.cookies.clear()
    assert password_step(app_client, "root").headers["location"] == "/console"


def test_a_pending_login_ends_after_its_minutes(
    app_client: TestClient, session: Session, now: StoppedClock
) -> None:
    make_user(session, username="root", role=Role.SYSADMIN)
    session.commit()
    password_step(app_client, "root")
    now.move(dt.timedelta(minutes=second_factor.PENDING_MINUTES, seconds=1))
    page = app_client.get(SECOND_STEP, headers=HTML)
    assert page.status_code == 401
    assert "本次登录已超时" in page.text


def test_an_operator_resets_a_lost_phone(committed_database: Database, tmp_path: Path) -> None:
    db = committed_database
    db.cache.window = 0  # see the command's change at once, not within the cache's second
    settings = Settings(database_url=str(db.url), var_dir=tmp_path / "var", secret_key="k" * 32)
    with db.session() as session:
        make_user(session, username="root", role=Role.SYSADMIN)
    with TestClient(create_app(settings, db)) as client:
        set_up(client, "root")
        assert client.get("/console", headers=HTML).status_code == 200

        done = yiwang(db, tmp_path, "user", "reset-mfa", "root")
        assert done.returncode == 0, done.stderr
        assert "reset" in done.stdout
        # Their logins have ended; the next one sets up an app again.
        assert client.get("/console", headers=HTML, follow_redirects=False).status_code == 303
        client.cookies.clear()
        assert password_step(client, "root").status_code == 303
        page = client.get(SECOND_STEP, headers=HTML)
        assert secret_on(page.text)

    with db.session() as session:
        user = identity.get_user_by_username(session, "root")
        assert session.get(SecondFactor, user.id) is not None  # only the new secret to set up
        assert session.get(SecondFactor, user.id).secret_sealed is None  # type: ignore[union-attr]
        assert not session.scalar(
            select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id)
        )
        assert not session.scalar(
            select(func.count())
            .select_from(WebSession)
            .where(WebSession.user_id == user.id, WebSession.second_factor_pending.is_(False))
        )
        reset = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "user.second_factor_reset")
        ).one()
        assert reset.actor_name.startswith("cli:")
        assert reset.object_id == str(user.id)

    unknown = yiwang(db, tmp_path, "user", "reset-mfa", "nobody")
    assert unknown.returncode == 2
    assert re.search(r"nobody", unknown.stderr)


def test_between_the_password_and_the_code_no_app_is_replaced(
    app_client: TestClient, session: Session, now: StoppedClock
) -> None:
    make_user(session, username="root", role=Role.SYSADMIN)
    session.commit()
    secret, _ = set_up(app_client, "root")
    account = app_client.get("/account", headers=HTML)
    now.move(STEP)
    app_client.post(
        "/account/second-factor/start",
        data={"code": code(secret), "csrf": csrf_on(account.text)},
        headers=HTML,
    )
    new_secret = secret_on(app_client.get("/account", headers=HTML).text)  # begun, not done
    sign_out(app_client)

    now.move(STEP)
    password_step(app_client, "root")
    page = app_client.get(SECOND_STEP, headers=HTML)
    assert "second-factor-secret" not in page.text  # asks for a code, shows no secret
    tried = app_client.post(
        f"{SECOND_STEP}/enrol",
        data={"code": code(new_secret), "csrf": csrf_on(page.text), "next": "/console"},
        headers=HTML,
    )
    assert "yiwang_session" not in tried.cookies
    assert app_client.get("/console", headers=HTML, follow_redirects=False).status_code == 303
    assert give_code(app_client, code(secret)).status_code == 303  # the app in use still is
