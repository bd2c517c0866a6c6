"""SensorThings over MQTT against a real broker started from deploy/mosquitto.conf: observations
published to the three topic forms are stored once, bad messages are recorded and listed for
operators while the stream keeps flowing, each batch is audited once, and subscribers are told
of new observations however they were stored."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support.mqtt import (
    Broker,
    Publisher,
    Streams,
    Subscriber,
    make_streams,
    running_broker,
    stored_counts,
    wait_for_stored,
)
from yiwang.app import create_app
from yiwang.core import identity
from yiwang.core.audit.models import AuditEntry
from yiwang.core.config import Settings
from yiwang.core.db import Database
from yiwang.core.policy import SYSTEM, Role
from yiwang.sensing import parsing, service
from yiwang.sensing.models import Observation, Rejection
from yiwang.sensing.mqtt import IngestBridge, make_bridge

pytestmark = pytest.mark.slow

T = "2026-11-29T08:{minute:02d}:00+08:00"


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    with running_broker(tmp_path) as running:
        yield running


@pytest.fixture
def streams(committed_database: Database) -> Streams:
    return make_streams(committed_database)


def _settings(tmp_path: Path, broker: Broker, db: Database, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db.engine.url.render_as_string(hide_password=False),
        "var_dir": tmp_path / "var",
        "secret_key": "test-secret-key-not-for-production",
        "log_format": "text",
        "mqtt_url": broker.url,
        "mqtt_client_id": "test-bridge",
        "mqtt_batch_ms": 20,
        "public_url": "https://data.example.gov.cn",
    }
    return Settings(**{**values, **changes})


@pytest.fixture
def bridge(
    tmp_path: Path, broker: Broker, committed_database: Database, streams: Streams
) -> Iterator[IngestBridge]:
    subscribed = threading.Event()
    running = make_bridge(
        _settings(tmp_path, broker, committed_database),
        committed_database,
        notify=True,
        on_subscribed=subscribed.set,
    )
    running.start()
    assert subscribed.wait(10), broker.log_tail()
    try:
        yield running
    finally:
        running.join()


@pytest.fixture
def publisher(broker: Broker) -> Iterator[Publisher]:
    client = Publisher(broker)
    try:
        yield client
    finally:
        client.close()


def _rejections(db: Database) -> list[Rejection]:
    with db.session(write=False) as session:
        return list(session.scalars(select(Rejection).order_by(Rejection.id)))


def test_observations_published_to_each_topic_form_are_stored(
    bridge: IngestBridge, publisher: Publisher, streams: Streams, committed_database: Database
) -> None:
    pm25 = streams.measurements[0]
    publisher.publish(
        f"v1.1/Datastreams({pm25})/Observations",
        {"phenomenonTime": T.format(minute=0), "result": 35.5},
    )
    publisher.publish(
        f"v1.1/MultiDatastreams({streams.multi_stream})/Observations",
        {"phenomenonTime": T.format(minute=0), "result": [3.2, "NE"]},
    )
    publisher.publish(
        "v1.1/Observations",
        {
            "phenomenonTime": T.format(minute=0),
            "result": 1200,
            "Datastream": {"@iot.id": streams.count_stream},
        },
    )
    assert wait_for_stored(committed_database, 3) == 3
    with committed_database.session(write=False) as session:
        rows = {
            o.stream_id: o
            for o in session.scalars(select(Observation).order_by(Observation.stream_id))
        }
    assert rows[pm25].result_number == 35.5
    assert rows[pm25].phenomenon_time.isoformat() == "2026-11-29T00:00:00+00:00"
    assert rows[streams.multi_stream].result_json == [3.2, "NE"]
    assert rows[streams.count_stream].result_number == 1200
    assert _rejections(committed_database) == []


def test_a_message_delivered_twice_is_stored_once(
    bridge: IngestBridge, publisher: Publisher, streams: Streams, committed_database: Database
) -> None:
    topic = f"v1.1/Datastreams({streams.measurements[0]})/Observations"
    body = {"phenomenonTime": T.format(minute=5), "result": 12.0}
    publisher.publish(topic, body)
    publisher.publish(topic, body)
    publisher.publish(topic, {"phenomenonTime": T.format(minute=6), "result": 13.0})
    publisher.wait_acknowledged(3)
    assert wait_for_stored(committed_database, 2) == 2
    # the copy is acknowledged and skipped, not stored late
    assert publisher.acknowledged == 3
    assert stored_counts(committed_database) == (2, 2)


def test_bad_messages_are_recorded_and_listed_while_good_ones_flow(
    tmp_path: Path,
    broker: Broker,
    bridge: IngestBridge,
    publisher: Publisher,
    streams: Streams,
    committed_database: Database,
) -> None:
    pm25 = streams.measurements[0]
    topic = f"v1.1/Datastreams({pm25})/Observations"
    publisher.publish(topic, None, raw=b'{"result": 1.0, "phenomenonTime": ')
    publisher.publish(
        "v1.1/Datastreams(987654)/Observations",
        {"phenomenonTime": T.format(minute=1), "result": 1.0},
    )
    publisher.publish(topic, {"phenomenonTime": T.format(minute=2), "result": "high"})
    publisher.publish(topic, {"phenomenonTime": "2026-11-29T08:03:00", "result": 1.0})
    publisher.publish(
        "v1.1/Datastreams(west-lake)/Observations",
        {"phenomenonTime": T.format(minute=4), "result": 1.0},
    )
    publisher.publish(
        f"v1.1/Datastreams({streams.multi_stream})/Observations",
        {"phenomenonTime": T.format(minute=5), "result": [1.0, "N"]},
    )
    publisher.publish(topic, {"phenomenonTime": T.format(minute=9), "result": 41.0})
    assert wait_for_stored(committed_database, 1) == 1
    publisher.wait_acknowledged(7)

    recorded = {r.code: r for r in _rejections(committed_database)}
    assert sorted(recorded) == [
        "object_not_found",
        "sensing.mqtt_payload_invalid",
        "sensing.mqtt_stream_kind",
        "sensing.mqtt_topic_invalid",
        "sensing.result_type",
        "sensing.time_without_zone",
    ]
    assert {r.source for r in recorded.values()} == {"mqtt"}
    assert recorded["sensing.mqtt_payload_invalid"].payload == '{"result": 1.0, "phenomenonTime": '
    assert recorded["object_not_found"].datastream_id == 987654
    assert recorded["sensing.time_without_zone"].message.startswith(
        "时间“2026-11-29T08:03:00”（phenomenonTime）缺少时区"
    )

    with committed_database.session() as session:
        admin = identity.create_user(
            session, actor=SYSTEM, username="ops", role=Role.SYSADMIN, password=None
        )
        editor = identity.create_user(
            session,
            actor=SYSTEM,
            username="hz_editor",
            role=Role.EDITOR,
            department_id=streams.department_id,
        )
        outsider = identity.create_user(
            session,
            actor=SYSTEM,
            username="nb_member",
            role=Role.MEMBER,
            department_id=streams.other_department_id,
        )
        tokens = {
            u.username: identity.create_token(session, actor=SYSTEM, user_id=u.id)[1]
            for u in (admin, editor, outsider)
        }
    app = create_app(_settings(tmp_path, broker, committed_database), committed_database)
    with TestClient(app) as client:

        def get(user: str, **params: Any) -> Any:
            return client.get(
                "/api/v1/sensing/rejections",
                params=params,
                headers={"Authorization": f"Bearer {tokens[user]}", "Accept-Language": "en"},
            )

        everything = get("ops").json()
        assert everything["total"] == 6
        assert [i["id"] for i in everything["items"]] == sorted(
            (r.id for r in recorded.values()), reverse=True
        )
        by_code = {i["code"]: i for i in everything["items"]}
        assert by_code["sensing.mqtt_topic_invalid"]["topic"] == (
            "v1.1/Datastreams(west-lake)/Observations"
        )
        assert "OM_Measurement" in by_code["sensing.result_type"]["message"]

        # the department's staff see their streams' rejections only (not the unknown stream's)
        own = get("hz_editor").json()
        assert sorted(i["code"] for i in own["items"]) == sorted(
            [
                "sensing.mqtt_payload_invalid",
                "sensing.result_type",
                "sensing.time_without_zone",
                "sensing.mqtt_stream_kind",
            ]
        )
        assert get("ops", department_id=streams.department_id).json()["total"] == 4
        assert get("nb_member").json()["total"] == 0
        refused = get("nb_member", department_id=streams.department_id)
        assert refused.status_code == 403
        assert client.get("/api/v1/sensing/rejections").status_code == 401


def test_each_committed_batch_is_audited_once(
    bridge: IngestBridge, publisher: Publisher, streams: Streams, committed_database: Database
) -> None:
    for n in range(300):
        stream = streams.measurements[n % len(streams.measurements)]
        publisher.publish(
            f"v1.1/Datastreams({stream})/Observations",
            {"phenomenonTime": f"2026-11-29T{n // 60:02d}:{n % 60:02d}:00Z", "result": n},
        )
    assert wait_for_stored(committed_database, 300) == 300
    # The bridge counts a batch once its commit returns, a moment after the rows are visible.
    deadline = time.monotonic() + 10
    while bridge.stored < 300 and time.monotonic() < deadline:
        time.sleep(0.02)
    with committed_database.session(write=False) as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "sensing.mqtt_ingest")
        ).all()
    assert len(entries) == bridge.batches
    assert len(entries) < 300
    assert sum(e.details["stored"] for e in entries) == 300
    assert {e.actor_name for e in entries} == {"mqtt"}


def test_subscribers_are_told_of_observations_stored_over_mqtt(
    bridge: IngestBridge,
    broker: Broker,
    publisher: Publisher,
    streams: Streams,
    committed_database: Database,
) -> None:
    pm25, visitors = streams.measurements[0], streams.count_stream
    subscriber = Subscriber(
        broker,
        f"v1.1/Datastreams({pm25})/Observations",
        f"v1.1/Datastreams({visitors})/Observations",
        f"v1.1/MultiDatastreams({streams.multi_stream})/Observations",
    )
    try:
        publisher.publish(
            f"v1.1/Datastreams({pm25})/Observations",
            {"phenomenonTime": T.format(minute=0), "result": 35},
        )
        publisher.publish(
            f"v1.1/Datastreams({visitors})/Observations",
            {"phenomenonTime": T.format(minute=0), "result": 1200.0},
        )
        publisher.publish(
            f"v1.1/MultiDatastreams({streams.multi_stream})/Observations",
            {"phenomenonTime": T.format(minute=0), "result": [3.2, "NE"]},
        )
        received = dict(subscriber.wait_for(3))
    finally:
        subscriber.close()
    with committed_database.session(write=False) as session:
        ids = dict(session.execute(select(Observation.stream_id, Observation.id)).all())
    notified = received[f"v1.1/Datastreams({pm25})/Observations"]
    link = f"https://data.example.gov.cn/sta/v1.1/Observations({ids[pm25]})"
    assert notified == {
        "@iot.id": ids[pm25],
        "@iot.selfLink": link,
        "phenomenonTime": "2026-11-29T00:00:00.000Z",
        "result": 35.0,
        "resultTime": None,
        "resultQuality": None,
        "validTime": None,
        "parameters": None,
        "Datastream@iot.navigationLink": f"{link}/Datastream",
        "FeatureOfInterest@iot.navigationLink": f"{link}/FeatureOfInterest",
    }
    assert received[f"v1.1/Datastreams({visitors})/Observations"]["result"] == 1200
    multi = received[f"v1.1/MultiDatastreams({streams.multi_stream})/Observations"]
    assert multi["result"] == [3.2, "NE"]
    # The notifications also match the ingest topics: they are not stored again.
    publisher.wait_acknowledged(3)
    assert stored_counts(committed_database) == (3, 3)
    assert _rejections(committed_database) == []


def test_subscribers_are_told_of_observations_stored_by_the_web_application(
    tmp_path: Path, broker: Broker, streams: Streams, committed_database: Database
) -> None:
    """A web process that runs no bridge publishes through a publisher of its own."""
    pm25 = streams.measurements[1]
    subscriber = Subscriber(broker, "v1.1/+/Observations")
    settings = _settings(tmp_path, broker, committed_database, mqtt_notify=True)
    app = create_app(settings, committed_database)
    try:
        with TestClient(app) as client:
            response = client.post(
                "/sta/v1.1/Observations",
                json={
                    "phenomenonTime": T.format(minute=30),
                    "result": 18.5,
                    "Datastream": {"@iot.id": pm25},
                },
                headers={"Authorization": f"Bearer {_sysadmin_token(committed_database)}"},
            )
            if response.status_code in (404, 405):
                pytest.skip("SensorThings POST /Observations is not served yet")
            assert response.status_code == 201, response.text
            received = subscriber.wait_for(1)
    finally:
        subscriber.close()
    assert [topic for topic, _ in received] == [f"v1.1/Datastreams({pm25})/Observations"]
    assert received[0][1]["result"] == 18.5
    assert received[0][1]["phenomenonTime"] == "2026-11-29T00:30:00.000Z"


def test_the_web_process_publishes_what_any_of_its_sources_stores(
    tmp_path: Path, broker: Broker, streams: Streams, committed_database: Database
) -> None:
    pm25 = streams.measurements[2]
    subscriber = Subscriber(broker, f"v1.1/Datastreams({pm25})/Observations")
    settings = _settings(tmp_path, broker, committed_database, mqtt_notify=True)
    try:
        with TestClient(create_app(settings, committed_database)):
            with committed_database.session() as session:
                service.create_observations(
                    session,
                    actor=SYSTEM,
                    observations=[
                        parsing.observation_from_json(
                            {"phenomenonTime": T.format(minute=m), "result": 20.0 + m},
                            stream_id=pm25,
                        )
                        for m in (40, 41)
                    ],
                )
            received = subscriber.wait_for(2)
    finally:
        subscriber.close()
    assert [body["result"] for _, body in received] == [60.0, 61.0]
    with committed_database.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 2


def _sysadmin_token(db: Database) -> str:
    with db.session() as session:
        user = identity.create_user(
            session, actor=SYSTEM, username="sta_admin", role=Role.SYSADMIN, password=None
        )
        return identity.create_token(session, actor=SYSTEM, user_id=user.id)[1]


def test_the_web_application_runs_the_bridge_when_configured(
    tmp_path: Path,
    broker: Broker,
    publisher: Publisher,
    streams: Streams,
    committed_database: Database,
) -> None:
    settings = _settings(
        tmp_path, broker, committed_database, mqtt_ingest=True, mqtt_client_id="web-bridge"
    )
    with TestClient(create_app(settings, committed_database)):
        second = create_app(settings, committed_database)
        with TestClient(second):  # a second worker process of the same node stands by
            deadline = time.monotonic() + 15
            topic = f"v1.1/Datastreams({streams.measurements[0]})/Observations"
            minute = 0
            # The bridge subscribes in the background: publish until the first is stored.
            while stored_counts(committed_database)[0] == 0 and time.monotonic() < deadline:
                publisher.publish(topic, {"phenomenonTime": T.format(minute=minute), "result": 1})
                minute += 1
                time.sleep(0.3)
            published = minute
            assert wait_for_stored(committed_database, published, timeout=15) == published
    assert stored_counts(committed_database) == (published, published)


def test_two_bridges_sharing_the_subscription_store_everything_once(
    tmp_path: Path,
    broker: Broker,
    publisher: Publisher,
    streams: Streams,
    committed_database: Database,
) -> None:
    bridges = []
    for node in ("node-1", "node-2"):
        subscribed = threading.Event()
        settings = _settings(
            tmp_path,
            broker,
            committed_database,
            mqtt_client_id=f"bridge-{node}",
            mqtt_shared_subscription=True,
        )
        bridge = make_bridge(
            settings, committed_database, notify=True, on_subscribed=subscribed.set
        )
        bridge.start()
        assert subscribed.wait(10), broker.log_tail()
        bridges.append(bridge)
    try:
        for n in range(200):
            stream = streams.measurements[n % len(streams.measurements)]
            publisher.publish(
                f"v1.1/Datastreams({stream})/Observations",
                {"phenomenonTime": f"2026-11-29T{n // 60:02d}:{n % 60:02d}:00Z", "result": n},
            )
        assert wait_for_stored(committed_database, 200) == 200
        publisher.wait_acknowledged(200)
        time.sleep(0.5)
    finally:
        for bridge in bridges:
            bridge.join()
    assert stored_counts(committed_database) == (200, 200)
    assert all(bridge.stored > 0 for bridge in bridges)  # the broker spread the messages
    assert _rejections(committed_database) == []
