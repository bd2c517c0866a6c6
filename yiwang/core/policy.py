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


# --- second factors ----------------------------------------------------------------------------


def can_manage_second_factor(actor: Actor, *, owner_id: int) -> bool:
    """A second factor is set up, replaced and turned off by its owner alone, in a browser: signed
    in (``session``) or between the password and the code (``password``); never with a token."""
    return actor.user_id == owner_id and actor.via in ("session", "password")


def can_reset_second_factor(actor: Actor, *, user_id: int) -> bool:
    """Turning off someone else's second factor (a lost phone) is for sysadmins and operators
    at the command line; nobody resets their own this way."""
    return actor.is_sysadmin and actor.user_id != user_id


def can_dismiss_sign_in_notice(actor: Actor, *, owner_id: int) -> bool:
    """A notice of throttled sign-ins is for the account's owner alone."""
    return actor.user_id == owner_id


# --- catalog -----------------------------------------------------------------------------------
# Share and open classes arrive as their plain values: "unconditional", "conditional", "none".


class DataAccess(StrEnum):
    """What an actor may read of a catalogue resource's data."""

    FULL = "full"  # the providing department (and sysadmins): everything, unmasked
    SHARED = "shared"  # another department, by sharing class or an approved request: unmasked
    OPEN = "open"  # the public, by open class: personal data masked
    NONE = "none"


def _staff_of(actor: Actor, department_id: int) -> bool:
    return actor.department_id == department_id and actor.role is not None


def can_edit_resource(actor: Actor, *, department_id: int) -> bool:
    """Editors and admins of the providing department catalogue and load its resources."""
    return actor.is_sysadmin or (
        actor.department_id == department_id and actor.role in (Role.DEPARTMENT_ADMIN, Role.EDITOR)
    )


def can_delete_resource(actor: Actor, *, department_id: int) -> bool:
    return actor.is_sysadmin or _admin_of(actor, department_id)


def can_restore_resource(actor: Actor) -> bool:
    return actor.is_sysadmin


def can_see_resource(
    actor: Actor, *, department_id: int, state: str, share_class: str, open_class: str
) -> bool:
    """Whether the catalogue entry itself (metadata) is visible. Keep in step with
    ``yiwang.catalog.service.visible_to``, which says the same in SQL."""
    if state == "deleted":
        return actor.is_sysadmin
    if actor.is_sysadmin or _staff_of(actor, department_id):
        return True
    if state != "active":
        return False
    if actor.department_id is not None and actor.role is not None:
        return True  # government staff see the whole shared catalogue
    return open_class in ("unconditional", "conditional")


def resource_data_access(
    actor: Actor, *, department_id: int, share_class: str, open_class: str, granted: bool
) -> DataAccess:
    """What ``actor`` may read of a resource's data; ``granted`` says whether the actor's
    department holds an approved, unexpired share request for it."""
    if actor.is_sysadmin or _staff_of(actor, department_id):
        return DataAccess.FULL
    if (
        actor.department_id is not None
        and actor.role is not None
        and (share_class == "unconditional" or (share_class == "conditional" and granted))
    ):
        return DataAccess.SHARED
    if open_class == "unconditional" or (open_class == "conditional" and not actor.is_anonymous):
        return DataAccess.OPEN
    return DataAccess.NONE


def can_request_share(actor: Actor, *, department_id: int, share_class: str) -> bool:
    """Staff of another department may ask for a conditionally shared resource."""
    return (
        actor.department_id is not None
        and actor.role is not None
        and actor.department_id != department_id
        and share_class == "conditional"
    )


def can_decide_share(actor: Actor, *, department_id: int) -> bool:
    """The providing department's admin (or a sysadmin) approves or rejects requests."""
    return actor.is_sysadmin or _admin_of(actor, department_id)


def can_view_share_request(
    actor: Actor, *, owner_department_id: int, requesting_department_id: int
) -> bool:
    return actor.is_sysadmin or actor.department_id in (
        owner_department_id,
        requesting_department_id,
    )


# --- sensing -------------------------------------------------------------------------------------


def can_see_sensing(actor: Actor, *, department_id: int | None, is_open: bool) -> bool:
    """Open sensing data (things, streams, observations, alerts) is readable by anyone; the rest
    by the owning department's staff and sysadmins."""
    if is_open or actor.is_sysadmin:
        return True
    return department_id is not None and _staff_of(actor, department_id)


def can_read_personal_sensing(actor: Actor, *, department_id: int | None) -> bool:
    """Personal data a domain pack declares in its Things' properties (a river chief's mobile)
    is read clear by the owning department's staff and sysadmins, as a catalogue resource's
    providing department reads its own (``DataAccess.FULL``); everyone else reads it masked."""
    if actor.is_sysadmin:
        return True
    return department_id is not None and _staff_of(actor, department_id)


def can_edit_sensing(actor: Actor, *, department_id: int | None) -> bool:
    """Editors and admins register and change their department's things, sensors and streams,
    and write their observations. Entities of no department are the sysadmins'."""
    if actor.is_sysadmin:
        return True
    return department_id is not None and can_edit_resource(actor, department_id=department_id)


def can_create_sensing(actor: Actor) -> bool:
    """Who may create sensing entities at all (they then belong to the actor's department)."""
    return actor.is_sysadmin or (
        actor.department_id is not None and actor.role in (Role.DEPARTMENT_ADMIN, Role.EDITOR)
    )


def can_manage_rules(actor: Actor, *, department_id: int | None) -> bool:
    """Alert rules and webhooks are set by the department's editors and admins."""
    return can_edit_sensing(actor, department_id=department_id)


def can_handle_alert(actor: Actor, *, department_id: int | None) -> bool:
    """Any staff member of the department on duty acknowledges and resolves its alerts."""
    if actor.is_sysadmin:
        return True
    return department_id is not None and _staff_of(actor, department_id)


def can_view_rejections(actor: Actor, *, department_id: int | None) -> bool:
    """Rejected input (what a device sent and why it was refused) is for operators."""
    if actor.is_sysadmin:
        return True
    return department_id is not None and _staff_of(actor, department_id)


# --- cases --------------------------------------------------------------------------------------
# Parties of a case arrive as plain values: the responsible department, the departments holding
# its review tasks, and whether the actor is its applicant (by query code or as the filer).


def can_manage_service_items(actor: Actor, *, department_id: int) -> bool:
    """Editors and admins of a department keep its power list and service items."""
    return can_edit_resource(actor, department_id=department_id)


def can_file_case(actor: Actor) -> bool:
    """Anyone may apply or complain; identity is given and checked with the application."""
    return True


def can_handle_case(
    actor: Actor, *, department_id: int, step_department_ids: frozenset[int]
) -> bool:
    """Staff of the responsible department, or of a department holding one of its review tasks,
    handle a case and see it whole (identity numbers unmasked)."""
    if actor.is_sysadmin:
        return True
    if actor.department_id is None or actor.role is None:
        return False
    return actor.department_id == department_id or actor.department_id in step_department_ids


def can_view_case(
    actor: Actor, *, department_id: int, step_department_ids: frozenset[int], is_applicant: bool
) -> bool:
    """The applicant and the staff who handle it see a case."""
    return is_applicant or can_handle_case(
        actor, department_id=department_id, step_department_ids=step_department_ids
    )


def can_transition_case(
    actor: Actor,
    *,
    parties: frozenset[str],
    department_id: int,
    step_department_ids: frozenset[int],
    is_applicant: bool,
) -> bool:
    """Whether the actor is one of the ``parties`` an action of the state machine allows:
    "applicant", "responsible" (staff of the responsible department), "step" (staff of a
    department holding a review task) or "sysadmin"."""
    if "applicant" in parties and is_applicant:
        return True
    if "sysadmin" in parties and actor.is_sysadmin:
        return True
    staff = actor.department_id is not None and actor.role is not None
    if "responsible" in parties and staff and actor.department_id == department_id:
        return True
    return "step" in parties and staff and actor.department_id in step_department_ids


def can_review_task(actor: Actor, *, department_id: int) -> bool:
    """A review task (会签) is answered by staff of the department it was given to."""
    if actor.is_sysadmin:
        return True
    return actor.role is not None and actor.department_id == department_id


def can_rate_case(actor: Actor, *, is_applicant: bool) -> bool:
    """好差评 is the applicant's alone, never the staff's."""
    return is_applicant


def can_view_supervision(
    actor: Actor, *, department_id: int | None, is_data_office_staff: bool
) -> bool:
    """A department's staff see its yellow and red cards; the province-wide view
    (``department_id`` None) and every department's are for sysadmins and data-office staff."""
    if actor.is_sysadmin or is_data_office_staff:
        return True
    return department_id is not None and _staff_of(actor, department_id)


def can_publish_case_statistics(actor: Actor) -> bool:
    return actor.is_sysadmin


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


# --- domain packs ------------------------------------------------------------------------------


def can_manage_packs(actor: Actor) -> bool:
    """Installing a pack adds content for many departments (datasets, items, rules): the
    system administrators' call."""
    return actor.is_sysadmin
