"""The versions of a distribution's data: each load goes into a table of its own (a version);
readers see the current version until a new one is complete, then the pointer moves in the same
transaction that finishes the load. Earlier versions stay readable and can be restored."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwang.catalog.models import Distribution, Resource, TableVersion
from yiwang.catalog.service import CATALOG, get_resource
from yiwang.core import audit, cache
from yiwang.core.db import utcnow
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.policy import Actor, can_edit_resource, require

LOADING, READY, FAILED = "loading", "ready", "failed"


def record_change(
    session: Session,
    *,
    actor: Actor,
    distribution: Distribution,
    action: str,
    details: dict[str, Any],
) -> None:
    """After any change to a distribution's data: stamp it, let every node's cache know, audit."""
    distribution.modified_at = utcnow()
    cache.bump(session, CATALOG)
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="distribution",
        object_id=distribution.id,
        details=details,
    )


def get_distribution(session: Session, *, actor: Actor, ref: str) -> tuple[Distribution, Resource]:
    distribution = session.get(Distribution, ref)
    if distribution is None or distribution.state != "active":
        raise NotFound("distribution", ref)
    resource = get_resource(session, actor=actor, ref=distribution.resource_id)
    return distribution, resource


def new_version(
    session: Session,
    *,
    actor: Actor,
    distribution: Distribution,
    resource: Resource,
    filename: str | None,
    size: int | None,
) -> TableVersion:
    """Open a version in the ``loading`` state (visible to the loader's progress page)."""
    require(
        can_edit_resource(actor, department_id=resource.department_id),
        "datastore.load",
        object_type="distribution",
        object_id=distribution.id,
    )
    number = (
        session.scalar(
            select(func.max(TableVersion.number)).where(
                TableVersion.distribution_id == distribution.id
            )
        )
        or 0
    ) + 1
    version = TableVersion(
        distribution_id=distribution.id,
        number=number,
        table_name=f"datastore_{uuid.uuid4().hex[:16]}",
        status=LOADING,
        row_count=0,
        columns=[],
        source_filename=filename,
        source_bytes=size,
        created_by_id=actor.user_id,
    )
    session.add(version)
    session.flush()
    return version


def current_version(session: Session, distribution: Distribution) -> TableVersion:
    if distribution.current_version_id is None:
        raise InvalidInput("catalog.no_data", status_code=404)
    version = session.get(TableVersion, distribution.current_version_id)
    if version is None or version.status != READY:
        raise InvalidInput("catalog.no_data", status_code=404)
    return version


def ready_version(session: Session, distribution: Distribution, number: int) -> TableVersion:
    """The ready version ``number`` of a distribution, or a 404 naming it."""
    version = session.scalars(
        select(TableVersion).where(
            TableVersion.distribution_id == distribution.id,
            TableVersion.number == number,
            TableVersion.status == READY,
        )
    ).first()
    if version is None:
        raise InvalidInput("catalog.unknown_version", status_code=404, value=number)
    return version


def versions(session: Session, *, actor: Actor, distribution_id: str) -> list[TableVersion]:
    distribution, _ = get_distribution(session, actor=actor, ref=distribution_id)
    return list(
        session.scalars(
            select(TableVersion)
            .where(TableVersion.distribution_id == distribution.id)
            .order_by(TableVersion.number.desc())
        )
    )


def restore_version(
    session: Session, *, actor: Actor, distribution_id: str, number: int
) -> TableVersion:
    """Make an earlier ready version the current one again."""
    distribution, resource = get_distribution(session, actor=actor, ref=distribution_id)
    require(
        can_edit_resource(actor, department_id=resource.department_id),
        "datastore.restore",
        object_type="distribution",
        object_id=distribution.id,
    )
    version = ready_version(session, distribution, number)
    distribution.current_version_id = version.id
    record_change(
        session,
        actor=actor,
        distribution=distribution,
        action="datastore.restore",
        details={"version": number},
    )
    return version


def make_current(session: Session, *, actor: Actor, version: TableVersion) -> None:
    """Finish a load: the version becomes ready and current, in the loader's transaction."""
    distribution = session.get(Distribution, version.distribution_id)
    assert distribution is not None  # noqa: S101  (a version's distribution cannot vanish: FK)
    version.status = READY
    version.finished_at = utcnow()
    distribution.current_version_id = version.id
    resource = session.get(Resource, distribution.resource_id)
    if resource is not None:
        resource.modified_at = utcnow()
    record_change(
        session,
        actor=actor,
        distribution=distribution,
        action="datastore.load",
        details={
            "version": version.number,
            "rows": version.row_count,
            "file": version.source_filename,
        },
    )
