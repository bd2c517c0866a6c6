"""Alerts leaving the platform: the live stream of a running server (resumable, from any
process, within the latency target) and MQTT messages through a real broker."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import queue
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
import uvicorn
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tests.functional.sensing.stations import T0, Station
from tests.support.databases import BoundDatabase
from yiwang.app import create_app
from yiwang.core import events
from yiwang.core.config import Settings
from yiwang.core.db import Database
from yiwang.core.jobs import Job, Worker
from yiwang.sensing import service as observations
from yiwang.sensing.alerting import alerts, delivery, service, tasks
from yiwang.sensing.alerting.schemas import LevelIn, RuleCreate
from yiwang.sensing.parsing import NewObservation

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def pm25_rule(session: Session, station: Station) -> None:
    service.create_rule(
        session,
        actor=station.editor,
        data=RuleCreate(
            name="PM2.5 超标",
            datastream_id=station.pm25.id,
            levels=[LevelIn(label="黄色", value=75), LevelIn(label="橙色", value=115)],
        ),
    )


def store(db: Database, station: Station, values: list[float], start: int) -> None:
    with db.session() as session:
        observations.create_observations(
            session,
            actor=station.editor,
            observations=[
                NewObservation(
                    stream_id=station.pm25.id,
                    phenomenon_time=T0 + dt.timedelta(seconds=start + i),
                    result=value,
                )
                for i, value in enumerate(values)
            ],
        )


# --- the live stream -----------------------------------------------------------------------------


class Server:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(settings, db),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


class Listener:
    """Reads a live stream in a thread; events land in ``events`` with the time they came."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.events: queue.Queue[tuple[float, str, str, dict[str, Any]]] = queue.Queue()
        self.opened = threading.Event()
        self._stop = threading.Event()
        self.url, self.headers = url, headers or {}
        self._client = httpx.Client(timeout=httpx.Timeout(5, read=30))
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.opened.wait(10), "the stream did not open"

    def _read(self) -> None:
        with contextlib.suppress(httpx.HTTPError):  # the stream is cut when the test ends
            self._listen()

    def _listen(self) -> None:
        with self._client.stream("GET", self.url, headers=self.headers) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            self.opened.set()
            fields: dict[str, str] = {}
            for line in response.iter_lines():
                if self._stop.is_set():
                    return
                if not line:
                    if "data" in fields:
                        self.events.put(
                            (
                                time.monotonic(),
                                fields.get("id", ""),
                                fields.get("event", ""),
                                json.loads(fields["data"]),
                            )
                        )
                    fields = {}
                    continue
                name, _, value = line.partition(":")
                fields[name] = value.lstrip()

    def next(self, timeout: float = 5) -> tuple[float, str, str, dict[str, Any]]:
        return self.events.get(timeout=timeout)

    def close(self) -> None:
        self._stop.set()
        self._client.close()
        self.thread.join(10)


@pytest.fixture
def live(committed_database: Database, settings: Settings) -> Iterator[tuple[Server, Station]]:
    with committed_database.session() as session:
        station = Station(session)
        pm25_rule(session, station)
    server = Server(committed_database, settings)
    try:
        yield server, station
    finally:
        server.stop()


def test_the_stream_carries_an_alert_and_resumes_after_a_reconnect(
    live: tuple[Server, Station], committed_database: Database
) -> None:
    server, station = live
    url = server.base + "/api/v1/sensing/alerts/stream"
    listener = Listener(url)
    try:
        store(committed_database, station, [50, 80, 120], start=0)
        _, first_id, first_event, raised = listener.next()
        _, _, second_event, escalated = listener.next()
        assert (first_event, raised["level"], raised["label"]) == ("alert.raised", 1, "黄色")
        assert raised["thing_name"] == "西湖监测站"
        assert raised["phenomenon_time"] == (T0 + dt.timedelta(seconds=1)).isoformat()
        assert (second_event, escalated["level"]) == ("alert.escalated", 2)
    finally:
        listener.close()
    resumed = Listener(url, {"Last-Event-ID": first_id})
    filtered = Listener(url + "?min_level=3")
    try:
        _, _, event, data = resumed.next()
        assert (event, data["level"]) == ("alert.escalated", 2)  # what it missed
        store(committed_database, station, [60], start=3)
        assert resumed.next()[2] == "alert.resolved"
        with pytest.raises(queue.Empty):
            filtered.next(timeout=0.5)
    finally:
        resumed.close()
        filtered.close()


@pytest.mark.parametrize("wake", [True, False], ids=["same-process", "other-process"])
def test_every_alert_reaches_the_stream_with_or_without_the_wake_up(
    live: tuple[Server, Station], committed_database: Database, wake: bool
) -> None:
    """Batches of 100 observations, every other one raising an alert and the next resolving
    it. Without the in-process wake-up the stream relies on polling alone, as for alerts raised
    by another process (the MQTT ingest). How fast is measured in bench/bench_sensing_alerts.py."""
    server, station = live
    listener = Listener(server.base + "/api/v1/sensing/alerts/stream")
    if not wake:
        events.unsubscribe(delivery._wake_hubs)
    raised = 0
    try:
        for batch in range(10):
            values = [50.0] * 99 + [80.0 if batch % 2 == 0 else 50.0]
            store(committed_database, station, values, start=batch * 100)
            if batch % 2 == 0:
                while True:
                    _received, _, event, data = listener.next()
                    if event == "alert.raised":
                        assert data["value"] == 80.0
                        raised += 1
                        break
    finally:
        if not wake:
            events.subscribe_live(alerts.EVENT_PREFIX + "*", delivery._wake_hubs)
        listener.close()
    assert raised == 5


# --- MQTT ----------------------------------------------------------------------------------------


class Broker:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.config = workdir / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n"
            "persistence false\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            time.sleep(0.05)
        pytest.fail("mosquitto did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    if shutil.which("mosquitto") is None:
        pytest.skip("the mosquitto broker is not installed")
    server = Broker(tmp_path)
    yield server
    server.stop()


def subscribe(broker: Broker) -> tuple[mqtt.Client, queue.Queue[tuple[str, dict[str, Any]]]]:
    received: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="alert-test-subscriber")
    subscribed = threading.Event()
    client.on_message = lambda _c, _u, message: received.put(
        (message.topic, json.loads(message.payload))
    )
    client.on_subscribe = lambda *_args: subscribed.set()
    client.connect("127.0.0.1", broker.port)
    client.subscribe("yiwang/alerts/#", qos=1)
    client.loop_start()
    assert subscribed.wait(5)
    return client, received


def test_alert_messages_reach_the_broker_even_if_it_was_down(
    db: BoundDatabase, session: Session, station: Station, broker: Broker, settings: Settings
) -> None:
    settings.mqtt_url = broker.url
    delivery.configure(settings)
    pm25_rule(session, station)
    observations.create_observations(
        session,
        actor=station.editor,
        observations=[NewObservation(stream_id=station.pm25.id, phenomenon_time=T0, result=99)],
    )
    session.commit()
    worker = Worker(db, kinds=[tasks.MQTT_JOB])
    worker.deliver_events()
    assert worker.run_one()  # the broker is not running yet
    job = session.scalars(select(Job).where(Job.kind == tasks.MQTT_JOB)).one()
    session.refresh(job)
    assert (job.status, job.attempts) == ("queued", 1)
    assert job.error
    broker.start()
    client, received = subscribe(broker)
    try:
        session.execute(update(Job).where(Job.id == job.id).values(run_after=T0))
        session.commit()
        assert worker.run_one()
        topic, message = received.get(timeout=5)
    finally:
        client.loop_stop()
        client.disconnect()
    assert topic == f"yiwang/alerts/{station.department.id}/{station.pm25.id}"
    assert message["event"] == "sensing.alert.raised"
    assert (message["data"]["level"], message["data"]["value"]) == (1, 99)
