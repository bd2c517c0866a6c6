"""The catalog's demo data: two dozen resources of the demo departments, each with one table of
synthetic but plausible data, registered and loaded by each department's editor through the
catalog's services (so the audit log shows who did what, as it would for real work).

The resources are described in ``yiwang.catalog.demo_data.resources``; their rows come from the
table functions beside it, each drawing from a random generator seeded with the resource's
title, so the demo is the same on every run."""

from __future__ import annotations

import random

from sqlalchemy.orm import Session

from yiwang.catalog import loader, service
from yiwang.catalog.demo_data.resources import DEMO_RESOURCES
from yiwang.catalog.schemas import FieldSpec, FieldType, ResourceCreate
from yiwang.core import identity
from yiwang.core.policy import Actor

SYNTHETIC = "（演示用合成数据）"
"""Every demo summary ends with this: the figures are made up, whatever the names."""

# CKAN datastore types (the demo's columns) -> the catalogue's field types.
_FIELD_TYPES: dict[str, FieldType] = {
    "int": "integer",
    "numeric": "decimal",
    "bool": "boolean",
    "date": "date",
    "timestamp": "datetime",
    "text": "text",
}


def _editor(session: Session, department: str) -> Actor:
    """The demo editor of a department, acting as the demo loader (via "system")."""
    return identity.actor_for(
        identity.get_user_by_username(session, f"{department}_editor"), via="system"
    )


def load(session: Session) -> None:
    """Register the demo resources as their departments' editors and load their tables; the
    core demo's departments and users must exist."""
    actors: dict[str, Actor] = {}
    codes: dict[str, str] = {}
    for demo in DEMO_RESOURCES:
        if demo.department not in actors:
            actors[demo.department] = _editor(session, demo.department)
        actor = actors[demo.department]
        department = identity.find_department(session, demo.department)
        data = ResourceCreate(
            department_id=department.id,
            title=demo.title,
            title_en=demo.title_en,
            summary=demo.summary + SYNTHETIC,
            catalog_type=demo.catalog_type,
            category=demo.category,
            format=demo.format,
            fields=[
                FieldSpec(
                    name=c.name,
                    type=_FIELD_TYPES[c.type],
                    description=c.description,
                    personal=c.personal,
                )
                for c in demo.columns
            ],
            share_class=demo.share_class,
            share_conditions=demo.share_conditions,
            open_class=demo.open_class,
            open_conditions=demo.open_conditions,
            update_frequency=demo.update_frequency,
            related=[codes[title] for title in demo.related],
            tags=list(demo.tags),
            license_id=demo.license_id,
            spatial_division=demo.spatial_division,
            temporal_start=demo.temporal[0],
            temporal_end=demo.temporal[1],
            state="active",
        )
        resource = service.create_resource(session, actor=actor, data=data)
        codes[demo.title] = resource.code
        distribution = loader.add_distribution(
            session,
            actor=actor,
            resource_ref=resource.id,
            name=demo.table,
            description=f"{demo.title}：{demo.table}{SYNTHETIC}",
            format=demo.format,
        )
        # A generator of its own per table: the rows do not depend on the order of the tables.
        rng = random.Random(f"yiwang-demo:{demo.title}")  # noqa: S311  (not for secrets)
        loader.create_from_records(
            session,
            actor=actor,
            distribution_id=distribution.id,
            fields=[
                {
                    "id": c.name,
                    "type": c.type,
                    "info": {"personal": c.personal} if c.personal else {},
                }
                for c in demo.columns
            ],
            records=demo.rows(rng),
        )
