"""Audit entries of the cases engine, appended when the transaction commits.

The audit chain is serialised by its head row: an append holds that row until its transaction
ends. Appending at the start of a filing would hold it through everything that follows (the
other inserts, building the answer, the hop back to the event loop), so every filing in every
process would wait for it. The entry is therefore appended just before the commit, in the same
transaction: it is kept if and only if the change is, as :func:`yiwang.core.audit.record`
promises, and the head is held only for the commit itself.

An entry is tied to the row it is about: if that row's savepoint is rolled back, the entry is
dropped with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from yiwang.core import audit
from yiwang.core.policy import Actor

_PENDING = "yiwang.cases.pending_audit"


@dataclass(frozen=True, slots=True)
class _Pending:
    subject: object
    actor: Actor
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any] | None


def record_at_commit(
    session: Session,
    *,
    subject: object,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Append an audit entry about ``subject`` (a mapped row of this session) when the
    session's transaction commits, unless ``subject`` was rolled back by then."""
    session.info.setdefault(_PENDING, []).append(
        _Pending(subject, actor, action, object_type, object_id, details)
    )


def flush_pending(session: Session) -> None:
    """Append the entries waiting for the commit now, in the order they were recorded."""
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    for entry in pending:
        if not inspect(entry.subject).persistent:
            continue  # its savepoint was rolled back: the change it describes is gone
        audit.record(
            session,
            actor=entry.actor,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            details=entry.details,
        )


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the real commit is still to come
    if session.info.get(_PENDING):
        flush_pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
