"""Personal data a domain pack declares in its Things' properties (the water pack's river chiefs'
mobiles) is masked on every way out for whoever may not read it clear: SensorThings entities
however they are reached, ``$filter`` and ``$orderby``, the open dataset; the owning
department's staff read it clear, audited. A field the pack declares public by law, with its
basis, is shown clear."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.core import actor, make_department, make_token, make_user
from tests.support.mqtt import Broker, Subscriber, running_broker
from yiwang.app import create_app
from yiwang.catalog import datastore
from yiwang.catalog import service as catalog
from yiwang.catalog.datastore import Query
from yiwang.core.audit.models import AuditEntry
from yiwang.core.config import Settings
from yiwang.core.db import Database
from yiwang.core.policy import ANONYMOUS, SYSTEM, Role
from yiwang.sensing import opendata, packs
from yiwang.sensing.models import Thing
from yiwang.sensing.parsing import NewObservation
from yiwang.sensing.service import create_observations

STA = "/sta/v1.1"
# The first two demo river sections: their chiefs' names and mobiles.
CHIEFS = (("王建国", "13805710001", "138****0001"), ("陈海明", "13905740002", "139****0002"))


@dataclass
class River:
    things: list[Thing]
    level_stream: int
    tokens: dict[str, str]
    user_ids: dict[str, int]

    def auth(self, who: str, language: str = "en") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", "Accept-Language": language}


@pytest.fixture
def river(session: Session) -> River:
    """Two river sections of the water pack, owned by the provincial water department, and
    staff of that department and of another one."""
    water = make_department(session, name_zh="浙江省水利厅", division_code="330000", slug="zjwater")
    other = make_department(session, name_zh="浙江省交通运输厅", division_code="330000")
    users = {
        "water_member": make_user(session, role=Role.MEMBER, department=water, password=None),
        "water_editor": make_user(session, role=Role.EDITOR, department=water, password=None),
        "other_editor": make_user(session, role=Role.EDITOR, department=other, password=None),
        "root": make_user(session, role=Role.SYSADMIN, password=None),
    }
    pack = packs.get_pack("water")
    things = packs.install_things(session, actor=SYSTEM, pack=pack, things=pack.demo_things[:2])
    streams = packs.streams_of_things(session, [things[0].id])[things[0].id]
    tokens = {who: make_token(session, user) for who, user in users.items()}
    session.commit()
    user_ids = {who: user.id for who, user in users.items()}
    return River(things, streams["water_level"], tokens, user_ids)


def _chief(thing: dict[str, Any]) -> dict[str, Any]:
    chief: dict[str, Any] = thing["properties"]["river_chief"]
    return chief


# --- reading entities --------------------------------------------------------------------------


def test_anyone_reads_a_river_section_with_its_chiefs_mobile_masked_and_name_shown(
    app_client: TestClient, river: River
) -> None:
    thing = app_client.get(f"{STA}/Things({river.things[0].id})").json()
    assert _chief(thing) == {
        "name": "王建国",
        "title": "市级河长（副市长）",
        "phone": "138****0001",
    }
    assert thing["properties"]["code"] == "RIV-330100-01"  # the rest is untouched


@pytest.mark.parametrize(
    "path",
    [
        "Things",
        "Things?$select=properties",
        "Things({thing})?$select=name,properties",
        "Things({thing})/properties",
        "Things({thing})/properties/$value",
        "Datastreams({stream})?$expand=Thing",
        "Datastreams({stream})/Thing",
        "Things({thing})/Datastreams({stream})/Thing",
        "Locations?$expand=Things",
        "HistoricalLocations?$expand=Thing($select=properties)",
        "ObservedProperties?$expand=Datastreams($expand=Thing)",
        "Things?$expand=Datastreams($expand=Thing)",
    ],
)
def test_every_way_to_a_river_section_shows_the_mobile_masked(
    app_client: TestClient, river: River, path: str
) -> None:
    url = path.format(thing=river.things[0].id, stream=river.level_stream)
    for headers in ({}, river.auth("other_editor")):
        response = app_client.get(f"{STA}/{url}", headers=headers)
        assert response.status_code == 200, response.text
        assert "138****0001" in response.text
        assert "13805710001" not in response.text


def test_the_owning_departments_staff_read_the_mobile_clear_and_the_read_is_audited(
    app_client: TestClient, river: River, session: Session
) -> None:
    anonymous = app_client.get(f"{STA}/Things")
    assert anonymous.status_code == 200
    assert _audited_reads(session) == []  # masked reads of open data are not audited
    for who in ("water_member", "root"):
        things = app_client.get(f"{STA}/Things", headers=river.auth(who)).json()["value"]
        assert [_chief(t)["phone"] for t in things] == [phone for _, phone, _ in CHIEFS]
    reads = _audited_reads(session)
    assert len(reads) == 2  # one per request
    ids = sorted(f"Thing({t.id})" for t in river.things)
    assert [sorted((r.details or {})["personal"]) for r in reads] == [ids, ids]
    assert [r.actor_id for r in reads] == [river.user_ids["water_member"], river.user_ids["root"]]


def _audited_reads(session: Session) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "sensing.sta.read")
            .order_by(AuditEntry.seq)
        )
    )


def test_the_owner_writes_the_mobile_clear_and_the_public_reads_it_masked(
    app_client: TestClient, river: River, session: Session
) -> None:
    thing = river.things[0]
    chief = {"name": "王建国", "phone": "13600001111"}
    properties = {**(thing.properties or {}), "river_chief": chief}
    changed = app_client.patch(
        f"{STA}/Things({thing.id})",
        json={"properties": properties},
        headers=river.auth("water_editor"),
    )
    assert changed.status_code == 200, changed.text
    assert _chief(changed.json())["phone"] == "13600001111"
    session.expire_all()
    stored = session.get(Thing, thing.id)
    assert stored is not None
    assert stored.properties is not None
    assert stored.properties["river_chief"]["phone"] == "13600001111"
    assert _chief(app_client.get(f"{STA}/Things({thing.id})").json())["phone"] == "136****1111"


# --- $filter and $orderby ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "Things?$filter=properties/river_chief/phone eq '13805710001'",
        "Things?$filter=startswith(properties/river_chief/phone, '1380')",
        "Things?$filter=substringof('0001', properties/river_chief)",
        "Things?$filter=contains(properties, '13805710001')",
        "Things?$filter=length(properties/river_chief/phone) eq 11",
        "Things?$orderby=properties/river_chief/phone",
        "Datastreams?$filter=Thing/properties/river_chief/phone eq '13805710001'",
        "Locations?$expand=Things($filter=properties/river_chief/phone eq '13805710001')",
        "Locations?$expand=Things($orderby=properties/river_chief/phone desc)",
    ],
)
def test_the_public_cannot_filter_or_sort_by_the_masked_mobile(
    app_client: TestClient, river: River, query: str
) -> None:
    refused = app_client.get(f"{STA}/{query}", headers={"Accept-Language": "en"})
    assert refused.status_code == 400, refused.text
    assert refused.json()["errorCode"] == "sta.personal_property"
    assert "personal data" in refused.json()["message"]
    chinese = app_client.get(f"{STA}/{query}", headers={"Accept-Language": "zh-CN"})
    assert "个人信息" in chinese.json()["message"]


def test_what_is_not_personal_or_is_public_by_law_filters_as_before(
    app_client: TestClient, river: River
) -> None:
    by_name = app_client.get(f"{STA}/Things?$filter=properties/river_chief/name eq '王建国'")
    assert [t["@iot.id"] for t in by_name.json()["value"]] == [river.things[0].id]
    by_code = app_client.get(f"{STA}/Things?$filter=properties/code eq 'RIV-330200-01'")
    assert [t["@iot.id"] for t in by_code.json()["value"]] == [river.things[1].id]


def test_staff_compare_and_sort_by_clear_mobiles_only_of_their_own_department(
    app_client: TestClient, river: River
) -> None:
    first, second = (t.id for t in river.things)
    probe = "Things?$filter=properties/river_chief/phone eq '13805710001'"
    ordered = "Things?$orderby=properties/river_chief/phone desc"
    # 139… sorts before 138… by the clear values; another department sees no values to sort.
    other = river.auth("other_editor")
    assert app_client.get(f"{STA}/{probe}", headers=other).json()["value"] == []
    assert _ids(app_client.get(f"{STA}/{ordered}", headers=other)) == [first, second]
    own = river.auth("water_member")
    assert _ids(app_client.get(f"{STA}/{probe}", headers=own)) == [first]
    assert _ids(app_client.get(f"{STA}/{ordered}", headers=own)) == [second, first]


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [t["@iot.id"] for t in response.json()["value"]]


# --- what the pack declares ---------------------------------------------------------------------


def _water_pack(change: tuple[str, str]) -> packs.Pack:
    source = files("yiwang.packs.water")
    text = (source / "pack.toml").read_text(encoding="utf-8")
    assert change[0] in text
    return packs.parse_pack(
        "water",
        text.replace(*change),
        (source / "things.toml").read_text(encoding="utf-8"),
    )


PHONE = '{ name = "河长电话", property = "river_chief.phone", personal = "mobile" }'


def test_a_mobile_the_pack_declares_public_by_law_is_shown_clear(
    app_client: TestClient, river: River, monkeypatch: pytest.MonkeyPatch
) -> None:
    public = PHONE.replace(
        " }", ', public_by_law = true, legal_basis = "河长公示牌所列监督电话（测试）" }'
    )
    url = f"{STA}/Things({river.things[0].id})"
    assert _chief(app_client.get(url).json())["phone"] == "138****0001"
    found = {**packs.discover(), "water": _water_pack((PHONE, public))}
    monkeypatch.setattr(packs, "discover", lambda: found)
    assert _chief(app_client.get(url).json())["phone"] == "13805710001"
    allowed = app_client.get(f"{STA}/Things?$filter=properties/river_chief/phone eq '13805710001'")
    assert _ids(allowed) == [river.things[0].id]


def test_a_pack_declaring_personal_data_public_without_its_basis_is_refused() -> None:
    public = PHONE.replace(" }", ", public_by_law = true }")
    with pytest.raises(packs.PackError) as refused:
        _water_pack((PHONE, public))
    assert refused.value.code == "sensing.pack_public_without_basis"
    assert "河长电话" in str(refused.value)
    assert "legal basis" in str(refused.value)
    assert "法律依据" in refused.value.message("zh-CN")


# --- the open dataset --------------------------------------------------------------------------


def test_the_open_dataset_masks_the_mobile_and_gives_the_basis_of_the_public_name(
    session: Session, river: River
) -> None:
    make_department(session, name_zh="测试数据局", division_code="330000", slug="zjdata")
    packs.install_pack(session, actor=SYSTEM, name="water")
    session.expire_all()
    hour = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)
    create_observations(
        session,
        actor=SYSTEM,
        observations=[
            NewObservation(stream_id=river.level_stream, phenomenon_time=hour, result=5.5)
        ],
    )
    opendata.publish(session, actor=SYSTEM, full=True)
    resource = catalog.get_resource(
        session, actor=ANONYMOUS, ref="sensing-water-river-level-hourly"
    )
    described = {f["name"]: f for f in resource.fields}
    assert described["河长电话"]["personal"] == "mobile"
    assert described["河长"]["personal"] is None
    assert "关于全面推行河长制的意见" in described["河长"]["description"]
    result, _ = datastore.read(
        session,
        actor=ANONYMOUS,
        distribution_id=resource.distributions[0].id,
        query=Query(filters={"数据流编号": river.level_stream}),
    )
    names = ["_id"] * result.include_id + [c.name for c in result.columns]
    row = dict(zip(names, result.records[0], strict=True))
    assert (row["河长"], row["河长电话"]) == ("王建国", "138****0001")


# --- MQTT --------------------------------------------------------------------------------------


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    with running_broker(tmp_path) as running:
        yield running


@pytest.mark.slow
def test_no_mqtt_message_carries_a_clear_mobile(
    tmp_path: Path, broker: Broker, committed_database: Database
) -> None:
    """Subscribers are anonymous: whatever the server publishes about a river section while
    its owner changes it and reports a level carries its chief's mobile masked, if at all."""
    with committed_database.session() as session:
        water = make_department(session, name_zh="浙江省水利厅", slug="zjwater")
        editor = make_user(session, role=Role.EDITOR, department=water, password=None)
        pack = packs.get_pack("water")
        (thing,) = packs.install_things(
            session, actor=actor(editor), pack=pack, things=pack.demo_things[:1]
        )
        stream = packs.streams_of_things(session, [thing.id])[thing.id]["water_level"]
        thing_id, properties = thing.id, dict(thing.properties or {})
        token = make_token(session, editor)
    settings = Settings(
        database_url=committed_database.engine.url.render_as_string(hide_password=False),
        var_dir=tmp_path / "var",
        secret_key="test-secret-key-not-for-production",
        log_format="text",
        mqtt_url=broker.url,
        mqtt_notify=True,
        public_url="https://data.example.gov.cn",
    )
    subscriber = Subscriber(broker, "v1.1/#")
    headers = {"Authorization": f"Bearer {token}"}
    level_topic = f"v1.1/Datastreams({stream})/Observations"
    try:
        with TestClient(create_app(settings, committed_database)) as client:
            chief = {**properties["river_chief"], "phone": "13600001111"}
            changed = client.patch(
                f"{STA}/Things({thing_id})",
                json={"properties": {**properties, "river_chief": chief}},
                headers=headers,
            )
            assert changed.status_code == 200, changed.text
            level = client.post(
                f"{STA}/Datastreams({stream})/Observations",
                json={"phenomenonTime": "2026-11-29T08:00:00+08:00", "result": 5.5},
                headers=headers,
            )
            assert level.status_code == 201, level.text
            deadline = time.monotonic() + 15  # the level comes last: what came before is in
            while time.monotonic() < deadline:
                if level_topic in {topic for topic, _ in subscriber.notifications()}:
                    break
                time.sleep(0.02)
    finally:
        subscriber.close()
    assert level_topic in {topic for topic, _ in subscriber.notifications()}
    published = json.dumps(subscriber.messages, ensure_ascii=False)
    assert "13805710001" not in published
    assert "13600001111" not in published
    for topic, message in subscriber.messages:
        if topic.startswith(f"v1.1/Things({thing_id})") and "properties" in message:
            assert message["properties"]["river_chief"]["phone"] == "136****1111", topic
