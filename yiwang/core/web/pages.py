"""Core pages: the landing page, login and logout, and the account page with API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yiwang.core import identity
from yiwang.core.errors import AppError
from yiwang.core.identity import throttle
from yiwang.core.web.csrf import check_csrf, secure_cookies
from yiwang.core.web.deps import (
    SESSION_COOKIE,
    CurrentActor,
    SessionDep,
    SettingsDep,
    SignedInActor,
    client_address,
    throttle_limits,
)
from yiwang.core.web.templating import render_page

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str:
    """Only local paths are followed after login (no open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/account"


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, actor: CurrentActor) -> Response:
    departments, total = identity.list_departments(session, actor=actor, limit=100)
    return render_page(request, "core/home.html", {"departments": departments, "total": total})


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, _actor: CurrentActor, next: str | None = None) -> Response:
    return render_page(request, "core/login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/account",
) -> Response:
    check_csrf(request, csrf)
    limits = throttle_limits(request)
    keys = [throttle.account(username, limits), throttle.address(client_address(request), limits)]
    try:
        throttle.check(session, keys)
        try:
            user = identity.authenticate_password(session, username=username, password=password)
        except AppError:
            throttle.failed(
                session, keys, limits=limits, ip=client_address(request), what="password"
            )
            raise
    except AppError as exc:
        return render_page(
            request,
            "core/login.html",
            {"next": _safe_next(next), "error": exc, "username": username},
            status_code=exc.status_code,
            headers=exc.headers,
        )
    throttle.succeeded(session, keys[0])
    raw = identity.start_web_session(
        session,
        user=user,
        hours=settings.session_hours,
        idle=dt.timedelta(minutes=settings.session_idle_minutes),
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        max_age=settings.session_hours * 3600,
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        identity.end_web_session(session, raw)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _account(
    request: Request,
    session: SessionDep,
    actor: SignedInActor,
    new_token: str | None = None,
    status_code: int = 200,
) -> Response:
    assert actor.user_id is not None  # noqa: S101
    user = identity.get_user(session, actor.user_id)
    tokens = identity.list_tokens(session, actor=actor, user_id=actor.user_id)
    return render_page(
        request,
        "core/account.html",
        {"user": user, "tokens": tokens, "new_token": new_token},
        status_code=status_code,
    )


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, session: SessionDep, actor: SignedInActor) -> Response:
    return _account(request, session, actor)


@router.post("/account/tokens", response_class=HTMLResponse)
def account_create_token(
    request: Request,
    session: SessionDep,
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
    return _account(request, session, actor, new_token=raw, status_code=201)


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
