"""The core's native JSON API under ``/api/v1``: departments, users, tokens, jobs, audit log,
working-day calendar and configuration; and the health probes."""

from __future__ import annotations

import datetime as dt
import json
import logging
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime, BaseModel, Field, create_model

from yiwang import __version__
from yiwang.core import audit, calendar, codes, identity, jobs, tasks
from yiwang.core.config import Settings
from yiwang.core.errors import AppError
from yiwang.core.i18n import translate
from yiwang.core.identity.schemas import (
    DepartmentCreate,
    DepartmentPublic,
    DepartmentUpdate,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    UserCreate,
    UserPublic,
)
from yiwang.core.policy import can_view_config, require
from yiwang.core.web.deps import (
    CurrentActor,
    Language,
    SessionDep,
    SettingsDep,
    SignedInActor,
    get_database,
)
from yiwang.core.web.pagination import Limit, Offset, Page, next_link

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1")
health = APIRouter()


# --- health ------------------------------------------------------------------------------------


class Health(BaseModel):
    status: Literal["ok"]


class CalendarWarning(BaseModel):
    code: str = Field(description="the message key, e.g. a year counted provisionally")
    year: int
    message: str = Field(description="the warning in the caller's language")


class Readiness(BaseModel):
    status: Literal["ready"]
    database: str = Field(description="the database dialect, e.g. sqlite or postgresql")
    warnings: list[CalendarWarning] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="working-day calendar warnings; absent when the calendar could not be read",
    )


class ApiLinks(BaseModel):
    departments: str
    users: str
    tokens: str
    jobs: str
    audit: str
    calendar: str


class ApiIndex(BaseModel):
    name: str
    version: str
    docs: str = Field(description="the offline Swagger UI")
    openapi: str = Field(description="this API's OpenAPI document")
    links: ApiLinks


@health.get("/healthz", tags=["health"], summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@health.get(
    "/readyz",
    tags=["health"],
    summary="The database is reachable",
    response_model=Readiness,
    responses={503: {"description": "the database cannot be reached (the error envelope)"}},
)
def readyz(request: Request, language: Language) -> JSONResponse:
    db = get_database(request)
    try:
        db.ping()
    except Exception as exc:  # noqa: BLE001  (any failure to reach the database means not ready)
        message = translate("internal_error", language)
        return JSONResponse(
            {
                "error": {
                    "code": "not_ready",
                    "message": message,
                    "details": {"database": type(exc).__name__},
                }
            },
            status_code=503,
        )
    ready = Readiness(status="ready", database=db.dialect)
    try:
        with db.session() as session:
            found = calendar.status(session)
        # A warning, not an outage: a year with no official schedule is counted provisionally.
        ready.warnings = [
            CalendarWarning(code=code, year=year, message=translate(code, language, {"year": year}))
            for code, year in zip(found.warnings, found.warning_years, strict=True)
        ]
    except Exception:  # readiness is the database's; the warnings are a courtesy
        log.warning("calendar status unavailable for /readyz", exc_info=True)
    return JSONResponse(ready.model_dump(mode="json"))


@router.get("", tags=["meta"], summary="API index")
def index() -> ApiIndex:
    return ApiIndex(
        name="yiwang",
        version=__version__,
        docs="/api/docs",
        openapi="/api/openapi.json",
        links=ApiLinks(
            departments="/api/v1/departments",
            users="/api/v1/users",
            tokens="/api/v1/tokens",
            jobs="/api/v1/jobs/{id}",
            audit="/api/v1/audit",
            calendar="/api/v1/calendar/years",
        ),
    )


# --- departments -------------------------------------------------------------------------------


def _department(department: identity.Department) -> DepartmentPublic:
    return DepartmentPublic.model_validate(identity.public_department(department))


@router.get(
    "/departments",
    tags=["identity"],
    summary="List departments",
    response_model=Page[DepartmentPublic],
)
async def list_departments(
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    limit: Limit = 50,
    offset: Offset = 0,
    division_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    # The department list is read everywhere and changes rarely: pages are served from the
    # cache of this process (kept coherent across nodes), without a thread or a query.
    page = identity.cached_department_page(
        session, division_code=division_code, q=q, limit=limit, offset=offset
    )
    if page is None:
        page = await run_in_threadpool(
            partial(
                identity.department_page,
                session,
                actor=actor,
                division_code=division_code,
                q=q,
                limit=limit,
                offset=offset,
            )
        )
    tail = {
        "total": page.total,
        "limit": limit,
        "offset": offset,
        "next": next_link(request, total=page.total, limit=limit, offset=offset),
    }
    body = b'{"items":' + page.items_json + b"," + json.dumps(tail)[1:].encode()
    return Response(body, media_type="application/json")


@router.post(
    "/departments",
    tags=["identity"],
    status_code=status.HTTP_201_CREATED,
    summary="Register a department",
)
def create_department(
    body: DepartmentCreate, session: SessionDep, actor: SignedInActor
) -> DepartmentPublic:
    return _department(identity.create_department(session, actor=actor, **body.model_dump()))


@router.get("/departments/{department_id}", tags=["identity"], summary="One department")
def get_department(
    department_id: int, session: SessionDep, _actor: CurrentActor
) -> DepartmentPublic:
    return _department(identity.get_department(session, department_id))


@router.patch("/departments/{department_id}", tags=["identity"], summary="Change a department")
def update_department(
    department_id: int, body: DepartmentUpdate, session: SessionDep, actor: SignedInActor
) -> DepartmentPublic:
    changes = body.model_dump(exclude_unset=True)
    return _department(
        identity.update_department(
            session, actor=actor, department_id=department_id, changes=changes
        )
    )


# --- users -------------------------------------------------------------------------------------


@router.get("/users", tags=["identity"], summary="List users (audited)")
def list_users(
    request: Request,
    session: SessionDep,
    actor: SignedInActor,
    limit: Limit = 50,
    offset: Offset = 0,
    department_id: int | None = None,
) -> Page[UserPublic]:
    rows, total = identity.list_users(
        session, actor=actor, department_id=department_id, limit=limit, offset=offset
    )
    return Page(
        items=[UserPublic.model_validate(u) for u in rows],
        total=total,
        limit=limit,
        offset=offset,
        next=next_link(request, total=total, limit=limit, offset=offset),
    )


@router.post(
    "/users", tags=["identity"], status_code=status.HTTP_201_CREATED, summary="Create a user"
)
def create_user(body: UserCreate, session: SessionDep, actor: SignedInActor) -> UserPublic:
    user = identity.create_user(session, actor=actor, **body.model_dump())
    return UserPublic.model_validate(user)


@router.get("/users/me", tags=["identity"], summary="The signed-in user")
def me(session: SessionDep, actor: SignedInActor) -> UserPublic:
    assert actor.user_id is not None  # noqa: S101
    return UserPublic.model_validate(
        identity.view_user(session, actor=actor, user_id=actor.user_id)
    )


@router.get("/users/{user_id}", tags=["identity"], summary="One user (audited)")
def get_user(user_id: int, session: SessionDep, actor: SignedInActor) -> UserPublic:
    return UserPublic.model_validate(identity.view_user(session, actor=actor, user_id=user_id))


@router.post("/users/{user_id}/deactivate", tags=["identity"], summary="Deactivate a user")
def deactivate_user(user_id: int, session: SessionDep, actor: SignedInActor) -> UserPublic:
    user = identity.set_user_active(session, actor=actor, user_id=user_id, active=False)
    return UserPublic.model_validate(user)


@router.post("/users/{user_id}/activate", tags=["identity"], summary="Reactivate a user")
def activate_user(user_id: int, session: SessionDep, actor: SignedInActor) -> UserPublic:
    user = identity.set_user_active(session, actor=actor, user_id=user_id, active=True)
    return UserPublic.model_validate(user)


# --- tokens ------------------------------------------------------------------------------------


@router.get("/tokens", tags=["identity"], summary="Your API tokens")
def list_tokens(
    session: SessionDep, actor: SignedInActor, user_id: int | None = None
) -> list[TokenPublic]:
    owner = user_id if user_id is not None else actor.user_id
    assert owner is not None  # noqa: S101
    return [
        TokenPublic.model_validate(t)
        for t in identity.list_tokens(session, actor=actor, user_id=owner)
    ]


@router.post(
    "/tokens",
    tags=["identity"],
    status_code=status.HTTP_201_CREATED,
    summary="Create an API token (shown once)",
)
def create_token(body: TokenCreate, session: SessionDep, actor: SignedInActor) -> TokenCreated:
    assert actor.user_id is not None  # noqa: S101
    row, raw = identity.create_token(
        session, actor=actor, user_id=actor.user_id, name=body.name, expires_days=body.expires_days
    )
    return TokenCreated.model_validate(
        {**TokenPublic.model_validate(row).model_dump(), "token": raw}
    )


@router.delete("/tokens/{token_id}", tags=["identity"], summary="Revoke an API token")
def revoke_token(token_id: int, session: SessionDep, actor: SignedInActor) -> TokenPublic:
    return TokenPublic.model_validate(
        identity.revoke_token(session, actor=actor, token_id=token_id)
    )


# --- jobs --------------------------------------------------------------------------------------


class JobPublic(BaseModel):
    id: int
    kind: str
    status: str
    progress: int
    message: str | None
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


def job_public(job: jobs.Job) -> JobPublic:
    return JobPublic.model_validate(job, from_attributes=True)


@router.get("/jobs/{job_id}", tags=["jobs"], summary="A job's status and progress")
def get_job(job_id: int, session: SessionDep, actor: SignedInActor) -> JobPublic:
    return job_public(jobs.get_job(session, actor=actor, job_id=job_id))


# --- audit -------------------------------------------------------------------------------------


class AuditEntryPublic(BaseModel):
    seq: int
    at: dt.datetime
    actor_id: int | None
    actor_name: str
    department_id: int | None
    action: str
    object_type: str
    object_id: str | None
    outcome: str
    request_id: str | None
    details: dict[str, Any] | None
    entry_hash: str


@router.get("/audit", tags=["audit"], summary="Read the audit log (itself audited)")
def list_audit(
    request: Request,
    session: SessionDep,
    actor: SignedInActor,
    limit: Limit = 50,
    offset: Offset = 0,
    action: str | None = None,
    actor_name: str | None = None,
    outcome: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: Annotated[AwareDatetime | None, Query(description="inclusive")] = None,
    until: Annotated[AwareDatetime | None, Query(description="exclusive")] = None,
) -> Page[AuditEntryPublic]:
    filters = audit.AuditFilters(
        action=action,
        actor_name=actor_name,
        outcome=outcome,
        object_type=object_type,
        object_id=object_id,
        since=since,
        until=until,
    )
    rows, total = audit.list_entries(
        session, actor=actor, filters=filters, limit=limit, offset=offset
    )
    return Page(
        items=[AuditEntryPublic.model_validate(r, from_attributes=True) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
        next=next_link(request, total=total, limit=limit, offset=offset),
    )


@router.post(
    "/audit/verify",
    tags=["audit"],
    status_code=status.HTTP_202_ACCEPTED,
    summary="Verify the hash chain, as a job; poll the job for the result",
)
def verify_audit(session: SessionDep, actor: SignedInActor) -> JobPublic:
    return job_public(tasks.request_audit_verification(session, actor=actor))


# --- calendar ----------------------------------------------------------------------------------


class WorkdayAnswer(BaseModel):
    date: dt.date
    is_workday: bool


class AddWorkdaysAnswer(BaseModel):
    start: dt.date
    workdays: int
    date: dt.date
    provisional: bool = Field(
        description="counted over a year with no official holiday schedule (预计): the date may "
        "move when the State Council's notice is imported"
    )


class BetweenAnswer(BaseModel):
    start: dt.date
    end: dt.date
    workdays: int


class CalendarYearPublic(BaseModel):
    year: int
    has_schedule: bool
    source: str
    loaded_at: dt.datetime


class CalendarYearState(BaseModel):
    year: int
    state: Literal["official", "provisional", "none"] = Field(
        description="official: the State Council's schedule is loaded; provisional: counted on "
        "the days derived from the law; none: cannot be counted"
    )
    source: str | None


class CalendarStatusPublic(BaseModel):
    today: dt.date
    years: list[CalendarYearState]
    warnings: list[CalendarWarning]


@router.get("/calendar/years", tags=["calendar"], summary="Years with a holiday schedule")
def calendar_years(session: SessionDep) -> list[CalendarYearPublic]:
    return [
        CalendarYearPublic.model_validate(y, from_attributes=True) for y in calendar.years(session)
    ]


@router.get("/calendar/days/{day}", tags=["calendar"], summary="Is this date a working day?")
def calendar_day(day: dt.date, session: SessionDep) -> WorkdayAnswer:
    return WorkdayAnswer(date=day, is_workday=calendar.is_workday(session, day))


@router.get("/calendar/add", tags=["calendar"], summary="The n-th working day after a date")
def calendar_add(
    session: SessionDep, start: dt.date, workdays: Annotated[int, Query(ge=-3650, le=3650)]
) -> AddWorkdaysAnswer:
    """The due date after ``workdays`` working days from ``start`` (as a deadline is counted),
    and whether it is provisional. A year the law cannot be applied to is a 422."""
    found = calendar.due(session, start, workdays)
    return AddWorkdaysAnswer(
        start=start, workdays=workdays, date=found.day, provisional=found.provisional
    )


@router.get("/calendar/status", tags=["calendar"], summary="Which years are official, and warnings")
def calendar_status(session: SessionDep, language: Language) -> CalendarStatusPublic:
    found = calendar.status(session)
    return CalendarStatusPublic(
        today=found.today,
        years=[CalendarYearState(year=y.year, state=y.state, source=y.source) for y in found.years],
        warnings=[
            CalendarWarning(code=c, year=y, message=translate(c, language, {"year": y}))
            for c, y in zip(found.warnings, found.warning_years, strict=True)
        ],
    )


@router.get("/calendar/between", tags=["calendar"], summary="Working days after start up to end")
def calendar_between(session: SessionDep, start: dt.date, end: dt.date) -> BetweenAnswer:
    return BetweenAnswer(
        start=start, end=end, workdays=calendar.workdays_between(session, start, end)
    )


class CalendarImported(BaseModel):
    years: list[int] = Field(description="the years whose schedule the file replaced")


@router.post("/calendar/import", tags=["calendar"], summary="Import a year's official schedule")
def calendar_import(
    session: SessionDep,
    actor: SignedInActor,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    year: Annotated[int | None, Form(ge=2000, le=2200)] = None,
) -> CalendarImported:
    content = file.file.read(settings.max_upload_bytes + 1)
    if len(content) > settings.max_upload_bytes:
        raise AppError("upload.too_large", status_code=413, limit=settings.max_upload_bytes)
    years = calendar.import_schedule(
        session,
        actor=actor,
        content=content,
        filename=file.filename or "schedule.csv",
        year=year,
    )
    return CalendarImported(years=years)


# --- standard codes ----------------------------------------------------------------------------


class CodeCheck(BaseModel):
    kind: Literal["uscc", "resident_id", "division"] = Field(
        description="uscc: 统一社会信用代码 (GB 32100); resident_id: 居民身份证号码 (GB 11643); "
        "division: 行政区划代码 (GB/T 2260)"
    )
    value: str = Field(max_length=40)


class CodeChecked(BaseModel):
    kind: str
    value: str = Field(description="the code in its normal form")
    name: str | None = Field(default=None, description="the division's full name")


@router.post("/codes/check", tags=["meta"], summary="Check a standard code")
async def check_code(body: CodeCheck) -> CodeChecked:
    """Validate a code and return its normal form; an invalid code is a 422 naming the
    standard. Sent in the body, not the URL, so that identity numbers stay out of logs."""
    if body.kind == "uscc":
        return CodeChecked(kind=body.kind, value=codes.normalize_uscc(body.value))
    if body.kind == "resident_id":
        return CodeChecked(kind=body.kind, value=codes.normalize_ric(body.value))
    value = codes.normalize_division(body.value)
    return CodeChecked(kind=body.kind, value=value, name=codes.division_full_name(value))


# --- configuration -----------------------------------------------------------------------------


def _config_model() -> type[BaseModel]:
    """The settings' fields, as :meth:`Settings.masked` shows them: the secret key and the
    writable directory as text (the URLs already are, their passwords masked)."""
    as_text = {
        "secret_key": "******** when set, else (generated on first start)",
        "var_dir": "writable state: database, secret, uploads",
    }
    fields: dict[str, Any] = {
        name: (str, Field(description=as_text[name]))
        if name in as_text
        else (info.annotation, Field(description=info.description))
        for name, info in Settings.model_fields.items()
    }
    return create_model("ConfigPublic", __doc__="The effective configuration", **fields)


ConfigPublic = _config_model()


def config_public(settings: Settings) -> BaseModel:
    return ConfigPublic.model_validate(settings.masked())


@router.get(
    "/config",
    tags=["meta"],
    summary="The effective configuration, secrets masked",
    response_model=ConfigPublic,
)
def show_config(actor: SignedInActor, settings: SettingsDep) -> BaseModel:
    require(can_view_config(actor), "config.read", object_type="config")
    return config_public(settings)
