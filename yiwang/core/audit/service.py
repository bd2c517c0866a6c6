"""Recording and verifying the audit log."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from yiwang.core.audit.models import GENESIS_HASH, AuditEntry, AuditHead
from yiwang.core.db import side_transaction, utcnow
from yiwang.core.policy import Actor, can_verify_audit, can_view_audit, require
from yiwang.core.requestctx import current_request_id
from yiwang.core.security import sm3_hex

HEAD_ID = 1
_BATCH = 5000


def _content(entry: AuditEntry) -> str:
    """The canonical text that is hashed for ``entry``."""
    return json.dumps(
        [
            entry.seq,
            entry.at.isoformat(timespec="microseconds"),
            entry.actor_id,
            entry.actor_name,
            entry.department_id,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.outcome,
            entry.request_id,
            entry.details,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def compute_hash(prev_hash: str, entry: AuditEntry) -> str:
    return sm3_hex(prev_hash + "\n" + _content(entry))


def _advance_head(session: Session) -> tuple[int, str]:
    """Take the next sequence number. The UPDATE comes first so that it takes the write lock
    (PostgreSQL row lock, SQLite database lock) before the previous hash is read."""
    result = session.execute(
        update(AuditHead).where(AuditHead.id == HEAD_ID).values(seq=AuditHead.seq + 1)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(AuditHead(id=HEAD_ID, seq=1, entry_hash=GENESIS_HASH))
        session.flush()
        return 1, GENESIS_HASH
    seq, prev_hash = session.execute(
        select(AuditHead.seq, AuditHead.entry_hash).where(AuditHead.id == HEAD_ID)
    ).one()
    return int(seq), str(prev_hash)


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction: it is kept if and only if the audited
    change is committed."""
    seq, prev_hash = _advance_head(session)
    entry = AuditEntry(
        seq=seq,
        at=utcnow(),
        actor_id=actor.user_id,
        actor_name=actor.label(),
        department_id=actor.department_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        outcome=outcome,
        request_id=current_request_id(),
        details=details,
        prev_hash=prev_hash,
    )
    # Normalise through JSON so the hash is computed on what the database gives back.
    if details is not None:
        entry.details = json.loads(json.dumps(details, ensure_ascii=False, default=str))
    entry.entry_hash = compute_hash(prev_hash, entry)
    session.add(entry)
    session.execute(
        update(AuditHead).where(AuditHead.id == HEAD_ID).values(entry_hash=entry.entry_hash)
    )
    return entry


def record_read(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record a read of data that is not open, beside the request's own work (see
    :func:`yiwang.core.db.side_transaction`): a read request stays a read transaction."""
    with side_transaction(session) as writer:
        record(
            writer,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            details=details,
        )


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    checked: int
    seq: int | None = None
    problem: str | None = None  # altered, deleted, inserted
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "seq": self.seq,
            "problem": self.problem,
            "message": self.message,
        }


def _entries(session: Session) -> Iterator[AuditEntry]:
    last = 0
    while True:
        batch = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(_BATCH)
        ).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
        session.expunge_all()


def verify(session: Session, *, actor: Actor) -> VerifyResult:
    """Walk the chain and report the first altered, deleted or inserted entry."""
    require(can_verify_audit(actor), "audit.verify", object_type="audit_log")
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for entry in _entries(session):
        if entry.seq > expected_seq:
            return VerifyResult(
                False,
                checked,
                expected_seq,
                "deleted",
                f"entry {expected_seq} is missing (the next entry present is {entry.seq})",
            )
        if entry.prev_hash != prev_hash:
            problem = (
                "inserted"
                if entry.entry_hash == compute_hash(entry.prev_hash, entry)
                else "altered"
            )
            return VerifyResult(
                False,
                checked,
                entry.seq,
                problem,
                f"entry {entry.seq} does not follow entry {entry.seq - 1}",
            )
        if compute_hash(prev_hash, entry) != entry.entry_hash:
            return VerifyResult(
                False,
                checked,
                entry.seq,
                "altered",
                f"entry {entry.seq} was changed after it was written",
            )
        prev_hash = entry.entry_hash
        expected_seq = entry.seq + 1
        checked += 1
    head = session.get(AuditHead, HEAD_ID)
    head_seq = head.seq if head else 0
    head_hash = head.entry_hash if head else GENESIS_HASH
    if head_seq > checked:
        return VerifyResult(
            False,
            checked,
            checked + 1,
            "deleted",
            f"entries {checked + 1} to {head_seq} are missing from the end of the log",
        )
    if head_seq < checked:
        return VerifyResult(
            False,
            checked,
            head_seq + 1,
            "inserted",
            f"entry {head_seq + 1} was added outside the audit service",
        )
    if head_hash != prev_hash:
        return VerifyResult(
            False,
            checked,
            checked,
            "altered",
            f"entry {checked} does not match the recorded head of the chain",
        )
    return VerifyResult(True, checked)


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """What to look for in the log; ``since`` is inclusive, ``until`` exclusive (aware)."""

    action: str | None = None
    actor_name: str | None = None
    outcome: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def given(self) -> dict[str, str]:
        """The filters that are set, as text (for the log entry of the read and for links)."""
        return {
            name: value.isoformat() if isinstance(value, dt.datetime) else str(value)
            for name in self.__slots__
            if (value := getattr(self, name)) not in (None, "")
        }


def list_entries(
    session: Session,
    *,
    actor: Actor,
    filters: AuditFilters | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    """Return entries, newest first, and how many match. Reading the log is itself audited."""
    require(can_view_audit(actor), "audit.read", object_type="audit_log")
    filters = filters or AuditFilters()
    query = select(AuditEntry)
    for column, value in (
        (AuditEntry.action, filters.action),
        (AuditEntry.actor_name, filters.actor_name),
        (AuditEntry.outcome, filters.outcome),
        (AuditEntry.object_type, filters.object_type),
        (AuditEntry.object_id, filters.object_id),
    ):
        if value:
            query = query.where(column == value)
    if filters.since is not None:
        query = query.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEntry.at < filters.until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)).all()
    record(
        session,
        actor=actor,
        action="audit.read",
        object_type="audit_log",
        details={"limit": limit, "offset": offset, **filters.given()},
    )
    return list(rows), int(total)
