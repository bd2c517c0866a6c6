"""Departments, users, API tokens and web sessions."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from yiwang.core import audit, cache
from yiwang.core.codes import division_name, normalize_division
from yiwang.core.db import side_transaction, utcnow
from yiwang.core.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from yiwang.core.identity.models import ApiToken, Department, User, WebSession
from yiwang.core.identity.schemas import DepartmentPublic
from yiwang.core.policy import (
    Actor,
    Role,
    can_create_department,
    can_create_token_for,
    can_create_user,
    can_list_users,
    can_manage_tokens,
    can_update_department,
    can_update_user,
    can_view_departments,
    can_view_user,
    require,
)
from yiwang.core.security import (
    hash_password,
    new_api_token,
    new_session_id,
    password_needs_rehash,
    token_digest,
    verify_password,
)

MIN_PASSWORD_LENGTH = 10
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_\-]{1,63}$")
IDENTITY = "identity"  # cache namespace: what tokens and web sessions grant
DEPARTMENTS = "departments"  # cache namespace: public pages of the department list
_TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=5)


def actor_for(user: User, *, via: str) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        department_id=user.department_id,
        via=via,
    )


# --- departments -------------------------------------------------------------------------------


def list_departments(
    session: Session,
    *,
    actor: Actor,
    division_code: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Department], int]:
    """Return departments ordered by division code and name, and how many match."""
    require(can_view_departments(actor), "department.list")
    query = select(Department)
    if division_code:
        query = query.where(Department.division_code == division_code)
    if q:
        pattern = f"%{q}%"
        query = query.where(or_(Department.name_zh.like(pattern), Department.name_en.like(pattern)))
    rows = session.scalars(
        query.order_by(Department.division_code, Department.id).limit(limit).offset(offset)
    ).all()
    if offset == 0 and len(rows) < limit:
        return list(rows), len(rows)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(rows), int(total)


def public_department(department: Department) -> dict[str, object]:
    public = DepartmentPublic.model_validate(department)
    public.division_name = division_name(department.division_code)
    return public.model_dump(mode="json")


@dataclass
class DepartmentPage:
    """A page of the public department list, as plain values."""

    items: list[dict[str, object]]
    total: int

    @cached_property
    def items_json(self) -> bytes:
        """The items encoded as a JSON array once, for pages served many times."""
        return json.dumps(self.items, ensure_ascii=False, separators=(",", ":")).encode()


def cached_department_page(
    session: Session, *, division_code: str | None, q: str | None, limit: int, offset: int
) -> DepartmentPage | None:
    """Return a page of the public department list from this process's cache, or None."""
    store = cache.of(session)
    if store is None:
        return None
    page = store.get(session, DEPARTMENTS, (division_code, q, limit, offset))
    return None if page is cache.MISSING else page


def department_page(
    session: Session,
    *,
    actor: Actor,
    division_code: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> DepartmentPage:
    """Return a page of the public department list, and cache it for this process."""
    store = cache.of(session)
    generation = store.begin_load(session, DEPARTMENTS) if store else 0
    rows, total = list_departments(
        session, actor=actor, division_code=division_code, q=q, limit=limit, offset=offset
    )
    page = DepartmentPage([public_department(d) for d in rows], total)
    if store is not None:
        store.put(DEPARTMENTS, (division_code, q, limit, offset), page, generation=generation)
    return page


def get_department(session: Session, department_id: int) -> Department:
    department = session.get(Department, department_id)
    if department is None:
        raise NotFound("department", department_id)
    return department


def departments_by(
    session: Session, *, ids: Iterable[int] | None = None, slugs: Iterable[str] | None = None
) -> list[Department]:
    """Departments by id or by slug (all of them when neither is given), ordered by slug.
    Department names are public: no permission is asked."""
    query = select(Department)
    if ids is not None:
        query = query.where(Department.id.in_(set(ids)))
    if slugs is not None:
        query = query.where(Department.slug.in_(set(slugs)))
    return list(session.scalars(query.order_by(Department.slug)))


def find_department(session: Session, ref: str) -> Department:
    """Return the department named by id, by division code (the data office first, then the
    earliest registered), by slug or by Chinese name."""
    ref = ref.strip()
    department = None
    if ref.isdigit() and len(ref) != 6:
        department = session.get(Department, int(ref))
    elif ref.isdigit():
        department = session.scalars(
            select(Department)
            .where(Department.division_code == ref)
            .order_by(Department.is_data_office.desc(), Department.id)
            .limit(1)
        ).first()
    else:
        department = session.scalars(
            select(Department).where(or_(Department.slug == ref, Department.name_zh == ref))
        ).first()
    if department is None:
        raise InvalidInput("identity.unknown_department", department=ref)
    return department


def _check_parent(session: Session, department_id: int | None, parent_id: int | None) -> None:
    seen: set[int] = set()
    current = parent_id
    while current is not None:
        if current == department_id or current in seen:
            raise InvalidInput("identity.parent_cycle")
        seen.add(current)
        current = get_department(session, current).parent_id


def create_department(
    session: Session,
    *,
    actor: Actor,
    name_zh: str,
    division_code: str,
    name_en: str | None = None,
    short_name: str | None = None,
    parent_id: int | None = None,
    is_data_office: bool = False,
    slug: str | None = None,
) -> Department:
    """Register a department. Without a ``slug``, one is made from the division code."""
    require(can_create_department(actor), "department.create", object_type="department")
    division_code = normalize_division(division_code)
    if slug is None:
        taken = session.scalar(
            select(func.count())
            .select_from(Department)
            .where(Department.division_code == division_code)
        )
        slug = f"{division_code}-{(taken or 0) + 1}"
    if not _SLUG.match(slug):
        raise InvalidInput("identity.bad_slug", slug=slug)
    if session.scalar(select(Department.id).where(Department.slug == slug)) is not None:
        raise Conflict("identity.duplicate_slug", slug=slug)
    duplicate = session.scalar(
        select(Department.id).where(
            Department.name_zh == name_zh, Department.division_code == division_code
        )
    )
    if duplicate is not None:
        raise Conflict("identity.duplicate_department", name=name_zh, division_code=division_code)
    _check_parent(session, None, parent_id)
    department = Department(
        slug=slug,
        name_zh=name_zh,
        name_en=name_en,
        short_name=short_name,
        division_code=division_code,
        parent_id=parent_id,
        is_data_office=is_data_office,
    )
    session.add(department)
    session.flush()
    cache.bump(session, DEPARTMENTS)
    audit.record(
        session,
        actor=actor,
        action="department.create",
        object_type="department",
        object_id=department.id,
        details={"name_zh": name_zh, "division_code": division_code},
    )
    return department


def update_department(
    session: Session, *, actor: Actor, department_id: int, changes: dict[str, object]
) -> Department:
    department = get_department(session, department_id)
    require(
        can_update_department(actor, department_id=department.id),
        "department.update",
        object_type="department",
        object_id=department.id,
    )
    if "name_zh" in changes and not changes["name_zh"]:
        raise InvalidInput("field_missing", field="name_zh")  # a department always has a name
    if "parent_id" in changes:
        _check_parent(session, department.id, changes["parent_id"])  # type: ignore[arg-type]
    for field in ("name_zh", "name_en", "short_name", "parent_id"):
        if field in changes:
            setattr(department, field, changes[field])
    session.flush()
    cache.bump(session, DEPARTMENTS)
    audit.record(
        session,
        actor=actor,
        action="department.update",
        object_type="department",
        object_id=department.id,
        details={k: changes[k] for k in sorted(changes)},
    )
    return department


# --- users -------------------------------------------------------------------------------------


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput("identity.unknown_role", role=value) from None


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("identity.weak_password", min=MIN_PASSWORD_LENGTH)


def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    role: Role,
    department_id: int | None = None,
    display_name: str | None = None,
    password: str | None = None,
) -> User:
    """Create a user. Everyone but a sysadmin belongs to a department."""
    require(
        can_create_user(actor, role=role, department_id=department_id),
        "user.create",
        object_type="user",
    )
    if role is not Role.SYSADMIN and department_id is None:
        raise InvalidInput("identity.department_required")
    if department_id is not None:
        get_department(session, department_id)
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise Conflict("identity.duplicate_username", username=username)
    if password is not None:
        check_password_strength(password)
    user = User(
        username=username,
        display_name=display_name or username,
        role=role.value,
        department_id=department_id,
        password_hash=hash_password(password) if password else None,
        is_active=True,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        details={"username": username, "role": role.value, "department_id": department_id},
    )
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


def get_user_by_username(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound("user", username)
    return user


def view_user(session: Session, *, actor: Actor, user_id: int) -> User:
    user = get_user(session, user_id)
    require(
        can_view_user(actor, user_id=user.id, department_id=user.department_id),
        "user.read",
        object_type="user",
        object_id=user.id,
    )
    if actor.user_id != user.id:
        audit.record(
            session, actor=actor, action="user.read", object_type="user", object_id=user.id
        )
    return user


def list_users(
    session: Session,
    *,
    actor: Actor,
    department_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[User], int]:
    """Return the users of a department (or all users, for a sysadmin). Audited: user lists
    are personal data."""
    require(can_list_users(actor, department_id=department_id), "user.list", object_type="user")
    query = select(User)
    if department_id is not None:
        query = query.where(User.department_id == department_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(User.id).limit(limit).offset(offset)).all()
    audit.record(
        session,
        actor=actor,
        action="user.list",
        object_type="user",
        details={"department_id": department_id, "count": len(rows)},
    )
    return list(rows), int(total)


def set_user_active(session: Session, *, actor: Actor, user_id: int, active: bool) -> User:
    """Deactivate or reactivate a user; deactivation also ends their web sessions."""
    user = get_user(session, user_id)
    require(
        can_update_user(
            actor, user_id=user.id, role=Role(user.role), department_id=user.department_id
        ),
        "user.update",
        object_type="user",
        object_id=user.id,
    )
    user.is_active = active
    cache.bump(session, IDENTITY)
    if not active:
        for web_session in session.scalars(select(WebSession).where(WebSession.user_id == user.id)):
            session.delete(web_session)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        object_type="user",
        object_id=user.id,
    )
    return user


def set_password(session: Session, *, actor: Actor, user_id: int, password: str) -> None:
    user = get_user(session, user_id)
    if actor.user_id != user.id:
        require(
            can_update_user(
                actor, user_id=user.id, role=Role(user.role), department_id=user.department_id
            ),
            "user.password",
            object_type="user",
            object_id=user.id,
        )
    check_password_strength(password)
    user.password_hash = hash_password(password)
    session.flush()
    audit.record(
        session, actor=actor, action="user.password", object_type="user", object_id=user.id
    )


def authenticate_password(session: Session, *, username: str, password: str) -> User:
    """Return the active user with this username and password, or raise
    :class:`Unauthenticated`. Wrong username and wrong password look the same to the caller."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not verify_password(user.password_hash, password):
        raise Unauthenticated("auth.bad_credentials")
    if not user.is_active:
        raise Unauthenticated("auth.inactive_user")
    if user.password_hash and password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


# --- API tokens --------------------------------------------------------------------------------


def create_token(
    session: Session,
    *,
    actor: Actor,
    user_id: int,
    name: str = "api",
    expires_days: int | None = 90,
) -> tuple[ApiToken, str]:
    """Create a token for a user; return the stored row and the token, which is not kept."""
    user = get_user(session, user_id)
    require(can_create_token_for(actor, owner_id=user.id), "token.create", object_type="api_token")
    raw = new_api_token()
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=raw[:10],
        token_digest=token_digest(raw),
        expires_at=utcnow() + dt.timedelta(days=expires_days) if expires_days else None,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="token.create",
        object_type="api_token",
        object_id=token.id,
        details={"user_id": user.id, "name": name, "expires_days": expires_days},
    )
    return token, raw


def list_tokens(session: Session, *, actor: Actor, user_id: int) -> list[ApiToken]:
    require(can_manage_tokens(actor, owner_id=user_id), "token.list", object_type="api_token")
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, *, actor: Actor, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("api_token", token_id)
    require(
        can_manage_tokens(actor, owner_id=token.user_id),
        "token.revoke",
        object_type="api_token",
        object_id=token.id,
    )
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        cache.bump(session, IDENTITY)
        audit.record(
            session, actor=actor, action="token.revoke", object_type="api_token", object_id=token.id
        )
    return token


@dataclass(frozen=True, slots=True)
class _Grant:
    """What a token or a web session grants, as cached: its owner and its limits."""

    token_id: int | None
    actor: Actor
    user_active: bool
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None


def _check(grant: _Grant, now: dt.datetime) -> Actor:
    if grant.revoked_at is not None:
        raise Unauthenticated("auth.revoked_token")
    if grant.expires_at is not None and grant.expires_at <= now:
        raise Unauthenticated("auth.expired_token")
    if not grant.user_active:
        raise Unauthenticated("auth.inactive_user")
    return grant.actor


def _cached(session: Session, key: tuple[str, str]) -> _Grant | None:
    store = cache.of(session)
    if store is None:
        return None
    grant = store.get(session, IDENTITY, key)
    return grant if isinstance(grant, _Grant) else None


def cached_token_actor(session: Session, raw: str) -> Actor | None:
    """Return the actor of a token from this process's cache, or None when it must be
    looked up (not cached, or due for its last-used time to be recorded)."""
    grant = _cached(session, ("token", token_digest(raw.strip())))
    if grant is None:
        return None
    now = utcnow()
    if grant.last_used_at is None or now - grant.last_used_at > _TOKEN_TOUCH_INTERVAL:
        return None
    return _check(grant, now)


def authenticate_token(session: Session, raw: str) -> Actor:
    """Return the actor of a valid token, or raise :class:`Unauthenticated` saying whether it
    is unknown, expired or revoked (or its owner deactivated)."""
    digest = token_digest(raw.strip())
    store = cache.of(session)
    generation = store.begin_load(session, IDENTITY) if store else 0
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_digest == digest)
    ).first()
    if row is None:
        raise Unauthenticated("auth.invalid_token")
    token, user = row
    now = utcnow()
    grant = _Grant(
        token.id,
        actor_for(user, via="token"),
        user.is_active,
        token.expires_at,
        token.revoked_at,
        token.last_used_at,
    )
    actor = _check(grant, now)
    if token.last_used_at is None or now - token.last_used_at > _TOKEN_TOUCH_INTERVAL:
        _touch(session, token.id, now)
        grant = replace(grant, last_used_at=now)
    if store is not None:
        store.put(IDENTITY, ("token", digest), grant, generation=generation)
    return actor


def _touch(session: Session, token_id: int, now: dt.datetime) -> None:
    """Record when a token was last used, beside the request's own work."""
    with side_transaction(session) as writer:
        writer.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


# --- web sessions ------------------------------------------------------------------------------


def start_web_session(
    session: Session, *, user: User, hours: int, idle: dt.timedelta | None = None
) -> str:
    """Record a browser login and return the cookie value. It ends ``hours`` from now, or
    sooner when it goes unused for ``idle``."""
    raw = new_session_id()
    now = utcnow()
    session.add(
        WebSession(
            session_digest=token_digest(raw),
            user_id=user.id,
            expires_at=now + dt.timedelta(hours=hours),
            idle_expires_at=now + idle if idle else None,
        )
    )
    user.last_login_at = now
    session.flush()
    audit.record(
        session,
        actor=actor_for(user, via="session"),
        action="user.login",
        object_type="user",
        object_id=user.id,
    )
    return raw


def cached_session_actor(
    session: Session, raw: str, *, idle: dt.timedelta | None = None
) -> Actor | None:
    """Return the actor of a live web session from this process's cache, or None when it must
    be looked up (also when half its idle time has passed: the look-up moves it on)."""
    grant = _cached(session, ("session", token_digest(raw)))
    if grant is None or grant.expires_at is None:
        return None
    margin = idle / 2 if idle else dt.timedelta(0)
    if grant.expires_at - margin <= utcnow():
        return None
    return grant.actor if grant.user_active else None


def session_actor(session: Session, raw: str, *, idle: dt.timedelta | None = None) -> Actor | None:
    """Return the actor of a live web session, or None: past its absolute end, or unused for
    ``idle``. A session used when half its idle time has passed is moved on by ``idle``."""
    digest = token_digest(raw)
    store = cache.of(session)
    generation = store.begin_load(session, IDENTITY) if store else 0
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.session_digest == digest)
    ).first()
    if row is None:
        return None
    web_session, user = row
    if web_session.second_factor_pending:
        return None  # grants nothing but the second step (yiwang.core.identity.second_factor)
    now = utcnow()
    idle_end = web_session.idle_expires_at
    if web_session.expires_at <= now or not user.is_active or (idle_end and idle_end <= now):
        return None
    if idle and idle_end and idle_end - now < idle / 2:
        idle_end = now + idle
        with side_transaction(session) as own:
            own.execute(
                update(WebSession)
                .where(WebSession.id == web_session.id)
                .values(idle_expires_at=idle_end)
            )
    ends = min(web_session.expires_at, idle_end) if idle_end else web_session.expires_at
    grant = _Grant(None, actor_for(user, via="session"), True, ends)
    if store is not None:
        store.put(IDENTITY, ("session", digest), grant, generation=generation)
    return grant.actor


def end_web_session(session: Session, raw: str) -> None:
    web_session = session.scalars(
        select(WebSession).where(WebSession.session_digest == token_digest(raw))
    ).first()
    if web_session is not None:
        user = web_session.user
        session.delete(web_session)
        cache.bump(session, IDENTITY)
        audit.record(
            session,
            actor=actor_for(user, via="session"),
            action="user.logout",
            object_type="user",
            object_id=user.id,
        )
