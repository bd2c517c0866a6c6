"""``yiwang simulate``: a live stream of the packs' sensors over MQTT, at the rate asked, each
message a valid SensorThings Observation of an existing Datastream, stamped now."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.factories.core import make_department
from tests.support.databases import BoundDatabase
from tests.support.mqtt import Broker, Subscriber, running_broker
from tests.support.processes import yiwang
from yiwang.core import identity
from yiwang.core.db import Database
from yiwang.core.policy import SYSTEM
from yiwang.sensing import packs, parsing, simulate
from yiwang.sensing.models import Datastream

TOPIC = re.compile(r"^v1\.1/Datastreams\((\d+)\)/Observations$")

pytestmark = pytest.mark.slow


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    with running_broker(tmp_path) as running:
        yield running


class Collector(Subscriber):
    """Collects every message (the simulator's are plain observations, without @iot.id)."""

    def all(self) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return list(self.messages)


def _install(session: Session) -> None:
    for slug in ("zjtourism", "zjtransport", "zjwater"):
        make_department(session, name_zh=f"测试{slug}", division_code="330000", slug=slug)
    for name in ("tourism", "transport", "water"):
        pack = packs.get_pack(name)
        packs.install_things(session, actor=SYSTEM, pack=pack, things=list(pack.demo_things))


def test_the_simulator_publishes_valid_observations_at_the_rate_asked(
    session: Session, db: BoundDatabase, broker: Broker
) -> None:
    _install(session)
    streams = simulate.simulated_streams(session, cities=["330100", "330200"])
    assert {s.pack for s in streams} == {"tourism", "transport", "water"}
    assert all((s.division_code or "")[:4] in ("3301", "3302") for s in streams)
    computed = {
        d.id for d in session.query(Datastream).all() if (d.properties or {}).get("computed")
    }
    assert not computed & {s.stream_id for s in streams}  # computed streams are not simulated
    collector = Collector(broker, "v1.1/#")
    before = dt.datetime.now(tz=dt.UTC)
    try:
        summary = simulate.simulate(streams, url=broker.url, rate=100, duration=2.0)
        received = collector.all()
        for _ in range(50):
            if len(received) >= summary.published:
                break
            threading.Event().wait(0.1)
            received = collector.all()
    finally:
        collector.close()
    after = dt.datetime.now(tz=dt.UTC)
    assert summary.acknowledged == summary.published
    assert 150 <= summary.published <= 230  # 100/s for 2 s
    assert len(received) == summary.published
    known = {s.stream_id: s for s in streams}
    for topic, body in received:
        match = TOPIC.match(topic)
        assert match, topic
        stream_id = int(match.group(1))
        assert stream_id in known
        observation = parsing.observation_from_json(body, stream_id=stream_id)
        assert body["phenomenonTime"].endswith("+08:00")
        assert before - dt.timedelta(seconds=1) <= observation.phenomenon_time <= after
        if known[stream_id].observation_type == parsing.COUNT:
            assert isinstance(body["result"], int)
        else:
            assert isinstance(body["result"], float)
    # Every Thing's streams of one round share their phenomenonTime (gates read together).
    assert summary.things == len({s.thing_id for s in streams})


def test_the_command_installs_packs_lists_them_and_simulates(
    committed_database: Database, tmp_path: Path
) -> None:
    with committed_database.session() as session:
        # those the packs name (the transport pack's datasets: Hangzhou's bikes, Zhoushan's ports)
        for slug in ("zjtransport", "sxtransport", "hzdata", "zsocean", "zjwater", "qzwater"):
            identity.create_department(
                session, actor=SYSTEM, name_zh=f"测试{slug}", division_code="330000", slug=slug
            )
    refused = yiwang(committed_database, tmp_path, "pack", "install", "tourism")
    assert refused.returncode == 2
    assert "zjtourism" in refused.stderr
    for name in ("transport", "water"):
        done = yiwang(committed_database, tmp_path, "pack", "install", name, "--demo-things")
        assert done.returncode == 0, done.stderr
        assert "installed" in done.stdout
    again = yiwang(committed_database, tmp_path, "pack", "install", "water", "--demo-things")
    assert "created: nothing" in again.stdout
    listed = yiwang(committed_database, tmp_path, "pack", "list")
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert f"installed {packs.get_pack('water').version}, 11 things" in lines["water"]
    assert f"installed {packs.get_pack('transport').version}, 12 things" in lines["transport"]
    assert lines["tourism"].rstrip().endswith("-")
    with running_broker(tmp_path) as broker:
        run = yiwang(
            committed_database,
            tmp_path,
            "simulate",
            "--rate",
            "50",
            "--duration",
            "1.5",
            "--cities",
            "330100",
            "--url",
            broker.url,
        )
    assert run.returncode == 0, run.stderr
    assert re.search(r"published \d+ observations \(\d+ acknowledged\)", run.stdout)
    assert "transport" in run.stdout
    assert "water" in run.stdout
