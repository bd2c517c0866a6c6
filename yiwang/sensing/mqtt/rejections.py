"""Input that was refused: recorded for operators (over MQTT nobody is there to be told) and
listed for them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from yiwang.core import policy
from yiwang.core.db import utcnow
from yiwang.core.policy import Actor
from yiwang.sensing.models import Datastream, Rejection

PAYLOAD_CHARS = 500


@dataclass(frozen=True, slots=True)
class NewRejection:
    source: str
    code: str
    message: str
    topic: str | None = None
    datastream_id: int | None = None
    payload: str | None = None


def payload_start(payload: bytes) -> str:
    """The start of a payload as text (undecodable bytes replaced), for the record."""
    return payload[: PAYLOAD_CHARS * 4].decode("utf-8", errors="replace")[:PAYLOAD_CHARS]


def record_rejections(session: Session, rejections: Sequence[NewRejection]) -> None:
    """Add ``rejections`` in the caller's transaction."""
    if not rejections:
        return
    now = utcnow()
    session.execute(
        insert(Rejection),
        [
            {
                "received_at": now,
                "source": r.source,
                "topic": None if r.topic is None else r.topic[:300],
                "datastream_id": r.datastream_id,
                "code": r.code[:100],
                "message": r.message,
                "payload": r.payload,
            }
            for r in rejections
        ],
    )


@dataclass(frozen=True, slots=True)
class RejectionPage:
    items: list[Rejection]
    total: int


def list_rejections(
    session: Session,
    *,
    actor: Actor,
    department_id: int | None = None,
    datastream_id: int | None = None,
    since: dt.datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> RejectionPage:
    """Rejections, newest first. A sysadmin sees all (or one department's); anyone else sees
    only their own department's, and must be staff of it."""
    if department_id is None and not actor.is_sysadmin:
        department_id = actor.department_id
    if department_id is None:
        policy.require(policy.can_view_rejections(actor, department_id=None), "view_rejections")
    else:
        policy.require(
            policy.can_view_rejections(actor, department_id=department_id),
            "view_rejections",
            object_type="department",
            object_id=department_id,
        )
    query = select(Rejection)
    if department_id is not None:
        query = query.join(Datastream, Datastream.id == Rejection.datastream_id).where(
            Datastream.department_id == department_id
        )
    if datastream_id is not None:
        query = query.where(Rejection.datastream_id == datastream_id)
    if since is not None:
        query = query.where(Rejection.received_at >= since)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Rejection.id.desc()).limit(limit).offset(offset)).all()
    return RejectionPage(items=list(items), total=total)


__all__ = [
    "PAYLOAD_CHARS",
    "NewRejection",
    "RejectionPage",
    "list_rejections",
    "payload_start",
    "record_rejections",
]
