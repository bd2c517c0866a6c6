"""The console's administration: users by department as the policy allows, creating and
deactivating them, API tokens shown once, and the audit log with the check of its hash
chain (intact, then broken by an intruder with SQL)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.factories.core import make_department, make_user
from tests.functional.core.test_pages import csrf_of, sign_in
from yiwang.core import audit, identity
from yiwang.core.audit import AuditEntry
from yiwang.core.policy import SYSTEM, Role

HTML = {"Accept": "text/html"}


@dataclass
class Staff:
    a: int  # department ids
    b: int
    root: int  # user ids
    a_editor: int
    b_member: int


@pytest.fixture
def staff(session: Session) -> Staff:
    a = make_department(session, name_zh="省统计局", slug="adminstats")
    b = make_department(session, name_zh="省林业局", slug="adminforest")
    root = make_user(session, role=Role.SYSADMIN, username="root")
    make_user(session, role=Role.DEPARTMENT_ADMIN, department=a, username="a_admin")
    a_editor = make_user(session, role=Role.EDITOR, department=a, username="a_editor")
    make_user(session, role=Role.DEPARTMENT_ADMIN, department=b, username="b_admin")
    b_member = make_user(session, role=Role.MEMBER, department=b, username="b_member")
    session.commit()
    return Staff(a.id, b.id, root.id, a_editor.id, b_member.id)


def _usernames(page: str) -> set[str]:
    return set(re.findall(r'<a href="/console/users/\d+">([^<]+)</a>', page))


def test_who_sees_which_users(app_client: TestClient, staff: Staff) -> None:
    sign_in(app_client, "root")
    page = app_client.get("/console/users", headers=HTML).text
    assert {"root", "a_admin", "a_editor", "b_admin", "b_member"} <= _usernames(page)
    page = app_client.get("/console/users", params={"department": staff.b}, headers=HTML).text
    assert _usernames(page) == {"b_admin", "b_member"}

    app_client.cookies.clear()
    sign_in(app_client, "a_admin")
    page = app_client.get("/console/users", headers=HTML).text
    assert _usernames(page) == {"a_admin", "a_editor"}
    # A department admin cannot look at another department's list, nor its users.
    page = app_client.get("/console/users", params={"department": staff.b}, headers=HTML).text
    assert _usernames(page) == {"a_admin", "a_editor"}
    assert app_client.get(f"/console/users/{staff.b_member}", headers=HTML).status_code == 403

    app_client.cookies.clear()
    sign_in(app_client, "a_editor")
    for path in ("/console/users", "/console/audit", f"/console/users/{staff.b_member}"):
        refused = app_client.get(path, headers=HTML)
        assert refused.status_code == 403, path
        assert "无权执行此操作" in refused.text


def test_a_department_admin_creates_a_user_who_signs_in_then_is_deactivated(
    app_client: TestClient, session: Session, staff: Staff
) -> None:
    sign_in(app_client, "a_admin")
    page = app_client.get("/console/users", headers=HTML).text
    roles = set(re.findall(r'<option value="([a-z_]+)"[^>]*>[^<]+</option>', page))
    assert roles == {"editor", "member"}  # what the policy lets a department admin give
    created = app_client.post(
        "/console/users",
        data={
            "csrf": csrf_of(page),
            "username": "new_clerk",
            "display_name": "新来的 <b>科员</b>",
            "role": "member",
            "department_id": str(staff.a),
        },
        headers=HTML,
    )
    assert created.status_code == 201
    password = re.search(r'<code class="token" id="new-password">([^<]+)</code>', created.text)
    assert password is not None
    assert "新来的 &lt;b&gt;科员&lt;/b&gt;" in created.text
    # Shown once: the list does not show it again.
    assert password[1] not in app_client.get("/console/users", headers=HTML).text

    user = identity.get_user_by_username(session, "new_clerk")
    assert (user.role, user.department_id, user.is_active) == ("member", staff.a, True)
    page = app_client.get("/console/users", headers=HTML).text
    deactivated = app_client.post(
        f"/console/users/{user.id}/deactivate",
        data={"csrf": csrf_of(page), "back": "/console/users"},
        headers=HTML,
        follow_redirects=False,
    )
    assert deactivated.status_code == 303
    assert deactivated.headers["location"] == "/console/users"
    session.expire_all()
    assert identity.get_user(session, user.id).is_active is False
    page = app_client.get(f"/console/users/{user.id}", headers=HTML).text
    assert "已停用" in page
    assert "重新启用该用户" in page

    app_client.cookies.clear()
    login = app_client.get("/login", headers=HTML).text
    refused = app_client.post(
        "/login",
        data={"username": "new_clerk", "password": password[1], "csrf": csrf_of(login)},
        headers=HTML,
    )
    assert refused.status_code == 401
    assert "该用户已被停用" in refused.text

    sign_in(app_client, "a_admin")
    page = app_client.get(f"/console/users/{user.id}", headers=HTML).text
    app_client.post(
        f"/console/users/{user.id}/activate", data={"csrf": csrf_of(page)}, headers=HTML
    )
    app_client.cookies.clear()
    sign_in(app_client, "new_clerk", password[1])  # the generated password works


def test_a_create_form_keeps_its_values_and_the_policy_limits_roles(
    app_client: TestClient, session: Session, staff: Staff
) -> None:
    sign_in(app_client, "a_admin")
    page = app_client.get("/console/users", headers=HTML).text
    refused = app_client.post(
        "/console/users",
        data={
            "csrf": csrf_of(page),
            "username": "bad name",
            "display_name": "张三",
            "role": "editor",
            "department_id": str(staff.a),
        },
        headers=HTML,
    )
    assert refused.status_code == 422
    assert "username" in refused.text
    assert "格式不符合要求" in refused.text
    assert 'value="bad name"' in refused.text
    assert 'value="张三"' in refused.text
    refused = app_client.post(
        "/console/users",
        data={
            "csrf": csrf_of(page),
            "username": "x_clerk",
            "role": "editor",
            "department_id": str(staff.a),
            "password": "short",
        },
        headers=HTML,
    )
    assert refused.status_code == 422
    assert "密码至少需要 10 个字符" in refused.text
    for role, department in (("sysadmin", ""), ("editor", str(staff.b))):
        refused = app_client.post(
            "/console/users",
            data={
                "csrf": csrf_of(page),
                "username": "sneaky",
                "role": role,
                "department_id": department,
            },
            headers=HTML,
        )
        assert refused.status_code == 403
    forged = app_client.post(
        "/console/users",
        data={"username": "forged", "role": "member", "department_id": str(staff.a)},
        headers=HTML,
    )
    assert forged.status_code == 403
    assert identity.list_users(session, actor=SYSTEM, department_id=staff.a)[1] == 2


def test_a_token_is_shown_once_listed_by_its_prefix_and_revoked(
    app_client: TestClient, session: Session, staff: Staff
) -> None:
    sign_in(app_client, "root")
    page = app_client.get(f"/console/users/{staff.root}", headers=HTML).text
    created = app_client.post(
        f"/console/users/{staff.root}/tokens",
        data={"csrf": csrf_of(page), "name": "夜间同步", "expires_days": "30"},
        headers=HTML,
    )
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"  # not brought back from a cache
    raw = re.search(r'<code class="token" id="new-token">([^<]+)</code>', created.text)
    assert raw is not None
    me = app_client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {raw[1]}"})
    assert me.json()["username"] == "root"

    page = app_client.get(f"/console/users/{staff.root}", headers=HTML).text
    assert raw[1] not in page  # never shown again: the list has its first characters only
    assert f"<code>{raw[1][:10]}…</code>" in page
    assert "夜间同步" in page
    (token,) = identity.list_tokens(session, actor=SYSTEM, user_id=staff.root)
    assert token.token_digest != raw[1]
    assert raw[1] not in token.token_digest

    revoked = app_client.post(
        f"/console/users/{staff.root}/tokens/{token.id}/revoke",
        data={"csrf": csrf_of(page)},
        headers=HTML,
    )
    assert revoked.status_code == 200
    assert "已吊销" in revoked.text
    refused = app_client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {raw[1]}"})
    assert refused.status_code == 401


def test_a_refused_token_form_keeps_what_was_typed(
    app_client: TestClient, session: Session, staff: Staff
) -> None:
    sign_in(app_client, "root")
    page = app_client.get(f"/console/users/{staff.root}", headers=HTML).text
    refused = app_client.post(
        f"/console/users/{staff.root}/tokens",
        data={"csrf": csrf_of(page), "name": "数据同步<b>", "expires_days": "99999"},
        headers=HTML,
    )
    assert refused.status_code == 422
    assert 'id="token-error" role="alert"' in refused.text
    assert 'value="数据同步&lt;b&gt;" aria-describedby="token-error"' in refused.text
    assert 'name="expires_days" type="number" min="1" max="3650" value="99999"' in refused.text
    assert 'id="new-token"' not in refused.text
    assert identity.list_tokens(session, actor=SYSTEM, user_id=staff.root) == []


def test_tokens_of_others_are_for_the_owner_and_sysadmins(
    app_client: TestClient, session: Session, staff: Staff
) -> None:
    editor = identity.get_user(session, staff.a_editor)
    _, raw = identity.create_token(
        session, actor=identity.actor_for(editor, via="cli"), user_id=editor.id, name="脚本"
    )
    session.commit()

    sign_in(app_client, "a_admin")  # manages the editor, but not their tokens
    page = app_client.get(f"/console/users/{staff.a_editor}", headers=HTML).text
    assert "只有本人和系统管理员可以查看该用户的令牌" in page
    assert "脚本" not in page

    app_client.cookies.clear()
    sign_in(app_client, "root")  # sees and revokes them; tokens are made by their owner
    page = app_client.get(f"/console/users/{staff.a_editor}", headers=HTML).text
    assert "脚本" in page
    assert raw not in page
    assert f'action="/console/users/{staff.a_editor}/tokens"' not in page
    refused = app_client.post(
        f"/console/users/{staff.a_editor}/tokens",
        data={"csrf": csrf_of(page), "name": "冒名"},
        headers=HTML,
    )
    assert refused.status_code == 403
    (token,) = identity.list_tokens(session, actor=SYSTEM, user_id=staff.a_editor)
    app_client.post(
        f"/console/users/{staff.a_editor}/tokens/{token.id}/revoke",
        data={"csrf": csrf_of(page)},
        headers=HTML,
    )
    session.expire_all()
    (token,) = identity.list_tokens(session, actor=SYSTEM, user_id=staff.a_editor)
    assert token.revoked_at is not None


def test_the_audit_log_is_filtered_and_its_details_escaped(
    app_client: TestClient, session: Session, staff: Staff
) -> None:
    audit.record(
        session,
        actor=SYSTEM,
        action="test.note",
        object_type="note",
        object_id="n-1",
        details={"说明": "<script>alert(1)</script>"},
    )
    session.commit()
    sign_in(app_client, "a_editor")
    assert app_client.get("/console/audit", headers=HTML).status_code == 403  # a denial, audited

    app_client.cookies.clear()
    sign_in(app_client, "root")
    page = app_client.get("/console/audit", params={"action": "test.note"}, headers=HTML).text
    assert "共 1 条记录" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "n-1" in page

    page = app_client.get(
        "/console/audit", params={"actor": "a_editor", "outcome": "denied"}, headers=HTML
    ).text
    assert "共 1 条记录" in page
    assert "audit.read" in page
    assert "<td>被拒绝</td>" in page  # the outcome in the page's language
    assert "&#34;/console/audit&#34;" in page  # the refused request's path, in its details
    page = app_client.get("/console/audit", params={"actor": "b_member"}, headers=HTML).text
    assert "没有符合条件的记录" in page

    by_object = {"object_type": "note", "object_id": "n-1"}
    page = app_client.get("/console/audit", params=by_object, headers=HTML).text
    assert "共 1 条记录" in page
    assert 'value="n-1"' in page  # the filter is kept in the form
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    days = {"from": today.isoformat(), "to": today.isoformat()}
    page = app_client.get("/console/audit", params={**by_object, **days}, headers=HTML).text
    assert "共 1 条记录" in page
    assert f'value="{today.isoformat()}"' in page
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    page = app_client.get(
        "/console/audit", params={**by_object, "from": tomorrow}, headers=HTML
    ).text
    assert "没有符合条件的记录" in page
    listed = app_client.get(
        "/api/v1/audit",
        params={**by_object, "since": f"{today.isoformat()}T00:00:00+08:00"},
        headers=HTML | {"Accept": "application/json"},
    ).json()
    assert [e["object_id"] for e in listed["items"]] == ["n-1"]


def _drop_guard(session: Session, dialect: str) -> None:
    """What an intruder with database access does first: remove the append-only triggers."""
    if dialect == "postgresql":
        session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
    else:
        session.execute(text("DROP TRIGGER audit_entries_no_update"))


def test_verify_reports_an_intact_chain_then_where_it_breaks(
    app_client: TestClient, session: Session, staff: Staff, dialect: str
) -> None:
    sign_in(app_client, "root")
    page = app_client.get("/console/audit", headers=HTML).text
    assert "校验哈希链" in page
    forged = app_client.post("/console/audit/verify", headers=HTML)
    assert forged.status_code == 403

    entries = session.scalar(select(func.count()).select_from(AuditEntry))
    verified = app_client.post("/console/audit/verify", data={"csrf": csrf_of(page)}, headers=HTML)
    assert verified.status_code == 200
    assert f"哈希链完整：已校验第 1 至 {entries} 条记录。" in verified.text

    target = session.scalar(
        select(func.min(AuditEntry.seq)).where(AuditEntry.action == "user.create")
    )
    _drop_guard(session, dialect)
    session.execute(
        text("UPDATE audit_entries SET actor_name = 'intruder' WHERE seq = :seq"), {"seq": target}
    )
    session.commit()
    broken = app_client.post("/console/audit/verify", data={"csrf": csrf_of(page)}, headers=HTML)
    assert f"哈希链在第 {target} 条记录处断开（被篡改）" in broken.text
    assert 'role="alert"' in broken.text

    english = app_client.post(
        "/console/audit/verify?lang=en", data={"csrf": csrf_of(page)}, headers=HTML
    )
    assert f"The hash chain breaks at entry {target} (altered)" in english.text

    app_client.cookies.clear()
    sign_in(app_client, "a_admin")
    page = app_client.get("/console/users", headers=HTML).text
    refused = app_client.post("/console/audit/verify", data={"csrf": csrf_of(page)}, headers=HTML)
    assert refused.status_code == 403


def test_the_admin_pages_speak_english_when_asked(app_client: TestClient, staff: Staff) -> None:
    sign_in(app_client, "root")
    page = app_client.get("/console/users", params={"lang": "en"}, headers=HTML).text
    assert "Users and tokens" in page
    assert "System administrator" in page
    page = app_client.get(f"/console/users/{staff.a_editor}", headers=HTML).text
    assert "Tokens are created by their owner" in page
    page = app_client.get("/console/audit", headers=HTML).text
    assert "Verify the hash chain" in page
    assert "newest first" in page
