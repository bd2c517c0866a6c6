"""Fixtures of the cases engine's tests: departments with staff, and the HTTP helpers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from tests.factories.core import actor, make_department, make_token, make_user
from yiwang.core.identity import Department, User
from yiwang.core.policy import Actor, Role


@dataclass
class Staff:
    department: Department
    user: User
    actor: Actor
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _staff(session: Session, slug: str, division: str, role: Role = Role.EDITOR) -> Staff:
    department = make_department(session, slug=slug, division_code=division)
    user = make_user(session, role=role, department=department)
    staff = Staff(department, user, actor(user), make_token(session, user))
    session.commit()
    return staff


@pytest.fixture
def market(session: Session) -> Staff:
    """Staff of a city market regulation bureau (the responsible department)."""
    return _staff(session, "t-market", "330100")


@pytest.fixture
def fire(session: Session) -> Staff:
    """Staff of another department (a joint item's second reviewer, or a stranger)."""
    return _staff(session, "t-fire", "330100", Role.MEMBER)


@pytest.fixture
def office(session: Session) -> Staff:
    """Staff of the provincial data office."""
    department = make_department(
        session, slug="t-office", division_code="330000", is_data_office=True
    )
    user = make_user(session, role=Role.MEMBER, department=department)
    staff = Staff(department, user, actor(user), make_token(session, user))
    session.commit()
    return staff
