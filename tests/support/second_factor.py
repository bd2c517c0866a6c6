"""Two-step verification in tests: the codes an authenticator app would show, and the second
step of a web sign-in passed as a person passes it (the secret read off the set-up page; for
a later sign-in, read back from the database as the server reads it)."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator

import httpx
import pyotp
from fastapi.testclient import TestClient

from yiwang.core import clock, identity
from yiwang.core.db import Database
from yiwang.core.identity import SecondFactor
from yiwang.core.identity.second_factor import SEAL_PURPOSE, STEP_SECONDS
from yiwang.core.security import unseal

HTML = {"Accept": "text/html"}
SECOND_STEP = "/login/second-factor"
_SECRET = re.compile(r'id="second-factor-secret">([A-Z2-7 ]+)<')
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
_CONTINUE = re.compile(r'<a href="([^"]+)" id="continue">')
_RECOVERY = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


def step_of(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def moment_of(step: int) -> dt.datetime:
    """A moment inside time step ``step`` (a second past its start)."""
    return dt.datetime.fromtimestamp(step * STEP_SECONDS + 1, dt.UTC)


def code(secret: str, at: dt.datetime | None = None) -> str:
    """The code the app shows at ``at`` (default: the project's clock)."""
    return pyotp.TOTP(secret).at(at or clock.now())


def secret_on(page: str) -> str:
    """The secret a set-up page shows for typing in."""
    found = _SECRET.search(page)
    assert found, "the page shows no secret to set up"
    return found.group(1).replace(" ", "")


def recovery_codes_on(page: str) -> list[str]:
    return _RECOVERY.findall(page)


def csrf_on(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the form carries no CSRF token"
    return found.group(1)


def secret_in_use(db: Database, secret_key: str, username: str) -> tuple[str, int | None]:
    """The secret of ``username``'s app as the server reads it, and the last step it took."""
    with db.sessionmaker() as session:
        user = identity.get_user_by_username(session, username)
        row = session.get(SecondFactor, user.id)
        assert row is not None, f"{username} has no second factor"
        assert row.secret_sealed is not None, f"{username} has not finished setting one up"
        secret = unseal(secret_key, SEAL_PURPOSE, row.secret_sealed, context=str(user.id))
        return secret, row.last_step


@contextlib.contextmanager
def _at_step(step: int) -> Iterator[None]:
    """Move the clock into ``step`` when the window of now (one step either side) misses it:
    the next code of a user who signed in twice within one step."""
    if step <= step_of(clock.now()) + 1:
        yield
        return
    with clock.pin(moment_of(step)):
        yield


def pass_second_step(client: TestClient, answer: httpx.Response, username: str) -> str:
    """Pass the second step that the password's ``answer`` led to, as its owner would: set up
    an app when the page asks for it, else give the app's next code. Return where the finished
    sign-in leads."""
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(SECOND_STEP), answer.headers["location"]
    page = client.get(answer.headers["location"], headers=HTML)
    assert page.status_code == 200, page.text
    next_field = re.search(r'name="next" value="([^"]*)"', page.text)
    target = next_field.group(1) if next_field else "/account"
    if 'action="/login/second-factor/enrol"' in page.text:
        secret = secret_on(page.text)
        done = client.post(
            f"{SECOND_STEP}/enrol",
            data={"code": code(secret), "csrf": csrf_on(page.text), "next": target},
            headers=HTML,
        )
        assert done.status_code == 200, done.text
        assert len(recovery_codes_on(done.text)) == 10
        found = _CONTINUE.search(done.text)
        assert found, "the recovery codes page leads nowhere"
        return found.group(1)
    state = client.app.state
    secret, last = secret_in_use(state.db, state.settings.secret(), username)
    step = max(step_of(clock.now()), (last or 0) + 1)
    with _at_step(step):
        done = client.post(
            SECOND_STEP,
            data={
                "code": code(secret, moment_of(step)),
                "csrf": csrf_on(page.text),
                "next": target,
            },
            headers=HTML,
            follow_redirects=False,
        )
    assert done.status_code == 303, done.text
    return str(done.headers["location"])
