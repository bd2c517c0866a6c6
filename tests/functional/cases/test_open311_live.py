"""GeoReport v2 against a live ``yiwang serve`` over HTTP, on SQLite and on PostgreSQL, with
the specification's own example calls (its sample URLs and its example POST body) in XML and
JSON."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.factories.cases import make_category
from tests.factories.core import make_department, make_token, make_user
from tests.support.processes import live_server
from yiwang.core import clock
from yiwang.core.db import Database

pytestmark = pytest.mark.slow

V2 = "/open311/v2"


@dataclass
class Site:
    url: str
    http: httpx.Client
    service_code: str
    api_key: str


def _seed(db: Database) -> tuple[str, str]:
    """A road-damage category owned by the province and routed to Hangzhou's bureau; a
    citizen app's API token."""
    with db.session() as session:
        province = make_department(
            session, name_zh="浙江省交通运输厅", division_code="330000", slug="zj-jt"
        )
        make_department(session, name_zh="杭州市城市管理局", division_code="330100", slug="hz-cg")
        road = make_category(
            session,
            province,
            name="道路破损",
            form_fields=[
                {
                    "key": "whispawn",
                    "label": "破损编号",
                    "type": "text",
                    "required": True,
                },
                {
                    "key": "whisdorn",
                    "label": "设施类型",
                    "type": "select",
                    "options": ["COISL001", "COISL002"],
                },
            ],
            routing={"330100": "hz-cg"},
        )
        token = make_token(session, make_user(session, username="zlb_app"))
        return road.code, token


@pytest.fixture
def site(committed_database: Database, tmp_path: Path) -> Iterator[Site]:
    service_code, api_key = _seed(committed_database)
    with (
        live_server(committed_database, tmp_path, "--no-worker") as url,
        httpx.Client(base_url=url, timeout=30) as http,
    ):
        yield Site(url, http, service_code, api_key)


def xml(response: httpx.Response) -> ET.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314  (our own server's answer)


def spec_body(site: Site) -> str:
    """The spec's example POST body, verbatim but for the key, the jurisdiction, the service,
    a place in Hangzhou and lowercase attribute codes (ours are lowercase)."""
    return (
        f"api_key={quote(site.api_key)}&jurisdiction_id=hangzhou.gov.cn"
        f"&service_code={quote(site.service_code)}&lat=30.25&long=120.14"
        "&address_string=1234+5th+street&email=smit333%40sfgov.edu&device_id=tt222111"
        "&account_id=123456&first_name=john&last_name=smith&phone=111111111"
        "&description=A+large+sinkhole+is+destroying+the+street"
        "&media_url=http%3A%2F%2Ffarm3.static.flickr.com%2F2002%2F2212426634_5ed477a060.jpg"
        "&attribute[whispawn]=123456&attribute[whisdorn]=COISL001"
    )


FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def test_service_list_and_definition(site: Site) -> None:
    # Sample URL: services.xml?jurisdiction_id=city.gov
    root = xml(site.http.get(f"{V2}/services.xml?jurisdiction_id=zj.gov.cn"))
    assert root.tag == "services"
    (service,) = root.findall("service")
    assert [child.tag for child in service] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert service.findtext("service_code") == site.service_code
    assert service.findtext("type") == "realtime"
    listed = site.http.get(f"{V2}/services.json").json()
    assert listed[0]["service_name"] == "道路破损"
    assert listed[0]["metadata"] is True
    # Sample URL: services/033.xml?jurisdiction_id=city.gov
    definition = xml(
        site.http.get(f"{V2}/services/{site.service_code}.xml?jurisdiction_id=zj.gov.cn")
    )
    assert definition.tag == "service_definition"
    attributes = definition.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["whispawn", "whisdorn"]
    assert [v.findtext("key") for v in attributes[1].findall("values/value")] == [
        "COISL001",
        "COISL002",
    ]
    body = site.http.get(f"{V2}/services/{site.service_code}.json").json()
    assert body["attributes"][0]["required"] is True


@pytest.mark.dates  # also shows that a server the tests start keeps to their clock
def test_the_spec_example_post_and_reading_it_back(site: Site) -> None:
    response = site.http.post(f"{V2}/requests.xml", content=spec_body(site), headers=FORM)
    assert response.status_code == 200, response.text
    request = xml(response).find("request")
    assert request is not None
    number = request.findtext("service_request_id") or ""
    assert number.startswith("330100-")
    assert (request.findtext("service_notice") or "").startswith("已交杭州市城市管理局办理")
    assert request.findtext("account_id") == "123456"

    again = site.http.post(
        f"{V2}/requests.json", content=spec_body(site), headers={**FORM, "Accept-Language": "en"}
    )
    assert again.status_code == 200
    (filed,) = again.json()
    assert set(filed) == {"service_request_id", "service_notice", "account_id"}
    assert filed["service_notice"].startswith("Sent to 杭州市城市管理局")

    # Sample URL: requests/123456.xml?jurisdiction_id=city.gov
    one = xml(site.http.get(f"{V2}/requests/{number}.xml?jurisdiction_id=hangzhou.gov.cn"))
    (found,) = one.findall("request")
    assert [child.tag for child in found] == [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ]
    assert found.findtext("status") == "open"
    assert found.findtext("description") == "A large sinkhole is destroying the street"
    assert found.findtext("address") == "1234 5th street"
    assert found.findtext("lat") == "30.25"
    assert found.findtext("media_url", "").endswith("2212426634_5ed477a060.jpg")
    requested = dt.datetime.fromisoformat(found.findtext("requested_datetime") or "")
    assert requested.utcoffset() == dt.timedelta(hours=8)
    # The server runs on the test's clock (YIWANG_TEST_CLOCK moves both to another day).
    assert abs(requested - clock.now()) < dt.timedelta(minutes=2)
    assert b"111111111" not in site.http.get(f"{V2}/requests/{number}.json").content

    # Sample URL: requests.xml?start_date=…&end_date=…&status=open&jurisdiction_id=city.gov
    now = clock.now()
    start = (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    listed = xml(
        site.http.get(
            f"{V2}/requests.xml?start_date={start}&end_date={end}&status=open"
            "&jurisdiction_id=hangzhou.gov.cn"
        )
    )
    assert listed.tag == "service_requests"
    assert [r.findtext("service_request_id") for r in listed] == [
        filed["service_request_id"],
        number,
    ]
    as_json = site.http.get(f"{V2}/requests.json?status=closed").json()
    assert as_json == []
    both = site.http.get(
        f"{V2}/requests.json?service_request_id={number},{filed['service_request_id']}"
    ).json()
    assert [r["service_request_id"] for r in both] == [number, filed["service_request_id"]]
    assert both[0]["lat"] == 30.25
    assert both[0]["long"] == 120.14


def test_errors_in_the_spec_form(site: Site) -> None:
    bad_key = spec_body(site).replace(quote(site.api_key), "yw_xyz")
    response = site.http.post(f"{V2}/requests.xml", content=bad_key, headers=FORM)
    assert response.status_code == 403
    root = xml(response)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "403"
    assert (root.findtext("error/description") or "").startswith("api_key 无效")
    response = site.http.post(
        f"{V2}/requests.json", content=bad_key, headers={**FORM, "Accept-Language": "en"}
    )
    assert response.status_code == 403
    (error,) = response.json()
    assert error["code"] == 403
    assert error["description"].startswith("Invalid api_key received -- can't proceed")

    missing = site.http.get(f"{V2}/services.json?jurisdiction_id=sfgov.org")
    assert missing.status_code == 404
    assert missing.json()[0]["code"] == 404
    unknown = xml(site.http.get(f"{V2}/requests/330100-19990101-000001.xml"))
    assert unknown.findtext("error/code") == "404"
    bad_dates = site.http.get(f"{V2}/requests.json?start_date=2010-05-24&end_date=2010-09-24")
    assert bad_dates.status_code == 400
    assert bad_dates.json() == [{"code": 400, "description": "查询时间跨度不能超过 90 天"}]
