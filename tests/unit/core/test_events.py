"""Domain events: written with the change, delivered after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support.databases import BoundDatabase
from yiwang.core import events
from yiwang.core.events import Event, OutboxEvent
from yiwang.core.jobs import Worker


@pytest.fixture
def heard() -> Iterator[list[Event]]:
    received: list[Event] = []

    def listener(event: Event) -> None:
        received.append(event)

    events.subscribe_live("test.*", listener)
    yield received
    events.unsubscribe(listener)


def test_live_listeners_hear_only_committed_events(db: BoundDatabase, heard: list[Event]) -> None:
    with db.sessionmaker() as session:
        events.publish(session, "test.created", {"id": 1})
        assert heard == []  # not before the commit
        session.commit()
    assert [(e.name, e.payload) for e in heard] == [("test.created", {"id": 1})]


def test_releasing_a_savepoint_is_not_the_commit(db: BoundDatabase, heard: list[Event]) -> None:
    with db.sessionmaker() as session:
        with session.begin_nested():
            events.publish(session, "test.inside", {"id": 3})
        assert heard == []  # SQLAlchemy calls after_commit on the release too
        session.commit()
    assert [e.name for e in heard] == ["test.inside"]


def test_a_rolled_back_event_is_neither_heard_nor_stored(
    db: BoundDatabase, heard: list[Event]
) -> None:
    with db.sessionmaker() as session:
        row = events.publish(session, "test.created", {"id": 2})
        row_id = row.id
        session.rollback()
        session.commit()
        assert heard == []
        assert session.get(OutboxEvent, row_id) is None


def test_durable_delivery_is_at_least_once_and_retries_failures(session: Session) -> None:
    delivered: list[int] = []
    failures = {"left": 1}

    def handler(s: Session, event: Event) -> None:
        if event.payload.get("flaky") and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("downstream unavailable")
        delivered.append(event.payload["n"])

    events.subscribe("test.durable", "test-durable-handler", handler)
    try:
        for n in range(3):
            events.publish(session, "test.durable", {"n": n, "flaky": n == 1})
        events.publish(session, "other.thing", {"n": 99})
        assert events.deliver_pending(session) == 3  # 4 events, one failed
        assert delivered == [0, 2]
        failed = session.scalars(
            select(OutboxEvent).where(OutboxEvent.delivered_at.is_(None))
        ).all()
        assert [(e.payload["n"], e.attempts) for e in failed] == [(1, 1)]
        assert "downstream unavailable" in (failed[0].last_error or "")
        assert events.deliver_pending(session) == 1
        assert delivered == [0, 2, 1]
        assert events.deliver_pending(session) == 0
    finally:
        events.unsubscribe(handler)


def test_a_durable_handler_name_is_registered_once() -> None:
    def handler(s: Session, event: Event) -> None:
        return None

    events.subscribe("x", "only-once", handler)
    try:
        with pytest.raises(ValueError, match="twice"):
            events.subscribe("y", "only-once", handler)
    finally:
        events.unsubscribe(handler)


def test_workers_deliver_events_between_jobs(db: BoundDatabase) -> None:
    delivered: list[dict[str, object]] = []

    def handler(s: Session, event: Event) -> None:
        delivered.append(event.payload)

    events.subscribe("case.overdue", "test-worker-delivery", handler)
    try:
        with db.session() as session:
            events.publish(session, "case.overdue", {"case": "ZJ-2025-0001"})
        worker = Worker(db)
        assert worker.run_one() is False  # no job
        assert worker.deliver_events() == 1
        assert delivered == [{"case": "ZJ-2025-0001"}]
        assert worker.deliver_events() == 0
    finally:
        events.unsubscribe(handler)
