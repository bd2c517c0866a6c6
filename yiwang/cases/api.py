"""The cases engine's native API under ``/api/v1/cases``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from yiwang.cases import access, filing, items, queries, stats, supervision, tasks, views, workflow
from yiwang.cases.materials import Upload
from yiwang.cases.schemas import (
    ApplicationCreate,
    CaseList,
    CasePublic,
    ComplaintCreate,
    ItemCreate,
    ItemPublic,
    ItemVersionSpec,
    PowerCreate,
    PowerPublic,
    RatingGiven,
    RatingIn,
    StatisticsPublic,
    StatisticsQueued,
    StatisticsRow,
    StatisticsTotals,
    SupervisionPublic,
    TaskDone,
    TransitionIn,
)
from yiwang.cases.vocab import ItemKind, LifeEvent, Theme
from yiwang.core import jobs
from yiwang.core.errors import InvalidInput
from yiwang.core.policy import Actor
from yiwang.core.web.api import job_public
from yiwang.core.web.deps import CurrentActor, SessionDep, SettingsDep, SignedInActor
from yiwang.core.web.pagination import Limit, Offset, next_link

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="a repeated submission returns the same case"),
]
QueryCode = Annotated[str | None, Header(alias="X-Query-Code", description="查询码")]


# --- powers and items ----------------------------------------------------------------------------


@router.get("/powers", summary="The power list (权力清单)")
def list_powers(session: SessionDep, department_id: int | None = None) -> list[PowerPublic]:
    return [views.power_public(p) for p in items.list_powers(session, department_id=department_id)]


@router.post("/powers", status_code=status.HTTP_201_CREATED, summary="Add a power")
def create_power(body: PowerCreate, session: SessionDep, actor: SignedInActor) -> PowerPublic:
    return views.power_public(items.create_power(session, actor=actor, data=body))


@router.get("/items", summary="Service items and complaint categories (current versions)")
def list_items(
    session: SessionDep,
    kind: str | None = None,
    department_id: int | None = None,
    theme: Annotated[Theme | None, Query(description="办事主题")] = None,
    life_event: Annotated[LifeEvent | None, Query(description="人生事件")] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="words the item's name, search words (检索词) or description hold, "
            "each of them; the best matches first",
        ),
    ] = None,
) -> list[ItemPublic]:
    found = items.list_items(
        session, kind=kind, department_id=department_id, theme=theme, life_event=life_event
    )
    if q is not None and q.strip():
        listed = {item.code for item, _ in found}
        ranked = items.search_items(session, q=q, kinds=tuple(ItemKind))
        found = [(item, version) for item, version in ranked if item.code in listed]
    return [views.item_public(i, v) for i, v in found]


@router.post("/items", status_code=status.HTTP_201_CREATED, summary="Register a service item")
def create_item(body: ItemCreate, session: SessionDep, actor: SignedInActor) -> ItemPublic:
    item = items.create_item(session, actor=actor, data=body)
    return views.item_public(item, items.current_version(session, item))


@router.get("/items/{code}", summary="One item: form fields, materials, limits, fees, steps")
def get_item(code: str, session: SessionDep) -> ItemPublic:
    item = items.get_item(session, code=code)
    return views.item_public(item, items.current_version(session, item))


@router.post(
    "/items/{code}/versions",
    status_code=status.HTTP_201_CREATED,
    summary="Revise an item (a new version; filed cases keep theirs)",
)
def revise_item(
    code: str, body: ItemVersionSpec, session: SessionDep, actor: SignedInActor
) -> ItemPublic:
    items.revise_item(session, actor=actor, code=code, data=body)
    item = items.get_item(session, code=code)
    return views.item_public(item, items.current_version(session, item))


# --- filing --------------------------------------------------------------------------------------


def _parse(model: Any, raw: str | bytes | None, field: str) -> Any:
    if raw is None:
        raise InvalidInput("field_missing", field=field)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem.get("loc", ())) or field
        raise InvalidInput("field_invalid", field=where, reason=problem.get("msg", "")) from None


def _filed(session: Session, filed: filing.Filed, response: Response, actor: Actor) -> CasePublic:
    response.status_code = status.HTTP_201_CREATED if filed.created else status.HTTP_200_OK
    body = None
    if filed.created:  # a new case: no review tasks yet, and all of it at hand
        body = views.filed_case_public(filed, full=access.handles_new(filed.case, actor))
    if body is None:
        full = access.handles(session, filed.case, actor)
        body = views.case_public(session, filed.case, full=full, query_code=filed.query_code)
    return body.model_copy(update={"created": filed.created})


def _uploads(form: FormData) -> list[Upload]:
    """The files of a multipart form, by field name."""
    return [
        Upload(name, value.filename or name, value.file)
        for name, value in form.multi_items()
        if isinstance(value, UploadFile)
    ]


@router.post(
    "/applications",
    status_code=status.HTTP_201_CREATED,
    summary="Apply for a service item (multipart: `application` JSON and one file per material "
    "key; or JSON without materials). A repeat with the same Idempotency-Key answers 200 with "
    "the case already filed.",
    responses={
        200: {
            "description": "the case filed before under this Idempotency-Key",
            "model": CasePublic,
        }
    },
)
async def submit_application(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> CasePublic:
    uploads: list[Upload] = []
    form = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=200, max_fields=200)
        raw = form.get("application")
        data = _parse(ApplicationCreate, raw if isinstance(raw, str) else None, "application")
        key_field = form.get("idempotency_key")
        if idempotency_key is None and isinstance(key_field, str):
            idempotency_key = key_field
        uploads = _uploads(form)
    else:
        data = _parse(ApplicationCreate, await request.body(), "body")

    def run() -> CasePublic:
        filed = filing.submit_application(
            session,
            actor=actor,
            data=data,
            uploads=uploads,
            storage=filing.Storage.of(settings),
            idempotency_key=idempotency_key,
            code_secret=filing.code_secret(settings),
        )
        return _filed(session, filed, response, actor)

    try:
        return await run_in_threadpool(run)
    finally:
        if form is not None:
            await form.close()


@router.post(
    "/complaints",
    status_code=status.HTTP_201_CREATED,
    summary="File a complaint or suggestion against a complaint category",
    responses={
        200: {
            "description": "the case filed before under this Idempotency-Key",
            "model": CasePublic,
        }
    },
)
def file_complaint(
    body: ComplaintCreate,
    response: Response,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> CasePublic:
    filed = filing.file_complaint(
        session,
        actor=actor,
        data=body,
        idempotency_key=idempotency_key,
        code_secret=filing.code_secret(settings),
    )
    return _filed(session, filed, response, actor)


# --- reading -------------------------------------------------------------------------------------


@router.get("", summary="Cases the caller handles or filed, newest first")
def list_cases(
    request: Request,
    session: SessionDep,
    actor: SignedInActor,
    kind: str | None = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(open|closed)$")] = None,
    state: Annotated[list[str] | None, Query()] = None,
    item: Annotated[list[str] | None, Query(description="item codes")] = None,
    number: Annotated[list[str] | None, Query()] = None,
    department_id: int | None = None,
    card: Annotated[str | None, Query(pattern="^(yellow|red)$")] = None,
    start_date: dt.datetime | None = None,
    end_date: dt.datetime | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CaseList:
    filters = queries.CaseFilters(
        kind=kind,
        status=status_,
        states=state or (),
        item_codes=item or (),
        numbers=number or (),
        department_id=department_id,
        card=card,
        submitted_from=start_date,
        submitted_before=end_date,
    )
    rows, total = queries.list_cases(
        session, actor=actor, filters=filters, limit=limit, offset=offset
    )
    return CaseList(
        items=[views.case_summary_public(c, full=access.handles(session, c, actor)) for c in rows],
        total=total,
        limit=limit,
        offset=offset,
        next=next_link(request, total=total or 0, limit=limit, offset=offset),
    )


@router.get("/supervision", summary="电子监察: yellow and red cards, province or one department")
def supervision_view(
    session: SessionDep,
    actor: SignedInActor,
    department_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> SupervisionPublic:
    view = supervision.supervision_view(
        session, actor=actor, department_id=department_id, since=since, until=until
    )
    return SupervisionPublic.model_validate(view)


@router.get("/statistics", summary="Volume, on-time rate, working days, 好差评, trips saved")
def statistics(
    session: SessionDep,
    start: dt.date,
    end: dt.date,
    department_id: int | None = None,
    kind: str | None = None,
) -> StatisticsPublic:
    rows = stats.statistics(session, start=start, end=end, department_id=department_id, kind=kind)
    return StatisticsPublic(
        start=start,
        end=end,
        totals=StatisticsTotals.model_validate(stats.totals(rows)),
        rows=[StatisticsRow.model_validate(r) for r in rows],
    )


@router.post(
    "/statistics/publish",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Publish the monthly statistics to the open-data catalogue (a job)",
)
def publish_statistics(
    session: SessionDep, actor: SignedInActor, month: str | None = None
) -> StatisticsQueued:
    if month is not None:
        stats.parse_month(month)
    from yiwang.core.policy import can_publish_case_statistics, require  # noqa: PLC0415

    require(can_publish_case_statistics(actor), "case.statistics.publish", object_type="resource")
    job = jobs.enqueue(
        session, kind=tasks.PUBLISH, payload={"month": month} if month else {}, actor=actor
    )
    return StatisticsQueued(job=job_public(job))


@router.get("/{number}", summary="One case (applicants: X-Query-Code header, or signed in)")
def get_case(
    number: str, session: SessionDep, actor: CurrentActor, query_code: QueryCode = None
) -> CasePublic:
    case = access.get_case(session, actor=actor, number=number, query_code=query_code)
    return views.case_public(session, case, full=access.handles(session, case, actor))


# --- acting --------------------------------------------------------------------------------------


@router.post(
    "/{number}/actions/{action}",
    summary="Move a case: accept, reject, start_review, request_supplement, supplement "
    "(multipart with `data` JSON and files), decide, deliver, close, withdraw",
)
async def act(
    number: str,
    action: str,
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    settings: SettingsDep,
    query_code: QueryCode = None,
) -> CasePublic:
    uploads: list[Upload] = []
    form = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=200, max_fields=200)
        raw = form.get("data")
        data = _parse(TransitionIn, raw if isinstance(raw, str) else "{}", "data")
        uploads = _uploads(form)
    else:
        body = await request.body()
        data = _parse(TransitionIn, body or b"{}", "body")
    if query_code and not data.query_code:
        data = data.model_copy(update={"query_code": query_code})

    def run() -> CasePublic:
        case = workflow.transition(
            session,
            actor=actor,
            number=number,
            action=action,
            data=data,
            uploads=uploads,
            storage=filing.Storage.of(settings),
        )
        return views.case_public(session, case, full=access.handles(session, case, actor))

    try:
        return await run_in_threadpool(run)
    finally:
        if form is not None:
            await form.close()


@router.post("/{number}/tasks/{task_id}", summary="Give a department's review opinion")
def complete_task(
    number: str, task_id: int, body: TaskDone, session: SessionDep, actor: SignedInActor
) -> CasePublic:
    workflow.complete_task(
        session,
        actor=actor,
        number=number,
        task_id=task_id,
        opinion=body.opinion,
        comment=body.comment,
    )
    case = access.get_case(session, actor=actor, number=number)
    return views.case_public(session, case, full=access.handles(session, case, actor))


@router.post(
    "/{number}/rating", status_code=status.HTTP_201_CREATED, summary="好差评: rate a closed case"
)
def rate(
    number: str,
    body: RatingIn,
    session: SessionDep,
    actor: CurrentActor,
    query_code: QueryCode = None,
) -> RatingGiven:
    rating = workflow.rate(
        session,
        actor=actor,
        number=number,
        score=body.score,
        comment=body.comment,
        query_code=body.query_code or query_code,
    )
    return RatingGiven(number=number, score=rating.score, comment=rating.comment)


__all__ = ["router"]
