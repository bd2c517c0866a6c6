"""Core pages: the landing page, login and logout (:mod:`yiwang.core.web.login`), and the
account page: API tokens, two-step verification, notices of throttled sign-ins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yiwang.core import clock, identity
from yiwang.core.errors import AppError
from yiwang.core.identity import notices, second_factor
from yiwang.core.policy import Actor
from yiwang.core.web import login
from yiwang.core.web.csrf import check_csrf
from yiwang.core.web.deps import (
    SESSION_COOKIE,
    CurrentActor,
    SessionDep,
    SettingsDep,
    SignedInActor,
    request_language,
)
from yiwang.core.web.login import enrolment_view, guarded_code, safe_next
from yiwang.core.web.templating import render_page

T = TypeVar("T")

router = APIRouter(include_in_schema=False)
router.include_router(login.router)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, actor: CurrentActor) -> Response:
    departments, total = identity.list_departments(session, actor=actor, limit=100)
    return render_page(request, "core/home.html", {"departments": departments, "total": total})


def _local_time(moment: dt.datetime) -> str:
    return moment.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M")


def _account(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: SignedInActor,
    *,
    new_token: str | None = None,
    recovery_codes: list[str] | None = None,
    error: AppError | None = None,
    next: str | None = None,
    status_code: int = 200,
) -> Response:
    assert actor.user_id is not None  # noqa: S101
    user = identity.get_user(session, actor.user_id)
    tokens = identity.list_tokens(session, actor=actor, user_id=actor.user_id)
    options = second_factor.configured(settings)
    zh = request_language(request).startswith("zh")
    return render_page(
        request,
        "core/account.html",
        {
            "user": user,
            "tokens": tokens,
            "new_token": new_token,
            "second_factor": second_factor.status(session, user=user, options=options),
            "enrolment": enrolment_view(
                second_factor.enrolment(session, user=user, options=options), zh=zh
            ),
            "recovery_codes": recovery_codes,
            "notices": notices.unseen(session, user_id=user.id),
            "error": error,
            "next": safe_next(next) if next else None,
            "local_time": _local_time,
        },
        status_code=error.status_code if error else status_code,
        headers=error.headers if error else None,
    )


@router.get("/account", response_class=HTMLResponse)
def account(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: SignedInActor,
    next: str | None = None,
) -> Response:
    return _account(request, session, settings, actor, next=next)


@router.post("/account/tokens", response_class=HTMLResponse)
def account_create_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: SignedInActor,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    expires_days: Annotated[int, Form(ge=1, le=3650)] = 90,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    assert actor.user_id is not None  # noqa: S101
    _, raw = identity.create_token(
        session, actor=actor, user_id=actor.user_id, name=name, expires_days=expires_days
    )
    return _account(request, session, settings, actor, new_token=raw, status_code=201)


@router.post("/account/tokens/{token_id}/revoke")
def account_revoke_token(
    request: Request,
    token_id: int,
    session: SessionDep,
    actor: SignedInActor,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    identity.revoke_token(session, actor=actor, token_id=token_id)
    return RedirectResponse("/account", status_code=303)


# --- two-step verification ---------------------------------------------------------------------

_SECTION = "/account#second-factor"


def _owner(actor: Actor) -> int:
    assert actor.user_id is not None  # noqa: S101  (a signed-in actor)
    return actor.user_id


def _with_code(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: SignedInActor,
    csrf: str,
    change: Callable[[second_factor.Options], T],
) -> T | Response:
    """Make a change to the caller's two-step verification that a code vouches for: throttled
    like a sign-in; a refusal is shown on the account page."""
    check_csrf(request, csrf)
    options = second_factor.configured(settings)
    try:
        return guarded_code(request, session, actor.username or "-", lambda: change(options))
    except AppError as exc:
        return _account(request, session, settings, actor, error=exc)


@router.post("/account/second-factor/start", response_class=HTMLResponse)
def account_second_factor_start(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: SignedInActor,
    code: Annotated[str, Form(max_length=32)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Set up an authenticator app (or a new one in place of the one in use: with its code)."""
    done = _with_code(
        request,
        session,
        settings,
        actor,
        csrf,
        lambda options: second_factor.start_enrolment(
            session, actor=actor, user_id=_owner(actor), options=options, code=code
        ),
    )
    return done if isinstance(done, Response) else RedirectResponse(_SECTION, status_code=303)


@router.post("/account/second-factor/confirm", response_class=HTMLResponse)
def account_second_factor_confirm(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: SignedInActor,
    code: Annotated[str, Form(max_length=32)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    codes = _with_code(
        request,
        session,
        settings,
        actor,
        csrf,
        lambda options: second_factor.confirm_enrolment(
            session,
            actor=actor,
            user_id=_owner(actor),
            code=code,
            options=options,
            keep_session=request.cookies.get(SESSION_COOKIE),
        ),
    )
    if isinstance(codes, Response):
        return codes
    return _account(request, session, settings, actor, recovery_codes=codes)


@router.post("/account/second-factor/recovery-codes", response_class=HTMLResponse)
def account_recovery_codes(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: SignedInActor,
    code: Annotated[str, Form(max_length=32)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    codes = _with_code(
        request,
        session,
        settings,
        actor,
        csrf,
        lambda options: second_factor.regenerate_recovery_codes(
            session, actor=actor, user_id=_owner(actor), code=code, options=options
        ),
    )
    if isinstance(codes, Response):
        return codes
    return _account(request, session, settings, actor, recovery_codes=codes)


@router.post("/account/second-factor/disable", response_class=HTMLResponse)
def account_second_factor_disable(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: SignedInActor,
    code: Annotated[str, Form(max_length=32)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    done = _with_code(
        request,
        session,
        settings,
        actor,
        csrf,
        lambda options: second_factor.disable(
            session, actor=actor, user_id=_owner(actor), code=code, options=options
        ),
    )
    return done if isinstance(done, Response) else RedirectResponse(_SECTION, status_code=303)


@router.post("/account/second-factor/cancel")
def account_second_factor_cancel(
    request: Request, session: SessionDep, actor: SignedInActor, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Give up setting up an app (the one in use, if any, stays)."""
    check_csrf(request, csrf)
    second_factor.cancel_enrolment(session, actor=actor, user_id=_owner(actor))
    return RedirectResponse(_SECTION, status_code=303)


# --- notices -----------------------------------------------------------------------------------


@router.post("/account/notices/{notice_id}/seen")
def account_notice_seen(
    request: Request,
    notice_id: int,
    session: SessionDep,
    actor: SignedInActor,
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/account",
) -> Response:
    check_csrf(request, csrf)
    notices.dismiss(session, actor=actor, notice_id=notice_id)
    return RedirectResponse(safe_next(next), status_code=303)
