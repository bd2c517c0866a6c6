"""The catalog's native API under ``/api/v1/catalog``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from yiwang.catalog import datastore, datastore_edits, datastore_versions, loader, service, sharing
from yiwang.catalog.models import Distribution, Resource, ResourceRevision, ShareRequest
from yiwang.catalog.packages import package_dict
from yiwang.catalog.params import SearchFilters
from yiwang.catalog.schemas import (
    DataField,
    DataPage,
    DistributionCreated,
    IndexesAdded,
    PackagePublic,
    PackageSearch,
    ResourceCreate,
    ResourceDeleted,
    RevisionPublic,
    SharePublic,
    VersionRestored,
)
from yiwang.core.errors import InvalidInput
from yiwang.core.policy import can_edit_resource
from yiwang.core.web.api import JobPublic, job_public
from yiwang.core.web.deps import CurrentActor, SessionDep, SettingsDep, SignedInActor
from yiwang.core.web.pagination import Limit, Offset, next_link

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def package_public(session: Session, resource: Resource, request: Request) -> PackagePublic:
    """A resource in CKAN's shape, as the CKAN Action API and the DCAT export give it too."""
    return PackagePublic.model_validate(package_dict(session, resource, base_url=_base(request)))


def revision_public(revision: ResourceRevision) -> RevisionPublic:
    return RevisionPublic.model_validate(revision, from_attributes=True)


def distribution_created(distribution: Distribution) -> DistributionCreated:
    return DistributionCreated.model_validate(distribution, from_attributes=True)


def data_page(
    result: datastore.Result, view: datastore.TableView, *, limit: int, offset: int
) -> DataPage:
    names = ["_id"] + [c.name for c in result.columns]
    return DataPage(
        fields=[
            DataField(name=c.name, type=c.type, personal=c.personal, masked=c.masked)
            for c in result.columns
        ],
        records=[dict(zip(names, row, strict=True)) for row in result.records],
        total=result.total,
        limit=limit,
        offset=offset,
        version=view.version.number,
        access=view.access.level.value,
    )


@router.get("/resources", summary="Search the catalogue (Chinese full text, facets)")
def search_resources(
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    filters: SearchFilters,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: str | None = None,
    facets: Annotated[bool, Query(description="include facet counts")] = True,
    limit: Limit = 20,
    offset: Offset = 0,
) -> PackageSearch:
    result = service.search(
        session,
        actor=actor,
        q=q,
        filters=filters,
        sort=sort,
        limit=limit,
        offset=offset,
        facet_fields=service.FACETS if facets else (),
    )
    return PackageSearch(
        items=[package_public(session, r, request) for r in result.resources],
        total=result.count,
        limit=limit,
        offset=offset,
        facets=result.facets,
        next=next_link(request, total=result.count, limit=limit, offset=offset),
    )


@router.post("/resources", status_code=status.HTTP_201_CREATED, summary="Register a resource")
def create_resource(
    request: Request, body: ResourceCreate, session: SessionDep, actor: SignedInActor
) -> PackagePublic:
    resource = service.create_resource(session, actor=actor, data=body)
    return package_public(session, resource, request)


@router.get("/resources/{ref}", summary="One resource (by id, name or code)")
def get_resource(
    request: Request, ref: str, session: SessionDep, actor: CurrentActor
) -> PackagePublic:
    return package_public(session, service.get_resource(session, actor=actor, ref=ref), request)


@router.patch("/resources/{ref}", summary="Change a resource's metadata (keeps a revision)")
def update_resource(
    request: Request, ref: str, body: dict[str, Any], session: SessionDep, actor: SignedInActor
) -> PackagePublic:
    resource = service.update_resource(session, actor=actor, ref=ref, changes=body)
    return package_public(session, resource, request)


@router.post("/resources/{ref}/publish", summary="Publish a draft")
def publish_resource(
    request: Request, ref: str, session: SessionDep, actor: SignedInActor
) -> PackagePublic:
    resource = service.publish_resource(session, actor=actor, ref=ref)
    return package_public(session, resource, request)


@router.delete("/resources/{ref}", summary="Delete (an admin can restore it)")
def delete_resource(ref: str, session: SessionDep, actor: SignedInActor) -> ResourceDeleted:
    resource = service.delete_resource(session, actor=actor, ref=ref)
    return ResourceDeleted(id=resource.id, state=resource.state)


@router.post("/resources/{ref}/restore", summary="Restore a deleted resource (sysadmin)")
def restore_resource(
    request: Request, ref: str, session: SessionDep, actor: SignedInActor
) -> PackagePublic:
    resource = service.restore_resource(session, actor=actor, ref=ref)
    return package_public(session, resource, request)


@router.get("/resources/{ref}/history", summary="The edit history, newest first")
def resource_history(ref: str, session: SessionDep, actor: SignedInActor) -> list[RevisionPublic]:
    return [revision_public(r) for r in service.history(session, actor=actor, ref=ref)]


class DistributionCreate(BaseModel):
    name: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    format: str | None = Field(default=None, max_length=32)
    url: str | None = Field(default=None, max_length=1000)


@router.post(
    "/resources/{ref}/distributions",
    status_code=status.HTTP_201_CREATED,
    summary="Add a table or file to a resource",
)
def add_distribution(
    ref: str, body: DistributionCreate, session: SessionDep, actor: SignedInActor
) -> DistributionCreated:
    distribution = loader.add_distribution(
        session, actor=actor, resource_ref=ref, **body.model_dump()
    )
    return distribution_created(distribution)


class UploadQueued(BaseModel):
    version: int
    job: JobPublic


@router.post(
    "/distributions/{distribution_id}/upload",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Upload CSV, XLSX, JSON or NDJSON; loaded as a job (poll the job)",
)
def upload(
    distribution_id: str,
    session: SessionDep,
    actor: SignedInActor,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
    fields: Annotated[str | None, Form(description="declared fields, JSON [{name, type}]")] = None,
) -> UploadQueued:
    declared = None
    if fields:
        try:
            declared = json.loads(fields)
        except json.JSONDecodeError:
            raise InvalidInput("malformed_json") from None
        if not isinstance(declared, list) or not all(
            isinstance(c, dict) and "name" in c for c in declared
        ):
            raise InvalidInput("field_invalid", field="fields", reason="[{name, type}]")
    path, size = loader.store_upload(
        file.file,
        upload_dir=Path(settings.var_dir) / "uploads",
        max_bytes=settings.max_upload_bytes,
    )
    version, job = loader.queue_load(
        session,
        actor=actor,
        distribution_id=distribution_id,
        path=path,
        filename=file.filename or "upload.csv",
        size=size,
        declared=declared,
    )
    return UploadQueued(version=version.number, job=job_public(job))


class VersionPublic(BaseModel):
    number: int
    status: str
    row_count: int
    columns: list[dict[str, Any]]
    source_filename: str | None
    source_format: str | None
    source_encoding: str | None
    error: dict[str, Any] | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    current: bool


@router.get("/distributions/{distribution_id}/versions", summary="Every load, newest first")
def list_versions(
    distribution_id: str, session: SessionDep, actor: SignedInActor
) -> list[VersionPublic]:
    rows = datastore_versions.versions(session, actor=actor, distribution_id=distribution_id)
    distribution, resource = datastore_versions.get_distribution(
        session, actor=actor, ref=distribution_id
    )
    # A failed load's message and problems quote the file's cells: they are for those who load
    # the data; others see that the load failed.
    may_edit = can_edit_resource(actor, department_id=resource.department_id)
    return [
        VersionPublic.model_validate(
            {
                **{k: getattr(v, k) for k in VersionPublic.model_fields if k != "current"},
                "current": v.id == distribution.current_version_id,
                "error": v.error if may_edit else None,
            }
        )
        for v in rows
    ]


@router.post(
    "/distributions/{distribution_id}/versions/{number}/restore",
    summary="Make an earlier version current again",
)
def restore_version(
    distribution_id: str, number: int, session: SessionDep, actor: SignedInActor
) -> VersionRestored:
    version = datastore_versions.restore_version(
        session, actor=actor, distribution_id=distribution_id, number=number
    )
    return VersionRestored(distribution_id=distribution_id, current_version=version.number)


class IndexRequest(BaseModel):
    fields: list[str | list[str]] = Field(
        min_length=1, max_length=50, description="fields, or lists of fields for composite indexes"
    )


@router.post(
    "/distributions/{distribution_id}/indexes", summary="Index columns for filters and sorts"
)
def add_indexes(
    distribution_id: str, body: IndexRequest, session: SessionDep, actor: SignedInActor
) -> IndexesAdded:
    indexed = datastore_edits.add_indexes(
        session, actor=actor, distribution_id=distribution_id, fields=body.fields
    )
    return IndexesAdded(indexed=indexed)


@router.get(
    "/distributions/{distribution_id}/data", summary="Query the data (masked as your access says)"
)
def data(
    distribution_id: str,
    session: SessionDep,
    actor: CurrentActor,
    filters: Annotated[
        str | None, Query(description='JSON, e.g. {"城市": ["杭州市", "宁波市"]}')
    ] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: str | None = None,
    limit: Annotated[int, Query(ge=0, le=datastore.MAX_LIMIT)] = 100,
    offset: Offset = 0,
    version: Annotated[int | None, Query(ge=1, description="an earlier version")] = None,
) -> DataPage:
    parsed = None
    if filters:
        try:
            parsed = json.loads(filters)
        except json.JSONDecodeError:
            raise InvalidInput("malformed_json") from None
        if not isinstance(parsed, dict):
            raise InvalidInput("field_invalid", field="filters", reason="a JSON object")
    result, view = datastore.read(
        session,
        actor=actor,
        distribution_id=distribution_id,
        query=datastore.Query(filters=parsed, q=q, sort=sort, limit=limit, offset=offset),
        version_number=version,
    )
    return data_page(result, view, limit=limit, offset=offset)


# --- sharing -------------------------------------------------------------------------------------


class ShareRequestCreate(BaseModel):
    purpose: str = Field(min_length=5, max_length=5000)
    fields: list[str] | None = Field(default=None, max_length=500)
    duration_days: int = Field(default=90, ge=1, le=1095)


class ShareDecision(BaseModel):
    reason: str | None = Field(default=None, max_length=5000)


def share_public(request: ShareRequest) -> SharePublic:
    return SharePublic.model_validate(
        {
            **{k: getattr(request, k) for k in SharePublic.model_fields if k != "status"},
            "status": sharing.effective_status(request),
        }
    )


@router.post(
    "/resources/{ref}/share-requests",
    status_code=status.HTTP_201_CREATED,
    summary="Ask for a conditionally shared resource",
)
def request_share(
    ref: str, body: ShareRequestCreate, session: SessionDep, actor: SignedInActor
) -> SharePublic:
    return share_public(
        sharing.request_share(
            session,
            actor=actor,
            resource_ref=ref,
            purpose=body.purpose,
            fields=body.fields,
            duration_days=body.duration_days,
        )
    )


@router.get("/share-requests", summary="Requests to your department (incoming) or from it")
def list_share_requests(
    session: SessionDep,
    actor: SignedInActor,
    incoming: bool = True,
    status_filter: Annotated[str | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[SharePublic]:
    return [
        share_public(r)
        for r in sharing.list_requests(
            session,
            actor=actor,
            incoming=incoming,
            status=status_filter,
            limit=limit,
            offset=offset,
        )
    ]


@router.post("/share-requests/{request_id}/approve", summary="Approve a request")
def approve(
    request_id: int, body: ShareDecision, session: SessionDep, actor: SignedInActor
) -> SharePublic:
    return share_public(
        sharing.decide(
            session, actor=actor, request_id=request_id, approve=True, reason=body.reason
        )
    )


@router.post("/share-requests/{request_id}/reject", summary="Reject a request (with a reason)")
def reject(
    request_id: int, body: ShareDecision, session: SessionDep, actor: SignedInActor
) -> SharePublic:
    return share_public(
        sharing.decide(
            session, actor=actor, request_id=request_id, approve=False, reason=body.reason
        )
    )
