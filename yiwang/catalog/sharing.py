"""共享: departments ask for conditionally shared resources; the providing department decides;
an approval grants the fields asked for, for the time asked for, and then lapses by itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from yiwang.catalog.models import Resource, ShareRequest
from yiwang.catalog.service import get_resource
from yiwang.core import audit
from yiwang.core.db import utcnow
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.policy import (
    Actor,
    DataAccess,
    can_decide_share,
    can_request_share,
    can_view_share_request,
    require,
    resource_data_access,
)

PENDING, APPROVED, REJECTED, REVOKED = "pending", "approved", "rejected", "revoked"


def active_grant(
    session: Session, *, department_id: int | None, resource_id: str
) -> ShareRequest | None:
    """The approved, unexpired request of a department for a resource, if there is one."""
    if department_id is None:
        return None
    return session.scalars(
        select(ShareRequest)
        .where(
            ShareRequest.resource_id == resource_id,
            ShareRequest.department_id == department_id,
            ShareRequest.status == APPROVED,
            ShareRequest.expires_at > utcnow(),
        )
        .order_by(ShareRequest.expires_at.desc())
    ).first()


def access_for(
    session: Session, *, actor: Actor, resource: Resource
) -> tuple[DataAccess, list[str] | None]:
    """What ``actor`` may read of ``resource``'s data, and which fields (None: all)."""
    grant = None
    if resource.share_class == "conditional" and actor.department_id not in (
        None,
        resource.department_id,
    ):
        grant = active_grant(session, department_id=actor.department_id, resource_id=resource.id)
    level = resource_data_access(
        actor,
        department_id=resource.department_id,
        share_class=resource.share_class,
        open_class=resource.open_class,
        granted=grant is not None,
    )
    fields = grant.fields if grant is not None and level == DataAccess.SHARED else None
    return level, fields


def request_share(
    session: Session,
    *,
    actor: Actor,
    resource_ref: str,
    purpose: str,
    fields: Sequence[str] | None,
    duration_days: int,
) -> ShareRequest:
    resource = get_resource(session, actor=actor, ref=resource_ref)
    if not can_request_share(
        actor, department_id=resource.department_id, share_class=resource.share_class
    ):
        raise InvalidInput("catalog.share_not_allowed", status_code=403)
    known = {str(f.get("name")) for f in resource.fields}
    for name in fields or []:
        if known and name not in known:
            raise InvalidInput("catalog.unknown_field", value=name)
    if actor.department_id is None or actor.user_id is None:  # the policy has checked; for mypy
        raise InvalidInput("catalog.share_not_allowed", status_code=403)
    request = ShareRequest(
        resource_id=resource.id,
        department_id=actor.department_id,
        requested_by_id=actor.user_id,
        purpose=purpose.strip(),
        fields=list(fields) if fields else None,
        duration_days=duration_days,
        status=PENDING,
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="share.request",
        object_type="share_request",
        object_id=request.id,
        details={"resource": resource.code, "fields": request.fields, "days": duration_days},
    )
    return request


def get_request(session: Session, *, actor: Actor, request_id: int) -> ShareRequest:
    request = session.get(ShareRequest, request_id)
    if request is None:
        raise NotFound("share_request", request_id)
    resource = session.get(Resource, request.resource_id)
    assert resource is not None  # noqa: S101  (foreign key)
    require(
        can_view_share_request(
            actor,
            owner_department_id=resource.department_id,
            requesting_department_id=request.department_id,
        ),
        "share.read",
        object_type="share_request",
        object_id=request_id,
    )
    return request


def decide(
    session: Session, *, actor: Actor, request_id: int, approve: bool, reason: str | None = None
) -> ShareRequest:
    """Approve (access starts now, for the days asked) or reject (a reason is required)."""
    request = session.get(ShareRequest, request_id)
    if request is None:
        raise NotFound("share_request", request_id)
    resource = session.get(Resource, request.resource_id)
    assert resource is not None  # noqa: S101  (foreign key)
    require(
        can_decide_share(actor, department_id=resource.department_id),
        "share.decide",
        object_type="share_request",
        object_id=request_id,
    )
    if request.status != PENDING:
        raise InvalidInput("catalog.share_already_decided", status_code=409)
    if not approve and not (reason or "").strip():
        raise InvalidInput("catalog.reason_required")
    now = utcnow()
    request.status = APPROVED if approve else REJECTED
    request.decided_by_id = actor.user_id
    request.decided_at = now
    request.reason = (reason or "").strip() or None
    if approve:
        request.expires_at = now + dt.timedelta(days=request.duration_days)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="share.approve" if approve else "share.reject",
        object_type="share_request",
        object_id=request.id,
        details={"resource": resource.code, "reason": request.reason},
    )
    return request


def revoke(session: Session, *, actor: Actor, request_id: int, reason: str) -> ShareRequest:
    request = session.get(ShareRequest, request_id)
    if request is None:
        raise NotFound("share_request", request_id)
    resource = session.get(Resource, request.resource_id)
    assert resource is not None  # noqa: S101
    require(
        can_decide_share(actor, department_id=resource.department_id),
        "share.revoke",
        object_type="share_request",
        object_id=request_id,
    )
    request.status = REVOKED
    request.reason = reason
    request.expires_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="share.revoke",
        object_type="share_request",
        object_id=request.id,
        details={"reason": reason},
    )
    return request


def effective_status(request: ShareRequest) -> str:
    """The status as a user sees it: an approval past its term reads as expired."""
    if (
        request.status == APPROVED
        and request.expires_at is not None
        and request.expires_at <= utcnow()
    ):
        return "expired"
    return request.status


def list_requests(
    session: Session,
    *,
    actor: Actor,
    incoming: bool,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[ShareRequest]:
    """Requests made to the actor's department (``incoming``) or by it; all for a sysadmin."""
    query = _requests(actor, incoming=incoming, status=status).order_by(ShareRequest.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def count_requests(
    session: Session, *, actor: Actor, incoming: bool, status: str | None = None
) -> int:
    """How many requests :func:`list_requests` gives the actor, all pages together."""
    query = _requests(actor, incoming=incoming, status=status)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _requests(actor: Actor, *, incoming: bool, status: str | None) -> Select[ShareRequest]:
    query = select(ShareRequest)
    if not actor.is_sysadmin:
        if incoming:
            owned = select(Resource.id).where(Resource.department_id == actor.department_id)
            query = query.where(ShareRequest.resource_id.in_(owned))
        else:
            query = query.where(ShareRequest.department_id == actor.department_id)
    if status:
        query = query.where(or_(ShareRequest.status == status))
    return query
