"""The authorization policy as one matrix: who may do what, role by role."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from yiwang.core import policy
from yiwang.core.errors import PermissionDenied
from yiwang.core.policy import ANONYMOUS, Actor, Role

OWN_DEPT, OTHER_DEPT = 10, 20
ME = 1

ACTORS = {
    "sysadmin": Actor(user_id=ME, username="root", role=Role.SYSADMIN, via="session"),
    "department_admin": Actor(
        user_id=ME, username="da", role=Role.DEPARTMENT_ADMIN, department_id=OWN_DEPT, via="session"
    ),
    "editor": Actor(
        user_id=ME, username="ed", role=Role.EDITOR, department_id=OWN_DEPT, via="session"
    ),
    "member": Actor(
        user_id=ME, username="me", role=Role.MEMBER, department_id=OWN_DEPT, via="session"
    ),
    "anonymous": ANONYMOUS,
}
ROLES = list(ACTORS)

Check = Callable[[Actor], bool]

# action -> (check, the roles allowed)
MATRIX: dict[str, tuple[Check, set[str]]] = {
    "view departments": (policy.can_view_departments, set(ROLES)),
    "create a department": (policy.can_create_department, {"sysadmin"}),
    "update own department": (
        lambda a: policy.can_update_department(a, department_id=OWN_DEPT),
        {"sysadmin", "department_admin"},
    ),
    "update another department": (
        lambda a: policy.can_update_department(a, department_id=OTHER_DEPT),
        {"sysadmin"},
    ),
    "create an editor in own department": (
        lambda a: policy.can_create_user(a, role=Role.EDITOR, department_id=OWN_DEPT),
        {"sysadmin", "department_admin"},
    ),
    "create an editor elsewhere": (
        lambda a: policy.can_create_user(a, role=Role.EDITOR, department_id=OTHER_DEPT),
        {"sysadmin"},
    ),
    "create a department admin": (
        lambda a: policy.can_create_user(a, role=Role.DEPARTMENT_ADMIN, department_id=OWN_DEPT),
        {"sysadmin"},
    ),
    "create a sysadmin": (
        lambda a: policy.can_create_user(a, role=Role.SYSADMIN, department_id=None),
        {"sysadmin"},
    ),
    "list own department's users": (
        lambda a: policy.can_list_users(a, department_id=OWN_DEPT),
        {"sysadmin", "department_admin"},
    ),
    "list all users": (lambda a: policy.can_list_users(a, department_id=None), {"sysadmin"}),
    "view oneself": (
        lambda a: policy.can_view_user(a, user_id=ME, department_id=OWN_DEPT),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "view a colleague": (
        lambda a: policy.can_view_user(a, user_id=2, department_id=OWN_DEPT),
        {"sysadmin", "department_admin"},
    ),
    "view a stranger": (
        lambda a: policy.can_view_user(a, user_id=2, department_id=OTHER_DEPT),
        {"sysadmin"},
    ),
    "deactivate a colleague editor": (
        lambda a: policy.can_update_user(a, user_id=2, role=Role.EDITOR, department_id=OWN_DEPT),
        {"sysadmin", "department_admin"},
    ),
    "deactivate a colleague admin": (
        lambda a: policy.can_update_user(
            a, user_id=2, role=Role.DEPARTMENT_ADMIN, department_id=OWN_DEPT
        ),
        {"sysadmin"},
    ),
    "deactivate oneself": (
        lambda a: policy.can_update_user(a, user_id=ME, role=Role.EDITOR, department_id=OWN_DEPT),
        set(),
    ),
    "manage own tokens": (
        lambda a: policy.can_manage_tokens(a, owner_id=ME),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "manage another's tokens": (lambda a: policy.can_manage_tokens(a, owner_id=2), {"sysadmin"}),
    "create own token": (
        lambda a: policy.can_create_token_for(a, owner_id=ME),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "create a token for another over the web": (
        lambda a: policy.can_create_token_for(a, owner_id=2),
        set(),
    ),
    "manage own second factor": (
        lambda a: policy.can_manage_second_factor(a, owner_id=ME),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "manage another's second factor": (
        lambda a: policy.can_manage_second_factor(a, owner_id=2),
        set(),
    ),
    "reset another's second factor": (
        lambda a: policy.can_reset_second_factor(a, user_id=2),
        {"sysadmin"},
    ),
    "reset own second factor": (
        lambda a: policy.can_reset_second_factor(a, user_id=ME),
        set(),
    ),
    "dismiss a notice of own throttled sign-ins": (
        lambda a: policy.can_dismiss_sign_in_notice(a, owner_id=ME),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "dismiss another's notice": (
        lambda a: policy.can_dismiss_sign_in_notice(a, owner_id=2),
        set(),
    ),
    "read the audit log": (policy.can_view_audit, {"sysadmin"}),
    "verify the audit log": (policy.can_verify_audit, {"sysadmin"}),
    "view own job": (
        lambda a: policy.can_view_job(a, created_by_id=ME, department_id=OTHER_DEPT),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "view a job of own department": (
        lambda a: policy.can_view_job(a, created_by_id=2, department_id=OWN_DEPT),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "view another department's job": (
        lambda a: policy.can_view_job(a, created_by_id=2, department_id=OTHER_DEPT),
        {"sysadmin"},
    ),
    "see open sensing data": (
        lambda a: policy.can_see_sensing(a, department_id=OTHER_DEPT, is_open=True),
        set(ROLES),
    ),
    "see own department's closed sensing data": (
        lambda a: policy.can_see_sensing(a, department_id=OWN_DEPT, is_open=False),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "see another department's closed sensing data": (
        lambda a: policy.can_see_sensing(a, department_id=OTHER_DEPT, is_open=False),
        {"sysadmin"},
    ),
    "read own department's Things' personal data clear": (
        lambda a: policy.can_read_personal_sensing(a, department_id=OWN_DEPT),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "read another department's Things' personal data clear": (
        lambda a: policy.can_read_personal_sensing(a, department_id=OTHER_DEPT),
        {"sysadmin"},
    ),
    "read personal data of Things of no department clear": (
        lambda a: policy.can_read_personal_sensing(a, department_id=None),
        {"sysadmin"},
    ),
    "create sensing entities": (
        policy.can_create_sensing,
        {"sysadmin", "department_admin", "editor"},
    ),
    "edit own department's things and write observations": (
        lambda a: policy.can_edit_sensing(a, department_id=OWN_DEPT),
        {"sysadmin", "department_admin", "editor"},
    ),
    "edit another department's things": (
        lambda a: policy.can_edit_sensing(a, department_id=OTHER_DEPT),
        {"sysadmin"},
    ),
    "edit sensing entities of no department": (
        lambda a: policy.can_edit_sensing(a, department_id=None),
        {"sysadmin"},
    ),
    "manage own department's alert rules": (
        lambda a: policy.can_manage_rules(a, department_id=OWN_DEPT),
        {"sysadmin", "department_admin", "editor"},
    ),
    "acknowledge own department's alerts": (
        lambda a: policy.can_handle_alert(a, department_id=OWN_DEPT),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "acknowledge another department's alerts": (
        lambda a: policy.can_handle_alert(a, department_id=OTHER_DEPT),
        {"sysadmin"},
    ),
    "see own department's rejected input": (
        lambda a: policy.can_view_rejections(a, department_id=OWN_DEPT),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "see rejected input of no department": (
        lambda a: policy.can_view_rejections(a, department_id=None),
        {"sysadmin"},
    ),
    "keep own department's service items": (
        lambda a: policy.can_manage_service_items(a, department_id=OWN_DEPT),
        {"sysadmin", "department_admin", "editor"},
    ),
    "keep another department's service items": (
        lambda a: policy.can_manage_service_items(a, department_id=OTHER_DEPT),
        {"sysadmin"},
    ),
    "apply or complain": (policy.can_file_case, set(ROLES)),
    "handle own department's case": (
        lambda a: policy.can_handle_case(
            a, department_id=OWN_DEPT, step_department_ids=frozenset()
        ),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "handle a case with a review task of own department": (
        lambda a: policy.can_handle_case(
            a, department_id=OTHER_DEPT, step_department_ids=frozenset({OWN_DEPT})
        ),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "handle another department's case": (
        lambda a: policy.can_handle_case(
            a, department_id=OTHER_DEPT, step_department_ids=frozenset()
        ),
        {"sysadmin"},
    ),
    "view a case one applied for": (
        lambda a: policy.can_view_case(
            a, department_id=OTHER_DEPT, step_department_ids=frozenset(), is_applicant=True
        ),
        set(ROLES),
    ),
    "accept a case of own department": (
        lambda a: policy.can_transition_case(
            a,
            parties=frozenset({"responsible", "sysadmin"}),
            department_id=OWN_DEPT,
            step_department_ids=frozenset(),
            is_applicant=False,
        ),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "accept one's own application": (
        lambda a: policy.can_transition_case(
            a,
            parties=frozenset({"responsible", "sysadmin"}),
            department_id=OTHER_DEPT,
            step_department_ids=frozenset(),
            is_applicant=True,
        ),
        {"sysadmin"},
    ),
    "request a supplement as a reviewing department": (
        lambda a: policy.can_transition_case(
            a,
            parties=frozenset({"responsible", "step", "sysadmin"}),
            department_id=OTHER_DEPT,
            step_department_ids=frozenset({OWN_DEPT}),
            is_applicant=False,
        ),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "supplement one's own application": (
        lambda a: policy.can_transition_case(
            a,
            parties=frozenset({"applicant"}),
            department_id=OTHER_DEPT,
            step_department_ids=frozenset(),
            is_applicant=True,
        ),
        set(ROLES),
    ),
    "supplement someone else's application": (
        lambda a: policy.can_transition_case(
            a,
            parties=frozenset({"applicant"}),
            department_id=OWN_DEPT,
            step_department_ids=frozenset(),
            is_applicant=False,
        ),
        set(),
    ),
    "answer own department's review task": (
        lambda a: policy.can_review_task(a, department_id=OWN_DEPT),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "answer another department's review task": (
        lambda a: policy.can_review_task(a, department_id=OTHER_DEPT),
        {"sysadmin"},
    ),
    "rate a case one applied for": (
        lambda a: policy.can_rate_case(a, is_applicant=True),
        set(ROLES),
    ),
    "rate a case one handled": (lambda a: policy.can_rate_case(a, is_applicant=False), set()),
    "see own department's supervision": (
        lambda a: policy.can_view_supervision(
            a, department_id=OWN_DEPT, is_data_office_staff=False
        ),
        {"sysadmin", "department_admin", "editor", "member"},
    ),
    "see the province's supervision": (
        lambda a: policy.can_view_supervision(a, department_id=None, is_data_office_staff=False),
        {"sysadmin"},
    ),
    "publish case statistics": (policy.can_publish_case_statistics, {"sysadmin"}),
    "view the calendar": (policy.can_view_calendar, set(ROLES)),
    "manage the calendar": (policy.can_manage_calendar, {"sysadmin"}),
    "view the configuration": (policy.can_view_config, {"sysadmin"}),
}


@pytest.mark.parametrize("action", list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_matrix(action: str, role: str) -> None:
    check, allowed = MATRIX[action]
    assert check(ACTORS[role]) is (role in allowed), f"{role} / {action}"


def test_data_office_staff_see_every_departments_supervision() -> None:
    member = ACTORS["member"]
    assert policy.can_view_supervision(member, department_id=None, is_data_office_staff=True)
    assert policy.can_view_supervision(member, department_id=OTHER_DEPT, is_data_office_staff=True)


def test_operator_at_the_command_line_may_create_tokens_for_others() -> None:
    operator = Actor(username="cli:root", role=Role.SYSADMIN, via="cli")
    assert policy.can_create_token_for(operator, owner_id=2)


def test_a_second_factor_is_managed_in_a_browser_only() -> None:
    by_token = Actor(user_id=ME, username="root", role=Role.SYSADMIN, via="token")
    between_steps = Actor(user_id=ME, username="root", role=Role.SYSADMIN, via="password")
    assert not policy.can_manage_second_factor(by_token, owner_id=ME)
    assert policy.can_manage_second_factor(between_steps, owner_id=ME)
    operator = Actor(username="cli:root", role=Role.SYSADMIN, via="cli")
    assert policy.can_reset_second_factor(operator, user_id=ME)


def test_require_raises_with_the_action() -> None:
    with pytest.raises(PermissionDenied) as caught:
        policy.require(False, "department.create", object_type="department")
    assert caught.value.action == "department.create"
    assert caught.value.status_code == 403
    assert "department.create" in caught.value.message("zh-CN")
    policy.require(True, "anything")
