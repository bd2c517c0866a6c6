"""Typed dependencies for route handlers: ``SessionDep``, ``CurrentActor``, ``SignedInActor``,
``Language`` and ``SettingsDep``."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from yiwang.core import audit, identity
from yiwang.core.config import Settings
from yiwang.core.db import Database, declare_write
from yiwang.core.errors import AppError, PermissionDenied, Unauthenticated
from yiwang.core.i18n import negotiate
from yiwang.core.policy import ANONYMOUS, Actor
from yiwang.core.security import TOKEN_PREFIX
from yiwang.core.web.csrf import CSRF_COOKIE, check_csrf

SESSION_COOKIE = "yiwang_session"
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


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A session for one request: committed before the response is sent, rolled back on any
    error. A refusal by the policy is written to the audit log after the rollback.

    The dependency itself is async so that a request answered from memory never waits for a
    thread; anything that touches the database runs in the thread pool. A request that will
    write (an unsafe method) declares it before its first statement."""
    db = get_database(request)
    session = db.sessionmaker()
    try:
        if request.method not in _SAFE_METHODS and not any(p(request) for p in _read_only):
            await run_in_threadpool(declare_write, session)
        yield session
        if session.in_transaction():
            await run_in_threadpool(session.commit)
    except PermissionDenied as exc:
        await run_in_threadpool(_roll_back, session)
        await run_in_threadpool(_record_denial, db, request, exc)
        raise
    except BaseException:
        await run_in_threadpool(_roll_back, session)
        raise
    finally:
        # After a commit or rollback the session holds no connection and closes without I/O.
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


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


async def _token_actor(session: Session, raw: str) -> Actor:
    cached = identity.cached_token_actor(session, raw)
    if cached is not None:
        return cached
    return await run_in_threadpool(identity.authenticate_token, session, raw)


async def _resolve_actor(request: Request, session: Session) -> Actor:
    header = request.headers.get("authorization")
    if header:
        scheme, _, credentials = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer":
            return await _token_actor(session, credentials)
        if scheme == "basic":
            username, password = _basic_credentials(credentials.strip())
            if password.startswith(TOKEN_PREFIX):
                actor = await _token_actor(session, password)
                if actor.username != username:
                    raise Unauthenticated("auth.invalid_token")
                return actor
            user = await run_in_threadpool(
                identity.authenticate_password, session, username=username, password=password
            )
            return identity.actor_for(user, via="basic")
        if header.startswith(TOKEN_PREFIX):  # a bare token, as CKAN clients send it
            return await _token_actor(session, header)
        raise Unauthenticated("auth.required")
    ckan_key = request.headers.get("x-ckan-api-key")
    if ckan_key:
        return await _token_actor(session, ckan_key)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        signed_in = identity.cached_session_actor(session, cookie) or await run_in_threadpool(
            identity.session_actor, session, cookie
        )
        if signed_in is not None:
            return signed_in
    return ANONYMOUS


async def get_actor(request: Request, session: SessionDep) -> Actor:
    """Who is calling. A bad token or password is an error, never silently anonymous. Writes
    with a session cookie must carry the CSRF token in a header (forms check their own)."""
    actor = await _resolve_actor(request, session)
    request.state.actor = actor
    if (
        actor.via == "session"
        and request.method not in _SAFE_METHODS
        and request.url.path.startswith("/api/")
    ):
        check_csrf(request, request.headers.get(CSRF_HEADER))
    return actor


CurrentActor = Annotated[Actor, Depends(get_actor)]


async def get_signed_in_actor(actor: CurrentActor) -> Actor:
    if actor.is_anonymous:
        raise Unauthenticated("auth.required")
    return actor


SignedInActor = Annotated[Actor, Depends(get_signed_in_actor)]

__all__ = [
    "CSRF_COOKIE",
    "LANG_COOKIE",
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
