"""The observation service every source writes through: batches stored once, duplicates
refused or skipped, result types checked, features made from the Thing's location, the stream's
latest value kept, hooks and listeners called."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests.factories.core import actor, make_department, make_user
from tests.functional.sensing.stations import T0, Station
from yiwang.core.db import Database
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.policy import Actor, Role
from yiwang.sensing import parsing, service, storage
from yiwang.sensing.models import (
    Datastream,
    FeatureOfInterest,
    Observation,
)
from yiwang.sensing.parsing import NewObservation


def _obs(stream: Datastream, minutes: int, result: Any) -> NewObservation:
    return NewObservation(
        stream_id=stream.id, phenomenon_time=T0 + dt.timedelta(minutes=minutes), result=result
    )


def _count(session: Session, stream: Datastream) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Observation).where(Observation.stream_id == stream.id)
        )
        or 0
    )


def test_a_batch_is_stored_and_the_stream_keeps_its_latest_value(
    session: Session, station: Station
) -> None:
    batch = [_obs(station.pm25, m, 30.0 + m) for m in (0, 10, 20, 5)]
    outcomes = service.create_observations(session, actor=station.editor, observations=batch)
    assert all(o.id is not None and o.error is None for o in outcomes)
    assert len({o.id for o in outcomes}) == 4
    assert _count(session, station.pm25) == 4
    session.expire_all()
    stream = session.get(Datastream, station.pm25.id)
    assert stream is not None
    assert stream.last_result_number == 50.0
    assert stream.last_phenomenon_time == T0 + dt.timedelta(minutes=20)
    assert stream.last_observation_id == outcomes[2].id
    assert stream.phenomenon_time_start == T0
    assert stream.phenomenon_time_end == T0 + dt.timedelta(minutes=20)
    # An older observation arriving later does not become the latest.
    service.create_observations(
        session, actor=station.editor, observations=[_obs(station.pm25, -60, 1.0)]
    )
    session.expire_all()
    stream = session.get(Datastream, station.pm25.id)
    assert stream is not None
    assert stream.last_result_number == 50.0
    assert stream.phenomenon_time_start == T0 - dt.timedelta(minutes=60)


def test_the_feature_of_interest_is_made_once_from_the_things_location(
    session: Session, station: Station
) -> None:
    service.create_observations(
        session, actor=station.editor, observations=[_obs(station.pm25, 0, 1.0)]
    )
    service.create_observations(
        session, actor=station.editor, observations=[_obs(station.count, 0, 3)]
    )
    features = session.scalars(select(FeatureOfInterest)).all()
    mine = [f for f in features if f.location_id == station.thing.locations[0].id]
    assert len(mine) == 1
    assert mine[0].feature == {"type": "Point", "coordinates": [120.14, 30.25]}
    feature_ids = set(
        session.scalars(
            select(Observation.feature_id).where(
                Observation.stream_id.in_([station.pm25.id, station.count.id])
            )
        )
    )
    assert feature_ids == {mine[0].id}


def test_a_thing_without_location_needs_a_feature(session: Session) -> None:
    station = Station(session, located=False)
    with pytest.raises(InvalidInput) as caught:
        service.create_observations(
            session, actor=station.editor, observations=[_obs(station.pm25, 0, 1.0)]
        )
    assert caught.value.code == "sensing.no_feature"


def test_duplicates_are_refused_reported_or_skipped(session: Session, station: Station) -> None:
    first = service.create_observations(
        session, actor=station.editor, observations=[_obs(station.pm25, 0, 1.0)]
    )
    with pytest.raises(Conflict):
        service.create_observations(
            session, actor=station.editor, observations=[_obs(station.pm25, 0, 2.0)]
        )
    report = service.create_observations(
        session,
        actor=station.editor,
        observations=[
            _obs(station.pm25, 0, 2.0),
            _obs(station.pm25, 1, 2.0),
            _obs(station.pm25, 1, 3.0),
        ],
        duplicates="report",
    )
    assert isinstance(report[0].error, Conflict)
    assert report[1].id is not None
    assert isinstance(report[2].error, Conflict)
    skipped = service.create_observations(
        session, actor=station.editor, observations=[_obs(station.pm25, 0, 2.0)], duplicates="skip"
    )
    assert skipped[0].duplicate
    assert skipped[0].error is None
    assert skipped[0].id is None
    assert _count(session, station.pm25) == 2
    assert first[0].id is not None


def test_results_must_fit_the_observation_type(session: Session, station: Station) -> None:
    for stream, bad in [
        (station.pm25, "high"),
        (station.pm25, True),
        (station.count, 2.5),
        (station.multi, [1.0]),
    ]:
        with pytest.raises(InvalidInput):
            service.create_observations(
                session, actor=station.editor, observations=[_obs(stream, 0, bad)]
            )
    ok = service.create_observations(
        session,
        actor=station.editor,
        observations=[_obs(station.multi, 0, [3.5, "NE"]), _obs(station.count, 0, 12)],
    )
    assert all(o.id for o in ok)
    row = session.get(Observation, ok[0].id)
    assert row is not None
    assert row.result_json == [3.5, "NE"]
    counted = session.get(Observation, ok[1].id)
    assert counted is not None
    assert parsing.result_of(counted.result_number, counted.result_json, parsing.COUNT) == 12
    assert _count(session, station.pm25) == 0


def test_unknown_streams_and_outsiders_are_refused(session: Session, station: Station) -> None:
    with pytest.raises(NotFound):
        service.create_observations(
            session,
            actor=station.editor,
            observations=[NewObservation(stream_id=987654, phenomenon_time=T0, result=1.0)],
        )
    other = make_department(
        session, name_zh="宁波市交通局", division_code="330200", slug=f"nb{id(station)}"
    )
    outsider = actor(
        make_user(session, role=Role.EDITOR, department=other, username=f"o{id(station)}")
    )
    with pytest.raises(PermissionDenied):
        service.create_observations(
            session, actor=outsider, observations=[_obs(station.pm25, 0, 1.0)]
        )


def test_parsing_requires_a_zone_and_a_stream() -> None:
    parsed = parsing.observation_from_json(
        {"phenomenonTime": "2026-11-29T10:00:00+08:00", "result": 3, "Datastream": {"@iot.id": 7}}
    )
    assert parsed.stream_id == 7
    assert parsed.phenomenon_time == T0
    interval = parsing.observation_from_json(
        {"phenomenonTime": "2026-11-29T02:00:00Z/2026-11-29T03:00:00Z", "result": 1}, stream_id=1
    )
    assert interval.phenomenon_time_end == T0 + dt.timedelta(hours=1)
    with pytest.raises(InvalidInput) as caught:
        parsing.observation_from_json(
            {"phenomenonTime": "2026-11-29T10:00:00", "result": 3}, stream_id=1
        )
    assert caught.value.code == "sensing.time_without_zone"
    with pytest.raises(InvalidInput):
        parsing.observation_from_json({"result": 3})
    with pytest.raises(InvalidInput):
        parsing.observation_from_json({"phenomenonTime": "2026-11-29T10:00:00Z"}, stream_id=1)


@pytest.fixture
def recorded() -> Iterator[tuple[list[Any], list[Any]]]:
    hooked: list[Any] = []
    committed: list[Any] = []

    def hook(_session: Session, stored: Sequence[service.StoredObservation]) -> None:
        hooked.extend(stored)

    def listener(stored: Sequence[service.StoredObservation]) -> None:
        committed.extend(stored)

    service.register_ingest_hook(hook)
    service.register_committed_listener(listener)
    yield hooked, committed
    service.unregister(hook)
    service.unregister(listener)


def test_hooks_run_in_the_transaction_and_listeners_after_commit(
    session: Session, station: Station, recorded: tuple[list[Any], list[Any]]
) -> None:
    hooked, committed = recorded
    service.create_observations(
        session, actor=station.editor, observations=[_obs(station.pm25, m, 5.0) for m in range(3)]
    )
    assert len(hooked) == 3
    assert committed == []
    assert hooked[0].thing_id == station.thing.id
    assert hooked[0].result_number == 5.0
    session.commit()
    assert [o.id for o in committed] == [o.id for o in hooked]


def test_a_big_batch_goes_in_bulk(session: Session, station: Station) -> None:
    batch = [_obs(station.pm25, m, float(m)) for m in range(500)]
    first = service.create_observations(session, actor=station.editor, observations=batch)
    assert len({o.id for o in first}) == 500
    again = service.create_observations(
        session,
        actor=station.editor,
        observations=[*batch[:300], _obs(station.pm25, 900, 1.0)],
        duplicates="skip",
    )
    assert sum(o.duplicate for o in again) == 300
    assert again[-1].id is not None
    assert _count(session, station.pm25) == 501


def test_sysadmin_writes_anywhere(session: Session, station: Station) -> None:
    admin: Actor = actor(make_user(session, role=Role.SYSADMIN, username=f"root{id(station)}"))
    assert service.create_observations(
        session, actor=admin, observations=[_obs(station.pm25, 0, 1.0)]
    )[0].id


@pytest.mark.postgres_only
def test_months_get_partitions_of_their_own_and_the_next_is_ready(
    committed_database: Database,
) -> None:
    if committed_database.dialect != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    with committed_database.session() as session:
        station = Station(session)
        stream_id, editor = station.pm25.id, station.editor
    when = dt.datetime(2031, 3, 15, 8, 0, tzinfo=dt.UTC)
    with committed_database.session() as session:
        service.create_observations(
            session,
            actor=editor,
            observations=[NewObservation(stream_id=stream_id, phenomenon_time=when, result=1.0)],
        )
    with committed_database.session(write=False) as session:
        names = set(
            session.scalars(
                text(
                    "SELECT relname FROM pg_class WHERE relname LIKE 'sensing_observations_y2031%'"
                )
            )
        )
        assert {"sensing_observations_y2031m03", "sensing_observations_y2031m04"} <= names
        stored = session.execute(
            text(
                "SELECT tableoid::regclass::text FROM sensing_observations "
                "WHERE stream_id = :s AND phenomenon_time = :t"
            ),
            {"s": stream_id, "t": when},
        ).scalar_one()
    assert stored == "sensing_observations_y2031m03"


@pytest.mark.postgres_only
def test_the_coming_months_are_prepared_when_the_application_starts(
    committed_database: Database,
) -> None:
    if committed_database.dialect != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    storage.prepare_partitions(committed_database.engine, months_ahead=2)
    now = dt.datetime.now(dt.UTC)
    with committed_database.session(write=False) as session:
        name = f"sensing_observations_y{now.year:04d}m{now.month:02d}"
        assert session.scalar(text("SELECT count(*) FROM pg_class WHERE relname = :n"), {"n": name})
