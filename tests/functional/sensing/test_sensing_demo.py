"""The sensing demo, as someone exploring ``yiwang serve --demo`` finds it: each pack's Things
across Zhejiang's 11 cities, owned by the right departments, with two days of hourly history
and the computed indices that follow from it, the packs' alert rules, and their open datasets
in the catalogue with rows behind them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.support.databases import BoundDatabase
from yiwang.app import create_app
from yiwang.core.config import Settings
from yiwang.core.db import Database
from yiwang.core.identity import Department
from yiwang.core.jobs import Job
from yiwang.demo import load_core
from yiwang.sensing import demo as sensing_demo
from yiwang.sensing import opendata, packs
from yiwang.sensing.alerting.models import AlertRule
from yiwang.sensing.models import Datastream, Observation, Thing

CITIES = {f"33{n:02d}00" for n in range(1, 12)}


@pytest.fixture(scope="module")
def demo_connection(database: Database) -> Iterator[Any]:
    """The core and sensing demos loaded once per database, rolled back after the module."""
    connection = database.engine.connect()
    outer = connection.begin()
    with BoundDatabase(database, connection).sessionmaker() as session:
        load_core(session)
        sensing_demo.load(session)
        session.commit()
    try:
        yield connection
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def demo_db(database: Database, demo_connection: Any) -> Iterator[BoundDatabase]:
    savepoint = demo_connection.begin_nested()
    try:
        yield BoundDatabase(database, demo_connection)
    finally:
        if savepoint.is_active:
            savepoint.rollback()


@pytest.fixture
def demo(demo_db: BoundDatabase) -> Iterator[Session]:
    with demo_db.sessionmaker() as session:
        yield session


def _owner(session: Session, pack: str) -> str:
    slugs = session.execute(
        select(Department.slug)
        .join(Thing, Thing.department_id == Department.id)
        .where(Thing.pack.like(f"{pack}.%"))
        .distinct()
    ).scalars()
    (slug,) = list(slugs)
    return str(slug)


def test_each_packs_things_stand_in_all_eleven_cities_owned_by_their_department(
    demo: Session,
) -> None:
    owners = {
        "environment": "zjenv",
        "tourism": "zjtourism",
        "transport": "zjtransport",
        "water": "zjwater",
        "energy": "zjdata",
    }
    for pack, slug in owners.items():
        divisions = demo.scalars(select(Thing.division_code).where(Thing.pack.like(f"{pack}.%")))
        assert {d[:4] + "00" for d in divisions if d} == CITIES, pack
        assert _owner(demo, pack) == slug


def test_two_days_of_history_and_the_indices_computed_from_it(demo: Session) -> None:
    station = demo.scalars(select(Thing).where(Thing.name == "杭州朝晖五区站")).one()
    streams = packs.streams_of_things(demo, [station.id])[station.id]
    pm25 = demo.scalars(
        select(Observation.phenomenon_time).where(Observation.stream_id == streams["pm25"])
    ).all()
    assert len(pm25) == sensing_demo.HOURS
    hours = {t.replace(minute=0, second=0, microsecond=0) for t in pm25}
    assert len(hours) == sensing_demo.HOURS  # hourly
    aqi = demo.scalars(
        select(Observation.result_number).where(Observation.stream_id == streams["aqi"])
    ).all()
    # The first hours lack 20 hours of particles; every later hour has its AQI.
    assert len(aqi) == sensing_demo.HOURS - 19
    assert all(0 < v < 300 for v in aqi)
    category = demo.get(Datastream, streams["aqi_category"])
    assert category is not None
    assert category.last_result in {"优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"}
    # Every computed stream of every demo Thing has values.
    empty = demo.scalars(
        select(Datastream.name).where(
            Datastream.last_observation_id.is_(None), Datastream.thing_id.in_(select(Thing.id))
        )
    ).all()
    assert empty == []


def test_the_packs_alert_rules_are_installed(demo: Session) -> None:
    names = set(demo.scalars(select(AlertRule.name)))
    assert {"空气质量污染预警", "景区游客饱和度预警", "河段水位预警", "用能定额预警"} <= names


def test_the_catalogue_lists_the_open_datasets_and_serves_their_rows(
    demo_db: BoundDatabase, demo: Session, settings: Settings
) -> None:
    app = create_app(settings, demo_db)
    with TestClient(app, base_url="http://testserver") as client:
        found = client.get(
            "/api/3/action/package_search", params={"fq": "tags:物联感知", "rows": 50}
        ).json()["result"]
        names = {p["name"] for p in found["results"]}
        expected = {
            opendata.dataset_name(pack, dataset)
            for pack in packs.discover().values()
            for dataset in pack.datasets
        }
        assert names == expected
        river = client.get(
            "/api/3/action/package_show", params={"id": "sensing-water-river-level-hourly"}
        ).json()["result"]
        assert river["organization"]["name"] == "zjwater"
        rows = client.get(
            "/api/3/action/datastore_search",
            params={"resource_id": river["resources"][0]["id"], "limit": 5},
        ).json()["result"]
        assert rows["total"] >= 11 * 2 * sensing_demo.HOURS
        record = rows["records"][0]
        assert record["河长"]
        assert "*" in record["河长电话"]  # masked for the public
    refresh = demo.scalars(select(Job).where(Job.kind == opendata.PUBLISH_JOB)).one()
    assert refresh.status == "queued"


def test_the_demo_leaves_no_thing_without_a_location(demo: Session) -> None:
    count = demo.scalar(select(func.count()).select_from(Thing).where(~Thing.locations.any()))
    assert count == 0
