"""Background jobs with database leases and visible progress."""

from yiwang.core.jobs.models import Job
from yiwang.core.jobs.service import (
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    JobContext,
    claim,
    enqueue,
    finish,
    get_job,
    handler,
    handler_for,
    renew,
)
from yiwang.core.jobs.worker import Worker, wait_for

__all__ = [
    "FAILED",
    "QUEUED",
    "RUNNING",
    "SUCCEEDED",
    "Job",
    "JobContext",
    "Worker",
    "claim",
    "enqueue",
    "finish",
    "get_job",
    "handler",
    "handler_for",
    "renew",
    "wait_for",
]
