"""The one authorization policy. Every decision is a named function here that answers a
question about an :class:`Actor`; services call :func:`require` with the answer first thing.
Engines add their rules to this module too, taking plain values, so the whole policy reads in
one place and is tested as one matrix."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from yiwang.core.errors import PermissionDenied


class Role(StrEnum):
    """Roles of signed-in users. The public is the anonymous actor and has no role."""

    SYSADMIN = "sysadmin"
    DEPARTMENT_ADMIN = "department_admin"
    EDITOR = "editor"
    MEMBER = "member"


ROLE_LABELS = {
    Role.SYSADMIN: ("系统管理员", "System administrator"),
    Role.DEPARTMENT_ADMIN: ("部门管理员", "Department administrator"),
    Role.EDITOR: ("编辑", "Editor"),
    Role.MEMBER: ("成员", "Member"),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking: a signed-in user (by session, token or password) or the public."""

    user_id: int | None = None
    username: str | None = None
    role: Role | None = None
    department_id: int | None = None
    via: str = "anonymous"  # session, token, basic, cli, system or anonymous

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None and self.via == "anonymous"

    @property
    def is_sysadmin(self) -> bool:
        return self.role is Role.SYSADMIN

    def label(self) -> str:
        return self.username or ("system" if self.via in ("system", "cli") else "anonymous")


ANONYMOUS = Actor()
SYSTEM = Actor(username="system", role=Role.SYSADMIN, via="system")


def require(
    allowed: bool, action: str, *, object_type: str | None = None, object_id: Any = None
) -> None:
    """Raise :class:`PermissionDenied` unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(action, object_type=object_type, object_id=object_id)


def _admin_of(actor: Actor, department_id: int | None) -> bool:
    return (
        actor.role is Role.DEPARTMENT_ADMIN
        and department_id is not None
        and actor.department_id == department_id
    )


# --- departments -------------------------------------------------------------------------------


def can_view_departments(actor: Actor) -> bool:
    """The list of departments is public information."""
    return True


def can_create_department(actor: Actor) -> bool:
    return actor.is_sysadmin


def can_update_department(actor: Actor, *, department_id: int) -> bool:
    return actor.is_sysadmin or _admin_of(actor, department_id)


# --- users -------------------------------------------------------------------------------------


def can_create_user(actor: Actor, *, role: Role, department_id: int | None) -> bool:
    """Sysadmins create anyone; a department admin creates editors and members of their own
    department."""
    if actor.is_sysadmin:
        return True
    return _admin_of(actor, department_id) and role in (Role.EDITOR, Role.MEMBER)


def can_list_users(actor: Actor, *, department_id: int | None) -> bool:
    return actor.is_sysadmin or _admin_of(actor, department_id)


def can_view_user(actor: Actor, *, user_id: int, department_id: int | None) -> bool:
    return actor.user_id == user_id or actor.is_sysadmin or _admin_of(actor, department_id)


def can_update_user(actor: Actor, *, user_id: int, role: Role, department_id: int | None) -> bool:
    """Deactivate, reactivate or reset a user. Nobody changes themselves this way, and a
    department admin only manages the editors and members of their department."""
    if actor.user_id == user_id:
        return False
    if actor.is_sysadmin:
        return True
    return _admin_of(actor, department_id) and role in (Role.EDITOR, Role.MEMBER)


# --- API tokens --------------------------------------------------------------------------------


def can_manage_tokens(actor: Actor, *, owner_id: int) -> bool:
    """Users create, list and revoke their own tokens; a sysadmin may list and revoke anyone's."""
    return actor.user_id == owner_id or actor.is_sysadmin


def can_create_token_for(actor: Actor, *, owner_id: int) -> bool:
    """Tokens are created by their owner, or by an operator at the command line."""
    return actor.user_id == owner_id or (actor.is_sysadmin and actor.via in ("cli", "system"))


# --- audit, jobs, calendar, configuration ------------------------------------------------------


def can_view_audit(actor: Actor) -> bool:
    return actor.is_sysadmin


def can_verify_audit(actor: Actor) -> bool:
    return actor.is_sysadmin


def can_view_job(actor: Actor, *, created_by_id: int | None, department_id: int | None) -> bool:
    if actor.is_anonymous:
        return False
    if actor.is_sysadmin or (created_by_id is not None and actor.user_id == created_by_id):
        return True
    return department_id is not None and actor.department_id == department_id


def can_view_calendar(actor: Actor) -> bool:
    """Working days are public; citizens count deadlines with them."""
    return True


def can_manage_calendar(actor: Actor) -> bool:
    return actor.is_sysadmin


def can_view_config(actor: Actor) -> bool:
    return actor.is_sysadmin
