"""The job worker: claims jobs, runs their handlers, renews leases while they run."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import NoReturn

from sqlalchemy.orm import Session

from yiwang.core import events
from yiwang.core.db import Database, declare_write
from yiwang.core.identity import User, actor_for
from yiwang.core.jobs import service
from yiwang.core.jobs.models import Job
from yiwang.core.jobs.service import JobContext
from yiwang.core.policy import SYSTEM, Actor
from yiwang.core.requestctx import reset_request_id, set_request_id

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@dataclass
class Worker:
    """Runs jobs from the database until stopped. Safe to run several, in one or many
    processes, on one database."""

    db: Database
    lease_seconds: int = 60
    poll_seconds: float = 1.0
    kinds: list[str] | None = None
    name: str = field(default_factory=worker_name)
    _stop: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        self._stop.set()

    def run_forever(self) -> None:
        log.info("job worker started", extra={"worker": self.name})
        while not self._stop.is_set():
            try:
                ran = self.run_one() or self.deliver_events() > 0
            except Exception:
                log.exception("job worker loop failed; retrying")
                ran = False
            if not ran:
                self._stop.wait(self.poll_seconds)
        log.info("job worker stopped", extra={"worker": self.name})

    def deliver_events(self) -> int:
        """Deliver pending domain events to the durable handlers of this process, between
        jobs; return how many were delivered."""
        if not events.has_durable_handlers():
            return 0
        with self.db.session() as session:
            return events.deliver_pending(session)

    def run_one(self) -> bool:
        """Claim and run one job; return whether there was one."""
        with self.db.sessionmaker() as session:
            declare_write(session)
            service.fail_exhausted(session)
            job = service.claim(
                session, worker=self.name, lease_seconds=self.lease_seconds, kinds=self.kinds
            )
            if job is None:
                return False
            job_id, kind, payload, attempt = job.id, job.kind, dict(job.payload), job.attempts
            actor = _job_actor(session, job.created_by_id)
        self._run(job_id, kind, payload, attempt, actor)
        return True

    def _run(
        self, job_id: int, kind: str, payload: dict[str, object], attempt: int, actor: Actor
    ) -> None:
        token = set_request_id(f"job-{job_id}")
        stop_heartbeat = threading.Event()
        lease_lost = threading.Event()

        def report(percent: int, message: str | None) -> None:
            if not service.renew(
                self.db,
                job_id=job_id,
                worker=self.name,
                lease_seconds=self.lease_seconds,
                percent=percent,
                message=message,
            ):
                lease_lost.set()

        def heartbeat() -> None:
            while not stop_heartbeat.wait(self.lease_seconds / 3):
                if not service.renew(
                    self.db, job_id=job_id, worker=self.name, lease_seconds=self.lease_seconds
                ):
                    lease_lost.set()
                    return

        beat = threading.Thread(target=heartbeat, name=f"lease-{job_id}", daemon=True)
        beat.start()
        func = service.handler_for(kind)
        try:
            if func is None:
                _missing_handler(kind)
            log.info("job started", extra={"job_id": job_id, "kind": kind, "attempt": attempt})
            result = func(JobContext(job_id, attempt, report, actor, self.db), payload)
            status = service.finish(self.db, job_id=job_id, worker=self.name, result=result or {})
        except Exception as exc:
            log.warning("job failed", extra={"job_id": job_id, "kind": kind}, exc_info=True)
            detail = "".join(traceback.format_exception_only(exc)).strip()
            status = service.finish(self.db, job_id=job_id, worker=self.name, error=detail)
        finally:
            stop_heartbeat.set()
            beat.join()
            reset_request_id(token)
        if status is None or lease_lost.is_set():
            log.warning("job lease was lost; another worker owns it now", extra={"job_id": job_id})
        else:
            log.info("job finished", extra={"job_id": job_id, "kind": kind, "status": status})


def _missing_handler(kind: str) -> NoReturn:
    raise LookupError(f"no handler for job kind {kind!r} in this process")


def _job_actor(session: Session, user_id: int | None) -> Actor:
    """Jobs act for whoever queued them, with that user's current role; system jobs act as
    the system."""
    if user_id is None:
        return SYSTEM
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return Actor(user_id=user_id, username=f"user:{user_id}", via="job")
    return actor_for(user, via="job")


def wait_for(db: Database, job_id: int, *, timeout: float = 30.0) -> str:
    """Poll until the job has finished; return its status (for the CLI and tests)."""
    deadline = time.monotonic() + timeout
    while True:
        with db.sessionmaker() as session:
            job = session.get(Job, job_id)
            status = job.status if job else "missing"
        if status in (service.SUCCEEDED, service.FAILED, "missing") or time.monotonic() > deadline:
            return status
        time.sleep(0.1)
