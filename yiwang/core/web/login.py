"""Signing in and out. After the password, a user who has a second factor, or whose role must
have one, is signed in *pending*: a cookie of its own (``yiwang_pending``) that grants nothing
but the second step, which asks for a code of their authenticator app or a recovery code, or,
for a user who must have one and has none, leads them through setting up an app first."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from yiwang.core import identity
from yiwang.core.config import Settings
from yiwang.core.errors import AppError, Unauthenticated
from yiwang.core.identity import notices, second_factor, throttle
from yiwang.core.identity.second_factor import Enrolment
from yiwang.core.web.csrf import check_csrf, secure_cookies
from yiwang.core.web.deps import (
    PENDING_COOKIE,
    SESSION_COOKIE,
    CurrentActor,
    SessionDep,
    SettingsDep,
    client_address,
    request_language,
    throttle_limits,
)
from yiwang.core.web.templating import render_page

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
_SVG_SIZE = re.compile(r'width="[^"]*" height="[^"]*"')


# Where a sign-in leads when it was asked for nothing else: the staff console's workbench
# (工作台); the account page, with the API tokens, is a link away from it.
LANDING = "/console"


def safe_next(value: str | None) -> str:
    """Only local paths are followed after login (no open redirect); the workbench else."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return LANDING


def guarded_code(request: Request, session: Session, username: str, attempt: Callable[[], T]) -> T:
    """Run ``attempt``, a check of a one-time code, unless the account or the address is waiting
    out a delay (429); count a wrong code against both, as a wrong password is counted."""
    limits = throttle_limits(request)
    keys = [throttle.account(username, limits), throttle.address(client_address(request), limits)]
    throttle.check(session, keys)
    try:
        return attempt()
    except Unauthenticated:
        throttle.failed(session, keys, limits=limits, ip=client_address(request), what="code")
        raise


def enrolment_view(enrolment: Enrolment | None, *, zh: bool) -> dict[str, Any] | None:
    """What a page shows of a secret being set up: the QR code (inline SVG, nothing fetched),
    the otpauth:// address and the secret in groups of four for typing in."""
    if enrolment is None:
        return None
    image = qrcode.make(enrolment.uri, image_factory=qrcode.image.svg.SvgPathFillImage)
    svg = _SVG_SIZE.sub('width="200" height="200"', image.to_string(encoding="unicode"), count=1)
    label = "用身份验证器应用扫描此二维码" if zh else "Scan this code with your authenticator app"
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" class="qr" ', 1)
    grouped = " ".join(enrolment.secret[i : i + 4] for i in range(0, len(enrolment.secret), 4))
    return {"qr": Markup(svg), "uri": enrolment.uri, "secret": grouped}  # noqa: S704  (our SVG)


def _landing(session: Session, user: identity.User, next: str) -> str:
    """Where a completed sign-in leads: to ``next``, or first to the account page when notices
    of throttled sign-ins wait for the user there."""
    target = safe_next(next)
    if not notices.unseen(session, user_id=user.id):
        return target
    return "/account" if target == "/account" else f"/account?next={quote(target)}"


def _sign_in(
    request: Request,
    session: Session,
    settings: Settings,
    user: identity.User,
    response: Response,
) -> Response:
    """Start ``user``'s web login and give ``response`` its cookie (ending any pending one)."""
    raw = identity.start_web_session(
        session,
        user=user,
        hours=settings.session_hours,
        idle=dt.timedelta(minutes=settings.session_idle_minutes),
    )
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        max_age=settings.session_hours * 3600,
    )
    response.delete_cookie(PENDING_COOKIE)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, _actor: CurrentActor, next: str | None = None) -> Response:
    return render_page(request, "core/login.html", {"next": safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = LANDING,
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
            {"next": safe_next(next), "error": exc, "username": username},
            status_code=exc.status_code,
            headers=exc.headers,
        )
    options = second_factor.configured(settings)
    if second_factor.asks_second_step(session, user, options):
        # The account's failure count is cleared only when the second step is passed too: a
        # right password must not buy fresh tries at the code.
        raw = second_factor.start_pending_sign_in(session, user=user, options=options)
        response = RedirectResponse(
            f"/login/second-factor?next={quote(safe_next(next))}", status_code=303
        )
        response.set_cookie(
            PENDING_COOKIE,
            raw,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(request),
            max_age=second_factor.PENDING_MINUTES * 60,
        )
        response.delete_cookie(SESSION_COOKIE)
        return response
    throttle.succeeded(session, keys[0])
    return _sign_in(
        request,
        session,
        settings,
        user,
        RedirectResponse(_landing(session, user, next), status_code=303),
    )


@router.post("/logout")
def logout(request: Request, session: SessionDep, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        identity.end_web_session(session, raw)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# --- the second step ---------------------------------------------------------------------------


def _pending(request: Request, session: Session) -> identity.User | None:
    raw = request.cookies.get(PENDING_COOKIE)
    return second_factor.pending_sign_in(session, raw) if raw else None


def _expired(request: Request, next: str) -> Response:
    """The login form again, saying the pending login is over."""
    response = render_page(
        request,
        "core/login.html",
        {"next": safe_next(next), "error": AppError("second_factor.expired", status_code=401)},
        status_code=401,
    )
    response.delete_cookie(PENDING_COOKIE)
    return response


def _second_step_page(
    request: Request,
    session: Session,
    settings: Settings,
    user: identity.User,
    next: str,
    *,
    error: AppError | None = None,
) -> Response:
    options = second_factor.configured(settings)
    enrolled = second_factor.is_enabled(session, user.id)
    enrolment = None if enrolled else second_factor.enrolment(session, user=user, options=options)
    return render_page(
        request,
        "core/second_factor.html",
        {
            "user": user,
            "enrolled": enrolled,
            "enrolment": enrolment_view(enrolment, zh=request_language(request).startswith("zh")),
            "next": safe_next(next),
            "error": error,
        },
        status_code=error.status_code if error else 200,
        headers=error.headers if error else None,
    )


@router.get("/login/second-factor", response_class=HTMLResponse)
def second_step(
    request: Request, session: SessionDep, settings: SettingsDep, next: str | None = None
) -> Response:
    user = _pending(request, session)
    if user is None:
        return _expired(request, next or LANDING)
    return _second_step_page(request, session, settings, user, next or LANDING)


@router.post("/login/second-factor", response_class=HTMLResponse)
def second_step_code(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: Annotated[str, Form(max_length=32)],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = LANDING,
) -> Response:
    check_csrf(request, csrf)
    user = _pending(request, session)
    if user is None:
        return _expired(request, next)
    options = second_factor.configured(settings)
    try:
        guarded_code(
            request,
            session,
            user.username,
            lambda: second_factor.verify(session, user=user, code=code, options=options),
        )
    except AppError as exc:
        return _second_step_page(request, session, settings, user, next, error=exc)
    limits = throttle_limits(request)
    throttle.succeeded(session, throttle.account(user.username, limits))
    second_factor.end_pending_sign_in(session, request.cookies[PENDING_COOKIE])
    landing = RedirectResponse(_landing(session, user, next), status_code=303)
    return _sign_in(request, session, settings, user, landing)


@router.post("/login/second-factor/enrol", response_class=HTMLResponse)
def second_step_enrol(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: Annotated[str, Form(max_length=32)],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = LANDING,
) -> Response:
    check_csrf(request, csrf)
    user = _pending(request, session)
    if user is None:
        return _expired(request, next)
    if second_factor.is_enabled(session, user.id):
        # Between the password and the code only a first app is set up: moving to another
        # is done from the account page, signed in with a code of the app in use.
        return _second_step_page(request, session, settings, user, next)
    options = second_factor.configured(settings)
    try:
        codes = guarded_code(
            request,
            session,
            user.username,
            lambda: second_factor.confirm_enrolment(
                session,
                actor=identity.actor_for(user, via="password"),
                user_id=user.id,
                code=code,
                options=options,
            ),
        )
    except AppError as exc:
        return _second_step_page(request, session, settings, user, next, error=exc)
    limits = throttle_limits(request)
    throttle.succeeded(session, throttle.account(user.username, limits))
    second_factor.end_pending_sign_in(session, request.cookies[PENDING_COOKIE])
    request.state.actor = identity.actor_for(user, via="session")  # signed in by this answer
    page = render_page(
        request,
        "core/recovery_codes.html",
        {"codes": codes, "next": _landing(session, user, next)},
    )
    return _sign_in(request, session, settings, user, page)


@router.post("/login/second-factor/cancel")
def second_step_cancel(
    request: Request, session: SessionDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf)
    raw = request.cookies.get(PENDING_COOKIE)
    if raw:
        second_factor.end_pending_sign_in(session, raw)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(PENDING_COOKIE)
    return response
