"""Security headers on every page and answer: a content security policy that allows no inline
script, no MIME sniffing, no framing, a referrer policy; HSTS and Secure cookies over HTTPS."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.core import PASSWORD, make_user
from tests.functional.core.test_pages import csrf_of
from tests.support.databases import BoundDatabase
from yiwang.app import create_app
from yiwang.core.config import Settings
from yiwang.core.policy import Role

HTML = {"Accept": "text/html"}
PAGES = ("/", "/login", "/dataset", "/complaints/new", "/track", "/console", "/api/docs")


def _inline_scripts(page: str) -> list[str]:
    """Script elements the browser would run that carry their code inline."""
    found = []
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", page, re.DOTALL):
        if "src=" in attributes or 'type="application/json"' in attributes:
            continue
        found.append(body.strip()[:80])
    return found


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_security_headers(app_client: TestClient, path: str) -> None:
    answer = app_client.get(path, headers=HTML, follow_redirects=False)
    assert answer.status_code in (200, 303), path
    policy = answer.headers["content-security-policy"]
    (scripts,) = [d.strip() for d in policy.split(";") if d.strip().startswith("script-src")]
    assert scripts == "script-src 'self'"  # no inline script, no eval
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in answer.headers  # plain HTTP here
    if answer.status_code == 200:
        assert _inline_scripts(answer.text) == [], path


def test_json_answers_and_errors_have_them_too(app_client: TestClient) -> None:
    for path in ("/api/v1/departments", "/api/v1/nothing-here", "/sta/v1.1", "/healthz"):
        answer = app_client.get(path)
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert "content-security-policy" in answer.headers, path


@pytest.fixture
def https_client(db: BoundDatabase, settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, db), base_url="https://testserver") as client:
        yield client


def test_over_https_hsts_and_secure_cookies(https_client: TestClient, session: Session) -> None:
    make_user(session, username="clerk", role=Role.EDITOR)
    session.commit()
    form = https_client.get("/login", headers=HTML)
    assert form.headers["strict-transport-security"].startswith("max-age=")
    assert "secure" in form.headers["set-cookie"].lower()  # the CSRF cookie
    signed_in = https_client.post(
        "/login",
        data={"username": "clerk", "password": PASSWORD, "csrf": csrf_of(form.text)},
        headers=HTML,
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    session_cookie = [c for c in signed_in.headers.get_list("set-cookie") if "yiwang_session" in c]
    assert session_cookie
    assert "secure" in session_cookie[0].lower()
    assert "httponly" in session_cookie[0].lower()


def test_the_api_docs_start_from_a_script_file(app_client: TestClient) -> None:
    docs = app_client.get("/api/docs").text
    assert '<script src="/static/js/api-docs.js"></script>' in docs
    script = app_client.get("/static/js/api-docs.js")
    assert script.status_code == 200
    assert "/api/openapi.json" in script.text
