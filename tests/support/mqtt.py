"""A Mosquitto broker for tests, run from the project's ``deploy/mosquitto.conf`` on a free port
with a persistence directory of its own; it can be stopped, killed and started again on the
same port and directory."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import text

from tests.support.processes import ROOT
from yiwang.core.db import Database

CONFIG = ROOT / "deploy" / "mosquitto.conf"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def mosquitto_missing() -> str | None:
    return None if shutil.which("mosquitto") else "the mosquitto broker is not installed"


def broker_config(port: int, persistence: Path) -> str:
    """The shipped configuration with only its listener port and persistence directory
    changed."""
    text = CONFIG.read_text()
    text, listeners = re.subn(
        r"(?m)^listener 1883 127\.0\.0\.1$", f"listener {port} 127.0.0.1", text
    )
    text, locations = re.subn(
        r"(?m)^persistence_location .*$", f"persistence_location {persistence}/", text
    )
    assert (listeners, locations) == (1, 1), "deploy/mosquitto.conf changed shape"
    return text


class Broker:
    """One broker process at a time, on a fixed port and persistence directory."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        # Not under pytest's tmp_path: a broker started as root drops to the `mosquitto` user,
        # which must reach its persistence directory.
        self.persistence = Path(tempfile.mkdtemp(prefix="yiwang-mosquitto-"))
        if os.geteuid() == 0:
            with contextlib.suppress(KeyError):
                account = pwd.getpwnam("mosquitto")
                os.chown(self.persistence, account.pw_uid, account.pw_gid)
        self.config_path = workdir / "mosquitto.conf"
        self.config_path.write_text(broker_config(self.port, self.persistence))
        self.log_path = workdir / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                ["mosquitto", "-c", str(self.config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"mosquitto exited at start:\n{self.log_tail()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                return
            time.sleep(0.05)
        pytest.fail(f"mosquitto did not listen on {self.port}:\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop it (SIGTERM saves the persistence file first; SIGKILL does not)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def restart(self, *, down_s: float = 0.5) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.persistence, ignore_errors=True)


@contextlib.contextmanager
def running_broker(workdir: Path) -> Iterator[Broker]:
    reason = mosquitto_missing()
    if reason:
        pytest.skip(reason)
    broker = Broker(workdir)
    broker.start()
    try:
        yield broker
    finally:
        broker.close()


# --- sensing data and clients ------------------------------------------------------------------


@dataclass
class Streams:
    """A department with a located Thing and its streams."""

    department_id: int
    other_department_id: int
    measurements: list[int]
    count_stream: int
    multi_stream: int


def make_streams(db: Database, *, measurements: int = 3) -> Streams:
    """Create a department (and another one) with one located Thing carrying ``measurements``
    PM2.5 Datastreams, a visitor-count Datastream and a wind MultiDatastream."""
    from yiwang.core import identity  # noqa: PLC0415
    from yiwang.core.policy import SYSTEM  # noqa: PLC0415
    from yiwang.sensing import parsing  # noqa: PLC0415
    from yiwang.sensing.models import (  # noqa: PLC0415
        MULTI,
        Datastream,
        Location,
        MultiDatastreamProperty,
        ObservedProperty,
        Sensor,
        Thing,
    )

    with db.session() as session:
        department = identity.create_department(
            session, actor=SYSTEM, name_zh="杭州市生态环境局", division_code="330100", slug="hzenv"
        )
        other = identity.create_department(
            session, actor=SYSTEM, name_zh="宁波市生态环境局", division_code="330200", slug="nbenv"
        )
        thing = Thing(name="西湖监测站", department_id=department.id, is_open=True)
        thing.locations.append(
            Location(
                name="西湖",
                location={"type": "Point", "coordinates": [120.14, 30.25]},
                min_x=120.14,
                min_y=30.25,
                max_x=120.14,
                max_y=30.25,
            )
        )
        sensor = Sensor(name="monitor", encoding_type="text/html", sensor_metadata="")
        pm25 = ObservedProperty(name="PM2.5", definition="urn:pm25")
        session.add_all([thing, sensor, pm25])
        session.flush()

        def stream(name: str, observation_type: str, **extra: object) -> Datastream:
            return Datastream(
                name=name,
                observation_type=observation_type,
                unit_of_measurement={},
                thing_id=thing.id,
                sensor_id=sensor.id,
                department_id=department.id,
                is_open=True,
                **extra,
            )

        singles = [
            stream(f"PM2.5 #{n}", parsing.MEASUREMENT, observed_property_id=pm25.id)
            for n in range(measurements)
        ]
        count = stream("visitors", parsing.COUNT, observed_property_id=pm25.id)
        multi = stream(
            "wind",
            parsing.COMPLEX,
            kind=MULTI,
            multi_observation_types=[parsing.MEASUREMENT, parsing.CATEGORY],
        )
        session.add_all([*singles, count, multi])
        session.flush()
        session.add_all(
            [
                MultiDatastreamProperty(
                    datastream_id=multi.id, position=p, observed_property_id=pm25.id
                )
                for p in (0, 1)
            ]
        )
        return Streams(
            department_id=department.id,
            other_department_id=other.id,
            measurements=[s.id for s in singles],
            count_stream=count.id,
            multi_stream=multi.id,
        )


def mqtt_client(broker: Broker, client_id: str | None = None) -> paho.Client:
    return paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id or "",
        protocol=paho.MQTTv5,
    )


class Subscriber:
    """A client subscribed to some topics, collecting what arrives."""

    def __init__(self, broker: Broker, *topics: str) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self.client = mqtt_client(broker)
        self.client.on_connect = lambda c, *_: c.subscribe([(t, 1) for t in topics])
        self.client.on_subscribe = lambda *_: self._ready.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()
        assert self._ready.wait(10), "subscription not confirmed"

    def _on_message(self, _client: Any, _userdata: Any, message: paho.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, json.loads(message.payload)))

    def notifications(self) -> list[tuple[str, dict[str, Any]]]:
        """What yiwang published (the topics also carry what devices publish to be stored)."""
        with self._lock:
            return [(t, m) for t, m in self.messages if isinstance(m, dict) and "@iot.id" in m]

    def wait_for(self, count: int, timeout: float = 15) -> list[tuple[str, dict[str, Any]]]:
        """Wait for ``count`` notifications and return those received."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.notifications()) >= count:
                break
            time.sleep(0.02)
        return self.notifications()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Publisher:
    """A lossless QoS 1 publisher: a fixed client id and a persistent session, a bounded number
    of publishes in flight (message ids wrap at 65535), everything unacknowledged kept and sent
    again after a reconnect."""

    def __init__(self, broker: Broker, *, client_id: str = "test-publisher", inflight: int = 200):
        self.client = mqtt_client(broker, client_id)
        self.client.max_inflight_messages_set(inflight)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self._acked = 0
        self._lock = threading.Lock()
        self.client.on_publish = self._on_publish
        self.client.connect_async(
            "127.0.0.1",
            broker.port,
            clean_start=False,
            properties=_session_properties(3600),
        )
        self.client.loop_start()

    def _on_publish(self, *_: Any) -> None:
        with self._lock:
            self._acked += 1

    @property
    def acknowledged(self) -> int:
        with self._lock:
            return self._acked

    def publish(self, topic: str, body: Any, *, raw: bytes | None = None) -> None:
        payload = raw if raw is not None else json.dumps(body).encode()
        info = self.client.publish(topic, payload, qos=1)
        assert info.rc in (paho.MQTT_ERR_SUCCESS, paho.MQTT_ERR_NO_CONN), info.rc

    def wait_acknowledged(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.acknowledged < count:
            time.sleep(0.05)
        assert self.acknowledged >= count, f"{self.acknowledged} of {count} acknowledged"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _session_properties(expiry_s: int) -> Properties:
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = expiry_s
    return properties


def stored_counts(db: Database) -> tuple[int, int]:
    """(count(*), count(distinct (stream, phenomenon time))) of the stored observations."""
    with db.session(write=False) as session:
        total, distinct = session.execute(
            text(
                "SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT stream_id, "
                "phenomenon_time FROM sensing_observations) AS d) FROM sensing_observations"
            )
        ).one()
    return int(total), int(distinct)


def wait_for_stored(db: Database, count: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    total = 0
    while time.monotonic() < deadline:
        total, _ = stored_counts(db)
        if total >= count:
            return total
        time.sleep(0.1)
    return total
