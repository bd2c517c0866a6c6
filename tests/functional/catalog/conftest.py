"""A small government: a data office, an environment department that provides data, a
transport department that uses it, and their staff."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from tests.factories.core import actor, make_department, make_token, make_user
from yiwang.core.identity import Department
from yiwang.core.policy import Actor, Role


@dataclass
class Government:
    env: Department
    transport: Department
    env_editor: Actor
    env_admin: Actor
    env_member: Actor
    transport_member: Actor
    transport_admin: Actor
    sysadmin: Actor
    tokens: dict[str, str]


@pytest.fixture
def gov(session: Session) -> Government:
    env = make_department(session, name_zh="浙江省生态环境厅", division_code="330000", slug="zjenv")
    transport = make_department(
        session, name_zh="浙江省交通运输厅", division_code="330000", slug="zjtransport"
    )
    users = {
        "env_editor": make_user(session, role=Role.EDITOR, department=env, username="env_editor"),
        "env_admin": make_user(
            session, role=Role.DEPARTMENT_ADMIN, department=env, username="env_admin"
        ),
        "env_member": make_user(session, role=Role.MEMBER, department=env, username="env_member"),
        "transport_member": make_user(
            session, role=Role.MEMBER, department=transport, username="tr_member"
        ),
        "transport_admin": make_user(
            session, role=Role.DEPARTMENT_ADMIN, department=transport, username="tr_admin"
        ),
        "sysadmin": make_user(session, role=Role.SYSADMIN, username="root"),
    }
    tokens = {key: make_token(session, user) for key, user in users.items()}
    session.commit()
    return Government(
        env=env,
        transport=transport,
        tokens=tokens,
        **{key: actor(user) for key, user in users.items()},
    )
