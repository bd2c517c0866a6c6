"""Cases other engines ask for, and what they are told back, through the messages and ports of
:mod:`yiwang.core.contracts` (the cases engine imports no other engine, and none imports it).

- ``case.requested`` → :func:`open_requested`: a case of kind task (处置任务), once per
  requester and idempotency key, then ``case.opened`` naming the request's ``source_ref``. A
  request that cannot be met (the item is unknown, retired or not a task item) is answered
  with ``case.request_failed`` giving the reason, audited and logged: never dropped in
  silence, and not retried, since retrying would change nothing.
- ``case.note_requested`` → :func:`note_requested`: a note (情况记录) on the timeline of the
  case opened for that source, audited. The state does not move: what the news means for
  the case (an alert resolved while the patrol is under way) is for its staff to decide.
- The case-item directory (:func:`yiwang.core.contracts.find_case_item`) is answered by
  :func:`yiwang.cases.items.case_item`.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.cases import filing, items
from yiwang.cases.filing import Filed
from yiwang.cases.models import Case, Transition
from yiwang.core import audit, contracts, events
from yiwang.core.contracts import (
    CaseNoteRequested,
    CaseOpened,
    CaseRequested,
    CaseRequestFailed,
)
from yiwang.core.db import utcnow
from yiwang.core.errors import InvalidInput
from yiwang.core.i18n import ZH
from yiwang.core.policy import SYSTEM

log = logging.getLogger(__name__)

NOTED_EVENT = "case.noted"


def open_requested(session: Session, request: CaseRequested) -> Filed | None:
    """Open the case ``request`` asks for (or find the one already opened for it) and tell the
    requester; return it, or None when the request cannot be met (answered with
    ``case.request_failed``)."""
    try:
        filed = filing.file_request(session, request=request)
    except InvalidInput as refusal:
        _refuse(session, request, refusal)
        return None
    if filed.created:
        contracts.publish(
            session,
            CaseOpened(
                requester=request.requester,
                source_ref=request.source_ref,
                number=filed.case.number,
                item_code=request.item_code,
                department_id=filed.case.department_id,
            ),
        )
    return filed


def _refuse(session: Session, request: CaseRequested, refusal: InvalidInput) -> None:
    message = refusal.message(ZH)
    log.warning(
        "a requested case could not be opened",
        extra={"source_ref": request.source_ref, "item": request.item_code, "reason": message},
    )
    audit.record(
        session,
        actor=SYSTEM,
        action="case.request_failed",
        object_type="case_request",
        object_id=request.source_ref,
        details={"requester": request.requester, "item": request.item_code, "reason": message},
    )
    contracts.publish(
        session,
        CaseRequestFailed(
            requester=request.requester,
            source_ref=request.source_ref,
            item_code=request.item_code,
            code=refusal.code,
            params={k: str(v) for k, v in refusal.params.items()},
            message=message,
        ),
    )


def note_requested(session: Session, note: CaseNoteRequested) -> Transition | None:
    """Write ``note`` on the timeline of the latest case its requester opened for its source;
    return the entry, or None when there is no such case (the request failed) or the same
    note is already there (a repeated delivery)."""
    case = session.scalars(
        select(Case)
        .where(Case.source_ref == note.source_ref, Case.source == note.requester)
        .order_by(Case.id.desc())
        .limit(1)
    ).first()
    if case is None:
        log.info("a note for a source without a case", extra={"source_ref": note.source_ref})
        return None
    if session.scalar(
        select(Transition.id).where(
            Transition.case_id == case.id,
            Transition.action == "note",
            Transition.reason == note.text,
        )
    ):
        return None
    now = utcnow()
    entry = Transition(
        case_id=case.id,
        action="note",
        from_state=case.state,
        to_state=case.state,
        party="system",
        actor_id=None,
        actor_name=note.requester,
        department_id=None,
        reason=note.text,
        details={"source_ref": note.source_ref, **note.details},
        at=now,
    )
    session.add(entry)
    case.updated_at = now
    session.flush()
    audit.record(
        session,
        actor=SYSTEM,
        action="case.note",
        object_type="case",
        object_id=case.number,
        details={"source_ref": note.source_ref, "text": note.text},
    )
    events.publish(
        session,
        NOTED_EVENT,
        {"number": case.number, "kind": case.kind, "department_id": case.department_id},
    )
    return entry


def _on_requested(session: Session, request: CaseRequested) -> None:
    open_requested(session, request)


def _on_note(session: Session, note: CaseNoteRequested) -> None:
    note_requested(session, note)


contracts.offer_case_items(items.case_item)
contracts.subscribe(CaseRequested, "cases.open_requested", _on_requested)
contracts.subscribe(CaseNoteRequested, "cases.note_requested", _on_note)

__all__ = ["NOTED_EVENT", "note_requested", "open_requested"]
