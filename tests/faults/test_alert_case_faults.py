"""An alert's case survives a worker killed between the alert and the case: the worker is
SIGKILLed while it delivers the request (the case inserted, not committed) or the answer (the
case committed, the alert not yet linked). A second worker then finishes the work: exactly one
case, linked both ways, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories.cases import make_task_item
from tests.factories.core import actor, make_department, make_user
from tests.factories.sensing import make_datastream, make_thing
from tests.support.processes import cli_env
from yiwang.cases.models import Case
from yiwang.core.db import Database
from yiwang.core.events import OutboxEvent
from yiwang.core.policy import Role
from yiwang.sensing import service as observations
from yiwang.sensing.alerting import service as alerting
from yiwang.sensing.alerting.models import Alert, AlertChange
from yiwang.sensing.alerting.schemas import CaseAction, LevelIn, RuleCreate
from yiwang.sensing.parsing import NewObservation

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.timeout(240)]

T0 = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)


def _alert_raised(db: Database) -> int:
    """A reach whose rule opens a case at its first level, and an observation over it: the
    alert and the request for its case, committed. Return the alert's id."""
    with db.session() as session:
        bureau = make_department(session, division_code="330800")
        editor = actor(make_user(session, role=Role.EDITOR, department=bureau, password=None))
        thing = make_thing(session, department=bureau, name="衢江故障测试河段")
        stream = make_datastream(session, thing, observed_property="水位")
        item = make_task_item(session, bureau)
        alerting.create_rule(
            session,
            actor=editor,
            data=RuleCreate(
                name="河段水位预警",
                datastream_id=stream.id,
                levels=[LevelIn(label="超保证水位", value=8.5)],
                actions=[CaseAction(level=1, item=item.code)],
            ),
        )
    with db.session() as session:
        observations.create_observations(
            session,
            actor=editor,
            observations=[NewObservation(stream_id=stream.id, phenomenon_time=T0, result=9.1)],
        )
    with db.sessionmaker() as session:
        return int(session.scalars(select(Alert.id)).one())


@contextmanager
def worker(db: Database, workdir: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """``yiwang worker`` delivering events (and running no job: the alert's MQTT and webhook
    deliveries are not the point here)."""
    log = (workdir / f"worker-{time.monotonic_ns()}.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "yiwang",
            "worker",
            "--import",
            "tests.faults.pause_delivery",
            "--kind",
            "test.none",
            "--poll",
            "0.1",
        ],
        env=cli_env(db, workdir / "var", **env),
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def _wait(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _count(db: Database, query: object) -> int:
    with db.sessionmaker() as session:
        return int(session.scalar(query) or 0)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("pause_on", "cases_after_kill"),
    [
        ("case.requested", 0),  # killed with the case inserted but not committed
        ("case.opened", 1),  # killed with the case committed, the alert not linked yet
    ],
)
def test_killing_the_worker_between_alert_and_case_loses_and_duplicates_nothing(
    committed_database: Database, tmp_path: Path, pause_on: str, cases_after_kill: int
) -> None:
    db = committed_database
    (tmp_path / "var").mkdir()
    alert_id = _alert_raised(db)
    ref = f"sensing.alert:{alert_id}"
    cases = select(func.count()).select_from(Case).where(Case.source_ref == ref)
    marker = tmp_path / "paused"
    with worker(
        db, tmp_path, YIWANG_TEST_PAUSE_ON=pause_on, YIWANG_TEST_PAUSE_FILE=str(marker)
    ) as first:
        assert _wait(marker.exists, 60), f"the worker never reached {pause_on}"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert _count(db, cases) == cases_after_kill
    with db.sessionmaker() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        assert alert.case_number is None
    with worker(db, tmp_path):

        def linked() -> bool:
            with db.sessionmaker() as session:
                found = session.get(Alert, alert_id)
                return found is not None and found.case_number is not None

        assert _wait(linked, 90), "the second worker did not open and link the case"
    assert _count(db, cases) == 1
    with db.sessionmaker() as session:
        case = session.scalars(select(Case).where(Case.source_ref == ref)).one()
        alert = session.get(Alert, alert_id)
        assert alert is not None
        assert alert.case_number == case.number
        linked_changes = session.scalar(
            select(func.count())
            .select_from(AlertChange)
            .where(AlertChange.alert_id == alert_id, AlertChange.action == "case_opened")
        )
        assert linked_changes == 1
        opened = session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.name == "case.opened")
        )
        assert opened == 1
        pending = session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.name.like("case.%"), OutboxEvent.delivered_at.is_(None))
        )
        assert pending == 0
