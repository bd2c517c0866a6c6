"""GeoReport v2 at ``/open311/v2``: the service list and definitions, posting a request,
reading requests (by id, by filter, from a token). Handlers parse, call the complaint desk
and render; errors go through :mod:`yiwang.cases.open311.errors`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from yiwang.cases.open311 import params, render
from yiwang.cases.open311.errors import Open311Error
from yiwang.cases.open311.jurisdictions import Jurisdiction, Jurisdictions
from yiwang.cases.open311.port import ComplaintDesk, ComplaintQuery, Filed
from yiwang.core import identity
from yiwang.core.db import utcnow
from yiwang.core.errors import Unauthenticated
from yiwang.core.i18n import translate
from yiwang.core.policy import Actor
from yiwang.core.security import TOKEN_PREFIX
from yiwang.core.web.deps import SessionDep, request_language

PREFIX = "/open311/v2"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

router = APIRouter(prefix=PREFIX, include_in_schema=False)
discovery_router = APIRouter(prefix="/open311", include_in_schema=False)


@dataclass(frozen=True)
class Open311:
    """What the layer is served with: the complaint desk, the jurisdictions, and what Service
    Discovery tells people (None: a default message in the caller's language)."""

    desk: ComplaintDesk
    jurisdictions: Jurisdictions
    contact: str | None = None
    key_service: str | None = None


def get_open311(request: Request) -> Open311:
    state: Open311 = request.app.state.open311
    return state


def _format(fmt: str) -> render.Format:
    if fmt == "json":
        return "json"
    if fmt == "xml":
        return "xml"
    raise Open311Error.one("open311.format_not_found", status_code=404, format=fmt)


async def _form_items(request: Request) -> list[tuple[str, str]]:
    """The POSTed form's text fields in order. A URL-encoded body is decoded in its declared
    charset (UTF-8 by default) whether its non-ASCII characters are percent-encoded or sent as
    they are (as curl's ``-d`` does); a body that is not in that charset is refused."""
    if request.method != "POST":
        return []
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(FORM_TYPES):
        return []
    if content_type.startswith("application/x-www-form-urlencoded"):
        match = re.search(r"charset=([\w-]+)", content_type, flags=re.IGNORECASE)
        charset = match.group(1) if match else "utf-8"
        try:
            text = (await request.body()).decode(charset)
            return parse_qsl(text, keep_blank_values=True, encoding=charset, errors="strict")
        except (UnicodeDecodeError, LookupError):
            raise Open311Error.one("open311.bad_encoding", charset=charset) from None
    form = await request.form()
    return [(key, value) for key, value in form.multi_items() if isinstance(value, str)]


async def _form(request: Request) -> Mapping[str, str]:
    """The POSTed form's text fields (the first value of each); empty for other requests."""
    fields: dict[str, str] = {}
    for key, value in await _form_items(request):
        fields.setdefault(key, value)
    return fields


async def get_jurisdiction(
    request: Request, open311: Annotated[Open311, Depends(get_open311)]
) -> Jurisdiction:
    """The ``jurisdiction_id`` of the query or the form; the province when there is none."""
    wanted = request.query_params.get("jurisdiction_id") or (await _form(request)).get(
        "jurisdiction_id"
    )
    found = open311.jurisdictions.find(wanted)
    if found is None:
        raise Open311Error.one(
            "open311.jurisdiction_not_found",
            status_code=404,
            jurisdiction_id=wanted,
            known=", ".join(open311.jurisdictions.ids()),
        )
    return found


async def get_submitter(request: Request, session: SessionDep) -> Actor:
    """Who files: the owner of the API token sent as ``api_key`` (form or query) or as a
    Bearer token. Cookies are not accepted here, so no other site can file in a signed-in
    user's name."""
    key = (await _form(request)).get("api_key") or request.query_params.get("api_key")
    if not key:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        key = credentials if scheme.lower() == "bearer" else None
    if not key or not key.strip():
        raise Open311Error.one("open311.api_key_missing", status_code=403)
    key = key.strip()
    language = request_language(request)
    if not key.startswith(TOKEN_PREFIX):
        reason = Unauthenticated("auth.invalid_token").message(language)
        raise Open311Error.one("open311.api_key_invalid", status_code=403, reason=reason)
    try:
        actor = identity.cached_token_actor(session, key)
        if actor is None:
            actor = await run_in_threadpool(identity.authenticate_token, session, key)
    except Unauthenticated as exc:
        reason = exc.message(language)
        raise Open311Error.one("open311.api_key_invalid", status_code=403, reason=reason) from None
    request.state.actor = actor
    return actor


Open311Dep = Annotated[Open311, Depends(get_open311)]
JurisdictionDep = Annotated[Jurisdiction, Depends(get_jurisdiction)]
Submitter = Annotated[Actor, Depends(get_submitter)]


@router.get("/services.{fmt}")
def service_list(
    fmt: str, session: SessionDep, open311: Open311Dep, jurisdiction: JurisdictionDep
) -> Response:
    chosen = _format(fmt)
    categories = open311.desk.categories(session, division_code=jurisdiction.division_code)
    return render.services(chosen, categories)


@router.get("/services/{service_code}.{fmt}")
def service_definition(
    service_code: str,
    fmt: str,
    session: SessionDep,
    open311: Open311Dep,
    jurisdiction: JurisdictionDep,
) -> Response:
    chosen = _format(fmt)
    category = open311.desk.category(
        session, code=service_code, division_code=jurisdiction.division_code
    )
    if category is None:
        raise Open311Error.one(
            "open311.service_not_found", status_code=404, service_code=service_code
        )
    return render.definition(chosen, category)


def _file(
    session: Session,
    open311: Open311,
    jurisdiction: Jurisdiction,
    actor: Actor,
    form: Mapping[str, str],
    answers: Mapping[str, list[str]],
    chosen: render.Format,
    *,
    language: str,
    idempotency_key: str | None,
) -> Response:
    code = params.text(form, "service_code")
    if code is None:
        raise Open311Error.one("open311.field_missing", field="service_code")
    category = open311.desk.category(session, code=code, division_code=jurisdiction.division_code)
    if category is None:
        raise Open311Error.one("open311.service_not_found", status_code=404, service_code=code)
    problems = params.Problems()
    submission = params.submission(
        form, answers, category=category, jurisdiction=jurisdiction, problems=problems
    )
    if submission is None:
        raise Open311Error(problems.items)
    filed = open311.desk.file(
        session, actor=actor, submission=replace(submission, idempotency_key=idempotency_key)
    )
    return render.filed(chosen, filed, _notice(filed, language))


def _notice(filed: Filed, language: str) -> str | None:
    """Who handles the request, by when, and its query code, in the caller's language."""
    if filed.agency_responsible is None or filed.expected_datetime is None:
        return None
    expected = filed.expected_datetime.astimezone(render.CHINA).date().isoformat()
    values = {
        "agency": filed.agency_responsible,
        "expected": expected,
        "query_code": filed.query_code,
    }
    code = "open311.service_notice" if filed.query_code else "open311.service_notice_no_code"
    return translate(code, language, values)


@router.post("/requests.{fmt}")
async def post_request(
    fmt: str,
    request: Request,
    session: SessionDep,
    open311: Open311Dep,
    jurisdiction: JurisdictionDep,
    actor: Submitter,
) -> Response:
    chosen = _format(fmt)
    form = await _form(request)
    if not request.headers.get("content-type", "").startswith(FORM_TYPES):
        raise Open311Error.one("open311.bad_request")
    answers = params.attribute_answers(await _form_items(request))
    return await run_in_threadpool(
        partial(
            _file,
            language=request_language(request),
            idempotency_key=request.headers.get("idempotency-key"),
        ),
        session,
        open311,
        jurisdiction,
        actor,
        form,
        answers,
        chosen,
    )


@router.get("/requests.{fmt}")
def list_requests(
    fmt: str,
    request: Request,
    session: SessionDep,
    open311: Open311Dep,
    jurisdiction: JurisdictionDep,
) -> Response:
    chosen = _format(fmt)
    query = request.query_params
    desk = open311.desk
    ids = params.split_list(query.getlist("service_request_id"))
    if ids:  # "This overrides all other arguments."
        complaints = desk.by_ids(
            session, ids=ids[: params.MAX_RESULTS], division_code=jurisdiction.division_code
        )
        return render.requests(chosen, complaints)
    problems = params.Problems()
    window = params.request_window(
        params.text(query, "start_date"),
        params.text(query, "end_date"),
        now=utcnow(),
        problems=problems,
    )
    statuses = params.parse_statuses(query.getlist("status"), problems)
    page_size = params.parse_int(
        params.text(query, "page_size"),
        "page_size",
        params.MAX_RESULTS,
        low=1,
        high=params.MAX_RESULTS,
        problems=problems,
    )
    page = params.parse_int(
        params.text(query, "page"), "page", 1, low=1, high=1_000_000, problems=problems
    )
    if problems or window is None:
        raise Open311Error(problems.items)
    complaints = desk.search(
        session,
        query=ComplaintQuery(
            start=window.start,
            end=window.end,
            division_code=jurisdiction.division_code,
            service_codes=params.split_list(query.getlist("service_code")),
            statuses=statuses,
            limit=page_size,
            offset=(page - 1) * page_size,
        ),
    )
    return render.requests(chosen, complaints)


@router.get("/requests/{service_request_id}.{fmt}")
def get_request(
    service_request_id: str,
    fmt: str,
    session: SessionDep,
    open311: Open311Dep,
    jurisdiction: JurisdictionDep,
) -> Response:
    chosen = _format(fmt)
    found = open311.desk.by_ids(
        session, ids=[service_request_id], division_code=jurisdiction.division_code
    )
    if not found:
        raise Open311Error.one(
            "open311.request_not_found", status_code=404, service_request_id=service_request_id
        )
    return render.requests(chosen, found)


@router.get("/tokens/{token}.{fmt}")
def get_token(
    token: str,
    fmt: str,
    session: SessionDep,
    open311: Open311Dep,
    jurisdiction: JurisdictionDep,
) -> Response:
    chosen = _format(fmt)
    request_id = open311.desk.resolve_token(
        session, token=token, division_code=jurisdiction.division_code
    )
    if request_id is None:
        raise Open311Error.one("open311.token_not_found", status_code=404, token=token)
    return render.token(chosen, token=token, service_request_id=request_id)


@discovery_router.get("/discovery.{fmt}")
def discovery(fmt: str, request: Request, session: SessionDep, open311: Open311Dep) -> Response:
    """Service Discovery: where the GeoReport v2 endpoint is, its formats, and whom to ask."""
    chosen = _format(fmt)
    language = request_language(request)
    body = render.discovery_dict(
        url=str(request.url_for("service_list", fmt="xml")).removesuffix("/services.xml"),
        changed_at=open311.desk.changed_at(session),
        contact=open311.contact or translate("open311.discovery_contact", language, {}),
        key_service=open311.key_service or translate("open311.discovery_key_service", language, {}),
    )
    return render.discovery(chosen, body)
