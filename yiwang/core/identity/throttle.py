"""Throttling of guesses (OWASP ASVS 4.0.3 V2.2.1): failed tries of a password, a token or a
query code are counted per account and per address, in the database (so across processes and
nodes); past a number of free tries each further failure doubles the wait before the next try
is heard (429 with Retry-After), up to a ceiling. A progressive delay rather than a lockout, so
that nobody can lock a person out for good by guessing wrong on purpose; a success clears the
account's count. Failures older than the window are forgotten. When an account's waits begin,
its owner is told at their next sign-in (:mod:`yiwang.core.identity.notices`), once per episode.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.core import audit, clock
from yiwang.core.config import Settings, get_settings
from yiwang.core.db import database_of, holds_write_intent
from yiwang.core.errors import AppError
from yiwang.core.identity import notices
from yiwang.core.identity.models import AuthThrottle
from yiwang.core.policy import SYSTEM

WINDOW = dt.timedelta(hours=1)  # failures older than this are forgotten
MAX_ADDRESSES = 10  # distinct addresses remembered per key and window
_PENDING = "yiwang.throttle.pending"


@dataclass(frozen=True, slots=True)
class Limits:
    free_per_account: int = 5  # failed passwords of one account before the waits begin
    free_per_address: int = 20  # failed tries of any secret from one address
    max_delay_seconds: int = 900


@dataclass(frozen=True, slots=True)
class Key:
    name: str  # account:<username>, address:<ip>, code:<ip>
    free: int


class TooManyAttempts(AppError):
    """Too many failed tries: wait ``Retry-After`` seconds."""

    status_code = 429

    def __init__(self, seconds: int) -> None:
        super().__init__("auth.throttled", seconds=seconds)
        self.headers = {"Retry-After": str(seconds)}


def configured(settings: Settings | None = None) -> Limits:
    """The limits of ``settings`` (default: this node's)."""
    settings = settings or get_settings()
    return Limits(
        free_per_account=settings.throttle_free_per_account,
        free_per_address=settings.throttle_free_per_address,
        max_delay_seconds=settings.throttle_max_delay_seconds,
    )


def account(username: str, limits: Limits) -> Key:
    return Key(f"account:{username.strip().lower()[:150]}", limits.free_per_account)


def address(ip: str | None, limits: Limits, *, kind: str = "address") -> Key:
    return Key(f"{kind}:{(ip or 'unknown')[:64]}", limits.free_per_address)


def delay_after(failures: int, free: int, ceiling: int) -> int:
    """Seconds to wait after ``failures`` failed tries: none for the free ones, then 1, 2, 4,
    ... up to ``ceiling``."""
    if failures < free:
        return 0
    return min(ceiling, int(2 ** min(failures - free, 20)))


def check(session: Session, keys: Sequence[Key]) -> None:
    """Refuse at once (429) while any of ``keys`` is waiting out its delay."""
    now = clock.now()
    rows = session.scalars(
        select(AuthThrottle).where(
            AuthThrottle.key.in_([k.name for k in keys]), AuthThrottle.blocked_until > now
        )
    ).all()
    if rows:
        waits = [(row.blocked_until - now).total_seconds() for row in rows if row.blocked_until]
        raise TooManyAttempts(max(1, math.ceil(max(waits))))


def failed(
    session: Session, keys: Sequence[Key], *, limits: Limits, ip: str | None, what: str
) -> None:
    """Count a failed try against each of ``keys`` and audit it when it starts a wait: in a
    transaction of its own, or, when the caller's already holds the write lock (SQLite has one
    writer), in the caller's, remembered so that :func:`replay` counts it again should that
    transaction be rolled back with the request's error."""
    database = database_of(session)
    if database is None or holds_write_intent(session):
        _count(session, keys, limits=limits, ip=ip, what=what)
        session.info.setdefault(_PENDING, []).append((tuple(keys), limits, ip, what))
        return
    with database.session() as own:
        _count(own, keys, limits=limits, ip=ip, what=what)


def replay(session: Session) -> None:
    """After ``session`` was rolled back: count again, in a transaction of their own, the
    failures it held."""
    pending = session.info.pop(_PENDING, [])
    database = database_of(session)
    if not pending or database is None:
        return
    with database.session() as own:
        for keys, limits, ip, what in pending:
            _count(own, keys, limits=limits, ip=ip, what=what)


def forget_pending(session: Session) -> None:
    """The caller's transaction was committed: its failures are counted."""
    session.info.pop(_PENDING, None)


def _count(
    session: Session, keys: Sequence[Key], *, limits: Limits, ip: str | None, what: str
) -> None:
    now = clock.now()
    for key in keys:
        row = session.get(AuthThrottle, key.name, with_for_update=True)
        if row is None:
            row = AuthThrottle(key=key.name, failures=0, first_failure_at=now, last_failure_at=now)
            session.add(row)
        elif now - row.last_failure_at > WINDOW:
            row.failures, row.first_failure_at, row.blocked_until = 0, now, None
            row.addresses = None
        row.failures += 1
        row.last_failure_at = now
        row.last_address = ip
        addresses = _addresses(row.addresses, ip)
        row.addresses = ",".join(addresses)
        wait = delay_after(row.failures, key.free, limits.max_delay_seconds)
        if wait and key.name.startswith("account:"):
            notices.throttled(
                session,
                username=key.name.removeprefix("account:"),
                episode_started_at=row.first_failure_at,
                last_failure_at=now,
                failures=row.failures,
                addresses=addresses,
            )
        if wait:
            row.blocked_until = now + dt.timedelta(seconds=wait)
            audit.record(
                session,
                actor=SYSTEM,
                action="auth.throttled",
                object_type=key.name.split(":", 1)[0],
                object_id=key.name.split(":", 1)[1],
                outcome="denied",
                details={"what": what, "failures": row.failures, "wait_seconds": wait, "ip": ip},
            )
        session.flush()


def _addresses(listed: str | None, ip: str | None) -> list[str]:
    """``listed`` (comma-separated) with ``ip`` added, unless there or the list is full."""
    addresses = [a for a in (listed or "").split(",") if a]
    address = (ip or "unknown")[:64]
    if address not in addresses and len(addresses) < MAX_ADDRESSES:
        addresses.append(address)
    return addresses


def succeeded(session: Session, key: Key) -> int:
    """Clear ``key`` after a success; return how many failed tries it had counted (to tell the
    account's owner)."""
    row = session.get(AuthThrottle, key.name)
    if row is None:
        return 0
    count = row.failures if clock.now() - row.last_failure_at <= WINDOW else 0
    session.delete(row)
    session.flush()
    return count
