"""Open311 GeoReport v2 over the real cases engine (in process): complaint categories as
services, a POSTed request becoming a complaint routed by city, and its public view as the
department handles it. The same suite drives a live server in test_open311_live.py."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.cases import apply, make_category, make_item
from tests.factories.core import actor, make_department, make_token, make_user
from tests.support.databases import BoundDatabase
from yiwang.app import create_app
from yiwang.cases import items, workflow
from yiwang.cases.models import Case, ServiceItem
from yiwang.cases.open311 import PATH_PREFIX, install
from yiwang.cases.schemas import ItemVersionSpec, TransitionIn
from yiwang.core.config import Settings
from yiwang.core.policy import SYSTEM, Actor, Role

pytestmark = pytest.mark.dates


FORM_FIELDS = [
    {
        "key": "damage",
        "label": "破损类型",
        "type": "select",
        "required": True,
        "options": ["坑洞", "井盖缺失"],
    },
    {"key": "width", "label": "宽度（米）", "type": "number"},
    {"key": "seen_on", "label": "发现日期", "type": "date"},
    {"key": "blocking", "label": "是否阻断交通", "type": "boolean"},
    {"key": "detail", "label": "补充说明", "type": "textarea"},
]


def served_app(settings: Settings, db: BoundDatabase) -> FastAPI:
    app = create_app(settings, db)
    # Until the cases engine's register() installs the layer itself.
    if not any(getattr(r, "path", "").startswith(PATH_PREFIX) for r in app.routes):
        install(app)
    return app


@pytest.fixture
def client(db: BoundDatabase, settings: Settings) -> Iterator[TestClient]:
    with TestClient(served_app(settings, db), base_url="http://testserver") as test_client:
        yield test_client


class City:
    """A province's transport department owning the road category, with Hangzhou's and
    Ningbo's city administration bureaus taking their cities' complaints."""

    def __init__(self, session: Session) -> None:
        self.province = make_department(
            session, name_zh="浙江省交通运输厅", division_code="330000", slug="zj-jt"
        )
        self.hangzhou = make_department(
            session, name_zh="杭州市城市管理局", division_code="330100", slug="hz-cg"
        )
        self.ningbo = make_department(
            session, name_zh="宁波市综合行政执法局", division_code="330200", slug="nb-zf"
        )
        self.road: ServiceItem = make_category(
            session,
            self.province,
            name="道路破损",
            description="路面坑洞、井盖缺失等道路设施损坏",
            form_fields=FORM_FIELDS,
            routing={"330100": "hz-cg", "330200": "nb-zf"},
        )
        self.hz_staff: Actor = actor(make_user(session, role=Role.EDITOR, department=self.hangzhou))
        self.app_key = make_token(session, make_user(session, username="zlb_app"))
        session.commit()


@pytest.fixture
def city(session: Session) -> City:
    return City(session)


def tree(body: bytes) -> ET.Element:
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(body)  # noqa: S314  (our own server's answer)


def spec_post(city: City, **changes: str) -> dict[str, str]:
    """The spec's example POST, with a place in Hangzhou and our category."""
    form = {
        "api_key": city.app_key,
        "jurisdiction_id": "zj.gov.cn",
        "service_code": city.road.code,
        "lat": "30.25",
        "long": "120.14",
        "address_string": "杭州市西湖区北山街",
        "email": "smit333@example.cn",
        "device_id": "tt222111",
        "account_id": "123456",
        "first_name": "john",
        "last_name": "smith",
        "phone": "111111111",
        "description": "A large sinkhole is destroying the street",
        "media_url": "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg",
        "attribute[damage]": "坑洞",
        "attribute[width]": "1.5",
        "attribute[seen_on]": "2025-09-30T08:00:00+08:00",
    }
    form.update(changes)
    return form


def test_complaint_categories_are_the_services(client: TestClient, city: City) -> None:
    root = tree(client.get("/open311/v2/services.xml").content)
    (service_element,) = [
        s for s in root.findall("service") if s.findtext("service_code") == city.road.code
    ]
    assert service_element.findtext("service_name") == "道路破损"
    assert service_element.findtext("metadata") == "true"
    assert service_element.findtext("group") == "浙江省交通运输厅"
    definition = client.get(f"/open311/v2/services/{city.road.code}.json").json()
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert [a["code"] for a in definition["attributes"]] == [f["key"] for f in FORM_FIELDS]
    assert attributes["damage"]["datatype"] == "singlevaluelist"
    assert attributes["damage"]["required"] is True
    assert [v["key"] for v in attributes["damage"]["values"]] == ["坑洞", "井盖缺失"]
    assert attributes["width"]["datatype"] == "number"
    assert attributes["seen_on"]["datatype"] == "datetime"
    assert [v["key"] for v in attributes["blocking"]["values"]] == ["true", "false"]
    assert attributes["detail"]["datatype"] == "text"


def test_service_items_are_not_services(client: TestClient, city: City, session: Session) -> None:
    item = make_item(session, city.province)
    session.commit()
    codes = [s["service_code"] for s in client.get("/open311/v2/services.json").json()]
    assert city.road.code in codes
    assert item.code not in codes
    assert client.get(f"/open311/v2/services/{item.code}.json").status_code == 404


def test_a_posted_request_is_a_complaint_routed_to_its_city(
    client: TestClient, city: City, session: Session
) -> None:
    response = client.post("/open311/v2/requests.xml", data=spec_post(city))
    assert response.status_code == 200, response.text
    request = tree(response.content).find("request")
    assert request is not None
    number = request.findtext("service_request_id") or ""
    assert number.startswith("330100-")
    notice = request.findtext("service_notice") or ""
    assert notice.startswith("已交杭州市城市管理局办理")
    assert request.findtext("account_id") == "123456"
    case = session.query(Case).filter_by(number=number).one()
    assert case.kind == "complaint"
    assert case.department_id == city.hangzhou.id
    assert case.source == "open311"
    assert case.form_data == {"damage": "坑洞", "width": 1.5, "seen_on": "2025-09-30"}
    assert case.applicant_name == "john smith"
    assert case.extra == {"device_id": "tt222111", "account_id": "123456"}

    (public,) = client.get(f"/open311/v2/requests/{number}.json").json()
    assert public["status"] == "open"
    assert public["service_code"] == city.road.code
    assert public["service_name"] == "道路破损"
    assert public["agency_responsible"] == "杭州市城市管理局"
    assert public["address"] == "杭州市西湖区北山街"
    assert (public["lat"], public["long"]) == (30.25, 120.14)
    assert public["expected_datetime"].endswith("T23:59:59+08:00")
    assert public["requested_datetime"].endswith("+08:00")
    text = json.dumps(public, ensure_ascii=False)
    assert "111111111" not in text  # the complainant's contact stays private
    assert "smit333" not in text


def test_the_department_reply_closes_the_request(
    client: TestClient, city: City, session: Session
) -> None:
    number = client.post("/open311/v2/requests.json", data=spec_post(city)).json()[0][
        "service_request_id"
    ]
    workflow.transition(
        session,
        actor=city.hz_staff,
        number=number,
        action="reject",
        data=TransitionIn(reason="该路段属宁波市管辖，请向宁波市反映"),
    )
    session.commit()
    (public,) = client.get(f"/open311/v2/requests/{number}.json").json()
    assert public["status"] == "closed"
    assert public["status_notes"] == "该路段属宁波市管辖，请向宁波市反映"
    listed = client.get("/open311/v2/requests.json?status=closed").json()
    assert [r["service_request_id"] for r in listed] == [number]
    assert client.get("/open311/v2/requests.json?status=open").json() == []


def test_requests_by_jurisdiction_and_by_id(client: TestClient, city: City) -> None:
    hz = client.post("/open311/v2/requests.json", data=spec_post(city)).json()[0]
    nb = client.post(
        "/open311/v2/requests.json",
        data=spec_post(city, lat="29.87", long="121.55", address_string="宁波市海曙区"),
    ).json()[0]
    assert nb["service_request_id"].startswith("330200-")
    assert nb["service_notice"].startswith("已交宁波市综合行政执法局办理")

    def listed(query: str) -> list[str]:
        body = client.get(f"/open311/v2/requests.json?{query}").json()
        return [r["service_request_id"] for r in body]

    both = [nb["service_request_id"], hz["service_request_id"]]
    assert listed("") == both
    assert listed("jurisdiction_id=ningbo.gov.cn") == both[:1]
    assert listed(f"service_code={city.road.code}&jurisdiction_id=hangzhou.gov.cn") == both[1:]
    assert listed(f"service_request_id={both[1]},{both[0]}") == [both[1], both[0]]
    assert listed("service_code=NONE") == []
    root = tree(client.get("/open311/v2/requests.xml?jurisdiction_id=hangzhou.gov.cn").content)
    assert [r.findtext("service_request_id") for r in root] == both[1:]


def test_open_and_closed_requests_list_together_newest_first(
    client: TestClient, city: City, session: Session
) -> None:
    numbers = [
        client.post("/open311/v2/requests.json", data=spec_post(city)).json()[0][
            "service_request_id"
        ]
        for _ in range(3)
    ]
    workflow.transition(
        session,
        actor=city.hz_staff,
        number=numbers[1],
        action="reject",
        data=TransitionIn(reason="重复投诉"),
    )
    session.commit()

    def listed(query: str) -> list[tuple[str, str]]:
        body = client.get(f"/open311/v2/requests.json?{query}").json()
        return [(r["service_request_id"], r["status"]) for r in body]

    newest_first = [(numbers[2], "open"), (numbers[1], "closed"), (numbers[0], "open")]
    assert listed("") == newest_first
    assert listed("page_size=1&page=2") == newest_first[1:2]
    assert listed("page_size=2&page=2") == newest_first[2:]
    assert listed("status=open") == [newest_first[0], newest_first[2]]


def test_applications_are_never_shown(
    client: TestClient, city: City, session: Session, tmp_path: Path
) -> None:
    filed = apply(session, make_item(session, city.province), tmp_path)
    session.commit()
    number = filed.case.number
    response = client.get(f"/open311/v2/requests/{number}.xml")
    assert response.status_code == 404
    assert client.get(f"/open311/v2/requests.json?service_request_id={number}").json() == []


def test_a_repeated_post_with_an_idempotency_key_files_once(
    client: TestClient, city: City, session: Session
) -> None:
    headers = {"Idempotency-Key": "app-42"}
    first = client.post("/open311/v2/requests.json", data=spec_post(city), headers=headers)
    again = client.post("/open311/v2/requests.json", data=spec_post(city), headers=headers)
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert session.query(Case).filter_by(source="open311").count() == 1


def test_refusals_by_the_cases_engine_come_in_the_spec_form(client: TestClient, city: City) -> None:
    response = client.post(
        "/open311/v2/requests.xml",
        data=spec_post(city, description=""),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    root = tree(response.content)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "400"
    assert root.findtext("error/description") == "description was not provided"


def test_discovery_changeset_moves_when_a_category_changes(
    client: TestClient, city: City, session: Session
) -> None:
    before = client.get("/open311/discovery.json").json()
    (endpoint,) = before["endpoints"]
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["changeset"] == before["changeset"]
    items.revise_item(
        session,
        actor=SYSTEM,
        code=city.road.code,
        data=ItemVersionSpec.model_validate(
            {
                "name": "道路破损",
                "legal_limit_days": 15,
                "promised_limit_days": 3,
                "form_fields": FORM_FIELDS,
                "routing": {"330100": "hz-cg", "330200": "nb-zf"},
            }
        ),
    )
    session.commit()
    after = tree(client.get("/open311/discovery.xml").content)
    # Sortable: clients compare it with the one they cached to know they must refresh.
    assert (after.findtext("changeset") or "") > before["changeset"]
    assert after.findtext("endpoints/endpoint/changeset") == after.findtext("changeset")


def test_chinese_text_arrives_intact_however_the_form_is_encoded(
    client: TestClient, city: City
) -> None:
    from urllib.parse import urlencode  # noqa: PLC0415

    text = "北山街路面塌陷，直径约一米"
    form = spec_post(city, description=text)
    # What curl -d sends: the text as it is, in UTF-8 (only "+" escaped, which means a space).
    plain = "&".join(f"{k}={v.replace('+', '%2B')}" for k, v in form.items())
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    raw = client.post("/open311/v2/requests.json", content=plain.encode(), headers=headers)
    gbk = client.post(
        "/open311/v2/requests.json",
        content=urlencode({**form, "device_id": "gbk-client"}, encoding="gbk").encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=GBK"},
    )
    for answer in (raw, gbk):
        assert answer.status_code == 200, answer.text
        number = answer.json()[0]["service_request_id"]
        shown = client.get(f"/open311/v2/requests/{number}.json").json()[0]
        assert shown["description"] == text
    undeclared = client.post(
        "/open311/v2/requests.json", content=plain.encode("gbk"), headers=headers
    )
    assert undeclared.status_code == 400
    assert "UTF-8" in undeclared.json()[0]["description"]
