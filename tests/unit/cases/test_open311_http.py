"""The GeoReport v2 endpoints over HTTP with a complaint desk held in memory: routing,
jurisdictions, api_key, the spec's error documents in the caller's language, and the filters
of GET requests as a client sees them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.core import make_token, make_user
from tests.support.databases import BoundDatabase
from yiwang.app import create_app
from yiwang.cases.open311 import install
from yiwang.cases.open311.jurisdictions import Jurisdictions, Open311Settings
from yiwang.cases.open311.port import (
    Attribute,
    AttributeValue,
    Category,
    Complaint,
    ComplaintQuery,
    Filed,
    Submission,
)
from yiwang.core.config import Settings
from yiwang.core.policy import Actor

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
ROAD = Category(
    code="ZJ-TS-ROAD",
    name="道路破损",
    description="路面坑洞、井盖缺失等",
    group="浙江省交通运输厅",
    attributes=(
        Attribute(
            code="damage",
            datatype="singlevaluelist",
            description="破损类型",
            order=1,
            required=True,
            values=(AttributeValue("pothole", "坑洞"), AttributeValue("manhole", "井盖缺失")),
        ),
    ),
)
NOISE = Category(code="ZJ-HB-NOISE", name="噪声扰民", group="浙江省生态环境厅")


def complaint(number: str, *, days_ago: int, status: str = "open", **fields: object) -> Complaint:
    moment = NOW - dt.timedelta(days=days_ago)
    values: dict[str, object] = {
        "service_request_id": number,
        "status": status,
        "service_code": ROAD.code,
        "service_name": ROAD.name,
        "requested_datetime": moment,
        "updated_datetime": moment,
        "division_code": "330100",
        "agency_responsible": "杭州市城市管理局",
        "lat": 30.25,
        "lon": 120.14,
    }
    values.update(fields)
    return Complaint(**values)  # type: ignore[arg-type]


@dataclass
class MemoryDesk:
    """Complaints in a list; it records what it was asked to file."""

    complaints: list[Complaint] = field(default_factory=list)
    filed: list[tuple[Actor, Submission]] = field(default_factory=list)

    def categories(self, session: Session, *, division_code: str) -> list[Category]:  # noqa: ARG002  (the desk protocol)
        return [ROAD, NOISE]

    def category(self, session: Session, *, code: str, division_code: str) -> Category | None:  # noqa: ARG002  (the desk protocol)
        return next((c for c in (ROAD, NOISE) if c.code == code), None)

    def file(self, session: Session, *, actor: Actor, submission: Submission) -> Filed:  # noqa: ARG002  (the desk protocol)
        self.filed.append((actor, submission))
        number = f"{submission.division_code}-20251001-{len(self.filed):06d}"
        return Filed(
            service_request_id=number,
            agency_responsible="杭州市城市管理局",
            expected_datetime=dt.datetime(2025, 10, 15, 23, 59, 59, tzinfo=dt.UTC),
            query_code="ABCD2345",
        )

    def _in(self, c: Complaint, division_code: str) -> bool:
        return division_code in {"330000", c.division_code}

    def by_ids(
        self,
        session: Session,  # noqa: ARG002  (the desk protocol)
        *,
        ids: Sequence[str],
        division_code: str,
    ) -> list[Complaint]:
        found = {c.service_request_id: c for c in self.complaints if self._in(c, division_code)}
        return [found[i] for i in ids if i in found]

    def search(self, session: Session, *, query: ComplaintQuery) -> list[Complaint]:  # noqa: ARG002  (the desk protocol)
        hits = [
            c
            for c in self.complaints
            if self._in(c, query.division_code)
            and query.start <= c.requested_datetime <= query.end
            and (not query.service_codes or c.service_code in query.service_codes)
            and (not query.statuses or c.status in query.statuses)
        ]
        hits.sort(key=lambda c: c.requested_datetime, reverse=True)
        return hits[query.offset : query.offset + query.limit]

    def resolve_token(self, session: Session, *, token: str, division_code: str) -> str | None:  # noqa: ARG002  (the desk protocol)
        return "330100-20251001-000007" if token == "T-7" else None

    def changed_at(self, session: Session) -> dt.datetime | None:  # noqa: ARG002  (the desk protocol)
        return CHANGED


CHANGED = dt.datetime(2025, 10, 1, 10, 3, 4, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def desk() -> MemoryDesk:
    return MemoryDesk(
        complaints=[
            complaint("330100-A", days_ago=1),
            complaint("330100-B", days_ago=5, status="closed", status_notes="已修复"),
            complaint("330200-C", days_ago=2, division_code="330200", lat=29.87, lon=121.55),
            complaint("330100-D", days_ago=3, service_code=NOISE.code, service_name=NOISE.name),
            complaint("330100-OLD", days_ago=120),
        ]
    )


@pytest.fixture
def client(db: BoundDatabase, settings: Settings, desk: MemoryDesk) -> Iterator[TestClient]:
    app = create_app(settings, db)
    install(app, desk=desk, jurisdictions=Jurisdictions.from_settings(Open311Settings()))
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def api_key(session: Session) -> str:
    token = make_token(session, make_user(session, username="citizen_app"))
    session.commit()
    return token


def xml(body: bytes) -> ET.Element:
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(body)  # noqa: S314  (our own server's answer)


def errors_of(response: object) -> list[tuple[str, str]]:
    body = response.content  # type: ignore[attr-defined]
    if response.headers["content-type"].startswith("application/json"):  # type: ignore[attr-defined]
        return [(str(e["code"]), e["description"]) for e in json.loads(body)]
    root = xml(body)
    assert root.tag == "errors"
    return [(e.findtext("code") or "", e.findtext("description") or "") for e in root]


def ids(response: object) -> list[str]:
    return [r["service_request_id"] for r in response.json()]  # type: ignore[attr-defined]


# --- services ----------------------------------------------------------------------------------


def test_service_list_in_xml_and_json(client: TestClient) -> None:
    response = client.get("/open311/v2/services.xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    root = xml(response.content)
    assert root.tag == "services"
    assert [s.findtext("service_code") for s in root.findall("service")] == [
        ROAD.code,
        NOISE.code,
    ]
    assert root.find("service/metadata").text == "true"  # type: ignore[union-attr]
    services = client.get("/open311/v2/services.json?jurisdiction_id=hangzhou.gov.cn").json()
    assert [s["service_name"] for s in services] == ["道路破损", "噪声扰民"]
    assert services[1]["metadata"] is False


def test_service_definition(client: TestClient) -> None:
    body = client.get(f"/open311/v2/services/{ROAD.code}.json").json()
    assert body["service_code"] == ROAD.code
    assert body["attributes"][0]["values"][1] == {"key": "manhole", "name": "井盖缺失"}
    response = client.get("/open311/v2/services/NOPE.xml")
    assert response.status_code == 404
    assert errors_of(response) == [("404", "未找到服务类别：NOPE")]


def test_unknown_jurisdiction_is_404_in_the_callers_language(client: TestClient) -> None:
    response = client.get("/open311/v2/services.xml?jurisdiction_id=sfgov.org")
    assert response.status_code == 404
    ((code, description),) = errors_of(response)
    assert code == "404"
    assert description.startswith("未找到管辖区域：sfgov.org")
    assert "hangzhou.gov.cn" in description
    english = client.get(
        "/open311/v2/services.json?jurisdiction_id=sfgov.org",
        headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    assert english.status_code == 404
    assert english.headers["content-type"] == "application/json; charset=utf-8"
    assert errors_of(english)[0][1].startswith("jurisdiction_id not found: sfgov.org")


def test_an_unknown_format_or_path_is_404_in_the_spec_form(client: TestClient) -> None:
    response = client.get("/open311/v2/services.csv")
    assert response.status_code == 404
    assert errors_of(response) == [("404", "不支持的格式：csv（可用 xml 或 json）")]
    response = client.get("/open311/v2/nothing-here.json")
    assert response.status_code == 404
    assert errors_of(response)[0][0] == "404"


# --- POST requests ---------------------------------------------------------------------------


def post(client: TestClient, fmt: str, data: dict[str, str], **headers: str) -> object:
    return client.post(f"/open311/v2/requests.{fmt}", data=data, headers=headers)


WEST_LAKE = {
    "service_code": ROAD.code,
    "lat": "30.25",
    "long": "120.14",
    "address_string": "杭州市西湖区北山街",
    "description": "北山街人行道有一个大坑",
    "attribute[damage]": "pothole",
    "email": "citizen@example.cn",
    "first_name": "小明",
    "last_name": "王",
    "device_id": "tt222111",
}


def test_posting_without_an_api_key_is_403(client: TestClient, desk: MemoryDesk) -> None:
    response = post(client, "xml", WEST_LAKE)
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert errors_of(response) == [("403", "缺少 api_key，无法提交诉求。")]
    response = post(
        client, "json", {**WEST_LAKE, "api_key": "yw_not-a-real-token"}, **{"Accept-Language": "en"}
    )
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert errors_of(response)[0][1].startswith("Invalid api_key received")
    assert desk.filed == []


def test_a_session_cookie_is_not_an_api_key(client: TestClient) -> None:
    client.cookies.set("yiwang_session", "anything")
    response = post(client, "json", WEST_LAKE)
    assert response.status_code == 403  # type: ignore[attr-defined]


def test_posting_files_the_request_in_the_city_of_its_point(
    client: TestClient, desk: MemoryDesk, api_key: str
) -> None:
    response = post(client, "json", {**WEST_LAKE, "api_key": api_key})
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.json() == [  # type: ignore[attr-defined]
        {
            "service_request_id": "330100-20251001-000001",
            "service_notice": "已交杭州市城市管理局办理，将于2025-10-16前答复。"
            "查询码：ABCD2345（请妥善保存）",
            "account_id": None,
        }
    ]
    ((actor, submission),) = desk.filed
    assert actor.username == "citizen_app"
    assert submission.division_code == "330100"
    assert submission.attributes == {"damage": "pothole"}
    assert (submission.first_name, submission.last_name) == ("小明", "王")
    assert submission.device_id == "tt222111"


def test_the_api_key_may_come_as_a_bearer_token(
    client: TestClient, desk: MemoryDesk, api_key: str
) -> None:
    response = post(client, "xml", WEST_LAKE, Authorization=f"Bearer {api_key}")
    assert response.status_code == 200  # type: ignore[attr-defined]
    root = xml(response.content)  # type: ignore[attr-defined]
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == "330100-20251001-000001"
    assert len(desk.filed) == 1


def test_every_problem_of_a_post_is_reported_at_once(
    client: TestClient, desk: MemoryDesk, api_key: str
) -> None:
    shanghai = {"service_code": ROAD.code, "lat": "31.23", "long": "121.47", "api_key": api_key}
    response = post(client, "json", shanghai, **{"Accept-Language": "en"})
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert [d for _, d in errors_of(response)] == [
        "The location (longitude 121.47, latitude 31.23) is outside 浙江省",
        "attribute[damage] is required (破损类型)",
    ]
    assert desk.filed == []


def test_a_city_jurisdiction_takes_only_its_own_points(
    client: TestClient, desk: MemoryDesk, api_key: str
) -> None:
    form = {**WEST_LAKE, "api_key": api_key, "jurisdiction_id": "ningbo.gov.cn"}
    response = post(client, "xml", form)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert errors_of(response) == [("400", "位置（经度 120.14，纬度 30.25）不在宁波市境内")]
    response = post(client, "xml", {**form, "jurisdiction_id": "hangzhou.gov.cn"})
    assert response.status_code == 200  # type: ignore[attr-defined]


def test_posting_needs_a_known_service_code(client: TestClient, api_key: str) -> None:
    response = post(client, "json", {"api_key": api_key, "lat": "30.25", "long": "120.14"})
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert errors_of(response) == [("400", "缺少参数 service_code")]
    response = post(client, "json", {**WEST_LAKE, "api_key": api_key, "service_code": "X"})
    assert response.status_code == 404  # type: ignore[attr-defined]


# --- GET requests ----------------------------------------------------------------------------


def test_requests_default_to_the_last_90_days_newest_first(client: TestClient) -> None:
    response = client.get("/open311/v2/requests.json")
    assert ids(response) == ["330100-A", "330200-C", "330100-D", "330100-B"]
    root = xml(client.get("/open311/v2/requests.xml").content)
    assert root.tag == "service_requests"
    first = root.find("request")
    assert first is not None
    assert [child.tag for child in first][:3] == ["service_request_id", "status", "status_notes"]
    assert first.findtext("requested_datetime", "").endswith("+08:00")


def test_request_filters(client: TestClient) -> None:
    base = "/open311/v2/requests.json"
    assert ids(client.get(f"{base}?status=closed")) == ["330100-B"]
    assert ids(client.get(f"{base}?status=open,closed")) == ids(client.get(base))
    assert ids(client.get(f"{base}?service_code={NOISE.code}")) == ["330100-D"]
    assert ids(client.get(f"{base}?jurisdiction_id=ningbo.gov.cn")) == ["330200-C"]
    start = (NOW - dt.timedelta(days=130)).isoformat().replace("+00:00", "Z")
    end = (NOW - dt.timedelta(days=100)).isoformat().replace("+00:00", "Z")
    assert ids(client.get(base, params={"start_date": start, "end_date": end})) == ["330100-OLD"]
    assert ids(client.get(f"{base}?page_size=2&page=2")) == ["330100-D", "330100-B"]


def test_service_request_id_overrides_every_other_filter(client: TestClient) -> None:
    got = client.get("/open311/v2/requests.json?service_request_id=330100-OLD,330100-B&status=open")
    assert ids(got) == ["330100-OLD", "330100-B"]


def test_bad_filters_are_400_each_explained(client: TestClient) -> None:
    response = client.get(
        "/open311/v2/requests.xml?start_date=yesterday&status=pending",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert [d for _, d in errors_of(response)] == [
        "start_date is not a w3 datetime with a time zone (e.g. 2010-01-01T00:00:00Z): yesterday",
        "status must be open or closed: pending",
    ]
    response = client.get(
        "/open311/v2/requests.json?start_date=2025-01-01T00:00:00Z&end_date=2025-06-01T00:00:00Z"
    )
    assert response.status_code == 400
    assert errors_of(response) == [("400", "查询时间跨度不能超过 90 天")]


def test_one_request_and_tokens(client: TestClient) -> None:
    body = client.get("/open311/v2/requests/330100-B.json").json()
    assert body[0]["status"] == "closed"
    assert body[0]["status_notes"] == "已修复"
    assert body[0]["agency_responsible"] == "杭州市城市管理局"
    missing = client.get("/open311/v2/requests/330100-B.xml?jurisdiction_id=ningbo.gov.cn")
    assert missing.status_code == 404
    assert errors_of(missing) == [("404", "未找到诉求：330100-B")]
    token = client.get("/open311/v2/tokens/T-7.json").json()
    assert token == [{"service_request_id": "330100-20251001-000007", "token": "T-7"}]
    assert client.get("/open311/v2/tokens/T-8.xml").status_code == 404


def test_dataclass_fields_are_all_rendered(client: TestClient) -> None:
    (body,) = client.get("/open311/v2/requests/330100-A.json").json()
    rendered = set(body)
    expected = {f.name for f in dataclasses.fields(Complaint)} - {"division_code", "lon"}
    assert rendered == expected | {"long"}


# --- Service Discovery -------------------------------------------------------------------------


def test_discovery_in_xml_as_the_spec_shows(client: TestClient) -> None:
    response = client.get("/open311/discovery.xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    root = xml(response.content)
    assert root.tag == "discovery"
    assert [child.tag for child in root] == ["changeset", "contact", "key_service", "endpoints"]
    assert root.findtext("changeset") == "2025-10-01T02:03:04.000000Z"
    assert "数据管理中心" in (root.findtext("contact") or "")
    assert "api_key" in (root.findtext("key_service") or "")
    (endpoint,) = root.findall("endpoints/endpoint")
    assert [child.tag for child in endpoint] == [
        "specification",
        "url",
        "changeset",
        "type",
        "formats",
    ]
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://testserver/open311/v2"
    assert endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


def test_discovery_in_json_and_in_english(client: TestClient) -> None:
    body = client.get("/open311/discovery.json", headers={"Accept-Language": "en"}).json()
    assert body == {
        "changeset": "2025-10-01T02:03:04.000000Z",
        "contact": "Please contact the data office that runs this platform.",
        "key_service": body["key_service"],
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": "http://testserver/open311/v2",
                "changeset": "2025-10-01T02:03:04.000000Z",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    assert body["key_service"].startswith("The api_key is an API token")
    # The endpoint it names answers.
    assert client.get(body["endpoints"][0]["url"] + "/services.json").status_code == 200


def test_discovery_says_what_the_operator_configured(
    db: BoundDatabase, settings: Settings, desk: MemoryDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YIWANG_OPEN311_CONTACT", "浙江省大数据发展管理局 0571-12345")
    monkeypatch.setenv("YIWANG_OPEN311_KEY_SERVICE", "https://example.zj.gov.cn/open311/key")
    app = create_app(settings, db)
    install(app, desk=desk)
    with TestClient(app, base_url="https://open311.example.cn") as configured:
        body = configured.get("/open311/discovery.json").json()
        unknown = configured.get("/open311/discovery.html")
    assert body["contact"] == "浙江省大数据发展管理局 0571-12345"
    assert body["key_service"] == "https://example.zj.gov.cn/open311/key"
    assert body["endpoints"][0]["url"] == "https://open311.example.cn/open311/v2"
    assert unknown.status_code == 404
    assert errors_of(unknown)[0][0] == "404"
