"""Factories for catalogue objects, through the public services."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tests.support.databases import BoundDatabase
from yiwang.catalog import loader, service
from yiwang.catalog.models import Distribution, Resource, TableVersion
from yiwang.catalog.schemas import ResourceCreate
from yiwang.core.jobs import Job, Worker
from yiwang.core.policy import Actor

_n = itertools.count(1)


def make_resource(session: Session, actor: Actor, *, department_id: int, **fields: Any) -> Resource:
    n = next(_n)
    values: dict[str, Any] = {
        "title": f"测试数据资源{n}",
        "summary": "用于测试的合成数据。",
        "department_id": department_id,
        "state": "active",
        "open_class": "unconditional",
        "share_class": "unconditional",
        **fields,
    }
    return service.create_resource(session, actor=actor, data=ResourceCreate.model_validate(values))


def make_distribution(
    session: Session, actor: Actor, resource: Resource, name: str = "数据表"
) -> Distribution:
    return loader.add_distribution(session, actor=actor, resource_ref=resource.id, name=name)


def upload(
    db: BoundDatabase,
    actor: Actor,
    distribution_id: str,
    content: bytes,
    filename: str,
    tmp_path: Path,
    declared: list[dict[str, Any]] | None = None,
) -> tuple[TableVersion, Job]:
    """Upload a file and run its load job to the end; return the version and the job."""
    source = tmp_path / f"upload-{next(_n)}"
    source.write_bytes(content)
    with db.session() as session, source.open("rb") as stream:
        path, size = loader.store_upload(stream, upload_dir=tmp_path / "uploads", max_bytes=10**9)
        version, job = loader.queue_load(
            session,
            actor=actor,
            distribution_id=distribution_id,
            path=path,
            filename=filename,
            size=size,
            declared=declared,
        )
        version_id, job_id = version.id, job.id
    Worker(db).run_one()
    with db.sessionmaker() as session:
        version = session.get(TableVersion, version_id, populate_existing=True)
        job = session.get(Job, job_id, populate_existing=True)
        assert version is not None
        assert job is not None
        session.expunge_all()
        return version, job
