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
)

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.orm import Session


def register(app: FastAPI) -> None:
    """Serve SensorThings API 1.1 and the native sensing API."""
    from yiwang.sensing import api, mqtt, sta  # noqa: PLC0415

    app.include_router(api.router)
    alerting.register(app)  # rules, alerts, their live stream and webhooks
    mqtt.install(app)  # rejections API; MQTT notifications and embedded bridge when configured
    sta.install(app)  # SensorThings API 1.1 and its error envelope


def load_demo(session: Session) -> None:
    """Add the sensing engine's demo: the domain packs' things, streams, rules and history."""
    from yiwang.sensing import demo  # noqa: PLC0415

    demo.load(session)


__all__ = ["load_demo", "register"]
