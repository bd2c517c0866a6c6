"""The domain-event bus.

``publish`` writes an event to the outbox inside the caller's transaction, so an event exists
if and only if its change was committed. Two kinds of listener receive it:

- *live* listeners run in this process right after the commit (best effort; for pushing
  updates to browsers);
- *durable* handlers run from the outbox by :func:`deliver_pending` (a job on any node), at
  least once, in order of publication; a failed delivery is retried later. A durable handler
  therefore has to be idempotent.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from yiwang.core.db import utcnow
from yiwang.core.events.models import OutboxEvent
from yiwang.core.requestctx import current_request_id

log = logging.getLogger(__name__)

_PENDING_KEY = "yiwang.pending_events"


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    name: str
    payload: dict[str, Any]


Handler = Callable[[Event], None]
DurableHandler = Callable[[Session, Event], None]

_live: list[tuple[str, Handler]] = []
_durable: list[tuple[str, str, DurableHandler]] = []


def subscribe_live(pattern: str, handler: Handler) -> None:
    """Call ``handler`` after commit for events whose name matches ``pattern`` (fnmatch)."""
    _live.append((pattern, handler))


def subscribe(pattern: str, name: str, handler: DurableHandler) -> None:
    """Register a durable handler, called with a session that commits with its delivery."""
    if any(existing == name for _, existing, _ in _durable):
        raise ValueError(f"durable handler registered twice: {name}")
    _durable.append((pattern, name, handler))


def has_durable_handlers() -> bool:
    return bool(_durable)


def unsubscribe(handler: Handler | DurableHandler) -> None:
    _live[:] = [(p, h) for p, h in _live if h is not handler]
    _durable[:] = [(p, n, h) for p, n, h in _durable if h is not handler]


def publish(session: Session, name: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record an event in the caller's transaction."""
    row = OutboxEvent(name=name, payload=payload, request_id=current_request_id())
    session.add(row)
    session.flush()
    session.info.setdefault(_PENDING_KEY, []).append(row)
    return row


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the real commit is still to come
    pending: list[OutboxEvent] = session.info.pop(_PENDING_KEY, [])
    for row in pending:
        # A row whose transaction (or savepoint) was rolled back is no longer persistent.
        state = inspect(row)
        if not (state.persistent or state.detached):
            continue
        item = Event(row.id, row.name, row.payload)
        for pattern, handler in _live:
            if fnmatch.fnmatchcase(item.name, pattern):
                try:
                    handler(item)
                except Exception:
                    log.exception("live event listener failed", extra={"event": item.name})


def deliver_pending(session: Session, *, limit: int = 500) -> int:
    """Deliver up to ``limit`` undelivered events to the durable handlers, oldest first, and
    return how many were delivered. Events are locked while delivered, so several nodes can
    run this at once."""
    rows = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.delivered_at.is_(None))
        .order_by(OutboxEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    delivered = 0
    for row in rows:
        item = Event(row.id, row.name, row.payload)
        try:
            with session.begin_nested():
                for pattern, _name, handler in _durable:
                    if fnmatch.fnmatchcase(item.name, pattern):
                        handler(session, item)
        except Exception as exc:  # noqa: BLE001  (a handler's failure must not stop the others)
            row.attempts += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            log.warning("event delivery failed", extra={"event": row.name, "event_id": row.id})
            continue
        row.attempts += 1
        row.delivered_at = utcnow()
        row.last_error = None
        delivered += 1
    session.flush()
    return delivered
