"""Rules on observations and the alerts they raise: thresholds with levels and hysteresis, rate
of change, stale sensors; delivered as server-sent events, signed webhooks, MQTT messages and
events on the core bus; and cases opened for alerts through the core's cross-engine messages
(:mod:`yiwang.sensing.alerting.casework`)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio.to_thread

# models registers the tables, watch the ingest hook, tasks the jobs and the event handler,
# casework the handlers of the cases engine's answers (case.opened, case.request_failed).
from yiwang.sensing.alerting import casework, models, tasks, watch  # noqa: F401

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fastapi import FastAPI


def register(app: FastAPI) -> None:
    """Serve the rules-and-alerts API, deliver with this application's settings, and make sure
    the stale-sensor check is scheduled when the application starts."""
    from yiwang.sensing.alerting import api, delivery  # noqa: PLC0415

    app.include_router(api.router)
    delivery.configure(app.state.settings)
    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[object]:
        async with previous(running) as state:
            await anyio.to_thread.run_sync(tasks.start_stale_checks, running.state.db)
            yield state

    app.router.lifespan_context = lifespan  # type: ignore[assignment]


__all__ = ["register"]
