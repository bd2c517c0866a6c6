"""Enqueueing, claiming and finishing jobs.

A worker claims one job at a time with a lease. On PostgreSQL the claim is ``SELECT … FOR
UPDATE SKIP LOCKED`` inside one ``UPDATE … RETURNING``, so two nodes never take the same job;
on SQLite the single UPDATE is atomic because SQLite serializes writers. A running job whose
lease has expired (its worker died) is claimed again, until ``max_attempts`` is used up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from yiwang.core.db import Database, utcnow
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.jobs.models import Job
from yiwang.core.policy import Actor, can_view_job, require

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"


@dataclass
class JobContext:
    """Handed to a job handler: its job id, who queued it, the database and a way to report
    progress."""

    job_id: int
    attempt: int
    report: Callable[[int, str | None], None]
    actor: Actor
    db: Database

    def progress(self, percent: int, message: str | None = None) -> None:
        self.report(max(0, min(100, int(percent))), message)


JobHandler = Callable[[JobContext, dict[str, Any]], dict[str, Any] | None]

_handlers: dict[str, JobHandler] = {}


def handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Register the function that runs jobs of ``kind``."""

    def register(func: JobHandler) -> JobHandler:
        if kind in _handlers and _handlers[kind] is not func:
            raise ValueError(f"job handler registered twice: {kind}")
        _handlers[kind] = func
        return func

    return register


def handler_for(kind: str) -> JobHandler | None:
    return _handlers.get(kind)


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any] | None = None,
    actor: Actor,
    max_attempts: int = 3,
    run_after: dt.datetime | None = None,
) -> Job:
    """Queue a job in the caller's transaction; it becomes visible to workers on commit."""
    if kind not in _handlers:
        raise InvalidInput("jobs.unknown_kind", kind=kind)
    job = Job(
        kind=kind,
        payload=payload or {},
        status=QUEUED,
        progress=0,
        attempts=0,
        max_attempts=max_attempts,
        run_after=run_after or utcnow(),
        created_by_id=actor.user_id,
        department_id=actor.department_id,
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, *, actor: Actor, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("job", job_id)
    require(
        can_view_job(actor, created_by_id=job.created_by_id, department_id=job.department_id),
        "job.read",
        object_type="job",
        object_id=job_id,
    )
    return job


def claim(
    session: Session, *, worker: str, lease_seconds: int, kinds: list[str] | None = None
) -> Job | None:
    """Take the oldest claimable job for ``worker`` and commit the claim. Return it, or None."""
    now = utcnow()
    claimable = or_(
        and_(Job.status == QUEUED, Job.run_after <= now),
        and_(
            Job.status == RUNNING,
            Job.lease_expires_at < now,
            Job.attempts < Job.max_attempts,
        ),
    )
    candidate = select(Job.id).where(claimable)
    if kinds is not None:
        candidate = candidate.where(Job.kind.in_(kinds))
    candidate = candidate.order_by(Job.id).limit(1).with_for_update(skip_locked=True)
    row = session.execute(
        update(Job)
        .where(Job.id == candidate.scalar_subquery())
        .where(claimable)
        .values(
            status=RUNNING,
            lease_owner=worker,
            lease_expires_at=now + dt.timedelta(seconds=lease_seconds),
            attempts=Job.attempts + 1,
            started_at=now,
        )
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    ).first()
    session.commit()
    if row is None:
        return None
    return session.get(Job, row[0], populate_existing=True)


def renew(
    db: Database,
    *,
    job_id: int,
    worker: str,
    lease_seconds: int,
    percent: int | None = None,
    message: str | None = None,
) -> bool:
    """Extend the lease (and record progress) if ``worker`` still holds it; return whether it
    does. Runs in its own transaction so progress is visible at once. On SQLite, while the job's
    own transaction holds the write lock (a big load), the record is skipped rather than waited
    for: the job goes on, and nobody else can take it over meanwhile, since claiming needs that
    lock too."""
    values: dict[str, Any] = {"lease_expires_at": utcnow() + dt.timedelta(seconds=lease_seconds)}
    if percent is not None:
        values["progress"] = percent
    if message is not None:
        values["message"] = message[:500]
    try:
        with db.session(wait=False) as session:
            result = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.lease_owner == worker, Job.status == RUNNING)
                .values(**values)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]
    except OperationalError:
        if db.dialect != "sqlite":
            raise
        return True


def finish(
    db: Database,
    *,
    job_id: int,
    worker: str,
    result: dict[str, Any] | None = None,
    error: str | None = None,
    retry_delay: float = 5.0,
) -> str | None:
    """Record the outcome if ``worker`` still holds the lease; return the new status, or None
    when the lease was lost (another worker has taken the job over)."""
    now = utcnow()
    with db.session() as session:
        job = session.scalars(
            select(Job)
            .where(Job.id == job_id, Job.lease_owner == worker, Job.status == RUNNING)
            .with_for_update()
        ).first()
        if job is None:
            return None
        if error is None:
            job.status, job.progress, job.result = SUCCEEDED, 100, result
            job.finished_at = now
        elif job.attempts < job.max_attempts:
            job.status, job.error = QUEUED, error[:4000]
            job.run_after = now + dt.timedelta(seconds=retry_delay * job.attempts)
        else:
            job.status, job.error, job.finished_at = FAILED, error[:4000], now
        job.lease_owner = None
        job.lease_expires_at = None
        return job.status


def fail_exhausted(session: Session) -> int:
    """Mark running jobs whose lease expired after their last attempt as failed."""
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(Job.status == RUNNING, Job.lease_expires_at < now, Job.attempts >= Job.max_attempts)
        .values(
            status=FAILED,
            error="the worker stopped and no attempts are left",
            finished_at=now,
            lease_owner=None,
            lease_expires_at=None,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
