"""The MQTT ingest bridge: SensorThings Observations published to
``v1.1/Datastreams(id)/Observations``, ``v1.1/MultiDatastreams(id)/Observations`` or
``v1.1/Observations`` are stored, and none is lost.

How nothing is lost: QoS 1 with a fixed client id and a persistent session (the broker keeps
what arrives while the bridge is away), ``manual_ack`` with every acknowledgement sent only
after the database committed the message's batch, and idempotent inserts (one observation per
stream and phenomenon time, duplicates skipped) so that a message redelivered after a crash is
stored once. Messages are stored in batches (up to ``batch_size`` or ``batch_ms``), one
transaction and one audit entry per batch. While the database is unreachable the batch stays
unacknowledged and is retried with backoff; the broker stops sending once ``receive_maximum``
messages are unacknowledged, which bounds memory. A message that can never be stored
(malformed JSON, unknown stream, wrong result type, a time without zone, an unknown topic) is
recorded in ``sensing_rejections`` with its reason and acknowledged, so it is not redelivered
for ever and the stream keeps flowing."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from yiwang.core import audit
from yiwang.core.db import Database
from yiwang.core.errors import AppError, InvalidInput
from yiwang.core.i18n import translate
from yiwang.core.policy import Actor, Role
from yiwang.sensing import parsing, service
from yiwang.sensing.models import MULTI, Datastream
from yiwang.sensing.mqtt import messages  # noqa: F401  (registers the messages)
from yiwang.sensing.mqtt.client import (
    KEEPALIVE_S,
    BrokerAddress,
    connect_properties,
    new_client,
)
from yiwang.sensing.mqtt.notify import Notifier, start_notifications, stop_notifications
from yiwang.sensing.mqtt.rejections import NewRejection, payload_start, record_rejections
from yiwang.sensing.mqtt.topics import MULTI_DATASTREAMS, ingest_filters, parse_topic

log = logging.getLogger(__name__)

MQTT_ACTOR = Actor(username="mqtt", role=Role.SYSADMIN, via="system")
"""Who stores what arrives over MQTT. Devices are authorised by the broker (its ACL of
topics), not by yiwang: the bridge writes what the broker let through."""

_BACKOFF_START_S = 0.1
_BACKOFF_MAX_S = 5.0


@dataclass(frozen=True, slots=True)
class BridgeOptions:
    client_id: str
    batch_size: int = 2000
    batch_ms: int = 50
    receive_maximum: int = 5000
    session_expiry_s: int = 7 * 86400
    shared: bool = False
    language: str = "zh-CN"


@dataclass(slots=True)
class _Message:
    epoch: int
    mid: int
    qos: int
    topic: str
    payload: bytes


@dataclass(slots=True)
class _Prepared:
    """A batch parsed: the observations to store (with the message each came from) and the
    rejections found before the database was asked."""

    observations: list[parsing.NewObservation] = field(default_factory=list)
    sources: list[_Message] = field(default_factory=list)
    collections: list[str | None] = field(default_factory=list)
    rejections: list[NewRejection] = field(default_factory=list)
    ignored: int = 0


@dataclass(frozen=True, slots=True)
class BatchResult:
    received: int
    stored: int
    duplicates: int
    rejected: int
    ignored: int


def _is_transient(exc: BaseException) -> bool:
    """Whether a database error means "try again later" (the server restarting, the
    connection lost, SQLite's lock busy) rather than "this batch cannot be stored"."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class IngestBridge:
    """Subscribes to the observation topics and stores what arrives. ``start`` runs it in
    threads of its own; ``stop`` finishes the batch in hand and disconnects."""

    def __init__(
        self,
        db: Database,
        address: BrokerAddress,
        options: BridgeOptions,
        *,
        notifier: Notifier | None = None,
        on_subscribed: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.address = address
        self.options = options
        self.notifier = notifier
        self.on_subscribed = on_subscribed
        self.batches = 0
        self.stored = 0
        self._queue: queue.SimpleQueue[_Message] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._epoch = 0
        self._thread: threading.Thread | None = None
        self.client = new_client(address, client_id=options.client_id, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect

    # --- the connection (paho's network thread) ------------------------------------------------

    def _on_connect(
        self,
        client: paho.Client,
        _userdata: Any,
        flags: paho.ConnectFlags,
        reason: ReasonCode,
        _properties: Any,
    ) -> None:
        if reason.is_failure:
            log.warning("MQTT broker refused the bridge: %s", reason)
            return
        # Messages received on an earlier connection are not acknowledged on this one: the
        # broker sends them again (they are then stored as duplicates, i.e. skipped).
        self._epoch += 1
        # No Local: the bridge does not receive the notifications it publishes itself. A shared
        # subscription may not ask for it; "@iot.id" in a payload is what stops loops there.
        options = SubscribeOptions(qos=1, noLocal=not self.options.shared)
        client.subscribe([(f, options) for f in ingest_filters(shared=self.options.shared)])
        log.info(
            "MQTT bridge connected to %s:%s as %s (session present: %s)",
            self.address.host,
            self.address.port,
            self.options.client_id,
            flags.session_present,
        )

    def _on_subscribe(
        self,
        _client: paho.Client,
        _userdata: Any,
        _mid: int,
        reasons: list[ReasonCode],
        _properties: Any,
    ) -> None:
        refused = [r for r in reasons if r.is_failure]
        if refused:
            log.error("MQTT broker refused the subscription: %s", refused)
            return
        if self.on_subscribed is not None:
            self.on_subscribed()

    def _on_disconnect(
        self, _client: paho.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _p: Any
    ) -> None:
        if not self._stop.is_set():
            log.warning("MQTT bridge disconnected (%s); reconnecting", reason)

    def _on_message(self, _client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = message._topic.decode("utf-8", errors="replace")
        self._queue.put(
            _Message(self._epoch, message.mid, message.qos, topic, bytes(message.payload))
        )

    # --- running ----------------------------------------------------------------------------

    def start(self) -> None:
        """Connect and start storing, in background threads."""
        if self.notifier is not None:
            self.notifier.attach(self.client)
            start_notifications(self.notifier)
        self.client.connect_async(
            self.address.host,
            self.address.port,
            KEEPALIVE_S,
            clean_start=False,
            properties=connect_properties(
                session_expiry_s=self.options.session_expiry_s,
                receive_maximum=self.options.receive_maximum,
            ),
        )
        self.client.loop_start()
        self._thread = threading.Thread(target=self._run, name="mqtt-ingest", daemon=True)
        self._thread.start()

    def run_forever(self) -> None:
        """Start, then wait until :meth:`stop` is called (from a signal handler, say)."""
        self.start()
        while not self._stop.wait(0.5):
            pass
        self.join()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float = 30.0) -> None:
        """Wait for the batch in hand, then disconnect."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.notifier is not None:
            stop_notifications()
        self.client.disconnect()
        self.client.loop_stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._collect()
            if not batch:
                continue
            if not self._store_until_committed(batch):
                return  # stopping: the batch stays unacknowledged and comes back next time
            self._acknowledge(batch)

    def _collect(self) -> list[_Message]:
        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.options.batch_ms / 1000
        while len(batch) < self.options.batch_size:
            try:
                batch.append(self._queue.get_nowait())
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _acknowledge(self, batch: Sequence[_Message]) -> None:
        epoch = self._epoch
        for message in batch:
            if message.qos > 0 and message.epoch == epoch:
                self.client.ack(message.mid, message.qos)

    def _store_until_committed(self, batch: list[_Message]) -> bool:
        """Store ``batch``, retrying while the database is unreachable; False if stopped
        first. A batch that fails for another reason is stored message by message, and a
        message that still fails is recorded as rejected."""
        prepared = self._prepare(batch)
        delay = _BACKOFF_START_S
        while True:
            try:
                result = self._store(prepared, len(batch))
            except Exception as exc:
                if not _is_transient(exc):
                    log.exception("MQTT batch failed; storing its messages one by one")
                    return self._store_one_by_one(batch)
                log.warning("database unavailable, batch of %d kept (%s)", len(batch), exc)
                if self._stop.wait(delay):
                    return False
                delay = min(delay * 2, _BACKOFF_MAX_S)
                continue
            self.batches += 1
            self.stored += result.stored
            return True

    def _store_one_by_one(self, batch: list[_Message]) -> bool:
        for message in batch:
            delay = _BACKOFF_START_S
            while True:
                try:
                    self._store(self._prepare([message]), 1)
                except Exception as exc:  # noqa: BLE001  (whatever it is, the message is recorded)
                    if _is_transient(exc):
                        if self._stop.wait(delay):
                            return False
                        delay = min(delay * 2, _BACKOFF_MAX_S)
                        continue
                    self._reject_alone(message, exc)
                break
        return True

    def _reject_alone(self, message: _Message, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}"[:300]
        rejection = NewRejection(
            source="mqtt",
            code="sensing.mqtt_store_failed",
            message=translate(
                "sensing.mqtt_store_failed", self.options.language, {"reason": reason}
            ),
            topic=message.topic,
            payload=payload_start(message.payload),
        )
        try:
            with self.db.session() as session:
                record_rejections(session, [rejection])
        except Exception:
            log.exception("could not record a rejected MQTT message; it is dropped")

    # --- one batch --------------------------------------------------------------------------

    def _reject(
        self, message: _Message, error: AppError, *, datastream_id: int | None = None
    ) -> NewRejection:
        return NewRejection(
            source="mqtt",
            code=error.code,
            message=error.message(self.options.language),
            topic=message.topic,
            datastream_id=datastream_id,
            payload=payload_start(message.payload),
        )

    def _prepare(self, batch: Sequence[_Message]) -> _Prepared:
        """Parse the messages; what cannot be parsed becomes a rejection."""
        prepared = _Prepared()
        for message in batch:
            stream_id: int | None = None
            try:
                data = json.loads(message.payload)
            except ValueError as exc:
                data = InvalidInput("sensing.mqtt_payload_invalid", reason=str(exc)[:200])
            if isinstance(data, dict) and "@iot.id" in data:
                # A notification (ours or another node's), on whichever topic it was published.
                prepared.ignored += 1
                continue
            try:
                collection, stream_id = parse_topic(message.topic)
                if isinstance(data, InvalidInput):
                    raise data
                observation = parsing.observation_from_json(data, stream_id=stream_id)
            except AppError as error:
                prepared.rejections.append(self._reject(message, error, datastream_id=stream_id))
                continue
            prepared.observations.append(observation)
            prepared.sources.append(message)
            prepared.collections.append(collection)
        return prepared

    def _store(self, prepared: _Prepared, received: int) -> BatchResult:
        """One transaction: the observations, the rejections, one audit entry."""
        with self.db.session() as session:
            rejections = list(prepared.rejections)
            observations, sources = self._check_collections(session, prepared, rejections)
            stored = duplicates = 0
            if observations:
                outcomes = service.create_observations(
                    session, actor=MQTT_ACTOR, observations=observations, duplicates="skip"
                )
                for outcome, observation, message in zip(
                    outcomes, observations, sources, strict=True
                ):
                    if outcome.error is not None:
                        rejections.append(
                            self._reject(
                                message, outcome.error, datastream_id=observation.stream_id
                            )
                        )
                    elif outcome.duplicate:
                        duplicates += 1
                    else:
                        stored += 1
            record_rejections(session, rejections)
            result = BatchResult(
                received=received,
                stored=stored,
                duplicates=duplicates,
                rejected=len(rejections),
                ignored=prepared.ignored,
            )
            audit.record(
                session,
                actor=MQTT_ACTOR,
                action="sensing.mqtt_ingest",
                object_type="observation_batch",
                details={
                    "client_id": self.options.client_id,
                    "received": result.received,
                    "stored": result.stored,
                    "duplicates": result.duplicates,
                    "rejected": result.rejected,
                    "ignored": result.ignored,
                },
            )
        return result

    def _check_collections(
        self, session: Session, prepared: _Prepared, rejections: list[NewRejection]
    ) -> tuple[list[parsing.NewObservation], list[_Message]]:
        """Refuse an observation published to ``Datastreams(id)`` whose stream is a
        MultiDatastream, or the other way round (both share one id space)."""
        named = {
            o.stream_id
            for o, c in zip(prepared.observations, prepared.collections, strict=True)
            if c is not None
        }
        if not named:
            return prepared.observations, prepared.sources
        kinds = dict(
            session.execute(
                select(Datastream.id, Datastream.kind).where(Datastream.id.in_(named))
            ).all()
        )
        observations: list[parsing.NewObservation] = []
        sources: list[_Message] = []
        for observation, collection, message in zip(
            prepared.observations, prepared.collections, prepared.sources, strict=True
        ):
            kind = kinds.get(observation.stream_id)
            if (
                collection is not None
                and kind is not None
                and (kind == MULTI) != (collection == MULTI_DATASTREAMS)
            ):
                error = InvalidInput(
                    "sensing.mqtt_stream_kind", id=observation.stream_id, collection=collection
                )
                rejections.append(self._reject(message, error, datastream_id=observation.stream_id))
                continue
            observations.append(observation)
            sources.append(message)
        return observations, sources


__all__ = ["MQTT_ACTOR", "BatchResult", "BridgeOptions", "IngestBridge"]
