"""Jobs: leases, progress, retries and take-over, in one process (the multi-process test is in
tests/functional/core/test_workers.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import update

import tests.support.jobs  # noqa: F401  (registers the test job kinds)
from tests.factories.core import actor, make_department, make_user
from tests.support.databases import BoundDatabase
from yiwang.core import jobs
from yiwang.core.db import utcnow
from yiwang.core.errors import InvalidInput, PermissionDenied
from yiwang.core.jobs import Job, Worker
from yiwang.core.policy import SYSTEM, Role


def _enqueue(db: BoundDatabase, kind: str, payload: dict[str, object], **kw: object) -> int:
    with db.session() as session:
        return jobs.enqueue(session, kind=kind, payload=payload, actor=SYSTEM, **kw).id  # type: ignore[arg-type]


def _job(db: BoundDatabase, job_id: int) -> Job:
    with db.sessionmaker() as session:
        job = session.get(Job, job_id, populate_existing=True)
        assert job is not None
        session.expunge(job)
        return job


def test_unknown_kind_is_refused(db: BoundDatabase) -> None:
    with db.session() as session, pytest.raises(InvalidInput) as caught:
        jobs.enqueue(session, kind="no.such.kind", actor=SYSTEM)
    assert "no.such.kind" in caught.value.message("en")


def test_a_worker_runs_a_job_to_completion(db: BoundDatabase, tmp_path: Path) -> None:
    out = tmp_path / "runs.txt"
    job_id = _enqueue(db, "test.record", {"file": str(out)})
    worker = Worker(db, lease_seconds=30)
    assert worker.run_one() is True
    assert worker.run_one() is False  # nothing left
    job = _job(db, job_id)
    assert (job.status, job.progress, job.attempts) == ("succeeded", 100, 1)
    assert job.result is not None
    assert "pid" in job.result
    assert job.lease_owner is None
    assert out.read_text().split()[0] == str(job_id)


def test_progress_is_recorded_while_the_lease_is_held(db: BoundDatabase) -> None:
    job_id = _enqueue(db, "test.slow", {"steps": 1, "step": 0})
    with db.sessionmaker() as session:
        claimed = jobs.claim(session, worker="w1", lease_seconds=30)
    assert claimed is not None
    assert claimed.id == job_id
    assert jobs.renew(db, job_id=job_id, worker="w1", lease_seconds=30, percent=40, message="四成")
    job = _job(db, job_id)
    assert (job.status, job.progress, job.message) == ("running", 40, "四成")
    assert not jobs.renew(db, job_id=job_id, worker="w2", lease_seconds=30, percent=90)


def _expire_lease(db: BoundDatabase, job_id: int) -> None:
    with db.session() as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(lease_expires_at=utcnow() - dt.timedelta(seconds=1))
        )


def test_an_expired_lease_is_taken_over(db: BoundDatabase) -> None:
    job_id = _enqueue(db, "test.slow", {"steps": 1, "step": 0})
    with db.sessionmaker() as session:
        assert jobs.claim(session, worker="dead", lease_seconds=30) is not None
        assert jobs.claim(session, worker="other", lease_seconds=30) is None  # still leased
    _expire_lease(db, job_id)
    with db.sessionmaker() as session:
        taken = jobs.claim(session, worker="alive", lease_seconds=30)
    assert taken is not None
    assert (taken.id, taken.attempts, taken.lease_owner) == (job_id, 2, "alive")
    # The first worker comes back too late: its result is not recorded.
    assert jobs.finish(db, job_id=job_id, worker="dead", result={"late": True}) is None
    assert jobs.finish(db, job_id=job_id, worker="alive", result={"ok": True}) == "succeeded"
    assert _job(db, job_id).result == {"ok": True}


def test_a_lease_expired_on_the_last_attempt_fails_the_job(db: BoundDatabase) -> None:
    job_id = _enqueue(db, "test.slow", {}, max_attempts=1)
    with db.sessionmaker() as session:
        assert jobs.claim(session, worker="dead", lease_seconds=30) is not None
    _expire_lease(db, job_id)
    assert Worker(db).run_one() is False
    job = _job(db, job_id)
    assert job.status == "failed"
    assert "no attempts" in (job.error or "")


def test_a_failing_job_is_retried_then_fails(db: BoundDatabase) -> None:
    job_id = _enqueue(db, "test.fail", {}, max_attempts=2)
    worker = Worker(db)
    assert worker.run_one() is True
    job = _job(db, job_id)
    assert (job.status, job.attempts) == ("queued", 1)
    assert "always fails" in (job.error or "")
    assert job.run_after > utcnow()  # backs off before the retry
    with db.session() as session:
        session.execute(update(Job).where(Job.id == job_id).values(run_after=utcnow()))
    assert worker.run_one() is True
    job = _job(db, job_id)
    assert (job.status, job.attempts) == ("failed", 2)


def test_jobs_are_visible_to_their_department_only(db: BoundDatabase) -> None:
    with db.session() as session:
        own, other = make_department(session), make_department(session)
        owner = make_user(session, role=Role.EDITOR, department=own)
        colleague = make_user(session, role=Role.MEMBER, department=own)
        stranger = make_user(session, role=Role.EDITOR, department=other)
        job = jobs.enqueue(session, kind="test.slow", actor=actor(owner))
        assert jobs.get_job(session, actor=actor(colleague), job_id=job.id).id == job.id
        with pytest.raises(PermissionDenied):
            jobs.get_job(session, actor=actor(stranger), job_id=job.id)
