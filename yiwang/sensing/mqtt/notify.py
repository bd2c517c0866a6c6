"""Telling MQTT subscribers of new observations, however they were stored (HTTP, MQTT, the
packs' computed indices): each stored observation is published, as SensorThings JSON, to
``v1.1/Datastreams(id)/Observations`` (or ``MultiDatastreams``) once its transaction commits.

Notifications are best effort (QoS 0): a process that stores observations but has no broker
connection drops them with a warning. Ingest never depends on them."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import paho.mqtt.client as paho
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.sensing import service
from yiwang.sensing.models import MULTI, Datastream
from yiwang.sensing.mqtt.client import KEEPALIVE_S, BrokerAddress, new_client
from yiwang.sensing.mqtt.topics import VERSION, observations_topic
from yiwang.sensing.service import StoredObservation
from yiwang.sensing.times import format_interval, format_optional

log = logging.getLogger(__name__)

_PENDING_KEY = "yiwang.sensing.mqtt.notifications"
_WARN_EVERY_S = 60.0
_HOLD_S = 10.0
_HOLD_MAX = 10_000

Notification = tuple[str, bytes]


def observation_json(
    observation: StoredObservation, *, base_url: str, observation_type: str | None
) -> dict[str, Any]:
    """An observation as SensorThings shows it."""
    number = observation.result_number
    return {
        "@iot.id": observation.id,
        "@iot.selfLink": f"{base_url}/sta/{VERSION}/Observations({observation.id})",
        "phenomenonTime": format_interval(
            observation.phenomenon_time, observation.phenomenon_time_end
        ),
        "result": service.result_of(
            number, None if number is not None else observation.result, observation_type
        ),
        "resultTime": format_optional(observation.result_time),
    }


class Notifier:
    """Publishes notifications through a client: one it is given (the ingest bridge's), or a
    publisher of its own with a random client id, connected on first use. While not connected
    it holds the most recent notifications for a few seconds (the first connection takes a
    moment) and drops the rest with a warning."""

    def __init__(self, address: BrokerAddress, *, base_url: str) -> None:
        self.address = address
        self.base_url = base_url.rstrip("/")
        self._client: paho.Client | None = None
        self._own = False
        self._lock = threading.Lock()
        self._held: deque[tuple[float, Notification]] = deque()
        self._dropped = 0
        self._warned_at = 0.0

    def attach(self, client: paho.Client) -> None:
        """Publish through ``client`` (already connecting, looped by its owner)."""
        with self._lock:
            self._client, self._own = client, False

    def _publisher(self) -> paho.Client:
        with self._lock:
            if self._client is None:
                client = new_client(self.address)
                client.on_connect = self._on_connect
                client.connect_async(self.address.host, self.address.port, KEEPALIVE_S)
                client.loop_start()
                self._client, self._own = client, True
            return self._client

    def _on_connect(
        self, client: paho.Client, _userdata: Any, _flags: Any, reason: Any, _p: Any
    ) -> None:
        if not reason.is_failure:
            self._flush(client)

    def publish(self, notifications: Sequence[Notification]) -> None:
        client = self._publisher()
        if not client.is_connected():
            now = time.monotonic()
            with self._lock:
                self._held.extend((now, n) for n in notifications)
                excess = len(self._held) - _HOLD_MAX
                for _ in range(max(excess, 0)):
                    self._held.popleft()
            if excess > 0:
                self._drop(excess)
            return
        self._flush(client)
        self._send(client, notifications)

    def _flush(self, client: paho.Client) -> None:
        with self._lock:
            held, self._held = list(self._held), deque()
        if not held:
            return
        oldest_kept = time.monotonic() - _HOLD_S
        fresh = [n for at, n in held if at >= oldest_kept]
        if len(fresh) < len(held):
            self._drop(len(held) - len(fresh))
        self._send(client, fresh)

    def _send(self, client: paho.Client, notifications: Sequence[Notification]) -> None:
        failed = 0
        for topic, payload in notifications:
            if client.publish(topic, payload, qos=0).rc != paho.MQTT_ERR_SUCCESS:
                failed += 1
        if failed:
            self._drop(failed)

    def _drop(self, count: int) -> None:
        self._dropped += count
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY_S:
            log.warning(
                "MQTT broker %s:%s not reachable: %d observation notification(s) dropped",
                self.address.host,
                self.address.port,
                self._dropped,
            )
            self._warned_at, self._dropped = now, 0

    def close(self) -> None:
        with self._lock:
            client, own, self._client = self._client, self._own, None
        if client is not None and own:
            client.disconnect()
            client.loop_stop()


_notifier: Notifier | None = None


def start_notifications(notifier: Notifier) -> None:
    """Publish every observation this process stores from now on through ``notifier``."""
    global _notifier
    previous, _notifier = _notifier, notifier
    if previous is not None and previous is not notifier:
        previous.close()
    service.register_ingest_hook(_prepare)


def stop_notifications() -> None:
    global _notifier
    previous, _notifier = _notifier, None
    service.unregister(_prepare)
    if previous is not None:
        previous.close()


def _prepare(session: Session, stored: Sequence[StoredObservation]) -> None:
    """Inside the storing transaction: build the notifications (the stream's kind and type
    decide the topic and the form of the result); they are sent once it commits."""
    notifier = _notifier
    if notifier is None or not stored:
        return
    streams = {
        row.id: (row.kind, row.observation_type)
        for row in session.execute(
            select(Datastream.id, Datastream.kind, Datastream.observation_type).where(
                Datastream.id.in_({o.stream_id for o in stored})
            )
        )
    }
    pending: list[Notification] = session.info.setdefault(_PENDING_KEY, [])
    for observation in stored:
        kind, observation_type = streams.get(observation.stream_id, (None, None))
        body = observation_json(
            observation, base_url=notifier.base_url, observation_type=observation_type
        )
        pending.append(
            (
                observations_topic(observation.stream_id, multi=kind == MULTI),
                json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
            )
        )


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending: list[Notification] = session.info.pop(_PENDING_KEY, [])
    notifier = _notifier
    if not pending or notifier is None:
        return
    try:
        notifier.publish(pending)
    except Exception:
        log.exception("publishing observation notifications failed")


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING_KEY, None)


__all__ = [
    "Notifier",
    "observation_json",
    "start_notifications",
    "stop_notifications",
]
