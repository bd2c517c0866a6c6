"""Factories for core objects. Each goes through the public service (so it is audited like
real use) and flushes, so a test can use the object at once."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from yiwang.core import identity
from yiwang.core.identity import Department, User
from yiwang.core.policy import SYSTEM, Actor, Role

_counter = itertools.count(1)
PASSWORD = "correct horse battery"

_DIVISIONS = ("330000", "330100", "330200", "330300", "330400", "330500", "330600")


def make_department(
    session: Session,
    *,
    name_zh: str | None = None,
    division_code: str | None = None,
    **fields: object,
) -> Department:
    n = next(_counter)
    return identity.create_department(
        session,
        actor=SYSTEM,
        name_zh=name_zh or f"测试部门{n}",
        division_code=division_code or _DIVISIONS[n % len(_DIVISIONS)],
        **fields,  # type: ignore[arg-type]
    )


def make_user(
    session: Session,
    *,
    role: Role = Role.MEMBER,
    department: Department | None = None,
    username: str | None = None,
    password: str | None = PASSWORD,
) -> User:
    if department is None and role is not Role.SYSADMIN:
        department = make_department(session)
    return identity.create_user(
        session,
        actor=SYSTEM,
        username=username or f"user{next(_counter)}",
        role=role,
        department_id=department.id if department else None,
        password=password,
    )


def actor(user: User) -> Actor:
    return identity.actor_for(user, via="token")


def make_token(session: Session, user: User, *, expires_days: int | None = 30) -> str:
    _, raw = identity.create_token(
        session, actor=actor(user), user_id=user.id, expires_days=expires_days
    )
    return raw
