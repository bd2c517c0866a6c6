"""Job workers as separate processes on one database: no job runs twice, and a job whose
worker is killed is taken over when its lease expires."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

import tests.support.jobs  # noqa: F401  (registers the test job kinds in this process too)
from tests.support.processes import cli_env
from yiwang.core import jobs
from yiwang.core.db import Database
from yiwang.core.jobs import Job
from yiwang.core.policy import SYSTEM

pytestmark = pytest.mark.slow


@contextmanager
def worker_process(
    db: Database, var_dir: Path, lease_seconds: int = 30
) -> Iterator[subprocess.Popen[bytes]]:
    env = cli_env(db, var_dir, YIWANG_JOB_LEASE_SECONDS=str(lease_seconds))
    log = (var_dir / f"worker-{time.monotonic_ns()}.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "yiwang",
            "worker",
            "--import",
            "tests.support.jobs",
            "--poll",
            "0.1",
        ],
        env=env,
        cwd=var_dir,
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


def _statuses(db: Database, ids: list[int]) -> Counter[str]:
    with db.sessionmaker() as session:
        return Counter(session.scalars(select(Job.status).where(Job.id.in_(ids))))


def _wait(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_two_workers_never_run_the_same_job(committed_database: Database, tmp_path: Path) -> None:
    db = committed_database
    runs = tmp_path / "runs.txt"
    with db.session() as session:
        ids = [
            jobs.enqueue(
                session,
                kind="test.record",
                actor=SYSTEM,
                payload={"file": str(runs), "sleep": 0.02},
            ).id
            for _ in range(80)
        ]
    with worker_process(db, tmp_path), worker_process(db, tmp_path):
        assert _wait(lambda: _statuses(db, ids)["succeeded"] == len(ids), 120), _statuses(db, ids)
    lines = [line.split() for line in runs.read_text().splitlines()]
    per_job = Counter(int(job_id) for job_id, _ in lines)
    assert set(per_job) == set(ids)
    assert max(per_job.values()) == 1, "a job ran twice"
    pids = {pid for _, pid in lines}
    assert len(pids) == 2, "both workers should have taken jobs"


def test_a_killed_workers_job_is_taken_over(committed_database: Database, tmp_path: Path) -> None:
    db = committed_database
    with db.session() as session:
        job_id = jobs.enqueue(
            session, kind="test.slow", actor=SYSTEM, payload={"steps": 10, "step": 0.3}
        ).id

    def job() -> Job:
        with db.sessionmaker() as session:
            found = session.get(Job, job_id)
            assert found is not None
            return found

    with worker_process(db, tmp_path, lease_seconds=5) as first:
        assert _wait(lambda: job().progress >= 20, 60), "the first worker never reported progress"
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    stuck = job()
    assert stuck.status == "running"
    assert stuck.progress < 100
    with worker_process(db, tmp_path, lease_seconds=5) as second:
        assert _wait(lambda: job().status == "succeeded", 60), job().status
        finished = job()
        assert finished.attempts == 2
        assert finished.result is not None
        assert finished.result["pid"] == second.pid
        assert finished.result["attempt"] == 2
