"""Console pages: the case queue (办件队列). The open cases a member of staff's department
handles, most urgent first (red cards, yellow cards, then the nearest deadline), with their
deadlines and yellow and red cards, every filter kept in the page's address; one case as its
handlers see it, with a form for each action its state allows them now, and its review tasks.
Every read and every action goes through the cases engine's public services
(:mod:`yiwang.cases.public`), the same calls as the JSON API under ``/api/v1/cases``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from yiwang.cases import public as cases
from yiwang.cases.public import (
    ACTION_LABELS,
    CARD_LABELS,
    DECISION_LABELS,
    DELIVERY_LABELS,
    KIND_LABELS,
    OPINION_LABELS,
    PARTY_LABELS,
    STATE_LABELS,
    TRANSITIONS,
    Case,
    State,
    TaskDone,
    TransitionIn,
    Upload,
    allowed_actions,
    local_date,
)
from yiwang.core import geo, policy
from yiwang.core.calendar import WorkCalendar
from yiwang.core.db import utcnow
from yiwang.core.errors import AppError, InvalidInput, NotFound, PermissionDenied
from yiwang.core.policy import Actor
from yiwang.core.web.csrf import check_csrf
from yiwang.core.web.deps import SessionDep, SettingsDep, SignedInActor
from yiwang.core.web.templating import render_page
from yiwang.portal.common import departments_by_id, is_zh, local_time

router = APIRouter()

PAGE_SIZE = 50

# The actions staff take from the console, in the order of the state machine; "supplement" and
# "withdraw" are the applicant's.
STAFF_ACTIONS = (
    "accept",
    "reject",
    "start_review",
    "request_supplement",
    "decide",
    "deliver",
    "close",
)
ACTION_LABELS_EN = {
    "submit": "Submitted",
    "accept": "Accept",
    "reject": "Reject",
    "start_review": "Start review",
    "request_supplement": "Request a supplement",
    "supplement": "Supplement",
    "review": "Review opinion",
    "decide": "Decide",
    "deliver": "Deliver",
    "close": "Close",
    "withdraw": "Withdraw",
    "recount": "Deadline recounted",
}
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "ofd": "application/ofd",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
STATE_OPTIONS = [(s.value, STATE_LABELS[s]) for s in State]


# --- the queue -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clock:
    """Where a case stands against its promised deadline."""

    due_on: dt.date
    workdays_left: int | None  # None: finished or paused
    paused: bool
    finished: bool
    on_time: bool | None
    provisional: bool  # counted over a year with no official holiday schedule (预计)


@dataclass(frozen=True, slots=True)
class QueueRow:
    number: str
    item_name: str
    kind: str
    applicant: str | None
    state: str
    submitted_at: dt.datetime
    clock: Clock
    card: str | None


def _clock(case: Case, cal: WorkCalendar, today: dt.date) -> Clock:
    finished = case.finished_on is not None
    paused = case.paused_on is not None
    left = None
    if not finished and not paused:
        left = cases.workdays_left(cal, today, case.due_on)
    return Clock(case.due_on, left, paused, finished, case.on_time, case.deadline_provisional)


def _item_names(
    session: Session, *, zh: bool, department_id: int | None = None
) -> dict[int, tuple[str, str]]:
    """Every item's code and current name in the page's language, by id (the department's
    items only, given one)."""
    return {
        item.id: (item.code, version.name if zh else (version.name_en or version.name))
        for item, version in cases.list_items(session, department_id=department_id)
    }


def _item_options(session: Session, actor: Actor, *, zh: bool) -> list[tuple[str, str]]:
    """The items the filter offers, by code: the department's own (every one for a sysadmin,
    and for anyone of no department, who has none)."""
    own = None if actor.is_sysadmin else actor.department_id
    return sorted(_item_names(session, zh=zh, department_id=own).values())


def _card_summary(session: Session, actor: Actor) -> dict[str, Any]:
    """Open cases carrying a yellow or a red card now: the supervision view of the actor's
    department (the province for a sysadmin) where the policy allows it, else counted from
    the actor's own queue."""
    department_id = None if actor.is_sysadmin else actor.department_id
    if actor.is_sysadmin or (
        department_id is not None
        and policy.can_view_supervision(
            actor, department_id=department_id, is_data_office_staff=False
        )
    ):
        view = cases.supervision_view(session, actor=actor, department_id=department_id, limit=1)
        return {
            "scope": view["scope"],
            "yellow": view["open_with_card"]["yellow"],
            "red": view["open_with_card"]["red"],
            "issued": view["cards"],
        }
    counts = {}
    for card in ("yellow", "red"):
        _, total = cases.list_cases(
            session,
            actor=actor,
            filters=cases.CaseFilters(status="open", card=card),
            limit=1,
        )
        counts[card] = total or 0
    return {"scope": "queue", **counts, "issued": None}


@router.get("/console/cases", response_class=HTMLResponse)
def case_queue(
    request: Request,
    session: SessionDep,
    actor: SignedInActor,
    status: Annotated[str, Query(pattern="^(|all|open|closed)$")] = "open",
    state: Annotated[str, Query(max_length=32)] = "",
    kind: Annotated[str, Query(pattern="^(|application|complaint)$")] = "",
    item: Annotated[str, Query(max_length=64)] = "",
    card: Annotated[str, Query(pattern="^(|yellow|red)$")] = "",
    due: Annotated[str, Query(pattern="^(|soon)$")] = "",
    number: Annotated[str, Query(max_length=64)] = "",
    sort: Annotated[str, Query(pattern="^(|urgency|newest)$")] = "urgency",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = PAGE_SIZE,
) -> Response:
    """The cases the actor handles (a sysadmin: every one), open ones by default, most urgent
    first; "all" (or an empty status) lists the finished ones too."""
    cal = cases.work_calendar(session)
    today = local_date(utcnow())
    status = "" if status == "all" else status
    sort = sort or "urgency"
    filters = cases.CaseFilters(
        status=status or None,
        states=[state] if state else (),
        kind=kind or None,
        item_codes=[item.strip()] if item.strip() else (),
        card=card or None,
        due_soon_on=today if due == "soon" else None,
        numbers=[number.strip()] if number.strip() else (),
    )
    found, total = cases.list_cases(
        session, actor=actor, filters=filters, limit=limit, offset=offset, order=sort
    )
    zh = is_zh(request)
    names = _item_names(session, zh=zh)
    rows = []
    for case in found:
        summary = cases.case_summary(case, full=cases.handles(session, case, actor))
        rows.append(
            QueueRow(
                number=case.number,
                item_name=names.get(case.item_id, ("", ""))[1],
                kind=case.kind,
                applicant=summary["applicant_name"],
                state=case.state,
                submitted_at=case.submitted_at,
                clock=_clock(case, cal, today),
                card=case.card,
            )
        )
    total = total or 0
    return render_page(
        request,
        "console/cases/queue.html",
        {
            "rows": rows,
            "total": total,
            "offset": offset,
            "limit": limit,
            "previous": (
                str(request.url.include_query_params(offset=max(0, offset - limit)))
                if offset > 0
                else None
            ),
            "next": (
                str(request.url.include_query_params(offset=offset + limit))
                if offset + limit < total
                else None
            ),
            "filters": {
                "status": status or "all",
                "state": state,
                "kind": kind,
                "item": item.strip(),
                "card": card,
                "due": due,
                "number": number.strip(),
                "sort": sort,
            },
            "summary": _card_summary(session, actor),
            "item_options": _item_options(session, actor, zh=zh),
            "state_options": STATE_OPTIONS,
            "state_labels": {s.value: label for s, label in STATE_LABELS.items()},
            "kind_labels": KIND_LABELS,
            "card_labels": CARD_LABELS,
            "local_time": local_time,
        },
    )


# --- one case ------------------------------------------------------------------------------------


def _staff_actions(session: Session, case: Case, actor: Actor) -> list[str]:
    """The actions the state machine allows from the case's state that the policy lets this
    member of staff take."""
    steps = cases.step_departments(session, case)
    return [
        action
        for action in allowed_actions(case.state)
        if action in STAFF_ACTIONS
        and policy.can_transition_case(
            actor,
            parties=TRANSITIONS[action].who,
            department_id=case.department_id,
            step_department_ids=steps,
            is_applicant=False,
        )
    ]


def _department_names(session: Session, actor: Actor, *, zh: bool) -> dict[int, str]:
    return {
        i: d.name_zh if zh else (d.name_en or d.name_zh)
        for i, d in departments_by_id(session, actor).items()
    }


def _case_page(
    request: Request,
    session: Session,
    actor: Actor,
    number: str,
    *,
    done: str | None = None,
    error: AppError | None = None,
    error_form: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    case = cases.get_case(session, actor=actor, number=number)
    full = cases.handles(session, case, actor)
    data = cases.case_dict(session, case, full=full)
    _, version = cases.item_of(session, case)
    zh = is_zh(request)
    cal = cases.work_calendar(session)
    today = local_date(utcnow())
    pending = [t for t in data["tasks"] if t["state"] == "pending"]
    my_tasks = [
        t["id"]
        for t in pending
        if case.state == State.IN_REVIEW
        and policy.can_review_task(actor, department_id=t["department_id"])
    ]
    field_labels = {f["key"]: f.get("label", f["key"]) for f in version.form_fields}
    material_names = {m["key"]: m.get("name", m["key"]) for m in version.materials}
    return render_page(
        request,
        "console/cases/case.html",
        {
            "case": data,
            "item_name": version.name if zh else (version.name_en or version.name),
            "full": full,
            "clock": _clock(case, cal, today),
            "actions": _staff_actions(session, case, actor),
            "pending": len(pending),
            "my_tasks": my_tasks,
            "delivery_methods": version.delivery_methods,
            "field_labels": field_labels,
            "material_names": material_names
            | {cases.DECISION_DOCUMENT: cases.DECISION_DOCUMENT_LABEL},
            "departments": _department_names(session, actor, zh=zh),
            "done": done if done in ACTION_LABELS else None,
            "error": error,
            "error_form": error_form,
            "values": values or {},
            "action_labels": ACTION_LABELS,
            "action_labels_en": ACTION_LABELS_EN,
            "state_labels": {s.value: label for s, label in STATE_LABELS.items()},
            "kind_labels": KIND_LABELS,
            "card_labels": CARD_LABELS,
            "decision_labels": DECISION_LABELS,
            "delivery_labels": DELIVERY_LABELS,
            "opinion_labels": OPINION_LABELS,
            "party_labels": PARTY_LABELS,
            "local_time": local_time,
            "safe_url": lambda url: bool(url) and str(url).startswith(("https://", "http://")),
            # Where a complaint or a task is: its city and district, and the city drawn with
            # the point on it.
            "place": geo.place_of(case.division_code, case.address),
            "city_map": geo.city_map(case.division_code, case.longitude, case.latitude),
        },
        status_code=status_code,
    )


@router.get("/console/cases/{number}", response_class=HTMLResponse)
def case_page(
    request: Request,
    number: str,
    session: SessionDep,
    actor: SignedInActor,
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    return _case_page(request, session, actor, number, done=done or None)


def _transition_data(
    *,
    reason: str,
    decision: str,
    document_number: str,
    reply: str,
    delivery_method: str,
    tracking_number: str,
) -> TransitionIn:
    try:
        return TransitionIn.model_validate(
            {
                "reason": reason.strip() or None,
                "decision": decision.strip() or None,
                "document_number": document_number.strip() or None,
                "reply": reply.strip() or None,
                "delivery_method": delivery_method.strip() or None,
                "tracking_number": tracking_number.strip() or None,
            }
        )
    except ValidationError:
        # The only field a form can get wrong past its lengths: a method not on offer.
        raise InvalidInput("cases.delivery_method", method=delivery_method) from None


@router.post("/console/cases/{number}/actions/{action}", response_class=HTMLResponse)
def case_action(
    request: Request,
    number: str,
    action: str,
    session: SessionDep,
    actor: SignedInActor,
    settings: SettingsDep,
    csrf: Annotated[str, Form()] = "",
    reason: Annotated[str, Form(max_length=5000)] = "",
    decision: Annotated[str, Form(max_length=16)] = "",
    document_number: Annotated[str, Form(max_length=200)] = "",
    reply: Annotated[str, Form(max_length=10000)] = "",
    delivery_method: Annotated[str, Form(max_length=16)] = "",
    tracking_number: Annotated[str, Form(max_length=64)] = "",
    decision_document: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Take ``action`` on the case (``cases.transition``, as the API's act does); back to
    the case page with a notice, or the page again with the error on the action's form."""
    check_csrf(request, csrf)
    values = {
        "reason": reason,
        "decision": decision,
        "document_number": document_number,
        "reply": reply,
        "delivery_method": delivery_method,
        "tracking_number": tracking_number,
    }
    uploads = []
    if decision_document is not None and decision_document.filename:
        uploads.append(
            Upload(cases.DECISION_DOCUMENT, decision_document.filename, decision_document.file)
        )
    try:
        data = _transition_data(**values)
        with session.begin_nested():  # a refused action leaves nothing behind
            cases.transition(
                session,
                actor=actor,
                number=number,
                action=action,
                data=data,
                uploads=uploads,
                storage=cases.Storage.of(settings),
            )
    except (PermissionDenied, NotFound):
        raise  # the error page; a refusal is audited
    except AppError as exc:
        return _case_page(
            request,
            session,
            actor,
            number,
            error=exc,
            error_form=action,
            values=values,
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/console/cases/{number}?done={action}", status_code=303)


@router.post("/console/cases/{number}/tasks/{task_id}", response_class=HTMLResponse)
def case_task(
    request: Request,
    number: str,
    task_id: int,
    session: SessionDep,
    actor: SignedInActor,
    csrf: Annotated[str, Form()] = "",
    opinion: Annotated[str, Form(max_length=16)] = "",
    comment: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Give the department's review opinion on one task (``cases.complete_task``)."""
    check_csrf(request, csrf)
    values = {"opinion": opinion, "comment": comment}
    try:
        try:
            body = TaskDone.model_validate({"opinion": opinion, "comment": comment.strip() or None})
        except ValidationError:
            raise InvalidInput(
                "field_missing", field="审查意见" if is_zh(request) else "opinion"
            ) from None
        with session.begin_nested():
            cases.complete_task(
                session,
                actor=actor,
                number=number,
                task_id=task_id,
                opinion=body.opinion,
                comment=body.comment,
            )
    except (PermissionDenied, NotFound):
        raise
    except AppError as exc:
        return _case_page(
            request,
            session,
            actor,
            number,
            error=exc,
            error_form=f"task-{task_id}",
            values=values,
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/console/cases/{number}?done=review", status_code=303)


@router.get("/console/cases/{number}/materials/{digest}")
def case_material(
    number: str, digest: str, session: SessionDep, actor: SignedInActor, settings: SettingsDep
) -> Response:
    """One material of a case the actor may see (``cases.get_case`` decides), as a download
    under the name it was uploaded with."""
    case = cases.get_case(session, actor=actor, number=number)
    material = next((m for m in cases.materials_of(session, case) if m.digest == digest), None)
    if material is None:
        raise NotFound("material", digest)
    path = cases.material_path(Path(settings.var_dir), material.digest)
    if not path.is_file():
        raise NotFound("material", digest)
    return FileResponse(
        path,
        media_type=MEDIA_TYPES.get(material.file_type, "application/octet-stream"),
        filename=material.filename,
    )
