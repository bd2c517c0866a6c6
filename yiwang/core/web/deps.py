"""Typed dependencies for route handlers: ``SessionDep``, ``CurrentActor``, ``SignedInActor``,
``Language`` and ``SettingsDep``."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from yiwang.core import audit, identity
from yiwang.core.config import Settings
from yiwang.core.db import Database, declare_write
from yiwang.core.errors import AppError, PermissionDenied, Unauthenticated
from yiwang.core.i18n import negotiate
from yiwang.core.identity import second_factor, throttle
from yiwang.core.policy import ANONYMOUS, Actor
from yiwang.core.security import TOKEN_PREFIX
from yiwang.core.web.admission import Admission, credential_key
from yiwang.core.web.csrf import CSRF_COOKIE, check_csrf

SESSION_COOKIE = "yiwang_session"
PENDING_COOKIE = "yiwang_pending"  # a login whose password was right and whose second step is due
LANG_COOKIE = "yiwang_lang"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _record_denial(db: Database, request: Request, exc: PermissionDenied) -> None:
    actor: Actor = getattr(request.state, "actor", ANONYMOUS)
    with db.session() as session:
        audit.record(
            session,
            actor=actor,
            action=exc.action,
            object_type=exc.object_type or "-",
            object_id=exc.object_id,
            outcome="denied",
            details={"method": request.method, "path": request.url.path},
        )


def _roll_back(session: Session) -> None:
    if session.in_transaction():
        session.rollback()


_read_only: set[Callable[[Request], bool]] = set()


def register_read_only(predicate: Callable[[Request], bool]) -> None:
    """Mark requests that use an unsafe method but only read (CKAN clients POST every action,
    searches too), so they do not take SQLite's write lock."""
    _read_only.add(predicate)


# Where a write authenticated by the session cookie must carry the CSRF token in a header.
_csrf_header_paths: set[str] = {"/api/"}


def register_csrf_header(path_prefix: str) -> None:
    """Make cookie-authenticated writes under ``path_prefix`` (an API outside ``/api/``, such
    as SensorThings at ``/sta/``) carry the CSRF header too."""
    _csrf_header_paths.add(path_prefix)


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A session for one request: committed before the response is sent, rolled back on any
    error. A refusal by the policy is written to the audit log after the rollback.

    The dependency itself is async so that a request answered from memory never waits for a
    thread; anything that touches the database runs in the thread pool. A request that will
    write (an unsafe method) declares it before its first statement."""
    db = get_database(request)
    admission: Admission = request.app.state.admission
    # Callers seen to sign in wait in a lane of their own: see yiwang.core.web.admission.
    priority = admission.is_vouched(credential_key(request.scope["headers"], SESSION_COOKIE))
    await admission.enter(priority)  # or 503 at once
    session = db.sessionmaker()
    try:
        if request.method not in _SAFE_METHODS and not any(p(request) for p in _read_only):
            await run_in_threadpool(declare_write, session)
        yield session
        if session.in_transaction():
            await run_in_threadpool(session.commit)
        throttle.forget_pending(session)
    except PermissionDenied as exc:
        await run_in_threadpool(_roll_back, session)
        await run_in_threadpool(_record_denial, db, request, exc)
        raise
    except BaseException:
        await run_in_threadpool(_roll_back, session)
        await run_in_threadpool(throttle.replay, session)
        raise
    finally:
        try:
            # After a commit or rollback the session holds no connection and closes without I/O.
            if session.in_transaction():
                await run_in_threadpool(session.close)
            else:
                session.close()
        finally:
            admission.leave()


SessionDep = Annotated[Session, Depends(get_db, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_language(request: Request) -> str:
    return request_language(request)


def request_language(request: Request) -> str:
    """The page or message language: ``?lang=``, then the cookie, then Accept-Language."""
    settings: Settings = request.app.state.settings
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen:
        return negotiate(chosen, settings.default_language)
    return negotiate(request.headers.get("accept-language"), settings.default_language)


Language = Annotated[str, Depends(get_language)]


def _basic_credentials(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthenticated("auth.bad_credentials") from None
    username, sep, password = decoded.partition(":")
    if not sep:
        raise Unauthenticated("auth.bad_credentials")
    return username, password


def throttle_limits(request: Request) -> throttle.Limits:
    return throttle.configured(request.app.state.settings)


def client_address(request: Request) -> str | None:
    """The caller's address (the proxy's X-Forwarded-For only from a trusted proxy)."""
    return request.client.host if request.client else None


def _guarded(
    request: Request, session: Session, keys: list[throttle.Key], what: str, attempt: Any
) -> Any:
    """Run ``attempt`` unless ``keys`` are waiting out a delay (429); count its failure."""
    throttle.check(session, keys)
    try:
        return attempt()
    except Unauthenticated:
        throttle.failed(
            session,
            keys,
            limits=throttle_limits(request),
            ip=client_address(request),
            what=what,
        )
        raise


async def _token_actor(request: Request, session: Session, raw: str) -> Actor:
    cached = identity.cached_token_actor(session, raw)
    if cached is not None:
        return cached
    keys = [throttle.address(client_address(request), throttle_limits(request), kind="token")]
    return await run_in_threadpool(
        _guarded, request, session, keys, "token", lambda: identity.authenticate_token(session, raw)
    )


async def _resolve_actor(request: Request, session: Session) -> Actor:
    header = request.headers.get("authorization")
    if header:
        scheme, _, credentials = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer":
            return await _token_actor(request, session, credentials)
        if scheme == "basic":
            username, password = _basic_credentials(credentials.strip())
            if password.startswith(TOKEN_PREFIX):
                actor = await _token_actor(request, session, password)
                if actor.username != username:
                    raise Unauthenticated("auth.invalid_token")
                return actor
            limits = throttle_limits(request)
            keys = [
                throttle.account(username, limits),
                throttle.address(client_address(request), limits),
            ]
            user = await run_in_threadpool(
                _guarded,
                request,
                session,
                keys,
                "password",
                lambda: identity.authenticate_password(
                    session, username=username, password=password
                ),
            )
            settings: Settings = request.app.state.settings
            if await run_in_threadpool(
                second_factor.asks_second_step, session, user, second_factor.configured(settings)
            ):
                # A password alone would do what the login form asks a code for: machines
                # use API tokens. The account's failure count stays as it is.
                raise Unauthenticated("auth.basic_second_factor")
            await run_in_threadpool(throttle.succeeded, session, keys[0])
            return identity.actor_for(user, via="basic")
        if header.startswith(TOKEN_PREFIX):  # a bare token, as CKAN clients send it
            return await _token_actor(request, session, header)
        raise Unauthenticated("auth.required")
    ckan_key = request.headers.get("x-ckan-api-key")
    if ckan_key:
        return await _token_actor(request, session, ckan_key)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        settings = request.app.state.settings
        idle = dt.timedelta(minutes=settings.session_idle_minutes)
        signed_in = identity.cached_session_actor(
            session, cookie, idle=idle
        ) or await run_in_threadpool(partial(identity.session_actor, session, cookie, idle=idle))
        if signed_in is not None:
            return signed_in
    return ANONYMOUS


async def get_actor(request: Request, session: SessionDep) -> Actor:
    """Who is calling. A bad token or password is an error, never silently anonymous. Writes
    with a session cookie must carry the CSRF token in a header (forms check their own)."""
    actor = await _resolve_actor(request, session)
    request.state.actor = actor
    if not actor.is_anonymous:
        admission: Admission = request.app.state.admission
        admission.vouch(credential_key(request.scope["headers"], SESSION_COOKIE))
    if (
        actor.via == "session"
        and request.method not in _SAFE_METHODS
        and request.url.path.startswith(tuple(_csrf_header_paths))
    ):
        check_csrf(request, request.headers.get(CSRF_HEADER))
    return actor


CurrentActor = Annotated[Actor, Depends(get_actor)]


async def get_signed_in_actor(request: Request, actor: CurrentActor) -> Actor:
    if actor.is_anonymous:
        if request.cookies.get(PENDING_COOKIE):
            raise Unauthenticated("auth.second_factor_pending")
        raise Unauthenticated("auth.required")
    return actor


SignedInActor = Annotated[Actor, Depends(get_signed_in_actor)]

__all__ = [
    "CSRF_COOKIE",
    "LANG_COOKIE",
    "PENDING_COOKIE",
    "SESSION_COOKIE",
    "AppError",
    "CurrentActor",
    "Language",
    "SessionDep",
    "SettingsDep",
    "SignedInActor",
    "get_db",
    "request_language",
]
