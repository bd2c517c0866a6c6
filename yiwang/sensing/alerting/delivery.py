"""Getting alerts out: the live stream of server-sent events, signed webhooks and MQTT messages.

**Live stream.** Each process has one :class:`AlertHub` per application. While any client is
connected, a thread polls the history of alert changes by id (every 50 ms, and at once when an
alert change commits in this process) and fans new changes out to the clients. Because it reads
the table, alerts raised by any process (the MQTT ingest, another node) reach every client. Ids
are handed out before commit, so a change may become visible after a higher one: the hub keeps
the missing ids as *gaps* for a few seconds and delivers them when they appear.

**Webhooks.** A POST of the event as JSON, signed with HMAC-SHA256 over
``<timestamp>.<body>`` under the webhook's secret, in ``X-Yiwang-Signature: sha256=<hex>`` with
``X-Yiwang-Timestamp`` (Unix seconds). The secret is stored encrypted (see
:func:`encrypt_secret`), since it is needed to sign.

**MQTT.** Each change is published with QoS 1 to ``yiwang/alerts/<department>/<datastream>``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import anyio.to_thread
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from yiwang.core import events
from yiwang.core.config import Settings, get_settings
from yiwang.core.db import Database, utcnow
from yiwang.core.policy import Actor, can_see_sensing
from yiwang.sensing.alerting import alerts

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Yiwang-Signature"
TIMESTAMP_HEADER = "X-Yiwang-Timestamp"
EVENT_HEADER = "X-Yiwang-Event"
DELIVERY_HEADER = "X-Yiwang-Delivery"
TOPIC_PREFIX = "yiwang/alerts"

_settings: Settings | None = None


def configure(settings: Settings) -> None:
    """Use these settings (secret key, broker) for deliveries made in this process."""
    global _settings  # noqa: PLW0603  (one configuration per process, set at start-up)
    _settings = settings


def current_settings() -> Settings:
    return _settings or get_settings()


# --- webhook secrets and signatures --------------------------------------------------------------

_SECRET_FORMAT = "v1"  # noqa: S105  (a format tag, not a secret)


def _derived_key(secret_key: str, purpose: bytes) -> bytes:
    label = b"yiwang/alerting/webhook-secret/" + purpose
    return hmac.new(secret_key.encode(), label, "sha256").digest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    return b"".join(
        hmac.new(key, nonce + counter.to_bytes(8, "big"), "sha256").digest()
        for counter in range(blocks)
    )[:length]


def encrypt_secret(secret_key: str, secret: str) -> str:
    """Encrypt a webhook secret under keys derived from the application's secret key.

    Encrypt-then-MAC from the standard library: HMAC-SHA256 in counter mode as the key stream
    over a random 128-bit nonce, and an HMAC-SHA256 tag over nonce and ciphertext. Changing the
    application's secret key makes stored secrets unreadable (webhooks then need new ones)."""
    data = secret.encode()
    nonce = secrets.token_bytes(16)
    stream = _keystream(_derived_key(secret_key, b"encrypt"), nonce, len(data))
    cipher = bytes(a ^ b for a, b in zip(data, stream, strict=True))
    tag = hmac.new(_derived_key(secret_key, b"authenticate"), nonce + cipher, "sha256").digest()
    return f"{_SECRET_FORMAT}.{base64.urlsafe_b64encode(nonce + cipher + tag).decode()}"


def decrypt_secret(secret_key: str, stored: str) -> str:
    """Return the webhook secret; raise ValueError if it was not encrypted under this key."""
    version, _, text = stored.partition(".")
    raw = base64.urlsafe_b64decode(text.encode()) if version == _SECRET_FORMAT else b""
    if len(raw) < 48:
        raise ValueError("not an encrypted webhook secret")
    nonce, cipher, tag = raw[:16], raw[16:-32], raw[-32:]
    expected = hmac.new(_derived_key(secret_key, b"authenticate"), nonce + cipher, "sha256")
    if not hmac.compare_digest(expected.digest(), tag):
        raise ValueError("the webhook secret was encrypted under another key")
    stream = _keystream(_derived_key(secret_key, b"encrypt"), nonce, len(cipher))
    return bytes(a ^ b for a, b in zip(cipher, stream, strict=True)).decode()


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of ``X-Yiwang-Signature`` for a body sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def webhook_body(event_id: int, name: str, payload: dict[str, Any]) -> bytes:
    return json.dumps(
        {"id": event_id, "event": name, "data": payload}, ensure_ascii=False, sort_keys=True
    ).encode()


def post_webhook(
    url: str, *, secret: str, event_id: int, name: str, body: bytes, timeout: float = 10.0
) -> tuple[int | None, str | None]:
    """POST a signed body; return the HTTP status (None without an answer) and an error (None
    when the receiver answered 2xx)."""
    if urlsplit(url).scheme not in ("http", "https"):
        return None, "not an http(s) URL"
    timestamp = str(int(utcnow().timestamp()))
    request = urllib.request.Request(  # noqa: S310  (the scheme is checked above)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "yiwang-alerts/1",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(secret, timestamp, body),
            EVENT_HEADER: name,
            DELIVERY_HEADER: str(event_id),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), None
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:1000]


# --- MQTT ----------------------------------------------------------------------------------------


def alert_topic(department_id: int, datastream_id: int) -> str:
    return f"{TOPIC_PREFIX}/{department_id}/{datastream_id}"


def publish_mqtt(url: str, topic: str, payload: bytes, *, timeout: float = 10.0) -> None:
    """Publish one message with QoS 1 and wait for the broker's acknowledgement; raise
    RuntimeError or OSError when it is not acknowledged in ``timeout`` seconds."""
    parts = urlsplit(url)
    tls = parts.scheme in ("mqtts", "ssl")
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"yiwang-alerts-{uuid.uuid4().hex[:12]}",
        protocol=mqtt.MQTTv311,
    )
    if parts.username:
        client.username_pw_set(unquote(parts.username), unquote(parts.password or ""))
    if tls:
        client.tls_set()
    client.connect(parts.hostname or "127.0.0.1", parts.port or (8883 if tls else 1883), 30)
    client.loop_start()
    try:
        info = client.publish(topic, payload, qos=1)
        info.wait_for_publish(timeout)
        if not info.is_published():
            raise RuntimeError(f"the MQTT broker did not acknowledge the message on {topic}")
    finally:
        client.disconnect()
        client.loop_stop()


# --- the live stream -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamItem:
    """One alert change on the live stream."""

    id: int
    event: str
    payload: dict[str, Any]

    def render(self) -> str:
        data = json.dumps(self.payload, ensure_ascii=False, separators=(",", ":"))
        return f"id: {self.id}\nevent: {self.event}\ndata: {data}\n\n"


@dataclass(frozen=True, slots=True)
class StreamFilter:
    """Who listens and what they asked for."""

    actor: Actor
    department_id: int | None = None
    pack: str | None = None
    min_level: int | None = None

    def accepts(self, item: StreamItem) -> bool:
        p = item.payload
        visible = can_see_sensing(
            self.actor, department_id=p["department_id"], is_open=p["is_open"]
        ) or can_see_sensing(
            self.actor, department_id=p["stream_department_id"], is_open=p["is_open"]
        )
        return (
            visible
            and (self.department_id is None or p["department_id"] == self.department_id)
            and (self.pack is None or p["pack"] == self.pack)
            and (self.min_level is None or p["max_level"] >= self.min_level)
        )


@dataclass(eq=False)
class _Client:
    loop: asyncio.AbstractEventLoop
    filter: StreamFilter
    queue: asyncio.Queue[StreamItem] = field(default_factory=lambda: asyncio.Queue(10_000))
    cursor: int = 0

    def offer(self, item: StreamItem) -> None:
        with contextlib.suppress(asyncio.QueueFull):  # a client this far behind loses items
            self.queue.put_nowait(item)


def _item(change_id: int, payload: dict[str, Any]) -> StreamItem:
    return StreamItem(change_id, f"alert.{payload['action']}", payload)


class AlertHub:
    """Fans alert changes out to the live-stream clients of one application in this process."""

    def __init__(
        self, db: Database, *, poll_seconds: float = 0.05, gap_seconds: float = 5.0
    ) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.gap_seconds = gap_seconds
        self._clients: set[_Client] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._cursor: int | None = None
        self._gaps: dict[int, float] = {}
        _hubs.add(self)

    def wake(self) -> None:
        self._wake.set()

    def attach(self, client: _Client) -> int:
        """Start sending changes to ``client``; return the id of the last change it will not be
        sent (so a resuming client replays up to it)."""
        with self._lock:
            if self._cursor is None:
                with self.db.session(write=False) as session:
                    self._cursor = alerts.last_change_id(session)
            client.cursor = self._cursor
            self._clients.add(client)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="alert-hub", daemon=True)
                self._thread.start()
            return client.cursor

    def detach(self, client: _Client) -> None:
        with self._lock:
            self._clients.discard(client)

    def replay(self, after_id: int, up_to: int, *, limit: int = 1000) -> list[StreamItem]:
        """The changes after ``after_id`` up to ``up_to``, for a client that resumes."""
        with self.db.session(write=False) as session:
            rows = alerts.changes_after(session, after_id=after_id, limit=limit)
        return [_item(i, p) for i, p in rows if i <= up_to]

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._clients:
                    self._thread = None
                    self._cursor = None
                    self._gaps.clear()
                    return
                clients = list(self._clients)
            try:
                items = self._poll()
            except Exception:
                log.exception("the alert stream could not read new alerts")
                time.sleep(1)
                continue
            for client in clients:
                for item, filled in items:
                    # Older ids than the client's start reach it only when they fill a gap.
                    if (item.id > client.cursor or filled) and client.filter.accepts(item):
                        try:
                            client.loop.call_soon_threadsafe(client.offer, item)
                        except RuntimeError:  # its event loop is closed
                            self.detach(client)
                            break
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _poll(self) -> list[tuple[StreamItem, bool]]:
        """Read the changes not yet seen; return each with whether it filled a gap."""
        cursor = self._cursor or 0
        floor = min(self._gaps) - 1 if self._gaps else cursor
        with self.db.session(write=False) as session:
            rows = alerts.changes_after(session, after_id=floor, limit=1000)
        now = time.monotonic()
        items: list[tuple[StreamItem, bool]] = []
        for change_id, payload in rows:
            if change_id <= cursor:
                if self._gaps.pop(change_id, None) is not None:
                    items.append((_item(change_id, payload), True))
                continue
            for missing in range(max(cursor + 1, change_id - 1000), change_id):
                self._gaps[missing] = now
            cursor = change_id
            items.append((_item(change_id, payload), False))
        self._cursor = cursor
        self._gaps = {i: t for i, t in self._gaps.items() if now - t < self.gap_seconds}
        return items


_hubs: weakref.WeakSet[AlertHub] = weakref.WeakSet()


def _wake_hubs(_event: events.Event) -> None:
    for hub in list(_hubs):
        hub.wake()


events.subscribe_live(alerts.EVENT_PREFIX + "*", _wake_hubs)


def hub_for(app: Any) -> AlertHub:
    """The hub of an application (one per application and process)."""
    hub = getattr(app.state, "alert_hub", None)
    if not isinstance(hub, AlertHub):
        hub = app.state.alert_hub = AlertHub(app.state.db)
    return hub


async def stream(
    hub: AlertHub, stream_filter: StreamFilter, *, last_event_id: int | None, keepalive: float = 15
) -> AsyncIterator[str]:
    """The text of a live stream: changes after ``last_event_id`` first (when resuming), then
    new ones as they come, with a comment every ``keepalive`` seconds."""
    client = _Client(asyncio.get_running_loop(), stream_filter)
    up_to = await anyio.to_thread.run_sync(hub.attach, client)
    try:
        yield "retry: 3000\n\n"
        sent: set[int] = set()
        if last_event_id is not None and last_event_id < up_to:
            replayed = await anyio.to_thread.run_sync(hub.replay, last_event_id, up_to)
            for item in replayed:
                if stream_filter.accepts(item):
                    sent.add(item.id)
                    yield item.render()
        while True:
            try:
                item = await asyncio.wait_for(client.queue.get(), timeout=keepalive)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if item.id not in sent:
                yield item.render()
    finally:
        hub.detach(client)
