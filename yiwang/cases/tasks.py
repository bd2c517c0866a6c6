"""The cases engine's background jobs: the supervision scan and the monthly statistics.

The core has no clock-driven scheduler, so the scan schedules itself: each run of
``cases.supervise`` with ``every_seconds`` in its payload queues the next run that many seconds
later (unless one is already queued). :func:`schedule_supervision` starts the chain; ``yiwang
cases schedule`` and the demo call it. ``cases.publish_statistics`` does the same monthly when
given ``monthly: true``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.cases import materials, recount, stats, supervision
from yiwang.cases.vocab import local_date
from yiwang.core import calendar, events, jobs
from yiwang.core.config import get_settings
from yiwang.core.db import utcnow
from yiwang.core.jobs import Job, JobContext, handler
from yiwang.core.policy import SYSTEM, Actor

SUPERVISE = "cases.supervise"
PUBLISH = "cases.publish_statistics"
DEFAULT_EVERY_SECONDS = 600


def _queued(session: Session, kind: str) -> Job | None:
    return session.scalars(
        select(Job).where(Job.kind == kind, Job.status == jobs.QUEUED).limit(1)
    ).first()


def schedule_supervision(
    session: Session, *, every_seconds: int = DEFAULT_EVERY_SECONDS, actor: Actor = SYSTEM
) -> Job:
    """Make sure a periodic supervision scan is queued; return the queued job."""
    return _queued(session, SUPERVISE) or jobs.enqueue(
        session, kind=SUPERVISE, payload={"every_seconds": every_seconds}, actor=actor
    )


@handler(SUPERVISE)
def run_supervision(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Issue the cards due today, and remove the uploads kept for retries past their time;
    queue the next run when the payload says how often."""
    day = dt.date.fromisoformat(payload["day"]) if payload.get("day") else None
    swept = materials.sweep_staged(Path(get_settings().var_dir))
    with ctx.db.session() as session:
        result = supervision.scan(session, today=day, actor=ctx.actor)
        every = payload.get("every_seconds")
        if every and _queued(session, SUPERVISE) is None:
            jobs.enqueue(
                session,
                kind=SUPERVISE,
                payload={"every_seconds": int(every)},
                actor=ctx.actor,
                run_after=utcnow() + dt.timedelta(seconds=int(every)),
            )
    return {
        "day": result.day.isoformat(),
        "yellow": result.yellow,
        "red": result.red,
        "swept_uploads": swept,
    }


def _first_of_next_month(now: dt.datetime) -> dt.datetime:
    day = stats.next_month(local_date(now))
    return dt.datetime(day.year, day.month, day.day, 1, tzinfo=dt.UTC)


def schedule_publication(session: Session, *, actor: Actor = SYSTEM) -> Job:
    """Queue a publication of the monthly statistics, which then queues its own run every
    month; return the queued job."""
    return jobs.enqueue(session, kind=PUBLISH, payload={"monthly": True}, actor=actor)


@handler(PUBLISH)
def run_publication(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Publish the monthly statistics up to ``month`` (YYYY-MM; default: last month)."""
    now = utcnow()
    if payload.get("month"):
        until = stats.parse_month(str(payload["month"]))
    else:
        until = (local_date(now).replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    with ctx.db.session() as session:
        result = stats.publish_monthly(session, actor=ctx.actor, until=until)
        if payload.get("monthly") and _queued(session, PUBLISH) is None:
            jobs.enqueue(
                session,
                kind=PUBLISH,
                payload={"monthly": True},
                actor=ctx.actor,
                run_after=_first_of_next_month(now),
            )
    return result


RECOUNT = "cases.recount_deadlines"


@handler(RECOUNT)
def run_recount(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Count again the deadlines of the open cases counted on provisional days (after an
    official holiday schedule was imported); list the cases that changed and by how much."""
    years = [int(y) for y in payload.get("years", [])]
    with ctx.db.session() as session:
        result = recount.recount_provisional(
            session, years=years, source=str(payload.get("source", "")), actor=ctx.actor
        )
    return {
        "years": years,
        "checked": result.checked,
        "changed": len(result.changes),
        "cards_noted": result.cards_noted,
        "changes": result.changes,
    }


def _on_calendar_imported(session: Session, event: events.Event) -> None:
    """An official schedule was imported: queue the recount (once per event)."""
    jobs.enqueue(
        session,
        kind=RECOUNT,
        payload={**event.payload, "event_id": event.id},
        actor=SYSTEM,
    )


events.subscribe(calendar.IMPORTED_EVENT, "cases.recount_on_calendar", _on_calendar_imported)
