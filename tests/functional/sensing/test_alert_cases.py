"""Alerts open cases, by events: a rule's action asks for a case when an alert reaches its
level, the cases engine opens it in the responsible department's queue, and each side learns
of the other (the case names the alert, the alert the case) without either engine importing
the other. One case per alert however often the request comes; the case hears when the alert
resolves; a department or item that cannot be found is reported, never lost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.factories.cases import make_task_item
from tests.factories.core import actor, make_department, make_user
from tests.factories.sensing import make_datastream, make_thing
from tests.support.databases import BoundDatabase
from yiwang.cases import queries as cases
from yiwang.cases import workflow
from yiwang.cases.models import Case, ServiceItem
from yiwang.core.audit import AuditEntry
from yiwang.core.errors import InvalidInput
from yiwang.core.events import OutboxEvent
from yiwang.core.identity import Department
from yiwang.core.jobs import Worker
from yiwang.core.policy import SYSTEM, Actor, Role
from yiwang.sensing import packs
from yiwang.sensing import service as observations
from yiwang.sensing.alerting import alerts
from yiwang.sensing.alerting import service as alerting
from yiwang.sensing.alerting.models import Alert, AlertChange, AlertRule
from yiwang.sensing.alerting.schemas import CaseAction, LevelIn, RuleCreate, RuleUpdate
from yiwang.sensing.models import Datastream, Thing
from yiwang.sensing.parsing import NewObservation

T0 = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)
LEVELS = [LevelIn(label="超警戒水位", value=7.0), LevelIn(label="超保证水位", value=8.5)]


@dataclass
class River:
    """A reach owned by a water bureau, whose river-chief office is another department; a task
    item of the bureau; a rule opening a patrol case above the guaranteed level."""

    bureau: Department
    office: Department
    editor: Actor
    office_staff: Actor
    thing: Thing
    stream: Datastream
    item: ServiceItem
    rule: AlertRule


def river(
    session: Session,
    *,
    office: str | None = "office",
    department: str = "properties.river_chief.office",
    item: str | None = None,
    check: bool = True,
) -> River:
    bureau = make_department(session, division_code="330800")
    office_department = make_department(session, division_code="330800")
    editor = actor(make_user(session, role=Role.EDITOR, department=bureau, password=None))
    office_staff = actor(
        make_user(session, role=Role.EDITOR, department=office_department, password=None)
    )
    properties = {"river": "衢江", "river_chief": {"name": "徐建军"}}
    if office is not None:
        properties["river_chief"]["office"] = (  # type: ignore[index]
            office_department.slug if office == "office" else office
        )
    thing = make_thing(
        session,
        department=bureau,
        name="衢江测试河段",
        coordinates=(118.86, 28.95),
        properties=properties,
    )
    thing.division_code = "330802"
    stream = make_datastream(
        session,
        thing,
        name="衢江测试河段 水位",
        observed_property="水位",
        unit={"name": "米", "symbol": "m"},
    )
    task_item = make_task_item(session, bureau)
    rule = alerting.create_rule(
        session,
        actor=editor,
        data=RuleCreate(
            name="河段水位预警",
            datastream_id=stream.id,
            levels=LEVELS,
            hysteresis=0.2,
            actions=[CaseAction(level=2, item=item or task_item.code, department=department)],
        ),
        check_actions=check,
    )
    session.commit()
    return River(bureau, office_department, editor, office_staff, thing, stream, task_item, rule)


def store(session: Session, reach: River, values: Sequence[float], *, start: int = 0) -> None:
    observations.create_observations(
        session,
        actor=reach.editor,
        observations=[
            NewObservation(
                stream_id=reach.stream.id,
                phenomenon_time=T0 + dt.timedelta(minutes=15 * (start + i)),
                result=value,
            )
            for i, value in enumerate(values)
        ],
    )
    session.commit()


def deliver(db: BoundDatabase) -> None:
    """Run the worker's event delivery until nothing is left (answers beget answers)."""
    worker = Worker(db)
    while worker.deliver_events():
        pass


def the_alert(session: Session, reach: River) -> Alert:
    session.expire_all()
    return session.scalars(select(Alert).where(Alert.rule_id == reach.rule.id)).one()


def cases_of(session: Session, alert: Alert) -> list[Case]:
    return list(session.scalars(select(Case).where(Case.source_ref == f"sensing.alert:{alert.id}")))


def history(session: Session, alert: Alert) -> list[AlertChange]:
    return list(
        session.scalars(
            select(AlertChange).where(AlertChange.alert_id == alert.id).order_by(AlertChange.id)
        )
    )


def test_reaching_the_level_opens_a_case_in_the_offices_queue_linked_both_ways(
    session: Session, db: BoundDatabase
) -> None:
    reach = river(session)
    store(session, reach, [6.0, 7.4])
    deliver(db)
    alert = the_alert(session, reach)
    assert alert.level == 1
    assert cases_of(session, alert) == []  # the warning level asks for no case
    store(session, reach, [8.9], start=2)
    deliver(db)
    alert = the_alert(session, reach)
    (case,) = cases_of(session, alert)
    # The office's queue holds it, as its staff see it.
    queue, total = cases.list_cases(
        session,
        actor=reach.office_staff,
        filters=cases.CaseFilters(department_id=reach.office.id, status="open"),
    )
    assert [c.number for c in queue] == [case.number]
    assert total == 1
    assert (case.kind, case.state, case.source) == ("task", "submitted", "sensing")
    assert case.item_id == reach.item.id
    assert case.division_code == "330802"
    assert (case.longitude, case.latitude) == (118.86, 28.95)
    assert "衢江测试河段" in (case.description or "")
    assert "测得 8.9 m，" in (case.description or "")  # a rule of its own: the value, its unit
    assert "超保证水位" in (case.description or "")
    # Linked both ways: the case names the alert, the alert the case, in its history too.
    assert alert.case_number == case.number
    assert alert.case_requested_at is not None
    opened = [c for c in history(session, alert) if c.action == "case_opened"]
    assert len(opened) == 1
    assert case.number in (opened[0].note or "")
    (submitted,) = [t for t in cases.transitions_of(session, case) if t.action == "submit"]
    assert (submitted.party, submitted.actor_name) == ("system", "sensing")
    assert submitted.reason is None  # the office was found: nothing to note
    audit = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "case.submit", AuditEntry.object_id == case.number
        )
    ).one()
    assert audit.details["source_ref"] == f"sensing.alert:{alert.id}"


def test_the_case_has_its_patrol_task_once_accepted(session: Session, db: BoundDatabase) -> None:
    reach = river(session)
    store(session, reach, [9.0])
    deliver(db)
    (case,) = cases_of(session, the_alert(session, reach))
    for action in ("accept", "start_review"):
        workflow.transition(session, actor=reach.office_staff, number=case.number, action=action)
    (task,) = cases.tasks_of(session, case)
    assert (task.step_name, task.department_id) == ("河道巡查", reach.office.id)


def test_a_second_crossing_and_a_repeated_delivery_make_no_second_case(
    session: Session, db: BoundDatabase
) -> None:
    reach = river(session)
    store(session, reach, [9.0])
    deliver(db)
    # Down to the warning level and back above the guaranteed one: the same alert.
    store(session, reach, [7.5, 9.2], start=1)
    deliver(db)
    # Every event delivered again, as after a worker that died before recording the delivery.
    session.execute(update(OutboxEvent).values(delivered_at=None))
    session.commit()
    deliver(db)
    alert = the_alert(session, reach)
    assert [a.action for a in history(session, alert)][:4] == [
        "raised",
        "case_opened",
        "deescalated",
        "escalated",
    ]
    assert len(cases_of(session, alert)) == 1
    assert (
        session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.name == "case.requested")
        )
        == 1
    )
    assert (
        session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.name == "case.opened")
        )
        == 1
    )
    assert [c.action for c in history(session, alert)].count("case_opened") == 1


def test_when_the_alert_resolves_the_case_records_it_and_stays_with_its_staff(
    session: Session, db: BoundDatabase
) -> None:
    reach = river(session)
    store(session, reach, [9.0])
    deliver(db)
    (case,) = cases_of(session, the_alert(session, reach))
    workflow.transition(session, actor=reach.office_staff, number=case.number, action="accept")
    session.commit()
    store(session, reach, [6.0], start=1)  # back to normal: the alert resolves itself
    deliver(db)
    deliver(db)  # a repeated pass writes nothing twice
    alert = the_alert(session, reach)
    assert alert.state == "resolved"
    session.expire_all()
    notes = [t for t in cases.transitions_of(session, case) if t.action == "note"]
    assert len(notes) == 1
    assert "自动解除" in (notes[0].reason or "")
    assert (notes[0].from_state, notes[0].to_state) == ("accepted", "accepted")
    refreshed = cases.find_case(session, number=case.number)
    assert refreshed is not None
    assert (refreshed.state, refreshed.is_open) == ("accepted", True)


def test_an_alert_resolved_by_hand_puts_the_note_on_the_case(
    session: Session, db: BoundDatabase
) -> None:
    reach = river(session)
    store(session, reach, [9.0])
    alert = the_alert(session, reach)
    alerts.resolve_alert(
        session, actor=reach.editor, alert_id=alert.id, note="水位计故障，已派人检修"
    )
    session.commit()
    deliver(db)
    (case,) = cases_of(session, alert)
    (note,) = [t for t in cases.transitions_of(session, case) if t.action == "note"]
    assert "水位计故障，已派人检修" in (note.reason or "")


def test_an_alert_that_never_reaches_the_level_asks_for_nothing(
    session: Session, db: BoundDatabase
) -> None:
    reach = river(session)
    store(session, reach, [7.5, 6.0])
    deliver(db)
    alert = the_alert(session, reach)
    assert alert.state == "resolved"
    assert alert.case_requested_at is None
    assert (
        session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.name.like("case.%"))
        )
        == 0
    )


@pytest.mark.parametrize(
    ("office", "expected_note"),
    [
        (None, "未填写属性 river_chief.office"),
        ("no-such-office", "“no-such-office”（properties.river_chief.office）不存在"),
    ],
)
def test_a_department_that_cannot_be_found_sends_the_case_to_the_owner_with_a_note(
    session: Session, db: BoundDatabase, office: str | None, expected_note: str
) -> None:
    reach = river(session, office=office)
    store(session, reach, [9.0])
    deliver(db)
    (case,) = cases_of(session, the_alert(session, reach))
    assert case.department_id == reach.bureau.id
    (submitted,) = [t for t in cases.transitions_of(session, case) if t.action == "submit"]
    assert expected_note in (submitted.reason or "")
    audit = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "case.submit", AuditEntry.object_id == case.number
        )
    ).one()
    assert expected_note in audit.details["note"]


def test_a_department_named_by_its_slug_or_the_owner(session: Session, db: BoundDatabase) -> None:
    named = river(session, department="owner")
    store(session, named, [9.0])
    deliver(db)
    (case,) = cases_of(session, the_alert(session, named))
    assert case.department_id == named.bureau.id
    by_slug = river(session)
    alerting.update_rule(
        session,
        actor=by_slug.editor,
        rule_id=by_slug.rule.id,
        data=RuleUpdate(
            actions=[
                CaseAction(level=1, item=by_slug.item.code, department=str(by_slug.office.slug))
            ]
        ),
    )
    session.commit()
    store(session, by_slug, [7.5])
    deliver(db)
    (case,) = cases_of(session, the_alert(session, by_slug))
    assert case.department_id == by_slug.office.id


def test_a_rule_naming_an_unknown_item_or_department_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput) as unknown_item:
        river(session, item="NO-SUCH-ITEM")
    assert unknown_item.value.code == "alerting.action_item"
    assert "NO-SUCH-ITEM" in unknown_item.value.message("zh")
    with pytest.raises(InvalidInput) as unknown_department:
        river(session, department="no-such-department")
    assert unknown_department.value.code == "alerting.action_department"
    reach = river(session)
    with pytest.raises(InvalidInput) as level:
        alerting.update_rule(
            session,
            actor=reach.editor,
            rule_id=reach.rule.id,
            data=RuleUpdate(actions=[CaseAction(level=3, item=reach.item.code)]),
        )
    assert level.value.code == "alerting.action_level"


def test_an_application_item_is_not_a_task_item(session: Session) -> None:
    reach = river(session)
    from tests.factories.cases import make_item  # noqa: PLC0415

    service_item = make_item(session, reach.bureau)
    with pytest.raises(InvalidInput) as refused:
        river(session, item=service_item.code)
    assert refused.value.code == "alerting.action_item"


def test_an_unknown_item_at_delivery_is_reported_on_the_alert_and_audited(
    session: Session, db: BoundDatabase
) -> None:
    # As a pack's rule may be: installed before its item was registered.
    reach = river(session, item="NO-SUCH-ITEM", check=False)
    store(session, reach, [9.0])
    deliver(db)
    alert = the_alert(session, reach)
    assert cases_of(session, alert) == []
    assert alert.case_number is None
    (failed,) = [c for c in history(session, alert) if c.action == "case_failed"]
    assert "NO-SUCH-ITEM" in (failed.note or "")
    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "case.request_failed")
    ).one()
    assert audit.object_id == f"sensing.alert:{alert.id}"


def test_the_alert_api_shows_the_case(session: Session, db: BoundDatabase, app_client) -> None:  # type: ignore[no-untyped-def]
    reach = river(session)
    store(session, reach, [9.0])
    deliver(db)
    alert = the_alert(session, reach)
    staff = make_user(session, role=Role.SYSADMIN, password=None)
    from tests.factories.core import make_token  # noqa: PLC0415

    token = make_token(session, staff)
    session.commit()
    shown = app_client.get(
        f"/api/v1/sensing/alerts/{alert.id}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert shown["case_number"] == alert.case_number
    assert shown["history"][-1]["action"] == "case_opened"
    rule = app_client.get(
        f"/api/v1/sensing/rules/{reach.rule.id}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert rule["actions"] == [
        {
            "type": "open_case",
            "level": 2,
            "item": reach.item.code,
            "department": "properties.river_chief.office",
        }
    ]
    number = alert.case_number
    case = app_client.get(
        f"/api/v1/cases/{number}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert case["source_ref"] == f"sensing.alert:{alert.id}"
    assert case["kind"] == "task"


# --- the packs -----------------------------------------------------------------------------------


@pytest.fixture
def departments(session: Session) -> dict[str, Department]:
    made = {
        slug: make_department(session, name_zh=f"测试{slug}", division_code=division, slug=slug)
        for slug, division in (
            ("zjenv", "330000"),
            ("zjtourism", "330000"),
            ("zjwater", "330000"),
            ("zjdata", "330000"),
            ("qzwater", "330800"),
        )
    }
    for code, slug in (
        ("330000-SL-101", "zjwater"),
        ("330000-STHJ-101", "zjenv"),
        ("330000-WHLY-101", "zjtourism"),
    ):
        make_task_item(session, made[slug], code=code)
    return made


def _feed(session: Session, pack: str, code: str, values: dict[str, float]) -> Alert:
    chosen = packs.get_pack(pack)
    packs.install_pack(session, actor=SYSTEM, name=pack)
    spec = next(t for t in chosen.demo_things if t.code == code)
    (thing,) = packs.install_things(session, actor=SYSTEM, pack=chosen, things=[spec])
    streams = packs.streams_of_things(session, [thing.id])[thing.id]
    observations.create_observations(
        session,
        actor=SYSTEM,
        observations=[
            NewObservation(stream_id=streams[key], phenomenon_time=T0, result=value)
            for key, value in values.items()
        ],
    )
    session.commit()
    return session.scalars(select(Alert).where(Alert.thing_id == thing.id)).one()


@pytest.mark.parametrize(
    ("pack", "thing", "values", "department", "item"),
    [
        # Quzhou's reach above its guaranteed level (64.0 m): its river-chief office.
        ("water", "RIV-330800-01", {"water_level": 64.6}, "qzwater", "330000-SL-101"),
        # Hangzhou's reach names no office: the provincial department owning it.
        ("water", "RIV-330100-01", {"water_level": 8.9}, "zjwater", "330000-SL-101"),
        # An outlet over its permit (COD 50 mg/L): an enforcement case.
        (
            "environment",
            "DO-330100-01",
            {"discharge_cod": 80.0, "discharge_nh3n": 1.0},
            "zjenv",
            "330000-STHJ-101",
        ),
        # West Lake past its capacity (120,000): a red warning, a tourism case.
        (
            "tourism",
            "SPOT-330100-01",
            {"entries_total": 130000, "exits_total": 0},
            "zjtourism",
            "330000-WHLY-101",
        ),
    ],
)
def test_the_packs_rules_open_their_cases(
    session: Session,
    db: BoundDatabase,
    departments: dict[str, Department],
    pack: str,
    thing: str,
    values: dict[str, float],
    department: str,
    item: str,
) -> None:
    alert = _feed(session, pack, thing, values)
    deliver(db)
    session.expire_all()
    (case,) = cases_of(session, alert)
    assert case.department_id == departments[department].id
    assert session.get(ServiceItem, case.item_id).code == item  # type: ignore[union-attr]
    assert session.get(Alert, alert.id).case_number == case.number  # type: ignore[union-attr]


def test_installing_a_pack_before_its_items_reports_the_file_and_key(session: Session) -> None:
    for slug in ("zjwater", "zjdata"):
        make_department(session, name_zh=f"测试{slug}", division_code="330000", slug=slug)
    report = packs.install_pack(session, actor=SYSTEM, name="water")
    (note,) = report.notes
    assert note.startswith("water/pack.toml, [[rules]] 河段水位预警, actions[0].item:")
    assert "330000-SL-101" in note
    rule = session.scalars(select(AlertRule).where(AlertRule.name == "河段水位预警")).one()
    assert rule.actions[0]["item"] == "330000-SL-101"  # installed: cases follow once it exists
    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "sensing.pack_install")
    ).one()
    assert audit.details["notes"] == [note]


def test_installing_the_packs_with_their_items_notes_nothing(
    session: Session, departments: dict[str, Department]
) -> None:
    for name in ("water", "environment", "tourism"):
        assert packs.install_pack(session, actor=SYSTEM, name=name).notes == []


def test_a_malformed_action_in_a_pack_names_the_file_and_key() -> None:
    text = packs.discover()["water"]
    assert text.rules[0].actions[0]["department"] == "properties.river_chief.office"
    source = """
[pack]
name = "t"
version = "1"
title = "t"
department = "zjwater"
[properties.level]
name = "水位"
definition = "urn:t:level"
[kinds.reach]
name = "河段"
streams = ["level"]
[[rules]]
name = "水位"
property = "level"
kind = "reach"
levels = [{ label = "高", value = 1 }]
actions = [{ type = "open_case", level = 2, item = "X" }]
"""
    with pytest.raises(packs.PackError) as bad:
        packs.parse_pack("t", source)
    assert str(bad.value).startswith("t/pack.toml, [[rules]] 水位, actions[0].level:")
    with pytest.raises(packs.PackError) as unknown_key:
        packs.parse_pack("t", source.replace("level = 2,", "level = 1, when = 3,"))
    assert "actions[0]" in str(unknown_key.value)
