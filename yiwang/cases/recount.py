"""Counting deadlines again when an official holiday schedule replaces a provisional one.

A case filed while a year had no official schedule was given deadlines counted on the
provisional calendar (``Case.deadline_provisional``). When the State Council's notice is
imported, :func:`recount_provisional` counts every such open case again from its day of
submission, its limits and its pauses; a changed deadline is recorded on the case's history
with the reason (so the applicant sees it on /track), audited and published, never moved
silently. A card issued on a provisional date stays in the record; where the official
calendar would not have issued it that day, the card carries a note saying so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.cases import deadlines
from yiwang.cases.models import Card, Case, ItemVersion, Transition
from yiwang.core import audit, calendar, clock, events
from yiwang.core.calendar import WorkCalendar
from yiwang.core.policy import SYSTEM, Actor

CHANGED_EVENT = "case.deadline_changed"
_AUDIT_LIST_MAX = 1000  # changes listed in the audit entry (the job's result lists them all)


@dataclass
class RecountResult:
    checked: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)
    cards_noted: int = 0


def _pauses(session: Session, case: Case) -> list[tuple[dt.date, dt.date]]:
    """The finished pauses of the clock (补正 asked, then given), as local dates."""
    spans = []
    asked: dt.date | None = None
    for action, at, details in session.execute(
        select(Transition.action, Transition.at, Transition.details)
        .where(Transition.case_id == case.id)
        .order_by(Transition.at, Transition.id)
    ):
        if action == "request_supplement":
            asked = clock.local_date(at)
        elif action == "supplement" and asked is not None:
            if "stopped_workdays" in (details or {}):
                spans.append((asked, clock.local_date(at)))
            asked = None
    return spans


def _recount(session: Session, cal: WorkCalendar, case: Case) -> dict[str, Any] | None:
    """Count the case's deadlines again; return what changed, or None."""
    version = session.get(ItemVersion, case.item_version_id)
    if version is None:  # pragma: no cover  (versions are never deleted)
        return None
    paused = sum(
        deadlines.stopped_workdays(cal, start, end) for start, end in _pauses(session, case)
    )
    legal = cal.add_workdays(case.submitted_on, version.legal_limit_days + paused)
    due = cal.add_workdays(case.submitted_on, version.promised_limit_days + paused)
    next_card = (
        None
        if case.paused_on is not None or case.card == "red"
        else deadlines.next_card_on(cal, due_on=due, card=case.card, warn_days=case.warn_days)
    )
    before = (case.legal_due_on, case.due_on, case.next_card_on, case.paused_workdays)
    case.legal_due_on, case.due_on, case.next_card_on = legal, due, next_card
    case.paused_workdays = paused
    case.deadline_provisional = deadlines.is_provisional(cal, case)
    if before == (legal, due, next_card, paused):
        return None
    return {
        "number": case.number,
        "due_on": [before[1].isoformat(), due.isoformat()],
        "legal_due_on": [before[0].isoformat(), legal.isoformat()],
        "days": (due - before[1]).days,
        "still_provisional": case.deadline_provisional,
    }


def _note_cards(session: Session, cal: WorkCalendar, case: Case, years: str) -> int:
    """Note each provisional card the official calendar would not have issued that day."""
    noted = 0
    for card in session.scalars(
        select(Card).where(Card.case_id == case.id, Card.provisional.is_(True))
    ):
        if card.level == "red":
            would = card.issued_on > case.due_on
        else:
            would = card.issued_on >= cal.add_workdays(case.due_on, -case.warn_days)
        if not would and card.note is None:
            card.note = (
                f"按{years}年官方节假日安排，期限为 {case.due_on.isoformat()}，"
                f"{card.issued_on.isoformat()} 不应发出此牌；按预计日历发出，保留记录。"
            )
            noted += 1
    return noted


def _reason(years: str, change: dict[str, Any]) -> str:
    """What the applicant reads on /track: which dates moved, from what to what."""
    moved = [
        f"{label}由 {change[key][0]} 改为 {change[key][1]}"
        for key, label in (("due_on", "承诺办结日期"), ("legal_due_on", "法定办结日期"))
        if change[key][0] != change[key][1]
    ]
    what = "；".join(moved) if moved else "期限不变，电子监察日期已按正式安排调整"
    return f"国务院办公厅{years}年节假日安排已导入，办理期限按正式安排重新计算：{what}。"


def recount_provisional(
    session: Session, *, years: list[int], source: str, actor: Actor = SYSTEM
) -> RecountResult:
    """Count again the deadlines of every open case counted on provisional days, now that the
    schedules of ``years`` are official. Record, audit and publish each change."""
    cal = calendar.load(session)  # afresh: the import may be in this very transaction
    named = "、".join(str(y) for y in years)
    result = RecountResult()
    now = clock.now()
    cases = session.scalars(
        select(Case)
        .where(Case.is_open.is_(True), Case.deadline_provisional.is_(True))
        .order_by(Case.id)
    ).all()
    for case in cases:
        result.checked += 1
        change = _recount(session, cal, case)
        result.cards_noted += _note_cards(session, cal, case, named)
        if change is None:
            continue
        result.changes.append(change)
        case.updated_at = now
        session.add(
            Transition(
                case_id=case.id,
                action="recount",
                from_state=case.state,
                to_state=case.state,
                party="system",
                actor_id=actor.user_id,
                actor_name=actor.label(),
                department_id=None,
                reason=_reason(named, change),
                details={"source": source, **change},
                at=now,
            )
        )
    session.flush()
    if result.changes:
        events.publish(session, CHANGED_EVENT, {"years": years, "cases": result.changes})
    audit.record(
        session,
        actor=actor,
        action="case.recount_deadlines",
        object_type="calendar",
        object_id=named,
        details={
            "source": source,
            "checked": result.checked,
            "changed": len(result.changes),
            "cards_noted": result.cards_noted,
            "changes": result.changes[:_AUDIT_LIST_MAX],
        },
    )
    return result
