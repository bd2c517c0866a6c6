"""Installing a domain pack: its properties, sensors, alert rules and open datasets appear once
however often it is installed; its Things get every stream of their kind; its rules raise
alerts on computed streams; its open data is published hourly with personal data masked."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.core import make_department
from yiwang.catalog import datastore
from yiwang.catalog import service as catalog
from yiwang.catalog.datastore import Query
from yiwang.core import jobs
from yiwang.core.errors import InvalidInput
from yiwang.core.jobs import Job
from yiwang.core.policy import ANONYMOUS, SYSTEM
from yiwang.sensing import opendata, packs
from yiwang.sensing.alerting.models import Alert, AlertRule
from yiwang.sensing.models import Datastream, Location, ObservedProperty, Sensor, Thing
from yiwang.sensing.parsing import NewObservation
from yiwang.sensing.service import create_observations

H = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def departments(session: Session) -> None:
    for slug in ("zjenv", "zjtourism", "zjtransport", "zjwater", "zjdata"):
        make_department(session, name_zh=f"测试{slug}", division_code="330000", slug=slug)


def _counts(session: Session) -> dict[str, int]:
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (ObservedProperty, Sensor, AlertRule, Thing, Datastream, Location)
    }


def test_installing_a_pack_twice_creates_everything_once(
    session: Session, departments: None
) -> None:
    first = packs.install_pack(session, actor=SYSTEM, name="environment")
    assert first.created["observed_properties"] == len(packs.get_pack("environment").properties)
    assert first.created["rules"] == 3
    assert first.created["datasets"] == 3
    after_first = _counts(session)
    second = packs.install_pack(session, actor=SYSTEM, name="environment")
    assert second.created == {}
    assert _counts(session) == after_first
    resource = catalog.get_resource(session, actor=ANONYMOUS, ref="sensing-environment-air-hourly")
    assert resource.open_class == "unconditional"
    assert resource.update_frequency == "hourly"
    assert resource.department_id == session.scalar(select(func.min(AlertRule.department_id)))
    rule = session.scalars(select(AlertRule).where(AlertRule.name == "空气质量污染预警")).one()
    assert rule.property_definition == "urn:yiwang:def:environment:aqi"
    assert rule.scope_pack == "environment.air_station"
    assert [level["label"] for level in rule.levels][:2] == ["轻度污染", "中度污染"]


def test_installing_things_twice_creates_them_once_with_every_stream_of_their_kind(
    session: Session, departments: None
) -> None:
    pack = packs.get_pack("tourism")
    things = list(pack.demo_things[:3])
    created = packs.install_things(session, actor=SYSTEM, pack=pack, things=things)
    before = _counts(session)
    again = packs.install_things(session, actor=SYSTEM, pack=pack, things=things)
    assert [t.id for t in again] == [t.id for t in created]
    assert _counts(session) == before
    streams = packs.streams_of_things(session, [created[0].id])[created[0].id]
    assert set(streams) == {
        "entries_total",
        "exits_total",
        "visitors_present",
        "saturation",
        "saturation_level",
    }
    assert created[0].pack == "tourism.scenic_spot"
    assert created[0].division_code == "330106"
    assert created[0].locations[0].location["type"] == "Point"


def test_a_pack_needs_its_department(session: Session) -> None:
    with pytest.raises(InvalidInput) as refused:
        packs.install_pack(session, actor=SYSTEM, name="water")
    assert refused.value.code == "sensing.pack_department"
    with pytest.raises(InvalidInput) as unknown:
        packs.install_pack(session, actor=SYSTEM, name="no-such-pack")
    assert unknown.value.code == "sensing.pack_unknown"


def test_the_packs_rule_raises_an_alert_when_a_river_passes_its_warning_level(
    session: Session, departments: None
) -> None:
    packs.install_pack(session, actor=SYSTEM, name="water")
    pack = packs.get_pack("water")
    (thing,) = packs.install_things(session, actor=SYSTEM, pack=pack, things=[pack.demo_things[0]])
    streams = packs.streams_of_things(session, [thing.id])[thing.id]
    create_observations(
        session,
        actor=SYSTEM,
        observations=[
            NewObservation(stream_id=streams["water_level"], phenomenon_time=H, result=7.4)
        ],
    )
    alert = session.scalars(
        select(Alert).where(Alert.datastream_id == streams["water_level_status"])
    ).one()
    assert alert.label == "超警戒水位"
    assert alert.level == 1


def test_open_data_is_published_hourly_with_the_river_chiefs_phone_masked(
    session: Session, departments: None
) -> None:
    packs.install_pack(session, actor=SYSTEM, name="water")
    pack = packs.get_pack("water")
    (thing,) = packs.install_things(session, actor=SYSTEM, pack=pack, things=[pack.demo_things[0]])
    level = packs.streams_of_things(session, [thing.id])[thing.id]["water_level"]
    create_observations(
        session,
        actor=SYSTEM,
        observations=[
            NewObservation(stream_id=level, phenomenon_time=H + dt.timedelta(minutes=m), result=v)
            for m, v in ((0, 5.5), (15, 5.7), (30, 5.9), (70, 6.1))
        ],
    )
    written = opendata.publish(session, actor=SYSTEM, now=H + dt.timedelta(hours=1, minutes=5))
    assert written["sensing-water-river-level-hourly"] == 4  # 2 hours × (level, status)
    resource = catalog.get_resource(
        session, actor=ANONYMOUS, ref="sensing-water-river-level-hourly"
    )
    result, _view = datastore.read(
        session,
        actor=ANONYMOUS,
        distribution_id=resource.distributions[0].id,
        query=Query(filters={"数据流编号": level}, sort="时间 asc"),
    )
    names = ["_id"] * result.include_id + [c.name for c in result.columns]
    rows = [dict(zip(names, r, strict=True)) for r in result.records]
    assert [
        (float(r["平均值"]), float(r["最小值"]), float(r["最大值"]), r["样本数"]) for r in rows
    ] == [
        (5.7, 5.5, 5.9, 3),
        (6.1, 6.1, 6.1, 1),
    ]
    assert rows[0]["河长"] == "王建国"
    assert rows[0]["河长电话"] != "13805710001"
    assert rows[0]["河长电话"].startswith("138")
    assert rows[0]["城市"] == "杭州市"
    # Publishing the same hours again updates the rows instead of adding to them.
    opendata.publish(session, actor=SYSTEM, now=H + dt.timedelta(hours=1, minutes=30))
    again, _ = datastore.read(
        session,
        actor=ANONYMOUS,
        distribution_id=resource.distributions[0].id,
        query=Query(filters={"数据流编号": level}),
    )
    assert len(again.records) == 2


def test_the_publishing_job_is_queued_once(session: Session) -> None:
    first = opendata.schedule(session)
    second = opendata.schedule(session)
    assert first.id == second.id
    assert first.kind == opendata.PUBLISH_JOB
    assert first.status == jobs.QUEUED
    assert (
        session.scalar(
            select(func.count()).select_from(Job).where(Job.kind == opendata.PUBLISH_JOB)
        )
        == 1
    )
