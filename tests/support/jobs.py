"""Job kinds used by the tests (imported by test workers with ``yiwang worker --import``)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from yiwang.core.jobs import JobContext, handler


@handler("test.record")
def record(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Append this job's id and the worker's pid to a file, so a test can count runs."""
    time.sleep(float(payload.get("sleep", 0)))
    with Path(payload["file"]).open("a") as out:
        out.write(f"{ctx.job_id} {os.getpid()}\n")
    return {"pid": os.getpid()}


@handler("test.slow")
def slow(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Run for ``steps`` × ``step`` seconds, reporting progress after each step."""
    steps = int(payload.get("steps", 10))
    for step in range(1, steps + 1):
        time.sleep(float(payload.get("step", 0.2)))
        ctx.progress(step * 100 // steps, f"step {step} of {steps}")
    return {"pid": os.getpid(), "attempt": ctx.attempt}


@handler("test.fail")
def fail(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("this job always fails")
