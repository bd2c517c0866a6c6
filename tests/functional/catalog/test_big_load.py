"""A load that reports progress while it holds the database's write lock (as every big load
does) must not wait on itself: on separate connections, as in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from yiwang.catalog import loader, service
from yiwang.catalog.models import TableVersion
from yiwang.catalog.schemas import ResourceCreate
from yiwang.core import identity
from yiwang.core.db import Database
from yiwang.core.jobs import Job, Worker
from yiwang.core.policy import SYSTEM, Role

pytestmark = pytest.mark.slow


def test_a_load_reporting_progress_finishes(
    committed_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "PROGRESS_SECONDS", 0.0)  # report after every batch
    db = committed_database
    source = tmp_path / "big.csv"
    with source.open("w", encoding="gbk") as out:
        out.write("编号,城市,数值\n")
        for i in range(30_000):
            out.write(f"{i},{'杭州市' if i % 2 else '宁波市'},{i * 0.5}\n")
    with db.session() as session:
        department = identity.create_department(
            session, actor=SYSTEM, name_zh="测试局", division_code="330100", slug="big"
        )
        user = identity.create_user(
            session,
            actor=SYSTEM,
            username="loader",
            role=Role.EDITOR,
            department_id=department.id,
            password="a long password",
        )
        editor = identity.actor_for(user, via="token")
        resource = service.create_resource(
            session,
            actor=editor,
            data=ResourceCreate(
                title="大表载入测试",
                summary="合成数据",
                department_id=department.id,
                state="active",
                open_class="unconditional",
            ),
        )
        distribution = loader.add_distribution(
            session, actor=editor, resource_ref=resource.id, name="t"
        )
        with source.open("rb") as stream:
            path, size = loader.store_upload(stream, upload_dir=tmp_path / "up", max_bytes=10**9)
        version, job = loader.queue_load(
            session,
            actor=editor,
            distribution_id=distribution.id,
            path=path,
            filename="big.csv",
            size=size,
        )
        version_id, job_id = version.id, job.id
    Worker(db).run_one()
    with db.sessionmaker() as session:
        finished = session.get(Job, job_id)
        loaded = session.get(TableVersion, version_id)
        assert finished is not None
        assert loaded is not None
        assert (finished.status, finished.progress, finished.error) == ("succeeded", 100, None)
        assert (loaded.status, loaded.row_count) == ("ready", 30_000)
