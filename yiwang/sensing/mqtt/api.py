"""Operators' view of rejected input: ``GET /api/v1/sensing/rejections``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from yiwang.core.web.deps import SessionDep, SignedInActor
from yiwang.core.web.pagination import Limit, Offset, next_link
from yiwang.sensing.mqtt import rejections

router = APIRouter(prefix="/api/v1/sensing", tags=["sensing: rejected input"])


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
) -> dict[str, Any]:
    page = rejections.list_rejections(
        session,
        actor=actor,
        department_id=department_id,
        datastream_id=datastream_id,
        since=since,
        limit=limit,
        offset=offset,
    )
    return {
        "items": [
            {
                "id": r.id,
                "received_at": r.received_at,
                "source": r.source,
                "topic": r.topic,
                "datastream_id": r.datastream_id,
                "code": r.code,
                "message": r.message,
                "payload": r.payload,
            }
            for r in page.items
        ],
        "total": page.total,
        "limit": limit,
        "offset": offset,
        "next": next_link(request, total=page.total, limit=limit, offset=offset),
    }
