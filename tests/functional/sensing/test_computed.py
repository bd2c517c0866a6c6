"""Computed indices: a pack's Things given hand-computable inputs get the values the standards
give, once every input is in, once only; a batch that feeds no index costs one query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from tests.factories.core import make_department
from yiwang.core.policy import SYSTEM
from yiwang.sensing import computed, packs, parsing, service
from yiwang.sensing.models import Datastream, Observation
from yiwang.sensing.parsing import NewObservation
from yiwang.sensing.service import StoredObservation

H = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def departments(session: Session) -> None:
    for slug in ("zjenv", "zjtourism", "zjtransport", "zjwater", "zjdata"):
        make_department(session, name_zh=f"测试{slug}", division_code="330000", slug=slug)


def place(
    session: Session, pack_name: str, kind: str, properties: Mapping[str, Any] | None = None
) -> dict[str, int]:
    """A Thing of the pack's kind; return its Datastream ids by property key."""
    pack = packs.get_pack(pack_name)
    code = f"T-{kind}-{len(session.scalars(select(Datastream.id)).all())}"
    (thing,) = packs.install_things(
        session,
        actor=SYSTEM,
        pack=pack,
        things=[
            packs.DemoThing(
                kind=kind,
                code=code,
                name=f"测试{kind}",
                division_code="330100",
                longitude=120.15,
                latitude=30.25,
                properties=dict(properties or {}),
            )
        ],
    )
    return packs.streams_of_things(session, [thing.id])[thing.id]


def store(session: Session, items: list[tuple[int, dt.datetime, Any]]) -> None:
    service.create_observations(
        session,
        actor=SYSTEM,
        observations=[
            NewObservation(stream_id=s, phenomenon_time=t, result=r) for s, t, r in items
        ],
    )


def results(session: Session, stream_id: int) -> list[tuple[dt.datetime, Any]]:
    rows = session.execute(
        select(Observation.phenomenon_time, Observation.result_number, Observation.result_json)
        .where(Observation.stream_id == stream_id)
        .order_by(Observation.phenomenon_time)
    ).all()
    return [(t, number if value is None else value) for t, number, value in rows]


def test_an_air_station_gets_the_hourly_aqi_of_hj_633_once_all_six_pollutants_are_in(
    session: Session, departments: None
) -> None:
    s = place(session, "environment", "air_station")
    # 24 hours of particles: PM10 190 µg/m³ for 23 hours and 430 in the last one (24-hour
    # moving average 200: IAQI 125); PM2.5 30 then 60 (average 31.25: IAQI 45).
    particles = []
    for hours_before in range(23, 0, -1):
        particles += [
            (s["pm10"], H - hours_before * HOUR, 190),
            (s["pm25"], H - hours_before * HOUR, 30),
        ]
    store(session, particles)
    assert results(session, s["aqi"]) == []  # no gases in those hours: no AQI
    store(
        session,
        [
            (s["pm10"], H, 430),
            (s["pm25"], H, 60),
            (s["so2"], H, 10),  # IAQI 4
            (s["no2"], H, 120),  # IAQI 60
            (s["co"], H, 1.0),  # IAQI 10
        ],
    )
    assert results(session, s["aqi"]) == []  # O3 is missing: the AQI waits for it
    store(session, [(s["o3"], H + dt.timedelta(minutes=10), 180)])  # IAQI 75
    assert results(session, s["aqi"]) == [(H, 125)]
    assert results(session, s["aqi_category"]) == [(H, "轻度污染")]
    assert results(session, s["primary_pollutant"]) == [(H, "PM10")]
    aqi = session.scalars(select(Observation).where(Observation.stream_id == s["aqi"])).one()
    assert aqi.phenomenon_time_end == H + HOUR  # the hour it stands for
    stream = session.get(Datastream, s["aqi"])
    assert stream is not None
    assert stream.observation_type == parsing.MEASUREMENT
    assert stream.last_result_number == 125
    # Another O3 reading in the same hour does not change the hour's AQI.
    store(session, [(s["o3"], H + dt.timedelta(minutes=40), 900)])
    assert results(session, s["aqi"]) == [(H, 125)]


def test_the_aqi_needs_twenty_hours_of_particles(session: Session, departments: None) -> None:
    s = place(session, "environment", "air_station")
    items = []
    for hours_before in range(18, -1, -1):  # 19 hours
        items += [
            (s["pm10"], H - hours_before * HOUR, 40),
            (s["pm25"], H - hours_before * HOUR, 20),
        ]
    items += [(s[k], H, v) for k, v in (("so2", 10), ("no2", 20), ("co", 0.5), ("o3", 50))]
    store(session, items)
    assert results(session, s["aqi"]) == []
    store(session, [(s["pm10"], H - 19 * HOUR, 40), (s["pm25"], H - 19 * HOUR, 20)])
    store(session, [(s["o3"], H + dt.timedelta(minutes=5), 50)])  # a later input triggers it
    # PM10 40 → 40; PM2.5 20 → 29; NO2 20 → 10; O3 50 → 16: AQI 40, no primary pollutant.
    assert results(session, s["aqi"]) == [(H, 40)]
    assert results(session, s["primary_pollutant"]) == [(H, "无")]
    assert results(session, s["aqi_category"]) == [(H, "优")]


def test_a_surface_water_section_is_classed_by_its_worst_parameter(
    session: Session, departments: None
) -> None:
    s = place(session, "environment", "water_section")
    # pH 7.5 (I), DO 6.5 (II), CODMn 4.5 (III), NH3-N 1.2 (IV), TP 0.15 (III): class IV.
    values = {"ph": 7.5, "do": 6.5, "codmn": 4.5, "nh3n": 1.2, "tp": 0.15}
    store(session, [(s[k], H + dt.timedelta(minutes=3), v) for k, v in values.items()])
    assert results(session, s["water_class"]) == [(H, 4)]


def test_a_discharge_outlet_is_checked_against_the_limits_of_its_permit(
    session: Session, departments: None
) -> None:
    default = place(session, "environment", "discharge_outlet")
    own = place(
        session,
        "environment",
        "discharge_outlet",
        {"limits": {"discharge_cod": 100, "discharge_nh3n": 8}},
    )
    for s in (default, own):
        store(session, [(s["discharge_cod"], H, 60.0), (s["discharge_nh3n"], H, 2.0)])
    assert results(session, default["discharge_max_ratio"]) == [(H, 1.2)]  # 60 / 50
    assert results(session, own["discharge_max_ratio"]) == [(H, 0.6)]  # 60 / 100


@pytest.mark.parametrize(
    ("thresholds", "level"), [(None, 2), ([90, 95, 100], 1), ([60, 70, 90], 3)]
)
def test_a_scenic_spots_saturation_and_warning_level(
    session: Session, departments: None, thresholds: list[int] | None, level: int
) -> None:
    properties: dict[str, Any] = {"usable_area_m2": 20000}  # 2 m² each: capacity 10,000
    if thresholds:
        properties["thresholds_percent"] = thresholds
    s = place(session, "tourism", "scenic_spot", properties)
    store(session, [(s["entries_total"], H, 12000)])
    assert results(session, s["saturation"]) == []  # the exit counter of that instant is missing
    store(session, [(s["exits_total"], H, 2800)])
    assert results(session, s["visitors_present"]) == [(H, 9200)]
    assert results(session, s["saturation"]) == [(H, 92.0)]
    assert results(session, s["saturation_level"]) == [(H, level)]


def test_a_highway_sections_congestion_index_and_level(session: Session, departments: None) -> None:
    s = place(session, "transport", "highway_section", {"free_flow_kmh": 100})
    store(session, [(s["speed"], H, 50.0), (s["speed"], H + HOUR, 100.0)])
    # Half the free-flow speed: 4 + 2 × (0.625 − 0.5) ÷ 0.1875 = 5.33, 轻度拥堵 (3).
    assert results(session, s["congestion_index"]) == [(H, 5.33), (H + HOUR, 0.0)]
    assert results(session, s["congestion_level"]) == [(H, 3), (H + HOUR, 1)]


def test_a_river_section_above_its_warning_level_gets_status_1(
    session: Session, departments: None
) -> None:
    s = place(
        session,
        "water",
        "river_section",
        {"warning_level_m": 7.0, "guarantee_level_m": 8.5, "river_chief": {"name": "王某"}},
    )
    store(session, [(s["water_level"], H + i * HOUR, v) for i, v in enumerate((6.2, 7.3, 8.6))])
    assert [v for _, v in results(session, s["water_level_status"])] == [0, 1, 2]


def test_an_energy_units_use_of_its_quota(session: Session, departments: None) -> None:
    s = place(session, "energy", "key_energy_unit", {"monthly_quota_tce": 1000})
    store(session, [(s["energy_consumed"], H, 950.0), (s["energy_consumed"], H + HOUR, 1010.0)])
    assert results(session, s["quota_ratio"]) == [(H, 95.0), (H + HOUR, 101.0)]


def test_a_redelivered_batch_computes_nothing_twice(session: Session, departments: None) -> None:
    s = place(session, "transport", "highway_section", {"free_flow_kmh": 100})
    batch = [NewObservation(stream_id=s["speed"], phenomenon_time=H, result=80.0)]
    service.create_observations(session, actor=SYSTEM, observations=batch)
    service.create_observations(session, actor=SYSTEM, observations=batch, duplicates="skip")
    stored = session.scalars(select(Observation).where(Observation.stream_id == s["speed"])).one()
    again = StoredObservation(
        id=stored.id,
        stream_id=s["speed"],
        phenomenon_time=H,
        result=80.0,
        result_number=80.0,
        thing_id=session.get(Datastream, s["speed"]).thing_id,  # type: ignore[union-attr]
        department_id=None,
        is_open=True,
        observed_property_id=session.get(Datastream, s["speed"]).observed_property_id,  # type: ignore[union-attr]
    )
    assert computed.compute(session, [again]) == 0
    assert len(results(session, s["congestion_index"])) == 1


@pytest.fixture
def statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_batch_that_feeds_no_index_costs_one_query(
    session: Session, departments: None, statements: list[str]
) -> None:
    s = place(session, "transport", "highway_section", {"free_flow_kmh": 100})
    thing_id = session.get(Datastream, s["speed"]).thing_id  # type: ignore[union-attr]
    index_property = session.get(Datastream, s["congestion_index"]).observed_property_id  # type: ignore[union-attr]
    # 5,000 observations of a computed output (which feeds nothing) and of a Thing of no pack.
    batch = [
        StoredObservation(
            id=i,
            stream_id=s["congestion_index"] if i % 2 else 10**9,
            phenomenon_time=H + dt.timedelta(seconds=i),
            result=1.0,
            result_number=1.0,
            thing_id=thing_id if i % 2 else 10**9,
            department_id=None,
            is_open=True,
            observed_property_id=index_property,
        )
        for i in range(5000)
    ]
    statements.clear()
    assert computed.compute(session, batch) == 0
    assert len(statements) == 1
    count = session.scalar(select(func.count()).select_from(Observation))
    assert count == 0
