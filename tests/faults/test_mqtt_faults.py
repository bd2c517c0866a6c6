"""Lossless MQTT ingest under faults: 20,000 observations for 300 datastreams are published over
MQTT while the bridge process is killed (SIGKILL) and restarted, the broker is restarted, or
PostgreSQL crashes and comes back. Afterwards exactly what was published is stored: as many
observations as messages, none twice, none rejected."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.faults.conftest import PrivateCluster
from tests.support.mqtt import (
    Broker,
    Publisher,
    make_streams,
    running_broker,
    stored_counts,
    wait_for_stored,
)
from tests.support.processes import cli_env
from yiwang.core.db import Database
from yiwang.sensing.models import Rejection

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.timeout(240)]

MESSAGES = 20_000
STREAMS = 300
CHUNK = 250  # messages handed to the publisher at a time
CHUNK_PAUSE_S = 0.05  # between chunks: the publishing lasts a few seconds, faults land inside it


@dataclass
class BridgeProcess:
    """``yiwang mqtt`` as a process of its own."""

    db: Database
    broker: Broker
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def log_path(self) -> Path:
        return self.workdir / "bridge.log"

    def start(self) -> None:
        self.starts += 1
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        env = cli_env(
            self.db,
            self.workdir / "var",
            YIWANG_MQTT_URL=self.broker.url,
            YIWANG_MQTT_CLIENT_ID="faults-bridge",
        )
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "yiwang", "mqtt"],
                env=env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if b"mqtt bridge subscribed" in self.log_path.read_bytes()[offset:]:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        pytest.fail(f"the bridge did not subscribe:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no batch is finished, nothing is acknowledged or closed."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    with running_broker(tmp_path) as running:
        yield running


def _run(
    db: Database, broker: Broker, workdir: Path, fault: Callable[[BridgeProcess], None]
) -> BridgeProcess:
    """Publish the load, call ``fault`` once a third of it is published, and wait until all of
    it is acknowledged by the broker and stored."""
    streams = make_streams(db, measurements=STREAMS).measurements
    bridge = BridgeProcess(db, broker, workdir)
    bridge.start()
    publisher = Publisher(broker, client_id="faults-publisher", inflight=500)
    try:
        for n in range(MESSAGES):
            stream = streams[n % STREAMS]
            minute = n // STREAMS
            publisher.publish(
                f"v1.1/Datastreams({stream})/Observations",
                {
                    "phenomenonTime": f"2026-11-{1 + minute // 1440:02d}T"
                    f"{minute // 60 % 24:02d}:{minute % 60:02d}:00+08:00",
                    "result": round(n * 0.01, 2),
                },
            )
            if n % CHUNK == CHUNK - 1:
                time.sleep(CHUNK_PAUSE_S)
            if n == MESSAGES // 3:
                fault(bridge)
        publisher.wait_acknowledged(MESSAGES, timeout=120)
        stored = wait_for_stored(db, MESSAGES, timeout=120)
        assert stored == MESSAGES, f"{stored} stored:\n{bridge.log_tail()}\n{broker.log_tail()}"
        time.sleep(1)  # anything redelivered late would be stored now
        assert stored_counts(db) == (MESSAGES, MESSAGES)
        with db.session(write=False) as session:
            assert session.scalar(select(func.count()).select_from(Rejection)) == 0
    finally:
        publisher.close()
        bridge.stop()
    return bridge


@pytest.mark.parametrize("committed_database", ["sqlite", "postgresql"], indirect=True)
def test_the_bridge_killed_and_restarted_loses_nothing(
    committed_database: Database, broker: Broker, tmp_path: Path
) -> None:
    killed_at: list[int] = []

    def kill_and_restart(bridge: BridgeProcess) -> None:
        wait_for_stored(committed_database, 1000, timeout=30)
        killed_at.append(stored_counts(committed_database)[0])
        bridge.kill()
        time.sleep(1)  # messages pile up at the broker meanwhile
        bridge.start()

    bridge = _run(committed_database, broker, tmp_path, kill_and_restart)
    assert bridge.starts == 2
    assert 0 < killed_at[0] < MESSAGES


@pytest.mark.parametrize("committed_database", ["sqlite", "postgresql"], indirect=True)
def test_a_broker_restart_loses_nothing(
    committed_database: Database, broker: Broker, tmp_path: Path
) -> None:
    restarted_at: list[int] = []

    def restart_broker(_bridge: BridgeProcess) -> None:
        restarted_at.append(stored_counts(committed_database)[0])
        broker.restart(down_s=1.0)

    bridge = _run(committed_database, broker, tmp_path, restart_broker)
    assert restarted_at[0] < MESSAGES
    assert "disconnected" in bridge.log_text()  # the bridge did see the broker go


def test_a_postgresql_crash_loses_nothing(
    private_postgres: tuple[PrivateCluster, Database], broker: Broker, tmp_path: Path
) -> None:
    cluster, db = private_postgres
    crashed_at: list[int] = []

    def crash_postgres(_bridge: BridgeProcess) -> None:
        wait_for_stored(db, 1000, timeout=30)
        crashed_at.append(stored_counts(db)[0])
        db.engine.dispose()  # this test's own connections would otherwise be cut too
        cluster.crash_and_restart(down_s=3.0)

    bridge = _run(db, broker, tmp_path, crash_postgres)
    assert 0 < crashed_at[0] < MESSAGES
    assert "database unavailable, batch of" in bridge.log_text()  # it did wait and retry
