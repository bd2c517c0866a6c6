"""An alert's value says what it means wherever it shows: in the words of the pack that declares
the rule (``排放浓度为许可限值的 1.11 倍``), else the value with its stream's unit (``9.1 m``),
in the events of the live stream and the platform bus, the console's alert list and the
description of the case the alert opens."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.core import make_department, make_user
from tests.functional.core.test_pages import sign_in
from tests.support.databases import BoundDatabase
from yiwang.cases.models import Case
from yiwang.core import packs as registry
from yiwang.core.events import OutboxEvent
from yiwang.core.jobs import Worker
from yiwang.core.policy import SYSTEM, Role
from yiwang.demo import DEPARTMENTS
from yiwang.sensing import packs
from yiwang.sensing import public as sensing
from yiwang.sensing.alerting import alerts
from yiwang.sensing.alerting import schemas as rule_schemas
from yiwang.sensing.alerting import service as rules_service
from yiwang.sensing.models import Thing
from yiwang.sensing.parsing import NewObservation
from yiwang.sensing.service import create_observations

HTML = {"Accept": "text/html"}
WHEN = dt.datetime(2025, 11, 17, 0, 0, tzinfo=dt.UTC)
OWN_RULE = "闸口水位自定预警"
DISCHARGE_RULE = "排放口超标排放预警"


@dataclass
class Alerts:
    """A discharge over its permit (a rule of the environment pack) and a reach above a level
    the staff set themselves (a rule of their own), each with its raised alert."""

    outlet: Thing
    ratio: float  # the discharge's highest ratio to its permit limit
    discharge_alert: int
    level_alert: int


def _raise_alerts(session: Session) -> Alerts:
    for slug, name, _en, _short, division, _office in DEPARTMENTS:
        make_department(session, name_zh=name, division_code=division, slug=slug)
    for name in ("water", "environment"):
        registry.install(session, actor=SYSTEM, manifest=registry.find(name))
    water = packs.get_pack("water")
    river = next(t for t in water.demo_things if t.name == "钱塘江闸口段")
    environment = packs.get_pack("environment")
    outlet = next(t for t in environment.demo_things if t.kind == "discharge_outlet")
    (river_thing,) = packs.install_things(session, actor=SYSTEM, pack=water, things=[river])
    (outlet_thing,) = packs.install_things(session, actor=SYSTEM, pack=environment, things=[outlet])
    streams = packs.streams_of_things(session, [river_thing.id, outlet_thing.id])
    level_stream = streams[river_thing.id]["water_level"]
    rules_service.create_rule(
        session,
        actor=SYSTEM,
        data=rule_schemas.RuleCreate(
            name=OWN_RULE,
            kind="threshold",
            direction="above",
            levels=[rule_schemas.LevelIn(label="高水位", value=9.0)],
            department_id=river_thing.department_id,
            datastream_id=level_stream,
        ),
    )
    session.commit()  # the rules are read from a cache that sees them once committed
    outlet_streams = streams[outlet_thing.id]
    create_observations(
        session,
        actor=SYSTEM,
        observations=[
            NewObservation(stream_id=level_stream, phenomenon_time=WHEN, result=9.1),
            NewObservation(
                stream_id=outlet_streams["discharge_cod"], phenomenon_time=WHEN, result=60.0
            ),
            NewObservation(
                stream_id=outlet_streams["discharge_nh3n"], phenomenon_time=WHEN, result=1.0
            ),
        ],
    )
    session.commit()
    (ratio,) = sensing.latest(
        session, actor=SYSTEM, datastream_ids=[outlet_streams["discharge_max_ratio"]]
    )
    assert ratio.result > 1
    raised, _ = sensing.list_alerts(
        session, actor=SYSTEM, filters=sensing.AlertFilters(state="open")
    )
    by_rule = {a.rule_name: a.id for a in raised}
    return Alerts(outlet_thing, float(ratio.result), by_rule[DISCHARGE_RULE], by_rule[OWN_RULE])


@pytest.fixture
def raised(session: Session) -> Alerts:
    return _raise_alerts(session)


def test_the_alert_events_carry_what_the_value_means(session: Session, raised: Alerts) -> None:
    # The live stream's events.
    events = {p["alert_id"]: p for _, p in alerts.changes_after(session, after_id=0)}
    discharge, level = events[raised.discharge_alert], events[raised.level_alert]
    assert discharge["value_text"] == f"排放浓度为许可限值的 {raised.ratio:.2f} 倍"
    assert discharge["value_text_en"] == f"discharge at {raised.ratio:.2f} times the permit limit"
    assert (level["value_text"], level["value_text_en"]) == ("9.1 m", "9.1 m")
    # The same on the platform bus, for whoever reacts to them.
    published = session.scalars(
        select(OutboxEvent).where(OutboxEvent.name == "sensing.alert.raised")
    ).all()
    on_bus = {e.payload["alert_id"]: e.payload for e in published}
    assert on_bus[raised.discharge_alert]["value_text"] == discharge["value_text"]
    assert on_bus[raised.level_alert]["value_text_en"] == "9.1 m"


def _value_cell(page: str, alert_id: int) -> str:
    row = re.search(rf'<tr id="alert-{alert_id}".*?</tr>', page, re.DOTALL)
    assert row, alert_id
    cell = re.search(r'<td class="alert-value">(.*?)</td>', row.group(0), re.DOTALL)
    assert cell
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell.group(1))).strip()


def test_the_console_alert_list_says_what_the_values_mean(
    app_client: TestClient, session: Session, raised: Alerts
) -> None:
    make_user(session, role=Role.SYSADMIN, username="duty_admin")
    session.commit()
    sign_in(app_client, "duty_admin")
    page = app_client.get("/console/sensing", headers=HTML).text
    assert _value_cell(page, raised.discharge_alert) == (
        f"排放浓度为许可限值的 {raised.ratio:.2f} 倍"
    )
    assert _value_cell(page, raised.level_alert) == "9.1 m"

    english = app_client.get("/console/sensing", params={"lang": "en"}, headers=HTML).text
    assert _value_cell(english, raised.discharge_alert) == (
        f"discharge at {raised.ratio:.2f} times the permit limit"
    )


def test_the_case_an_alert_opens_says_what_was_measured(
    session: Session, db: BoundDatabase, raised: Alerts
) -> None:
    worker = Worker(db)
    while worker.deliver_events():
        pass
    session.expire_all()
    case = session.scalars(
        select(Case).where(Case.source_ref == f"sensing.alert:{raised.discharge_alert}")
    ).one()
    description = case.description or ""
    assert raised.outlet.name in description
    assert f"测得排放浓度为许可限值的 {raised.ratio:.2f} 倍，达到“超标排放”" in description
