"""Console pages for data: the department's resources with their distributions and versions,
uploading a new version of a distribution, and sharing requests.

An upload goes to the catalog's own upload API from the page's script (``console-upload.js``,
which shows the bytes sent and then follows the load job), or, without JavaScript, as a plain
form to a route here that calls the same services. Sharing requests made to the department are
approved or rejected here by those the policy lets decide; requests for another department's
conditionally shared resource are made from that resource's console page."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from yiwang.catalog import public as catalog
from yiwang.core import identity, jobs, policy
from yiwang.core.errors import AppError, InvalidInput, NotFound, PermissionDenied
from yiwang.core.identity import Department
from yiwang.core.policy import Actor, DataAccess
from yiwang.core.web.csrf import check_csrf
from yiwang.core.web.deps import SessionDep, SettingsDep, SignedInActor, request_language
from yiwang.core.web.templating import render_page
from yiwang.portal.common import departments_by_id, local_time

if TYPE_CHECKING:
    from yiwang.catalog.public import Distribution, Resource, ShareRequest, TableVersion

router = APIRouter()

_PAGE = 20
UPLOAD_TYPES = ".csv,.tsv,.txt,.xlsx,.json,.ndjson,.jsonl"  # what the catalog's loader reads
SHARE_STATES = ("pending", "approved", "rejected", "revoked")
PURPOSE_LENGTH = (5, 5000)  # as the catalog's API asks of a share request
DURATION_DAYS = (1, 1095)


# --- the department's resources ----------------------------------------------------------------


@dataclass
class DistributionState:
    """A distribution as the console shows it: its versions, the one readers see, the newest
    load and, while that load runs, its job."""

    distribution: Distribution
    versions: list[TableVersion]
    current: TableVersion | None
    latest: TableVersion | None
    job: jobs.Job | None = None


def _distribution_states(
    session: Session, actor: Actor, resource: Resource
) -> list[DistributionState]:
    states = []
    for distribution in resource.distributions:
        if distribution.state != "active":
            continue
        versions = catalog.table_versions(session, actor=actor, distribution_id=distribution.id)
        current = next((v for v in versions if v.id == distribution.current_version_id), None)
        latest = versions[0] if versions else None
        job = None
        if latest is not None and latest.status == catalog.LOADING and latest.job_id:
            # A job queued by someone the policy does not let this actor follow: the version's
            # own state still says it is loading.
            with contextlib.suppress(PermissionDenied, NotFound):
                job = jobs.get_job(session, actor=actor, job_id=latest.job_id)
        states.append(DistributionState(distribution, versions, current, latest, job))
    return states


@dataclass
class ResourceRow:
    resource: Resource
    department: Department | None
    distributions: list[DistributionState] = field(default_factory=list)


@router.get("/console/data", response_class=HTMLResponse)
def data_list(
    request: Request,
    session: SessionDep,
    actor: SignedInActor,
    q: Annotated[str | None, Query(max_length=200)] = None,
    department: int | None = None,
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
) -> Response:
    """The resources of the actor's department (a sysadmin's: every department's, or one's);
    with ``q``, the whole catalogue the actor may see, to find another department's data."""
    departments = departments_by_id(session, actor)
    searching = bool(q and q.strip())
    chosen = department if (actor.is_sysadmin or searching) else actor.department_id
    filters: dict[str, Sequence[str]] = {"organization": [str(chosen)]} if chosen else {}
    result = catalog.search(
        session,
        actor=actor,
        q=q if searching else None,
        filters=filters,
        sort=None if searching else "metadata_modified desc",
        limit=_PAGE,
        offset=(page - 1) * _PAGE,
    )
    rows = [
        ResourceRow(
            resource,
            departments.get(resource.department_id),
            _distribution_states(session, actor, resource) if not searching else [],
        )
        for resource in result.resources
    ]
    base = {k: v for k, v in (("q", q), ("department", department)) if v}
    return render_page(
        request,
        "console/data/list.html",
        {
            "rows": rows,
            "total": result.count,
            "q": q or "",
            "searching": searching,
            "department": chosen,
            "departments": sorted(departments.values(), key=lambda d: d.division_code),
            "own_department": departments.get(actor.department_id or 0),
            "page": page,
            "pages": max(1, (result.count + _PAGE - 1) // _PAGE),
            "page_link": lambda n: "/console/data?" + urlencode({**base, "page": n}),
            "label": lambda kind, value: catalog.label(kind, value, request_language(request)),
            "when": local_time,
        },
    )


# --- one resource ---------------------------------------------------------------------------------


def _resource_page(
    request: Request,
    session: Session,
    actor: Actor,
    resource: Resource,
    *,
    upload_error: tuple[str, AppError] | None = None,
    share_error: AppError | None = None,
    share_values: dict[str, Any] | None = None,
    max_upload_bytes: int,
    status_code: int = 200,
) -> Response:
    language = request_language(request)
    uploaded = request.query_params.get("uploaded", "")
    level, granted_fields = catalog.access_for(session, actor=actor, resource=resource)
    grant = catalog.active_grant(
        session, department_id=actor.department_id, resource_id=resource.id
    )
    requests: list[ShareRequest] = []
    if actor.department_id is not None and actor.department_id != resource.department_id:
        requests = [
            r
            for r in catalog.list_share_requests(session, actor=actor, incoming=False, limit=200)
            if r.resource_id == resource.id and r.department_id == actor.department_id
        ]
    return render_page(
        request,
        "console/data/resource.html",
        {
            "resource": resource,
            "department": identity.get_department(session, resource.department_id),
            "states": _distribution_states(session, actor, resource),
            "can_edit": policy.can_edit_resource(actor, department_id=resource.department_id),
            "can_request": policy.can_request_share(
                actor, department_id=resource.department_id, share_class=resource.share_class
            ),
            "access": level.value,
            "granted_fields": granted_fields,
            "grant": grant if level == DataAccess.SHARED else None,
            "requests": requests,
            "upload_types": UPLOAD_TYPES,
            "max_upload_bytes": max_upload_bytes,
            "upload_error": upload_error,
            "share_error": share_error,
            "share_values": share_values or {"purpose": "", "duration_days": 90, "fields": []},
            "uploaded": uploaded if uploaded.isdigit() else None,
            "uploaded_to": request.query_params.get("distribution"),
            "label": lambda kind, value: catalog.label(kind, value, language),
            "effective_status": catalog.share_status,
            "when": local_time,
        },
        status_code=status_code,
    )


@router.get("/console/data/{ref}", response_class=HTMLResponse)
def data_resource(
    request: Request, ref: str, session: SessionDep, actor: SignedInActor, settings: SettingsDep
) -> Response:
    resource = catalog.get_resource(session, actor=actor, ref=ref)
    return _resource_page(
        request, session, actor, resource, max_upload_bytes=settings.max_upload_bytes
    )


@router.post("/console/data/{ref}/distributions/{distribution_id}/upload")
def data_upload(
    request: Request,
    ref: str,
    distribution_id: str,
    session: SessionDep,
    actor: SignedInActor,
    settings: SettingsDep,
    file: Annotated[UploadFile | None, File()] = None,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """The upload form without JavaScript: store the file and queue its load, as the
    catalog's upload API does; the page then shows the new version loading."""
    check_csrf(request, csrf)
    resource = catalog.get_resource(session, actor=actor, ref=ref)
    _, owner = catalog.get_distribution(session, actor=actor, ref=distribution_id)
    if owner.id != resource.id:
        raise NotFound("distribution", distribution_id)
    stored: Path | None = None
    try:
        if file is None or not file.filename:
            zh = request_language(request).startswith("zh")
            raise InvalidInput("field_missing", field="文件" if zh else "file")
        stored, size = catalog.store_upload(
            file.file,
            upload_dir=Path(settings.var_dir) / "uploads",
            max_bytes=settings.max_upload_bytes,
        )
        version, _ = catalog.queue_load(
            session,
            actor=actor,
            distribution_id=distribution_id,
            path=stored,
            filename=file.filename,
            size=size,
        )
    except PermissionDenied:
        if stored is not None:
            stored.unlink(missing_ok=True)
        raise
    except AppError as exc:
        if stored is not None:
            stored.unlink(missing_ok=True)
        return _resource_page(
            request,
            session,
            actor,
            resource,
            upload_error=(distribution_id, exc),
            max_upload_bytes=settings.max_upload_bytes,
            status_code=exc.status_code,
        )
    query = urlencode({"uploaded": version.number, "distribution": distribution_id})
    return RedirectResponse(
        f"/console/data/{resource.name}?{query}#dist-{distribution_id}", status_code=303
    )


def _field_invalid(language: str, name: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput("field_invalid", field=name, reason=zh if language.startswith("zh") else en)


@router.post("/console/data/{ref}/share-requests")
def data_request_share(
    request: Request,
    ref: str,
    session: SessionDep,
    actor: SignedInActor,
    settings: SettingsDep,
    purpose: Annotated[str, Form(max_length=20000)] = "",
    duration_days: Annotated[str, Form(max_length=10)] = "90",
    fields: Annotated[list[str] | None, Form()] = None,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Ask for another department's conditionally shared resource, for a purpose."""
    check_csrf(request, csrf)
    resource = catalog.get_resource(session, actor=actor, ref=ref)
    language = request_language(request)
    values = {"purpose": purpose, "duration_days": duration_days, "fields": fields or []}
    try:
        low, high = PURPOSE_LENGTH
        if not low <= len(purpose.strip()) <= high:
            raise _field_invalid(
                language,
                "purpose",
                f"请用 {low}–{high} 个字说明用途",
                f"say what the data is for in {low}–{high} characters",
            )
        first, last = DURATION_DAYS
        if not duration_days.strip().isdigit() or not first <= int(duration_days) <= last:
            raise _field_invalid(
                language,
                "duration_days",
                f"应为 {first}–{last} 之间的天数",
                f"a number of days from {first} to {last}",
            )
        created = catalog.request_share(
            session,
            actor=actor,
            resource_ref=resource.id,
            purpose=purpose,
            fields=fields or None,
            duration_days=int(duration_days),
        )
    except PermissionDenied:
        raise
    except AppError as exc:
        return _resource_page(
            request,
            session,
            actor,
            resource,
            share_error=exc,
            share_values=values,
            max_upload_bytes=settings.max_upload_bytes,
            status_code=exc.status_code,
        )
    return RedirectResponse(
        f"/console/sharing?box=outgoing&requested={created.id}", status_code=303
    )


# --- sharing requests ----------------------------------------------------------------------------


@dataclass
class RequestRow:
    request: ShareRequest
    status: str
    resource: Resource | None  # None: the resource is gone (deleted) for this actor
    owner: Department | None
    requester: Department | None
    can_decide: bool


def _request_rows(
    session: Session, actor: Actor, requests: Sequence[ShareRequest]
) -> list[RequestRow]:
    departments = departments_by_id(session, actor)
    rows = []
    for item in requests:
        resource = None
        with contextlib.suppress(NotFound):
            resource = catalog.get_resource(session, actor=actor, ref=item.resource_id)
        rows.append(
            RequestRow(
                request=item,
                status=catalog.share_status(item),
                resource=resource,
                owner=departments.get(resource.department_id) if resource else None,
                requester=departments.get(item.department_id),
                can_decide=resource is not None
                and item.status == catalog.SHARE_PENDING
                and policy.can_decide_share(actor, department_id=resource.department_id),
            )
        )
    return rows


def _sharing_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    box: str,
    status: str | None,
    page: int,
    error: tuple[int, AppError] | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    found = catalog.list_share_requests(
        session,
        actor=actor,
        incoming=box == "incoming",
        status=status,
        limit=_PAGE + 1,
        offset=(page - 1) * _PAGE,
    )
    done = None
    for key in ("decided", "requested"):
        value = request.query_params.get(key)
        if value and value.isdigit():
            with contextlib.suppress(NotFound, PermissionDenied):
                done = (key, catalog.get_share_request(session, actor=actor, request_id=int(value)))
    base = {"box": box, **({"status": status} if status else {})}
    return render_page(
        request,
        "console/data/sharing.html",
        {
            "box": box,
            "status": status or "",
            "states": SHARE_STATES,
            "rows": _request_rows(session, actor, found[:_PAGE]),
            "page": page,
            "has_next": len(found) > _PAGE,
            "page_link": lambda n: "/console/sharing?" + urlencode({**base, "page": n}),
            "box_link": lambda b: "/console/sharing?" + urlencode({"box": b}),
            "done": done,
            "effective_status": catalog.share_status,
            "error": error,
            "reason": reason,
            "when": local_time,
        },
        status_code=status_code,
    )


@router.get("/console/sharing", response_class=HTMLResponse)
def sharing_list(
    request: Request,
    session: SessionDep,
    actor: SignedInActor,
    box: Annotated[str, Query(pattern="^(incoming|outgoing)$")] = "incoming",
    status: Annotated[str | None, Query(max_length=16)] = None,
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
) -> Response:
    """Requests made to the department (those its admin decides) or by it, newest first."""
    chosen = status if status in SHARE_STATES else None
    return _sharing_page(request, session, actor, box=box, status=chosen, page=page)


def _decide(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    request_id: int,
    approve: bool,
    reason: str,
    csrf: str,
) -> Response:
    check_csrf(request, csrf)
    try:
        catalog.decide_share(
            session, actor=actor, request_id=request_id, approve=approve, reason=reason
        )
    except PermissionDenied:
        raise
    except AppError as exc:
        if exc.status_code == 404:
            raise
        return _sharing_page(
            request,
            session,
            actor,
            box="incoming",
            status=None,
            page=1,
            error=(request_id, exc),
            reason=reason,
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/console/sharing?decided={request_id}", status_code=303)


@router.post("/console/sharing/{request_id}/approve")
def sharing_approve(
    request: Request,
    request_id: int,
    session: SessionDep,
    actor: SignedInActor,
    reason: Annotated[str, Form(max_length=5000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    return _decide(
        request, session, actor, request_id=request_id, approve=True, reason=reason, csrf=csrf
    )


@router.post("/console/sharing/{request_id}/reject")
def sharing_reject(
    request: Request,
    request_id: int,
    session: SessionDep,
    actor: SignedInActor,
    reason: Annotated[str, Form(max_length=5000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    return _decide(
        request, session, actor, request_id=request_id, approve=False, reason=reason, csrf=csrf
    )
