"""Rules on stored observations: alerts raised, escalated and resolved in the transaction that
stores the observations, on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tests.factories.core import actor, make_department, make_user
from tests.functional.sensing.stations import T0, Station
from yiwang.core.audit import AuditEntry
from yiwang.core.errors import InvalidInput, PermissionDenied
from yiwang.core.events import OutboxEvent
from yiwang.core.policy import Actor, Role
from yiwang.sensing import parsing
from yiwang.sensing import service as observations
from yiwang.sensing.alerting import alerts, service, watch
from yiwang.sensing.alerting.models import Alert, AlertChange, AlertRuleState
from yiwang.sensing.alerting.schemas import LevelIn, RuleCreate, RuleUpdate
from yiwang.sensing.models import Datastream, ObservedProperty, Sensor, Thing
from yiwang.sensing.parsing import NewObservation
from yiwang.sensing.service import StoredObservation

PM25 = [
    LevelIn(label="黄色", value=75),
    LevelIn(label="橙色", value=115),
    LevelIn(label="红色", value=150),
]


def store(
    session: Session,
    station: Station,
    values: Sequence[float],
    *,
    stream: Datastream | None = None,
    start: int = 0,
) -> list[int]:
    stream = stream or station.pm25
    outcomes = observations.create_observations(
        session,
        actor=station.editor,
        observations=[
            NewObservation(
                stream_id=stream.id,
                phenomenon_time=T0 + dt.timedelta(minutes=start + i),
                result=value,
            )
            for i, value in enumerate(values)
        ],
    )
    return [o.id for o in outcomes if o.id is not None]


def other_department(session: Session, station: Station) -> tuple[Actor, Datastream]:
    """An editor of another department and a PM2.5 stream of theirs (open data)."""
    department = make_department(session)
    editor = actor(make_user(session, role=Role.EDITOR, department=department))
    thing = Thing(name="另一站", department_id=department.id, is_open=True)
    thing.locations.extend(station.thing.locations)
    session.add(thing)
    session.flush()
    stream = Datastream(
        name="PM2.5",
        observation_type=parsing.MEASUREMENT,
        unit_of_measurement={},
        thing_id=thing.id,
        sensor_id=station.pm25.sensor_id,
        observed_property_id=station.pm25.observed_property_id,
        department_id=department.id,
        is_open=True,
    )
    session.add(stream)
    session.flush()
    return editor, stream


def pm25_rule(session: Session, station: Station, **fields: Any) -> int:
    data = RuleCreate(
        name="PM2.5 超标",
        datastream_id=station.pm25.id,
        levels=PM25,
        **fields,
    )
    return service.create_rule(session, actor=station.editor, data=data).id


def alerts_of(session: Session, stream_id: int) -> list[Alert]:
    return list(
        session.scalars(select(Alert).where(Alert.datastream_id == stream_id).order_by(Alert.id))
    )


def history(session: Session, alert: Alert) -> list[tuple[str, int]]:
    return [(c.action, c.level) for c in alerts.alert_history(session, alert_id=alert.id)]


def test_an_observation_over_a_threshold_raises_an_alert_that_records_it(
    session: Session, station: Station
) -> None:
    pm25_rule(session, station)
    ids = store(session, station, [40, 80])
    [alert] = alerts_of(session, station.pm25.id)
    assert (alert.state, alert.level, alert.label) == ("raised", 1, "黄色")
    assert alert.observation_id == ids[1]
    assert alert.phenomenon_time == T0 + dt.timedelta(minutes=1)
    assert alert.raised_value == 80
    assert alert.department_id == station.department.id
    [change] = alerts.alert_history(session, alert_id=alert.id)
    assert (change.action, change.observation_id, change.value) == ("raised", ids[1], 80)
    raised = session.scalars(
        select(OutboxEvent).where(OutboxEvent.name == "sensing.alert.raised")
    ).all()
    assert [e.payload["alert_id"] for e in raised] == [alert.id]
    payload = raised[0].payload
    assert payload["department_id"] == station.department.id
    assert payload["thing_id"] == station.thing.id
    assert payload["thing_name"] == "西湖监测站"
    assert payload["datastream_id"] == station.pm25.id
    assert (payload["level"], payload["label"], payload["value"]) == (1, "黄色", 80)
    assert payload["observation_id"] == ids[1]
    assert payload["phenomenon_time"] == (T0 + dt.timedelta(minutes=1)).isoformat()


def test_hysteresis_keeps_a_hovering_value_from_flapping(
    session: Session, station: Station
) -> None:
    pm25_rule(session, station, hysteresis=5)
    store(session, station, [70, 75, 74, 76, 73, 75.5, 71, 74.9, 76])
    [alert] = alerts_of(session, station.pm25.id)
    assert history(session, alert) == [("raised", 1)]
    assert alert.state == "raised"


def test_alerts_escalate_deescalate_and_resolve_themselves(
    session: Session, station: Station
) -> None:
    pm25_rule(session, station, hysteresis=5)
    store(session, station, [80, 120, 160])
    store(session, station, [140, 100, 60], start=3)
    [alert] = alerts_of(session, station.pm25.id)
    assert history(session, alert) == [
        ("raised", 1),
        ("escalated", 2),
        ("escalated", 3),
        ("deescalated", 2),
        ("deescalated", 1),
        ("resolved", 1),
    ]
    assert (alert.state, alert.resolution, alert.max_level) == ("resolved", "auto", 3)
    names = session.scalars(
        select(OutboxEvent.name).where(OutboxEvent.name.like("sensing.alert.%"))
    ).all()
    assert names.count("sensing.alert.escalated") == 2
    assert names.count("sensing.alert.resolved") == 1
    # back over the threshold: a new alert
    store(session, station, [90], start=6)
    assert [a.state for a in alerts_of(session, station.pm25.id)] == ["resolved", "raised"]


def test_an_acknowledged_alert_needs_acknowledging_again_when_it_gets_worse(
    session: Session, station: Station
) -> None:
    pm25_rule(session, station)
    store(session, station, [80])
    [alert] = alerts_of(session, station.pm25.id)
    alerts.acknowledge_alert(session, actor=station.editor, alert_id=alert.id, note="在查")
    assert alert.state == "acknowledged"
    store(session, station, [130], start=1)
    assert (alert.state, alert.level) == ("raised", 2)


def test_without_auto_resolve_an_alert_waits_for_a_person_with_a_note(
    session: Session, station: Station
) -> None:
    pm25_rule(session, station, auto_resolve=False)
    store(session, station, [80, 40])
    [alert] = alerts_of(session, station.pm25.id)
    assert alert.state == "raised"
    assert alert.cleared_at is not None
    assert history(session, alert) == [("raised", 1), ("cleared", 1)]
    with pytest.raises(InvalidInput) as refused:
        alerts.resolve_alert(session, actor=station.editor, alert_id=alert.id, note=" ")
    assert refused.value.code == "alerting.note_required"
    alerts.resolve_alert(session, actor=station.editor, alert_id=alert.id, note="传感器已校准")
    assert (alert.state, alert.resolution) == ("resolved", "manual")
    last = alerts.alert_history(session, alert_id=alert.id)[-1]
    assert (last.action, last.note, last.actor_name) == (
        "resolved",
        "传感器已校准",
        station.editor.username,
    )
    audited = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.object_type == "alert", AuditEntry.object_id == str(alert.id)
        )
    ).all()
    assert audited == ["sensing.alert.resolve"]


def test_a_recurring_condition_continues_an_uncleared_alert(
    session: Session, station: Station
) -> None:
    pm25_rule(session, station, auto_resolve=False)
    store(session, station, [80, 40, 90])
    [alert] = alerts_of(session, station.pm25.id)
    assert history(session, alert) == [("raised", 1), ("cleared", 1), ("recurred", 1)]
    assert alert.cleared_at is None


def test_an_alert_resolved_by_hand_is_not_raised_again_while_the_value_stays(
    session: Session, station: Station
) -> None:
    pm25_rule(session, station)
    store(session, station, [120])
    [alert] = alerts_of(session, station.pm25.id)
    alerts.resolve_alert(session, actor=station.editor, alert_id=alert.id, note="已知：施工扬尘")
    store(session, station, [125, 118], start=1)
    assert len(alerts_of(session, station.pm25.id)) == 1
    store(session, station, [160], start=3)  # worse than before: a new alert
    assert [a.level for a in alerts_of(session, station.pm25.id)] == [2, 3]


def test_staff_of_other_departments_cannot_handle_an_alert(
    session: Session, station: Station
) -> None:
    pm25_rule(session, station)
    store(session, station, [80])
    [alert] = alerts_of(session, station.pm25.id)
    other, _ = other_department(session, station)
    with pytest.raises(PermissionDenied):
        alerts.acknowledge_alert(session, actor=other, alert_id=alert.id)


def test_a_rate_rule_on_the_previous_observation(session: Session, station: Station) -> None:
    service.create_rule(
        session,
        actor=station.editor,
        data=RuleCreate(
            name="PM2.5 陡升",
            kind="rate",
            datastream_id=station.pm25.id,
            levels=[LevelIn(label="陡升", value=10)],
        ),
    )
    store(session, station, [20, 25])
    assert alerts_of(session, station.pm25.id) == []
    store(session, station, [60], start=2)  # +35 in a minute
    [alert] = alerts_of(session, station.pm25.id)
    assert (alert.kind, alert.raised_value) == ("rate", 35)
    store(session, station, [61], start=3)
    assert alert.state == "resolved"


def aqi_station(session: Session, station: Station, *, pack: str) -> Datastream:
    """A computed AQI stream (an index the environment pack derives) on a Thing of ``pack``."""
    thing = Thing(name="滨江站", department_id=station.department.id, is_open=True, pack=pack)
    thing.locations.extend(station.thing.locations)
    aqi = ObservedProperty(name="AQI", definition="https://yiwang.example/def/aqi")
    sensor = Sensor(name="AQI 计算", encoding_type="text/plain", sensor_metadata="")
    session.add_all([thing, aqi, sensor])
    session.flush()
    stream = Datastream(
        name="AQI",
        observation_type=parsing.MEASUREMENT,
        unit_of_measurement={"name": "AQI", "symbol": "", "definition": ""},
        thing_id=thing.id,
        sensor_id=sensor.id,
        observed_property_id=aqi.id,
        department_id=station.department.id,
        is_open=True,
    )
    session.add(stream)
    session.flush()
    return stream


def test_threshold_rules_on_a_computed_index_by_definition_and_pack(
    session: Session, station: Station
) -> None:
    air = aqi_station(session, station, pack="environment.air_station")
    elsewhere = aqi_station(session, station, pack="water.station")
    service.create_rule(
        session,
        actor=station.editor,
        data=RuleCreate(
            name="AQI 污染等级",
            property_definition="https://yiwang.example/def/aqi",
            scope_pack="environment.air_station",
            levels=[
                LevelIn(label="轻度污染", value=101),
                LevelIn(label="中度污染", value=151),
                LevelIn(label="重度污染", value=201),
            ],
        ),
    )
    store(session, station, [90, 160], stream=air)
    store(session, station, [90, 160], stream=elsewhere)
    [alert] = alerts_of(session, air.id)
    assert (alert.level, alert.label, alert.pack) == (2, "中度污染", "environment.air_station")
    assert alerts_of(session, elsewhere.id) == []


def test_a_rule_on_an_observed_property_limited_to_a_department(
    session: Session, station: Station
) -> None:
    other, other_stream = other_department(session, station)
    service.create_rule(
        session,
        actor=station.editor,
        data=RuleCreate(
            name="本局 PM2.5",
            observed_property_id=station.pm25.observed_property_id,
            scope_department_id=station.department.id,
            levels=PM25,
        ),
    )
    store(session, station, [80])
    observations.create_observations(
        session,
        actor=other,
        observations=[NewObservation(stream_id=other_stream.id, phenomenon_time=T0, result=80)],
    )
    assert len(alerts_of(session, station.pm25.id)) == 1
    assert alerts_of(session, other_stream.id) == []


def test_a_stale_sensor_is_detected_and_its_alert_ends_with_new_data(
    session: Session, station: Station
) -> None:
    service.create_rule(
        session,
        actor=station.editor,
        data=RuleCreate(
            name="断线",
            kind="stale",
            datastream_id=station.pm25.id,
            levels=[
                LevelIn(label="10 分钟无数据", value=10),
                LevelIn(label="1 小时无数据", value=60),
            ],
        ),
    )
    ids = store(session, station, [30])
    assert watch.check_stale(session, now=T0 + dt.timedelta(minutes=5)) == 0
    assert watch.check_stale(session, now=T0 + dt.timedelta(minutes=11)) == 1
    [alert] = alerts_of(session, station.pm25.id)
    assert (alert.kind, alert.level, alert.observation_id) == ("stale", 1, ids[0])
    assert alert.raised_value == 11
    assert watch.check_stale(session, now=T0 + dt.timedelta(minutes=30)) == 0
    assert watch.check_stale(session, now=T0 + dt.timedelta(minutes=70)) == 1
    assert alert.level == 2
    store(session, station, [31], start=71)
    assert alert.state == "resolved"
    assert [c.action for c in alerts.alert_history(session, alert_id=alert.id)] == [
        "raised",
        "escalated",
        "resolved",
    ]


def test_deleting_a_rule_resolves_its_alerts(session: Session, station: Station) -> None:
    rule_id = pm25_rule(session, station)
    store(session, station, [80])
    service.delete_rule(session, actor=station.editor, rule_id=rule_id)
    [alert] = alerts_of(session, station.pm25.id)
    assert (alert.state, alert.resolution, alert.rule_name) == (
        "resolved",
        "rule_deleted",
        "PM2.5 超标",
    )
    session.expire(alert)
    assert alert.rule_id is None


def test_a_rule_change_is_used_at_once(session: Session, station: Station) -> None:
    rule_id = pm25_rule(session, station)
    store(session, station, [60])
    service.update_rule(
        session,
        actor=station.editor,
        rule_id=rule_id,
        data=RuleUpdate(levels=[LevelIn(label="黄色", value=50)]),
    )
    session.commit()  # the cache drops the rules when the change commits
    store(session, station, [61], start=1)
    assert [a.level for a in alerts_of(session, station.pm25.id)] == [1]


@pytest.fixture
def statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def batch(station: Station, stream_ids: Sequence[int], size: int) -> list[StoredObservation]:
    return [
        StoredObservation(
            id=i + 1,
            stream_id=stream_ids[i % len(stream_ids)],
            phenomenon_time=T0 + dt.timedelta(seconds=i),
            result=50.0,
            result_number=50.0,
            thing_id=station.thing.id,
            department_id=station.department.id,
            is_open=True,
            observed_property_id=None,
        )
        for i in range(size)
    ]


def test_a_batch_no_rule_watches_costs_no_query(
    session: Session, station: Station, statements: list[str]
) -> None:
    pm25_rule(session, station)
    session.commit()  # rules are set in one transaction, observations arrive in others
    watch.evaluate(session, batch(station, [station.count.id], 10))  # loads the rules
    statements.clear()
    watch.evaluate(session, batch(station, list(range(10**6, 10**6 + 500)), 5000))
    assert statements == []


def test_a_watched_batch_loads_the_states_in_one_query(
    session: Session, station: Station, statements: list[str]
) -> None:
    pm25_rule(session, station)
    session.commit()
    watch.evaluate(session, batch(station, [station.count.id], 1))
    statements.clear()
    watch.evaluate(session, batch(station, [station.pm25.id], 5000))
    reads = [s for s in statements if "sensing_alert_rule_states" in s and "SELECT" in s]
    assert len(reads) == 1
    assert session.scalars(select(AlertRuleState)).all() == []  # still normal: nothing kept


def test_a_change_history_names_who_and_which_observation(
    session: Session, station: Station
) -> None:
    pm25_rule(session, station)
    ids = store(session, station, [80])
    [alert] = alerts_of(session, station.pm25.id)
    alerts.acknowledge_alert(session, actor=station.editor, alert_id=alert.id, note="到场")
    changes = session.scalars(
        select(AlertChange).where(AlertChange.alert_id == alert.id).order_by(AlertChange.id)
    ).all()
    assert [(c.actor_name, c.observation_id, c.note) for c in changes] == [
        ("system", ids[0], None),
        (station.editor.username, None, "到场"),
    ]
