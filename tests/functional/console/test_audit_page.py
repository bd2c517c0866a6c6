"""The audit log page reads in the reader's language: each entry's action by its label with the
code beside it, the action filter a list of labelled actions, and the verdict of the hash-chain
check saying what it covered and that the check itself is the next entry."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.core import make_user
from tests.functional.core.test_pages import csrf_of, sign_in
from yiwang.core import audit
from yiwang.core.audit import AuditEntry
from yiwang.core.policy import SYSTEM, Role

HTML = {"Accept": "text/html"}


def _sign_in_and_make_a_token(client: TestClient, session: Session) -> None:
    root = make_user(session, role=Role.SYSADMIN, username="auditroot").id
    session.commit()
    sign_in(client, "auditroot")
    page = client.get(f"/console/users/{root}", headers=HTML).text
    created = client.post(
        f"/console/users/{root}/tokens",
        data={"csrf": csrf_of(page), "name": "夜间同步", "expires_days": "30"},
        headers=HTML,
    )
    assert created.status_code == 201


def _row(page: str, action: str) -> str:
    """The first (newest) row of the list whose action is ``action``."""
    match = re.search(
        rf"<tr class=\"outcome-[a-z]+\">(?:(?!</tr>).)*?<code class=\"meta\">"
        rf"{re.escape(action)}</code>.*?</tr>",
        page,
        re.DOTALL,
    )
    assert match, f"no entry of {action} in the list"
    return match[0]


def test_entries_are_named_in_chinese_with_their_code_beside(
    app_client: TestClient, session: Session
) -> None:
    _sign_in_and_make_a_token(app_client, session)
    page = app_client.get("/console/audit", headers=HTML).text
    assert '<td>登录 <code class="meta">user.login</code></td>' in _row(page, "user.login")
    assert '<td>创建 API 令牌 <code class="meta">token.create</code></td>' in _row(
        page, "token.create"
    )
    # the filter offers the labelled actions, by label, and keeps the query parameter
    assert '<select id="audit-action" name="action">' in page
    assert '<option value="token.create">创建 API 令牌（token.create）</option>' in page
    assert 'placeholder="share.approve"' not in page
    assert 'placeholder="resource"' not in page

    chosen = app_client.get("/console/audit", params={"action": "token.create"}, headers=HTML).text
    assert "共 1 条记录" in chosen
    assert '<option value="token.create" selected>创建 API 令牌（token.create）</option>' in chosen
    assert '<code class="meta">user.login</code>' not in chosen


def test_entries_are_named_in_english_on_the_english_page(
    app_client: TestClient, session: Session
) -> None:
    _sign_in_and_make_a_token(app_client, session)
    page = app_client.get("/console/audit", params={"lang": "en"}, headers=HTML).text
    assert '<td>Sign in <code class="meta">user.login</code></td>' in _row(page, "user.login")
    assert '<td>Create an API token <code class="meta">token.create</code></td>' in _row(
        page, "token.create"
    )
    assert '<option value="token.create">Create an API token (token.create)</option>' in page
    assert "登录" not in _row(page, "user.login")


def test_an_action_without_a_label_shows_its_code_and_can_still_be_chosen(
    app_client: TestClient, session: Session
) -> None:
    _sign_in_and_make_a_token(app_client, session)
    audit.record(session, actor=SYSTEM, action="test.unlabelled", object_type="note")
    session.commit()
    page = app_client.get("/console/audit", params={"action": "test.unlabelled"}, headers=HTML)
    assert page.status_code == 200
    assert "共 1 条记录" in page.text
    assert '<td><code class="meta">test.unlabelled</code></td>' in page.text
    assert '<option value="test.unlabelled" selected>test.unlabelled</option>' in page.text
    # the read of the log is an action like any other
    listed = app_client.get("/console/audit", headers=HTML).text
    assert '<td>查阅审计日志 <code class="meta">audit.read</code></td>' in listed


def test_the_verdict_says_what_the_check_covered(app_client: TestClient, session: Session) -> None:
    _sign_in_and_make_a_token(app_client, session)
    page = app_client.get("/console/audit", headers=HTML).text
    checked = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    verified = app_client.post("/console/audit/verify", data={"csrf": csrf_of(page)}, headers=HTML)
    assert verified.status_code == 200
    assert (
        f"哈希链完整：已校验第 1 至 {checked} 条记录。"
        f"本次校验另记为第 {checked + 1} 条，不在校验范围内。"
    ) in verified.text
    # the list below counts the check's own entry, as the verdict says
    assert f"共 {checked + 1} 条记录" in verified.text
    assert '<td>校验哈希链 <code class="meta">audit.verify</code></td>' in _row(
        verified.text, "audit.verify"
    )

    english = app_client.post(
        "/console/audit/verify", params={"lang": "en"}, data={"csrf": csrf_of(page)}, headers=HTML
    )
    assert (
        f"The hash chain is intact: entries 1 to {checked + 2} verified. "
        f"The check itself is recorded after them, as entry {checked + 3}."
    ) in english.text
