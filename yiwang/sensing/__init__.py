"""The sensing engine: the IoT hub. Things, sensors and observations served through OGC
SensorThings API 1.1 over HTTP and MQTT, time series with aggregates, rules and alerts, and the
computed indices of the domain packs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yiwang.sensing import (
    alerting,  # rules and alerts: tables, ingest hook, jobs, routes
    computed,  # noqa: F401  (the domain packs' computed indices: an ingest hook)
    models,  # noqa: F401  (registers the tables)
    opendata,  # noqa: F401  (the job publishing the packs' open data)
    packs,  # noqa: F401  (the sensing sections of domain packs)
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from fastapi import FastAPI
    from sqlalchemy.orm import Session


def register(app: FastAPI) -> None:
    """Serve SensorThings API 1.1 and the native sensing API."""
    from yiwang.sensing import api, mqtt, sta  # noqa: PLC0415

    app.include_router(api.router)
    _prepare_storage(app)
    alerting.register(app)  # rules, alerts, their live stream and webhooks
    mqtt.install(app)  # rejections API; MQTT notifications and embedded bridge when configured
    sta.install(app)  # SensorThings API 1.1 and its error envelope


def _prepare_storage(app: FastAPI) -> None:
    """When the application starts, create the observation partitions of the coming months."""
    from contextlib import asynccontextmanager  # noqa: PLC0415

    import anyio  # noqa: PLC0415

    from yiwang.sensing import storage  # noqa: PLC0415

    previous = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[object]:
        async with previous(running) as state:
            await anyio.to_thread.run_sync(storage.prepare_partitions, running.state.db.engine)
            yield state

    app.router.lifespan_context = lifespan  # type: ignore[assignment]


def load_demo(session: Session) -> None:
    """Add the sensing engine's demo: the domain packs' things, streams, rules and history."""
    from yiwang.sensing import demo  # noqa: PLC0415

    demo.load(session)


__all__ = ["load_demo", "register"]
