"""Telling MQTT subscribers of SensorThings updates (OGC 18-088 14.2) once their transaction
commits: new observations, however they were stored (HTTP, MQTT, the packs' computed
indices), published to ``v1.1/Observations``, ``v1.1/Datastreams(id)/Observations`` (or
``MultiDatastreams``) and ``v1.1/FeaturesOfInterest(id)/Observations``; and every entity
created or updated through the SensorThings API (see :mod:`~yiwang.sensing.mqtt.updates` for
the topics). Only what the public may read is published.

Notifications are best effort (QoS 0): a process that stores observations but has no broker
connection drops them with a warning, as it does past a bounded number waiting to be sent.
Ingest never depends on them."""

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

from yiwang.sensing import parsing, service
from yiwang.sensing.models import MULTI, Datastream
from yiwang.sensing.mqtt.client import KEEPALIVE_S, BrokerAddress, new_client
from yiwang.sensing.mqtt.topics import VERSION, observations_topic
from yiwang.sensing.mqtt.updates import SUBSCRIPTION_LOG, SelectTopics, entity_messages, selected
from yiwang.sensing.service import StoredObservation
from yiwang.sensing.sta.changes import Change, register_change_hook, unregister_change_hook
from yiwang.sensing.times import format_interval, format_optional

log = logging.getLogger(__name__)

_PENDING_KEY = "yiwang.sensing.mqtt.notifications"
_WARN_EVERY_S = 60.0
_HOLD_S = 10.0
_HOLD_MAX = 10_000
# Messages paho may hold unsent on a slow connection (QoS 0 has no queue limit of its own).
_UNSENT_MAX = 50_000

Notification = tuple[str, bytes]


def observation_json(
    observation: StoredObservation, *, base_url: str, observation_type: str | None
) -> dict[str, Any]:
    """An observation as SensorThings shows it."""
    number = observation.result_number
    link = f"{base_url}/sta/{VERSION}/Observations({observation.id})"
    stream = "MultiDatastream" if observation_type == parsing.COMPLEX else "Datastream"
    document = {
        "@iot.id": observation.id,
        "@iot.selfLink": link,
        "phenomenonTime": format_interval(
            observation.phenomenon_time, observation.phenomenon_time_end
        ),
        "result": parsing.result_of(
            number, None if number is not None else observation.result, observation_type
        ),
        "resultTime": format_optional(observation.result_time),
        "resultQuality": observation.result_quality,
        "validTime": format_optional(observation.valid_time_start, observation.valid_time_end),
        "parameters": observation.parameters,
        f"{stream}@iot.navigationLink": f"{link}/{stream}",
    }
    if observation.feature_id is not None:
        document["FeatureOfInterest@iot.navigationLink"] = f"{link}/FeatureOfInterest"
    return document


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
        self.selects = SelectTopics()
        self._watcher: paho.Client | None = None

    def watch_subscriptions(self) -> None:
        """Learn the ``$select`` topics subscribers ask for from the broker's reports."""
        with self._lock:
            if self._watcher is not None:
                return
            watcher = self._watcher = new_client(self.address)
        watcher.on_connect = lambda client, *_: client.subscribe(SUBSCRIPTION_LOG, qos=0)
        watcher.on_message = lambda _c, _u, message: self.selects.learn(
            message.payload.decode("utf-8", "replace")
        )
        watcher.connect_async(self.address.host, self.address.port, KEEPALIVE_S)
        watcher.loop_start()

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
        unsent = len(getattr(client, "_out_packet", ()))  # paho's own queue of unsent packets
        room = max(_UNSENT_MAX - unsent, 0)
        if len(notifications) > room:
            self._drop(len(notifications) - room)
            notifications = notifications[:room]
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
                "MQTT broker %s:%s not reachable or too slow: %d notification(s) dropped",
                self.address.host,
                self.address.port,
                self._dropped,
            )
            self._warned_at, self._dropped = now, 0

    def close(self) -> None:
        with self._lock:
            client, own, self._client = self._client, self._own, None
            watcher, self._watcher = self._watcher, None
        if client is not None and own:
            client.disconnect()
            client.loop_stop()
        if watcher is not None:
            watcher.disconnect()
            watcher.loop_stop()


_notifier: Notifier | None = None


def start_notifications(notifier: Notifier) -> None:
    """Publish every observation this process stores, and every entity it creates or updates
    through the SensorThings API, from now on through ``notifier``."""
    global _notifier
    previous, _notifier = _notifier, notifier
    if previous is not None and previous is not notifier:
        previous.close()
    notifier.watch_subscriptions()
    service.register_ingest_hook(_prepare)
    register_change_hook(_prepare_changes)


def stop_notifications() -> None:
    global _notifier
    previous, _notifier = _notifier, None
    service.unregister(_prepare)
    unregister_change_hook(_prepare_changes)
    if previous is not None:
        previous.close()


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _prepare_changes(session: Session, changes: Sequence[Change]) -> None:
    """Inside the writing transaction: the notifications of the entities it created or
    updated; they are sent once it commits."""
    notifier = _notifier
    if notifier is None or not changes:
        return
    messages = entity_messages(
        session, changes, base_url=notifier.base_url, selects=notifier.selects
    )
    session.info.setdefault(_PENDING_KEY, []).extend((t, _dumps(b)) for t, b in messages)


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
        if not observation.is_open:  # the public may not read it
            continue
        kind, observation_type = streams.get(observation.stream_id, (None, None))
        body = observation_json(
            observation, base_url=notifier.base_url, observation_type=observation_type
        )
        topics = [
            observations_topic(observation.stream_id, multi=kind == MULTI),
            f"{VERSION}/Observations",
        ]
        if observation.feature_id is not None:
            topics.append(f"{VERSION}/FeaturesOfInterest({observation.feature_id})/Observations")
        payload = _dumps(body)
        pending.extend((topic, payload) for topic in topics)
        for topic, names in notifier.selects.matching(topics):
            pending.append((topic, _dumps(selected(body, names))))


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
