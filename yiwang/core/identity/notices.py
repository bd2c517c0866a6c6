"""Telling an account's owner that guesses at their account were throttled (OWASP ASVS 4.0.3
V2.2.3: the user is told of events on their credentials). The platform keeps no e-mail address
or telephone number of its staff, so the notice waits in the database and is shown when the
owner next signs in, until they dismiss it: one notice per throttling episode, not one per
failed try."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwang.core import audit, clock
from yiwang.core.errors import NotFound
from yiwang.core.identity.models import SignInNotice, User
from yiwang.core.policy import SYSTEM, Actor, can_dismiss_sign_in_notice


def throttled(
    session: Session,
    *,
    username: str,
    episode_started_at: dt.datetime,
    last_failure_at: dt.datetime,
    failures: int,
    addresses: Sequence[str],
) -> None:
    """Record that the account ``username`` (as the throttle keys it: lower case) is being
    throttled: a notice for its owner when this episode has none yet (audited), else the
    episode's notice brought up to date. Nothing for a username nobody has."""
    user_id = session.scalar(select(User.id).where(func.lower(User.username) == username))
    if user_id is None:
        return
    notice = session.scalars(
        select(SignInNotice).where(
            SignInNotice.user_id == user_id,
            SignInNotice.episode_started_at == episode_started_at,
        )
    ).first()
    listed = ",".join(addresses)[:700]
    if notice is not None:
        notice.failures, notice.last_failure_at = failures, last_failure_at
        notice.addresses = listed
        session.flush()
        return
    notice = SignInNotice(
        user_id=user_id,
        episode_started_at=episode_started_at,
        last_failure_at=last_failure_at,
        failures=failures,
        addresses=listed,
    )
    session.add(notice)
    session.flush()
    audit.record(
        session,
        actor=SYSTEM,
        action="user.sign_in_notice",
        object_type="user",
        object_id=user_id,
        details={"notice_id": notice.id, "failures": failures, "addresses": list(addresses)},
    )


def unseen(session: Session, *, user_id: int) -> list[SignInNotice]:
    """The user's notices not yet dismissed, oldest first."""
    return list(
        session.scalars(
            select(SignInNotice)
            .where(SignInNotice.user_id == user_id, SignInNotice.seen_at.is_(None))
            .order_by(SignInNotice.id)
        )
    )


def dismiss(session: Session, *, actor: Actor, notice_id: int) -> SignInNotice:
    """Mark a notice read by its owner."""
    notice = session.get(SignInNotice, notice_id)
    if notice is None or not can_dismiss_sign_in_notice(actor, owner_id=notice.user_id):
        raise NotFound("notice", notice_id)  # another's notice is not even said to exist
    if notice.seen_at is None:
        notice.seen_at = clock.now()
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="user.sign_in_notice_seen",
            object_type="user",
            object_id=notice.user_id,
            details={"notice_id": notice.id},
        )
    return notice
