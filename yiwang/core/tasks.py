"""The core's own background jobs."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from yiwang.core import audit, events, jobs
from yiwang.core.jobs import Job, JobContext, handler
from yiwang.core.policy import Actor, can_verify_audit, require


@handler("audit.verify")
def verify_audit(ctx: JobContext, _payload: dict[str, Any]) -> dict[str, Any]:
    """Verify the audit chain and return the report."""
    ctx.progress(1, "verifying the audit chain")
    with ctx.db.session(write=False) as session:
        result = audit.verify(session, actor=ctx.actor)
    ctx.progress(100, "done")
    return result.as_dict()


def request_audit_verification(session: Session, *, actor: Actor) -> Job:
    """Queue a verification of the audit chain for ``actor``, and record the request."""
    require(can_verify_audit(actor), "audit.verify", object_type="audit_log")
    job = jobs.enqueue(session, kind="audit.verify", actor=actor, max_attempts=1)
    audit.record(session, actor=actor, action="audit.verify", object_type="job", object_id=job.id)
    return job


@handler("events.deliver")
def deliver_events(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Deliver pending outbox events to durable handlers."""
    total = 0
    with ctx.db.session() as session:
        total += events.deliver_pending(session, limit=int(payload.get("limit", 500)))
    return {"delivered": total}
