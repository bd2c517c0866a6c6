"""SensorThings over MQTT: the ingest bridge (``yiwang mqtt``, or inside ``yiwang serve`` with
``YIWANG_MQTT_INGEST=true``), notifications of new observations to subscribers
(``YIWANG_MQTT_NOTIFY=true``) and the operators' list of rejected input."""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from yiwang.core.config import Settings
from yiwang.core.db import Database
from yiwang.sensing.mqtt.bridge import MQTT_ACTOR, BatchResult, BridgeOptions, IngestBridge
from yiwang.sensing.mqtt.client import broker_address
from yiwang.sensing.mqtt.notify import (
    Notifier,
    observation_json,
    start_notifications,
    stop_notifications,
)
from yiwang.sensing.mqtt.topics import ingest_filters, observations_topic, parse_topic

if TYPE_CHECKING:
    from fastapi import FastAPI

log = logging.getLogger(__name__)

LOCK_FILE = "mqtt-ingest.lock"
_LOCK_RETRY_S = 5.0


def bridge_options(settings: Settings) -> BridgeOptions:
    return BridgeOptions(
        client_id=settings.mqtt_client_id,
        batch_size=settings.mqtt_batch_size,
        batch_ms=settings.mqtt_batch_ms,
        receive_maximum=settings.mqtt_receive_maximum,
        session_expiry_s=settings.mqtt_session_expiry_s,
        shared=settings.mqtt_shared_subscription,
        language=settings.default_language,
    )


def make_bridge(
    settings: Settings,
    db: Database,
    *,
    notify: bool | None = None,
    on_subscribed: Callable[[], None] | None = None,
) -> IngestBridge:
    """An ingest bridge configured by ``settings`` (``notify`` overrides
    ``mqtt_notify``)."""
    address = broker_address(settings.mqtt_url)
    publish = settings.mqtt_notify if notify is None else notify
    return IngestBridge(
        db,
        address,
        bridge_options(settings),
        notifier=Notifier(address, base_url=settings.public_url) if publish else None,
        on_subscribed=on_subscribed,
    )


class _EmbeddedBridge:
    """The bridge inside a web process. With several worker processes only one runs it (the
    one holding a lock file under ``var_dir``); the others try again every few seconds, so
    one takes over if that worker dies."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.bridge: IngestBridge | None = None
        self._stop = threading.Event()
        self._lock_file: IO[bytes] | None = None
        self._thread = threading.Thread(target=self._run, name="mqtt-bridge-lock", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _acquire(self) -> bool:
        path = Path(self.settings.var_dir) / LOCK_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._lock_file = handle
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._acquire():
                # Notifications are this process's own publisher's (started with the app).
                self.bridge = make_bridge(self.settings, self.db, notify=False)
                self.bridge.start()
                return
            self._stop.wait(_LOCK_RETRY_S)

    def stop(self) -> None:
        self._stop.set()
        if self.bridge is not None:
            self.bridge.join()
        if self._lock_file is not None:
            self._lock_file.close()


def install(app: FastAPI) -> None:
    """Serve the rejections API, and run notifications and the embedded bridge (when the
    settings ask for them) for as long as the application runs."""
    from yiwang.sensing.mqtt import api  # noqa: PLC0415  (the web layer only where served)

    app.include_router(api.router)
    settings: Settings = app.state.settings
    db: Database = app.state.db
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        embedded: _EmbeddedBridge | None = None
        if settings.mqtt_notify:
            address = broker_address(settings.mqtt_url)
            start_notifications(Notifier(address, base_url=settings.public_url))
        if settings.mqtt_ingest:
            embedded = _EmbeddedBridge(settings, db)
            embedded.start()
        try:
            context: AbstractAsyncContextManager[Any] = inner(application)
            async with context as state:
                yield state
        finally:
            if embedded is not None:
                embedded.stop()
            if settings.mqtt_notify:
                stop_notifications()

    app.router.lifespan_context = lifespan


__all__ = [
    "MQTT_ACTOR",
    "BatchResult",
    "BridgeOptions",
    "IngestBridge",
    "Notifier",
    "bridge_options",
    "ingest_filters",
    "install",
    "make_bridge",
    "observation_json",
    "observations_topic",
    "parse_topic",
    "start_notifications",
    "stop_notifications",
]
