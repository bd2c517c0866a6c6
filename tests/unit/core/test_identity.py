"""Departments, users and tokens through the identity service."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.factories.core import PASSWORD, actor, make_department, make_token, make_user
from yiwang.core import identity
from yiwang.core.audit import AuditEntry
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, InvalidInput, PermissionDenied, Unauthenticated
from yiwang.core.identity import ApiToken, Department, User
from yiwang.core.policy import SYSTEM, Role


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_create_department_with_a_current_division(session: Session) -> None:
    department = identity.create_department(
        session,
        actor=SYSTEM,
        name_zh="湖州市生态环境局",
        name_en="Huzhou Ecology and Environment Bureau",
        division_code="330500",
    )
    assert department.id is not None
    assert identity.find_department(session, "330500").id == department.id
    assert identity.find_department(session, "湖州市生态环境局").id == department.id
    assert identity.find_department(session, str(department.id)).id == department.id


@pytest.mark.parametrize("code", ["339999", "3305", "abcdef", "110000x"])
def test_an_invalid_division_stores_nothing(session: Session, code: str) -> None:
    before = _count(session, Department)
    with pytest.raises(InvalidInput) as caught:
        identity.create_department(session, actor=SYSTEM, name_zh="某某局", division_code=code)
    assert caught.value.code == "codes.division_invalid"
    assert _count(session, Department) == before


def test_a_duplicate_department_is_a_conflict(session: Session) -> None:
    make_department(session, name_zh="舟山市港航局", division_code="330900")
    with pytest.raises(Conflict) as caught:
        make_department(session, name_zh="舟山市港航局", division_code="330900")
    assert "舟山市港航局" in caught.value.message("zh-CN")


def test_a_department_cannot_be_its_own_ancestor(session: Session) -> None:
    upper = make_department(session)
    lower = make_department(session, parent_id=upper.id)
    with pytest.raises(InvalidInput):
        identity.update_department(
            session, actor=SYSTEM, department_id=upper.id, changes={"parent_id": lower.id}
        )


def test_passwords_are_stored_as_argon2_hashes(session: Session) -> None:
    user = make_user(session, password="a long enough password")
    stored = session.execute(
        text("SELECT password_hash FROM users WHERE id = :i"), {"i": user.id}
    ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert "a long enough password" not in stored
    assert (
        identity.authenticate_password(
            session, username=user.username, password="a long enough password"
        ).id
        == user.id
    )


def test_the_production_hasher_is_argon2id_at_its_full_cost() -> None:
    from tests.conftest import REAL_HASHER  # noqa: PLC0415

    stored = REAL_HASHER.hash("a long enough password")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert REAL_HASHER.verify(stored, "a long enough password")


def test_wrong_password_and_unknown_user_look_the_same(session: Session) -> None:
    user = make_user(session)
    with pytest.raises(Unauthenticated) as wrong:
        identity.authenticate_password(session, username=user.username, password="nope-nope-nope")
    with pytest.raises(Unauthenticated) as unknown:
        identity.authenticate_password(session, username="nobody-here", password=PASSWORD)
    assert wrong.value.code == unknown.value.code == "auth.bad_credentials"


def test_duplicate_usernames_are_refused_whatever_the_case(session: Session) -> None:
    make_user(session, username="Zhang.San")
    before = _count(session, User)
    with pytest.raises(Conflict):
        make_user(session, username="zhang.san")
    assert _count(session, User) == before


def test_a_short_password_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_user(session, password="short")
    assert caught.value.code == "identity.weak_password"


def test_members_need_a_department(session: Session) -> None:
    with pytest.raises(InvalidInput):
        identity.create_user(session, actor=SYSTEM, username="lonely", role=Role.EDITOR)


def test_department_admin_creates_only_in_own_department(session: Session) -> None:
    own, other = make_department(session), make_department(session)
    admin = make_user(session, role=Role.DEPARTMENT_ADMIN, department=own)
    created = identity.create_user(
        session,
        actor=actor(admin),
        username="new-editor",
        role=Role.EDITOR,
        department_id=own.id,
        password=PASSWORD,
    )
    assert created.department_id == own.id
    with pytest.raises(PermissionDenied):
        identity.create_user(
            session,
            actor=actor(admin),
            username="elsewhere",
            role=Role.EDITOR,
            department_id=other.id,
            password=PASSWORD,
        )
    with pytest.raises(PermissionDenied):
        identity.create_user(
            session,
            actor=actor(admin),
            username="peer",
            role=Role.DEPARTMENT_ADMIN,
            department_id=own.id,
            password=PASSWORD,
        )


def test_tokens_are_stored_only_as_digests(session: Session) -> None:
    user = make_user(session)
    raw = make_token(session, user)
    assert raw.startswith("yw_")
    assert len(raw) > 40
    rows = session.execute(
        text("SELECT prefix, token_digest FROM api_tokens WHERE user_id = :u"), {"u": user.id}
    ).all()
    assert len(rows) == 1
    prefix, digest = rows[0]
    assert raw not in digest
    assert raw.startswith(prefix)
    assert len(prefix) < 12
    assert identity.authenticate_token(session, raw).user_id == user.id


def test_expired_revoked_and_unknown_tokens_say_so(session: Session) -> None:
    user = make_user(session)
    raw = make_token(session, user)
    token = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    with pytest.raises(Unauthenticated) as unknown:
        identity.authenticate_token(session, "yw_" + "x" * 43)
    assert unknown.value.code == "auth.invalid_token"
    token.expires_at = utcnow() - dt.timedelta(seconds=1)
    with pytest.raises(Unauthenticated) as expired:
        identity.authenticate_token(session, raw)
    assert expired.value.code == "auth.expired_token"
    token.expires_at = None
    identity.revoke_token(session, actor=actor(user), token_id=token.id)
    with pytest.raises(Unauthenticated) as revoked:
        identity.authenticate_token(session, raw)
    assert revoked.value.code == "auth.revoked_token"


def test_tokens_of_a_deactivated_user_stop_working(session: Session) -> None:
    department = make_department(session)
    user = make_user(session, role=Role.EDITOR, department=department)
    raw = make_token(session, user)
    identity.set_user_active(session, actor=SYSTEM, user_id=user.id, active=False)
    with pytest.raises(Unauthenticated) as caught:
        identity.authenticate_token(session, raw)
    assert caught.value.code == "auth.inactive_user"


def test_only_the_owner_or_a_sysadmin_revokes(session: Session) -> None:
    owner, stranger = make_user(session), make_user(session)
    make_token(session, owner)
    token = session.scalars(select(ApiToken).where(ApiToken.user_id == owner.id)).one()
    with pytest.raises(PermissionDenied):
        identity.revoke_token(session, actor=actor(stranger), token_id=token.id)
    assert token.revoked_at is None


def test_web_sessions_are_stored_as_digests_and_end(session: Session) -> None:
    user = make_user(session)
    raw = identity.start_web_session(session, user=user, hours=1)
    assert identity.session_actor(session, raw).user_id == user.id  # type: ignore[union-attr]
    stored = session.execute(
        text("SELECT session_digest FROM web_sessions WHERE user_id = :u"), {"u": user.id}
    ).scalar_one()
    assert stored != raw
    identity.end_web_session(session, raw)
    assert identity.session_actor(session, raw) is None


def test_listing_users_is_audited(session: Session) -> None:
    department = make_department(session)
    admin = make_user(session, role=Role.DEPARTMENT_ADMIN, department=department)
    make_user(session, role=Role.MEMBER, department=department)
    rows, total = identity.list_users(session, actor=actor(admin), department_id=department.id)
    assert total == 2
    assert {u.department_id for u in rows} == {department.id}
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    assert (entry.action, entry.actor_id, entry.details["count"]) == ("user.list", admin.id, 2)
    with pytest.raises(PermissionDenied):
        identity.list_users(session, actor=actor(admin), department_id=None)
