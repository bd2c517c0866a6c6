"""The monitoring page's alerts as the public reads them: what the value means, in the words
of the pack that declares the rule, or the value with its unit for a rule of the staff's own,
and when it was measured in Zhejiang's time, to the minute."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.core import make_department
from yiwang.core import packs as registry
from yiwang.core.policy import SYSTEM
from yiwang.demo import DEPARTMENTS
from yiwang.sensing import packs
from yiwang.sensing import public as sensing
from yiwang.sensing.alerting import schemas as rule_schemas
from yiwang.sensing.alerting import service as rules_service
from yiwang.sensing.parsing import NewObservation
from yiwang.sensing.service import create_observations

HTML = {"Accept": "text/html"}


def _alert_items(page: str) -> list[str]:
    """The text of each alert in the list."""
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()
        for body in re.findall(r'<li data-alert-id="\d+"[^>]*>(.*?)</li>', page, re.DOTALL)
    ]


def _one(items: list[str], *words: str) -> str:
    (found,) = [text for text in items if all(word in text for word in words)]
    return found


def test_alerts_say_what_their_values_mean_and_when_in_local_time(
    app_client: TestClient, session: Session
) -> None:
    for slug, name, _en, _short, division, _office in DEPARTMENTS:
        make_department(session, name_zh=name, division_code=division, slug=slug)
    for name in ("water", "environment"):
        registry.install(session, actor=SYSTEM, manifest=registry.find(name))
    water = packs.get_pack("water")
    river = next(t for t in water.demo_things if t.name == "钱塘江闸口段")  # guarantee 8.5 m
    environment = packs.get_pack("environment")
    outlet = next(t for t in environment.demo_things if t.kind == "discharge_outlet")
    (river_thing,) = packs.install_things(session, actor=SYSTEM, pack=water, things=[river])
    (outlet_thing,) = packs.install_things(session, actor=SYSTEM, pack=environment, things=[outlet])
    streams = packs.streams_of_things(session, [river_thing.id, outlet_thing.id])
    level_stream = streams[river_thing.id]["water_level"]
    # A rule of the staff's own on the level itself: no pack says what its values mean.
    rules_service.create_rule(
        session,
        actor=SYSTEM,
        data=rule_schemas.RuleCreate(
            name="闸口水位自定预警",
            kind="threshold",
            direction="above",
            levels=[rule_schemas.LevelIn(label="高水位", value=9.0)],
            department_id=river_thing.department_id,
            datastream_id=level_stream,
        ),
    )
    session.commit()  # the rules are read from a cache that sees them once committed
    when = dt.datetime(2025, 11, 17, 0, 0, tzinfo=dt.UTC)  # 08:00 in Zhejiang
    outlet_streams = streams[outlet_thing.id]
    create_observations(
        session,
        actor=SYSTEM,
        observations=[
            NewObservation(stream_id=level_stream, phenomenon_time=when, result=9.1),
            NewObservation(
                stream_id=outlet_streams["discharge_cod"], phenomenon_time=when, result=60.0
            ),
            NewObservation(
                stream_id=outlet_streams["discharge_nh3n"], phenomenon_time=when, result=1.0
            ),
        ],
    )
    session.commit()
    (ratio,) = sensing.latest(
        session, actor=SYSTEM, datastream_ids=[outlet_streams["discharge_max_ratio"]]
    )
    assert ratio.result > 1

    page = app_client.get("/monitor", headers=HTML).text
    alerts = _alert_items(page)
    assert len(alerts) == 3
    assert _one(alerts, "河段水位预警") == (
        "超保证水位 钱塘江闸口段 河段水位预警 水位超过保证水位 2025-11-17 08:00"
    )
    assert _one(alerts, "闸口水位自定预警") == (
        "高水位 钱塘江闸口段 闸口水位自定预警 9.1 m 2025-11-17 08:00"
    )
    assert _one(alerts, "排放口超标排放预警") == (
        f"超标排放 {outlet.name} 排放口超标排放预警 "
        f"排放浓度为许可限值的 {ratio.result:.2f} 倍 2025-11-17 08:00"
    )
    assert f'datetime="{when.isoformat()}"' in page  # machine-readable too

    english = _alert_items(app_client.get("/monitor", params={"lang": "en"}, headers=HTML).text)
    assert "above the guaranteed level 2025-11-17 08:00" in _one(english, "河段水位预警")
    assert f"discharge at {ratio.result:.2f} times the permit limit" in _one(
        english, "排放口超标排放预警"
    )
