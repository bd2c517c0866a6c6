"""The state machine at work: moving a case by the actions of
:data:`yiwang.cases.vocab.TRANSITIONS` (who, when, why; audited; an event each), review tasks of
one or several departments, and the applicant's 好差评 rating."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwang.cases import deadlines, materials
from yiwang.cases.access import get_case, is_applicant, step_departments
from yiwang.cases.filing import Storage, attach, store_materials
from yiwang.cases.materials import StoredFile, Upload
from yiwang.cases.messages import ACTION_LABELS
from yiwang.cases.models import Case, ItemVersion, Power, Rating, ServiceItem, Task, Transition
from yiwang.cases.queries import item_of
from yiwang.cases.schemas import TransitionIn
from yiwang.cases.vocab import (
    APPLICATION_DECISIONS,
    COMPLAINT_DECISIONS,
    FINAL_STATES,
    STATE_LABELS,
    TRANSITIONS,
    CaseKind,
    State,
    local_date,
)
from yiwang.core import audit, contracts, events, identity
from yiwang.core.calendar import WorkCalendar
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, InvalidInput, NotFound
from yiwang.core.policy import (
    Actor,
    can_rate_case,
    can_review_task,
    can_transition_case,
    require,
)

# --- transitions ---------------------------------------------------------------------------------


def _state_label(state: str) -> str:
    labels = {key.value: value for key, value in STATE_LABELS.items()}
    return labels.get(state, (state, state))[0]


def _party(
    actor: Actor, case: Case, applicant: bool, steps: frozenset[int], who: frozenset[str]
) -> str:
    if "applicant" in who and applicant:
        return "applicant"
    if actor.department_id == case.department_id and actor.role is not None:
        return "responsible"
    if actor.department_id in steps and actor.role is not None:
        return "step"
    return "sysadmin" if actor.is_sysadmin else "system"


def _working_days_used(session: Session, case: Case) -> int:
    cal = deadlines.work_calendar(session)
    finished = case.finished_on or case.submitted_on
    return max(0, cal.workdays_between(case.submitted_on, finished) - case.paused_workdays)


def _start_review(session: Session, case: Case, version: ItemVersion) -> None:
    steps = version.steps or [{"key": "review", "name": "审查", "departments": []}]
    for position, step in enumerate(steps, start=1):
        departments = [identity.find_department(session, s).id for s in step.get("departments", [])]
        for department_id in departments or [case.department_id]:
            session.add(
                Task(
                    case_id=case.id,
                    step_key=step["key"],
                    step_name=step["name"],
                    position=position,
                    department_id=department_id,
                    state="pending",
                )
            )


def _apply_decision(session: Session, case: Case, data: TransitionIn) -> dict[str, Any]:
    pending = session.scalar(
        select(func.count()).where(Task.case_id == case.id, Task.state == "pending")
    )
    if pending:
        raise Conflict("cases.tasks_pending", count=pending)
    allowed = APPLICATION_DECISIONS if case.kind == CaseKind.APPLICATION else COMPLAINT_DECISIONS
    if data.decision not in allowed:
        raise InvalidInput("cases.bad_decision", value=data.decision, allowed="、".join(allowed))
    if case.kind == CaseKind.APPLICATION:
        if data.decision == "approved" and not data.document_number:
            raise InvalidInput("cases.document_required")
        if data.decision == "denied" and not (data.reason or "").strip():
            raise InvalidInput("cases.reason_required", action=_action_label("decide"))
    elif not (data.reply or "").strip():
        raise InvalidInput("cases.reply_required")
    case.decision = data.decision
    case.decision_document = data.document_number
    if data.reply:
        case.reply = data.reply.strip()
    return {"decision": data.decision, "document_number": data.document_number}


def _apply_delivery(case: Case, version: ItemVersion, data: TransitionIn) -> dict[str, Any]:
    method = data.delivery_method or case.delivery_method
    if method is None or method not in version.delivery_methods:
        raise InvalidInput("cases.delivery_method", method=method or "-")
    if method == "courier" and not (data.tracking_number or "").strip():
        raise InvalidInput("cases.tracking_required")
    case.delivery_method = method
    case.tracking_number = (data.tracking_number or "").strip() or None
    return {"method": method, "tracking_number": case.tracking_number}


def _action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def _illegal(action: str, case: Case) -> Conflict:
    return Conflict(
        "cases.illegal_transition",
        action=_action_label(action),
        state=_state_label(case.state),
        number=case.number,
    )


@dataclass
class _Step:
    """What one transition works with; effects fill in ``details`` and may change ``target``."""

    session: Session
    case: Case
    version: ItemVersion
    data: TransitionIn
    uploads: Sequence[Upload]
    storage: Storage | None
    today: dt.date
    cal: WorkCalendar
    target: State
    details: dict[str, Any]


def _on_start_review(step: _Step) -> None:
    _start_review(step.session, step.case, step.version)


def _on_request_supplement(step: _Step) -> None:
    case = step.case
    case.paused_from = case.state
    if step.version.clock_stops_on_supplement:
        case.paused_on = step.today
        case.next_card_on = None


def _on_supplement(step: _Step) -> None:
    """Back to the state before 补正, with the materials given; the deadlines move by the
    working days the clock stood still."""
    case, cal = step.case, step.cal
    step.target = State(case.paused_from or State.SUBMITTED)
    if step.uploads and step.storage is not None:
        stored = store_materials(
            step.session, step.version, step.uploads, step.storage, require_mandatory=False
        )
        attach(step.session, case, stored, "supplement")
        step.details["materials"] = [f.key for f in stored]
    if case.paused_on is not None:
        stopped = deadlines.stopped_workdays(cal, case.paused_on, step.today)
        case.paused_workdays += stopped
        case.due_on = cal.add_workdays(case.due_on, stopped)
        case.legal_due_on = cal.add_workdays(case.legal_due_on, stopped)
        step.details["stopped_workdays"] = stopped
        case.paused_on = None
    case.paused_from = None
    case.next_card_on = deadlines.next_card_on(
        cal, due_on=case.due_on, card=case.card, warn_days=case.warn_days
    )
    case.deadline_provisional = deadlines.is_provisional(cal, case)


DECISION_DOCUMENT = "decision_document"  # the file part of a decision: 决定文书
DECISION_DOCUMENT_TYPES = ("pdf", "ofd")
DECISION_DOCUMENT_LABEL = "决定文书"


def _on_decide(step: _Step) -> None:
    step.details |= _apply_decision(step.session, step.case, step.data)
    if step.uploads:
        stored = _store_decision_document(step)
        attach(step.session, step.case, [stored], "decision")
        step.details["document_file"] = {"type": stored.file_type, "digest": stored.digest}


def _store_decision_document(step: _Step) -> StoredFile:
    """The decision document (决定文书) uploaded with the decision: one file, a PDF or an OFD
    by its content, within the item's and the site's size limits."""
    unknown = [u.key for u in step.uploads if u.key != DECISION_DOCUMENT]
    if unknown:
        raise InvalidInput("cases.unknown_material", key=unknown[0])
    if len(step.uploads) > 1:
        raise InvalidInput("cases.one_decision_document")
    if step.storage is None:  # pragma: no cover  (the web layer always gives storage)
        raise InvalidInput("cases.unknown_material", key=DECISION_DOCUMENT)
    limits = [step.storage.max_bytes, step.version.max_material_bytes]
    return materials.store(
        step.session,
        step.uploads[0],
        root=step.storage.root,
        max_bytes=min(int(n) for n in limits if n),
        accepted=DECISION_DOCUMENT_TYPES,
        material_name=DECISION_DOCUMENT_LABEL,
    )


def _on_deliver(step: _Step) -> None:
    step.details |= _apply_delivery(step.case, step.version, step.data)


def _on_close(step: _Step) -> None:
    case = step.case
    # An approval is delivered (licence, certificate) before the case is closed.
    if (
        case.kind == CaseKind.APPLICATION
        and case.decision == "approved"
        and case.state != State.DELIVERED
    ):
        raise _illegal("close", case)


_EFFECTS: dict[str, Callable[[_Step], None]] = {
    "start_review": _on_start_review,
    "request_supplement": _on_request_supplement,
    "supplement": _on_supplement,
    "decide": _on_decide,
    "deliver": _on_deliver,
    "close": _on_close,
}


def _finish(step: _Step) -> None:
    """办结: stop the clock and supervision, count the working days used and punctuality."""
    case, cal, today = step.case, step.cal, step.today
    if case.paused_on is not None:  # finished while paused: the pause ends here
        case.paused_workdays += deadlines.stopped_workdays(cal, case.paused_on, today)
        case.paused_on = None
    case.finished_on = today
    case.on_time = today <= case.due_on
    case.next_card_on = None
    case.workdays_used = _working_days_used(step.session, case)


def transition(
    session: Session,
    *,
    actor: Actor,
    number: str,
    action: str,
    data: TransitionIn | None = None,
    uploads: Sequence[Upload] = (),
    storage: Storage | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Take ``action`` on the case: check that the actor is a party the state machine allows
    (403 if not) and that the case's state allows it (409 naming the state); then change the
    state, record who, when and why, audit it and publish ``case.<event>``."""
    data = data or TransitionIn()
    spec = TRANSITIONS.get(action)
    if spec is None:
        raise NotFound("action", action)
    case = get_case(session, actor=actor, number=number, query_code=data.query_code)
    applicant = is_applicant(case, actor, data.query_code)
    steps = step_departments(session, case)
    require(
        can_transition_case(
            actor,
            parties=spec.who,
            department_id=case.department_id,
            step_department_ids=steps,
            is_applicant=applicant,
        ),
        f"case.{action}",
        object_type="case",
        object_id=number,
    )
    if case.state not in spec.sources:
        raise _illegal(action, case)
    reason = (data.reason or "").strip() or None
    if spec.reason_required and not reason:
        raise InvalidInput("cases.reason_required", action=_action_label(action))
    now = now or utcnow()
    item, version = item_of(session, case)
    source = case.state
    step = _Step(
        session=session,
        case=case,
        version=version,
        data=data,
        uploads=uploads,
        storage=storage,
        today=local_date(now),
        cal=deadlines.work_calendar(session),
        target=spec.target or State(source),
        details={},
    )
    effect = _EFFECTS.get(action)
    if effect is not None:
        effect(step)
    target = step.target
    if target in (State.DECIDED, State.REJECTED, State.WITHDRAWN):
        _finish(step)
    if target in FINAL_STATES:
        case.is_open = False
    if action == "reject" and reason:
        case.reply = reason
    case.state = target
    case.updated_at = now
    party = _party(actor, case, applicant, steps, spec.who)
    session.add(
        Transition(
            case_id=case.id,
            action=action,
            from_state=source,
            to_state=target,
            party=party,
            actor_id=actor.user_id,
            actor_name=actor.label() if party != "applicant" or actor.user_id else "applicant",
            department_id=actor.department_id,
            reason=reason,
            details=step.details,
            at=now,
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"case.{action}",
        object_type="case",
        object_id=number,
        details={"from": source, "to": target.value, "reason": reason, "party": party}
        | step.details,
    )
    payload = {
        "number": number,
        "kind": case.kind,
        "department_id": case.department_id,
        "from": source,
        "to": target.value,
    }
    if action == "decide":
        contracts.publish(session, _decided(session, case, item, version, now), extra=payload)
    else:
        events.publish(session, f"case.{spec.event}", payload)
    return case


def _decided(
    session: Session, case: Case, item: ServiceItem, version: ItemVersion, now: dt.datetime
) -> contracts.CaseDecided:
    """What other engines are told of a decision (credit records, certificates)."""
    power = session.get(Power, item.power_id) if item.power_id is not None else None
    return contracts.CaseDecided(
        number=case.number,
        kind=case.kind,
        item_code=item.code,
        item_name=version.name,
        power_category=power.category if power is not None else None,
        department_id=case.department_id,
        division_code=case.division_code,
        decision=case.decision or "",
        document_number=case.decision_document,
        decided_at=now,
        applicant=contracts.DecidedApplicant(
            type=case.applicant_type, name=case.applicant_name, id_number=case.applicant_id_number
        )
        if case.kind == CaseKind.APPLICATION
        else None,
        source_ref=case.source_ref,
    )


def complete_task(
    session: Session,
    *,
    actor: Actor,
    number: str,
    task_id: int,
    opinion: str,
    comment: str | None = None,
    now: dt.datetime | None = None,
) -> Task:
    """Record one department's review opinion. Steps run in order; the departments of one step
    in parallel."""
    case = get_case(session, actor=actor, number=number)
    task = session.get(Task, task_id)
    if task is None or task.case_id != case.id:
        raise NotFound("task", task_id)
    require(
        can_review_task(actor, department_id=task.department_id),
        "case.review",
        object_type="case",
        object_id=number,
    )
    if case.state != State.IN_REVIEW:
        raise Conflict(
            "cases.illegal_transition",
            action=_action_label("review"),
            state=_state_label(case.state),
            number=number,
        )
    if task.state == "done":
        raise Conflict("cases.task_done", step=task.step_name)
    earlier = session.scalar(
        select(func.count()).where(
            Task.case_id == case.id, Task.state == "pending", Task.position < task.position
        )
    )
    if earlier:
        raise Conflict("cases.step_not_reached", step=task.step_name)
    now = now or utcnow()
    task.state, task.opinion, task.comment = "done", opinion, comment
    task.done_by_id, task.done_at = actor.user_id, now
    session.add(
        Transition(
            case_id=case.id,
            action="review",
            from_state=case.state,
            to_state=case.state,
            party="step" if task.department_id != case.department_id else "responsible",
            actor_id=actor.user_id,
            actor_name=actor.label(),
            department_id=actor.department_id,
            reason=comment,
            details={"task": task.id, "step": task.step_key, "opinion": opinion},
            at=now,
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="case.review",
        object_type="case",
        object_id=number,
        details={"task": task.id, "step": task.step_key, "opinion": opinion},
    )
    events.publish(
        session,
        "case.reviewed",
        {"number": number, "task": task.id, "department_id": task.department_id},
    )
    return task


# --- 好差评 ------------------------------------------------------------------------------------


def rate(
    session: Session,
    *,
    actor: Actor,
    number: str,
    score: int,
    comment: str | None = None,
    query_code: str | None = None,
    now: dt.datetime | None = None,
) -> Rating:
    """The applicant rates a case that has ended (closed, rejected or withdrawn: 好差评 covers
    a refusal too) from 1 to 5, once."""
    case = get_case(session, actor=actor, number=number, query_code=query_code)
    applicant = is_applicant(case, actor, query_code)
    require(
        can_rate_case(actor, is_applicant=applicant),
        "case.rate",
        object_type="case",
        object_id=number,
    )
    if case.state not in FINAL_STATES:
        raise Conflict("cases.not_closed", state=_state_label(case.state))
    if not 1 <= score <= 5:
        raise InvalidInput("cases.bad_score")
    if session.scalar(select(Rating.id).where(Rating.case_id == case.id)):
        raise Conflict("cases.already_rated", number=number)
    rating = Rating(
        case_id=case.id,
        score=score,
        comment=(comment or "").strip() or None,
        department_id=case.department_id,
        item_id=case.item_id,
        via="user"
        if actor.user_id is not None and case.applicant_user_id == actor.user_id
        else "query_code",
        rated_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(rating)
            session.flush()
    except IntegrityError:
        raise Conflict("cases.already_rated", number=number) from None
    audit.record(
        session,
        actor=actor,
        action="case.rate",
        object_type="case",
        object_id=number,
        details={"score": score},
    )
    events.publish(
        session,
        "case.rated",
        {"number": number, "score": score, "department_id": case.department_id},
    )
    return rating


def rating_of(session: Session, case: Case) -> Rating | None:
    return session.scalars(select(Rating).where(Rating.case_id == case.id)).first()
