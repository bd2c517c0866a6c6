"""Console pages for administrators: users (create, deactivate, reactivate) and their API
tokens, and the audit log with the check of its hash chain.

What each administrator sees and may do is the policy's answer, through the identity and audit
services the JSON API and the command line use. Secrets (a generated password, a new token)
are shown once, on the page that answers their creation, and never again."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from yiwang.core import audit, identity, policy
from yiwang.core.db import CHINA, utcnow
from yiwang.core.errors import AppError, InvalidInput, PermissionDenied
from yiwang.core.identity import User
from yiwang.core.identity.schemas import TokenCreate, UserCreate
from yiwang.core.policy import Actor, Role
from yiwang.core.web.csrf import check_csrf
from yiwang.core.web.deps import SessionDep, SignedInActor, request_language
from yiwang.core.web.errors import validation_details
from yiwang.core.web.templating import render_page
from yiwang.portal.common import NO_STORE, departments_by_id, local_time

router = APIRouter()

_PAGE = 50
OUTCOMES = ("success", "denied", "failed")
_PROBLEMS = {
    "altered": ("被篡改", "altered"),
    "deleted": ("被删除", "deleted"),
    "inserted": ("被插入", "inserted"),
}


def seconds(value: dt.datetime | None) -> str:
    """A time in China Standard Time, to the second (the audit log's precision)."""
    return local_time(value, fmt="%Y-%m-%d %H:%M:%S")


class _FormInvalid(InvalidInput):
    """A form's fields that do not validate, said in the language of the request."""

    def __init__(self, text: str, details: list[dict[str, Any]]) -> None:
        super().__init__("validation_failed", details=details)
        self.text = text

    def message(self, language: str) -> str:  # noqa: ARG002  (already in the page's language)
        return self.text


def _invalid(exc: ValidationError, language: str) -> InvalidInput:
    details = validation_details([dict(e) for e in exc.errors()], language)
    separator = "；" if language.startswith("zh") else "; "
    return _FormInvalid(separator.join(d["message"] for d in details), details)


# --- users ---------------------------------------------------------------------------------------


def _creatable_roles(actor: Actor) -> list[Role]:
    """The roles the actor may give a new user (of their own department, unless a sysadmin)."""
    department_id = None if actor.is_sysadmin else actor.department_id
    return [r for r in Role if policy.can_create_user(actor, role=r, department_id=department_id)]


def _users_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    department: int | None,
    page: int,
    created: tuple[User, str | None] | None = None,
    error: AppError | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    chosen = department if actor.is_sysadmin else actor.department_id
    users, total = identity.list_users(
        session, actor=actor, department_id=chosen, limit=_PAGE, offset=(page - 1) * _PAGE
    )
    departments = departments_by_id(session, actor)
    base = {"department": chosen} if chosen and actor.is_sysadmin else {}
    return render_page(
        request,
        "console/admin/users.html",
        {
            "users": users,
            "total": total,
            "department": chosen,
            "departments": sorted(departments.values(), key=lambda d: d.division_code),
            "department_of": departments.get,
            "can_update": lambda u: policy.can_update_user(
                actor, user_id=u.id, role=Role(u.role), department_id=u.department_id
            ),
            "roles": _creatable_roles(actor),
            "created": created,
            "error": error,
            "values": values or {"role": Role.MEMBER.value, "department_id": chosen or ""},
            "page": page,
            "pages": max(1, (total + _PAGE - 1) // _PAGE),
            "page_link": lambda n: "/console/users?" + urlencode({**base, "page": n}),
            "when": seconds,
        },
        status_code=status_code,
        headers=NO_STORE if created and created[1] else None,
    )


@router.get("/console/users", response_class=HTMLResponse)
def users_list(
    request: Request,
    session: SessionDep,
    actor: SignedInActor,
    department: int | None = None,
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
) -> Response:
    """Every user for a sysadmin (or one department's); a department admin's own department."""
    return _users_page(request, session, actor, department=department, page=page)


@router.post("/console/users", response_class=HTMLResponse)
def users_create(
    request: Request,
    session: SessionDep,
    actor: SignedInActor,
    username: Annotated[str, Form(max_length=200)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    department_id: Annotated[str, Form(max_length=12)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Create a user; without a password given, one is made and shown this once."""
    check_csrf(request, csrf)
    language = request_language(request)
    values = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "department_id": department_id,
    }
    generated = None if password else secrets.token_urlsafe(12)
    try:
        try:
            data = UserCreate.model_validate(
                {
                    "username": username.strip(),
                    "display_name": display_name.strip() or None,
                    "role": identity.parse_role(role),
                    "department_id": int(department_id) if department_id.isdigit() else None,
                    "password": password or generated,
                }
            )
        except ValidationError as exc:
            raise _invalid(exc, language) from None
        user = identity.create_user(session, actor=actor, **data.model_dump())
    except PermissionDenied:
        raise
    except AppError as exc:
        return _users_page(
            request,
            session,
            actor,
            department=None,
            page=1,
            error=exc,
            values=values,
            status_code=exc.status_code,
        )
    return _users_page(
        request,
        session,
        actor,
        department=user.department_id,
        page=1,
        created=(user, generated),
        status_code=201,
    )


def _back(value: str, user_id: int) -> str:
    """Return to a console users page the form came from, else the user's own page."""
    if value.startswith("/console/users") and "//" not in value and "\\" not in value:
        return value
    return f"/console/users/{user_id}"


@router.post("/console/users/{user_id}/deactivate")
def users_deactivate(
    request: Request,
    user_id: int,
    session: SessionDep,
    actor: SignedInActor,
    back: Annotated[str, Form(max_length=300)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    identity.set_user_active(session, actor=actor, user_id=user_id, active=False)
    return RedirectResponse(_back(back, user_id), status_code=303)


@router.post("/console/users/{user_id}/activate")
def users_activate(
    request: Request,
    user_id: int,
    session: SessionDep,
    actor: SignedInActor,
    back: Annotated[str, Form(max_length=300)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    identity.set_user_active(session, actor=actor, user_id=user_id, active=True)
    return RedirectResponse(_back(back, user_id), status_code=303)


def _user_page(
    request: Request,
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    new_token: str | None = None,
    error: AppError | None = None,
    token_values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    user = identity.view_user(session, actor=actor, user_id=user_id)
    can_manage = policy.can_manage_tokens(actor, owner_id=user.id)
    return render_page(
        request,
        "console/admin/user.html",
        {
            "user": user,
            "department": (
                identity.get_department(session, user.department_id) if user.department_id else None
            ),
            "tokens": identity.list_tokens(session, actor=actor, user_id=user.id)
            if can_manage
            else None,
            "can_create_token": policy.can_create_token_for(actor, owner_id=user.id),
            "can_update": policy.can_update_user(
                actor, user_id=user.id, role=Role(user.role), department_id=user.department_id
            ),
            "new_token": new_token,
            "error": error,
            "token_values": token_values or {"name": "api", "expires_days": "90"},
            "now": utcnow(),
            "when": seconds,
        },
        status_code=status_code,
        headers=NO_STORE if new_token else None,
    )


@router.get("/console/users/{user_id}", response_class=HTMLResponse)
def users_one(
    request: Request, user_id: int, session: SessionDep, actor: SignedInActor
) -> Response:
    """A user, and their API tokens for those the policy lets manage them."""
    return _user_page(request, session, actor, user_id)


@router.post("/console/users/{user_id}/tokens", response_class=HTMLResponse)
def users_create_token(
    request: Request,
    user_id: int,
    session: SessionDep,
    actor: SignedInActor,
    name: Annotated[str, Form(max_length=200)] = "",
    expires_days: Annotated[str, Form(max_length=10)] = "90",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Create a token (where the policy allows: for oneself); it is shown this once."""
    check_csrf(request, csrf)
    try:
        try:
            data = TokenCreate.model_validate(
                {"name": name.strip(), "expires_days": expires_days.strip() or None}
            )
        except ValidationError as exc:
            raise _invalid(exc, request_language(request)) from None
        _, raw = identity.create_token(
            session, actor=actor, user_id=user_id, name=data.name, expires_days=data.expires_days
        )
    except PermissionDenied:
        raise
    except AppError as exc:
        return _user_page(
            request,
            session,
            actor,
            user_id,
            error=exc,
            token_values={"name": name, "expires_days": expires_days},
            status_code=exc.status_code,
        )
    return _user_page(request, session, actor, user_id, new_token=raw, status_code=201)


@router.post("/console/users/{user_id}/tokens/{token_id}/revoke")
def users_revoke_token(
    request: Request,
    user_id: int,
    token_id: int,
    session: SessionDep,
    actor: SignedInActor,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    identity.revoke_token(session, actor=actor, token_id=token_id)
    return RedirectResponse(f"/console/users/{user_id}#tokens", status_code=303)


# --- audit log -----------------------------------------------------------------------------------


def _verdict(result: audit.VerifyResult, language: str, *, recorded_as: int | None) -> str:
    """What the check found, and what it covered: the entries up to the check, not the entry
    that records the check itself (written after it, as ``recorded_as``)."""
    zh = language.startswith("zh")
    if recorded_as is None:
        own = ""
    elif zh:
        own = f"本次校验另记为第 {recorded_as} 条，不在校验范围内。"
    else:
        own = f" The check itself is recorded after them, as entry {recorded_as}."
    if result.ok:
        if zh:
            if result.checked == 0:
                return "哈希链完整：日志中尚无记录。" + own
            return f"哈希链完整：已校验第 1 至 {result.checked} 条记录。" + own
        if result.checked == 0:
            return "The hash chain is intact: the log had no entries." + own
        return f"The hash chain is intact: entries 1 to {result.checked} verified." + own
    problem_zh, problem_en = _PROBLEMS.get(
        result.problem or "", (result.problem or "", result.problem or "")
    )
    if zh:
        return (
            f"哈希链在第 {result.seq} 条记录处断开（{problem_zh}），"
            f"此前 {result.checked} 条记录校验无误。" + own
        )
    return (
        f"The hash chain breaks at entry {result.seq} ({problem_en}): {result.message}; "
        f"the {result.checked} entries before it verified." + own
    )


def _audit_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    filters: audit.AuditFilters,
    page: int,
    verified: audit.VerifyResult | None = None,
    verified_as: int | None = None,
) -> Response:
    language = request_language(request)
    entries, total = audit.list_entries(
        session, actor=actor, filters=filters, limit=_PAGE, offset=(page - 1) * _PAGE
    )
    shown = {
        "actor": filters.actor_name,
        "action": filters.action,
        "outcome": filters.outcome,
        "object_type": filters.object_type,
        "object_id": filters.object_id,
        "from": _day_of(filters.since),
        "to": _day_of(filters.until, last=True),
    }
    filters_shown = {k: v for k, v in shown.items() if v}
    actions = audit.labelled_actions(language)
    if filters.action and filters.action not in audit.ACTION_LABELS:
        actions.append((filters.action, filters.action))
    return render_page(
        request,
        "console/admin/audit.html",
        {
            "entries": entries,
            "total": total,
            "filters": filters_shown,
            "outcomes": OUTCOMES,
            "actions": actions,
            "action_label": lambda code: audit.action_label(code, language),
            "page": page,
            "pages": max(1, (total + _PAGE - 1) // _PAGE),
            "page_link": lambda n: "/console/audit?" + urlencode({**filters_shown, "page": n}),
            "details_text": lambda d: json.dumps(d, ensure_ascii=False, indent=1, sort_keys=True),
            "verified": verified,
            "verdict": _verdict(verified, language, recorded_as=verified_as) if verified else None,
            "when": seconds,
        },
    )


@router.get("/console/audit", response_class=HTMLResponse)
def audit_list(
    request: Request,
    session: SessionDep,
    actor: SignedInActor,
    actor_name: Annotated[str | None, Query(alias="actor", max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Annotated[str | None, Query(max_length=16)] = None,
    object_type: Annotated[str | None, Query(max_length=64)] = None,
    object_id: Annotated[str | None, Query(max_length=128)] = None,
    day_from: Annotated[dt.date | None, Query(alias="from")] = None,
    day_to: Annotated[dt.date | None, Query(alias="to")] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    """The audit log, newest first, by actor, action, outcome, object and days (China time,
    both days included); reading it is audited."""
    filters = audit.AuditFilters(
        actor_name=(actor_name or "").strip() or None,
        action=(action or "").strip() or None,
        outcome=outcome if outcome in OUTCOMES else None,
        object_type=(object_type or "").strip() or None,
        object_id=(object_id or "").strip() or None,
        since=_start_of(day_from),
        until=_start_of(day_to + dt.timedelta(days=1)) if day_to else None,
    )
    return _audit_page(request, session, actor, filters=filters, page=page)


def _start_of(day: dt.date | None) -> dt.datetime | None:
    """Midnight of ``day`` in China Standard Time."""
    return None if day is None else dt.datetime.combine(day, dt.time(), tzinfo=CHINA)


def _day_of(moment: dt.datetime | None, *, last: bool = False) -> str | None:
    """The day a filter bound stands for (the day before an exclusive upper bound)."""
    if moment is None:
        return None
    day = moment.astimezone(CHINA).date() - dt.timedelta(days=1 if last else 0)
    return day.isoformat()


@router.post("/console/audit/verify", response_class=HTMLResponse)
def audit_verify(
    request: Request,
    session: SessionDep,
    actor: SignedInActor,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Walk the hash chain, as ``yiwang audit verify`` does, and say whether it holds."""
    check_csrf(request, csrf)
    result = audit.verify(session, actor=actor)
    entry = audit.record(
        session,
        actor=actor,
        action="audit.verify",
        object_type="audit_log",
        outcome="success" if result.ok else "failed",
        details=result.as_dict(),
    )
    return _audit_page(
        request,
        session,
        actor,
        filters=audit.AuditFilters(),
        page=1,
        verified=result,
        verified_as=entry.seq,
    )
