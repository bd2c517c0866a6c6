"""Operators' view of rejected input: ``GET /api/v1/sensing/rejections``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request

from yiwang.core.web.deps import SessionDep, SignedInActor
from yiwang.core.web.pagination import Limit, Offset, Page, next_link
from yiwang.sensing.models import Rejection
from yiwang.sensing.mqtt import rejections
from yiwang.sensing.schemas import RejectionPublic

router = APIRouter(prefix="/api/v1/sensing", tags=["sensing: rejected input"])


def rejection_public(rejection: Rejection) -> RejectionPublic:
    return RejectionPublic.model_validate(rejection, from_attributes=True)


@router.get("/rejections", summary="Input that was refused, with the reason (newest first)")
def list_rejections(
    request: Request,
    session: SessionDep,
    actor: SignedInActor,
    department_id: Annotated[int | None, Query(description="only this department's")] = None,
    datastream_id: Annotated[int | None, Query(description="only this stream's")] = None,
    since: Annotated[dt.datetime | None, Query(description="received at or after")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[RejectionPublic]:
    page = rejections.list_rejections(
        session,
        actor=actor,
        department_id=department_id,
        datastream_id=datastream_id,
        since=since,
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[rejection_public(r) for r in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
        next=next_link(request, total=page.total, limit=limit, offset=offset),
    )
