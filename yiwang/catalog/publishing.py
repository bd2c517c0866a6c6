"""Tables other engines publish through the catalogue: a resource registered on the engine's
behalf with a distribution whose datastore table the engine fills and refreshes (the sensing
packs' hourly aggregates, the cases engine's monthly statistics).

The engines give the resource's metadata (a :class:`~yiwang.catalog.schemas.ResourceCreate`)
and the table's fields and records; they never see the catalogue's models."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from yiwang.catalog import loader
from yiwang.catalog.models import Resource
from yiwang.catalog.schemas import ResourceCreate
from yiwang.catalog.service import create_resource, get_resource
from yiwang.catalog.vocab import State
from yiwang.core.errors import NotFound
from yiwang.core.policy import SYSTEM, Actor


@dataclass(frozen=True, slots=True)
class Published:
    """A new version of a published table."""

    resource_id: str
    code: str  # the resource's catalogue code
    version: int  # the table version's number
    rows: int


def _find(session: Session, *, actor: Actor, ref: str) -> Resource | None:
    try:
        return get_resource(session, actor=actor, ref=ref)
    except NotFound:
        return None


def register_table(
    session: Session,
    *,
    actor: Actor,
    ref: str,
    data: Callable[[], ResourceCreate],
    distribution: str,
    description: str | None = None,
    format: str | None = None,
    fields: Sequence[Mapping[str, Any]],
    primary_key: Sequence[str] = (),
) -> tuple[str, bool]:
    """Register the resource ``data()`` with one distribution ``distribution`` holding an empty
    table of ``fields`` (CKAN datastore fields) keyed by ``primary_key``, unless a resource
    ``ref`` (id, name or code) exists already, even deleted: a department that withdrew it is
    not overruled. Return the resource's id and whether it was registered now."""
    existing = _find(session, actor=SYSTEM, ref=ref)
    if existing is not None:
        return existing.id, False
    resource = create_resource(session, actor=actor, data=data())
    added = loader.add_distribution(
        session,
        actor=actor,
        resource_ref=resource.id,
        name=distribution,
        description=description,
        format=format,
    )
    loader.create_from_records(
        session,
        actor=actor,
        distribution_id=added.id,
        fields=fields,
        records=[],
        primary_key=primary_key,
    )
    return resource.id, True


def find_table(session: Session, *, actor: Actor, ref: str) -> str | None:
    """The id of the first distribution of the resource ``ref`` (id, name or code), the one
    whose table :func:`register_table` created; None when ``actor`` cannot see the resource,
    it is deleted or it has no distribution."""
    resource = _find(session, actor=actor, ref=ref)
    if resource is None or resource.state == State.DELETED or not resource.distributions:
        return None
    return resource.distributions[0].id


def publish_table(
    session: Session,
    *,
    actor: Actor,
    ref: str,
    data: Callable[[], ResourceCreate],
    distribution: str,
    format: str | None = None,
    fields: Sequence[Mapping[str, Any]],
    records: Sequence[Mapping[str, Any]],
    primary_key: Sequence[str] = (),
) -> Published:
    """Publish ``records`` as a new version of the table of the distribution named
    ``distribution`` of the resource ``ref`` (id, name or code, as ``actor`` sees it),
    registering the resource (``data()``) and the distribution on first use."""
    resource = _find(session, actor=actor, ref=ref)
    if resource is None:
        resource = create_resource(session, actor=actor, data=data())
    table = next((d for d in resource.distributions if d.name == distribution), None)
    if table is None:
        table = loader.add_distribution(
            session, actor=actor, resource_ref=resource.id, name=distribution, format=format
        )
    version = loader.create_from_records(
        session,
        actor=actor,
        distribution_id=table.id,
        fields=fields,
        records=records,
        primary_key=primary_key,
    )
    return Published(
        resource_id=resource.id, code=resource.code, version=version.number, rows=len(records)
    )


def replace_table(
    session: Session,
    *,
    actor: Actor,
    distribution_id: str,
    fields: Sequence[Mapping[str, Any]],
    records: Sequence[Mapping[str, Any]],
    primary_key: Sequence[str] = (),
) -> int:
    """A new version of the distribution's table from ``fields`` and ``records`` (CKAN's
    ``datastore_create``), made current; return its number."""
    return loader.create_from_records(
        session,
        actor=actor,
        distribution_id=distribution_id,
        fields=fields,
        records=records,
        primary_key=primary_key,
    ).number


__all__ = ["Published", "find_table", "publish_table", "register_table", "replace_table"]


def resource_exists(session: Session, *, ref: str) -> bool:
    """Whether a resource ``ref`` (id, name or code) exists, even deleted."""
    return _find(session, actor=SYSTEM, ref=ref) is not None
