"""An address naming another city than the complaint's point (or, without a point, than its
division code) is refused by the JSON API and by Open311 with both cities named, unless the
client confirms; then it is filed where the point (or the division code) says."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.cases import make_category
from tests.factories.core import make_department, make_token, make_user
from tests.functional.cases.test_open311 import client  # noqa: F401  (the Open311 app)
from yiwang.cases import queries
from yiwang.cases.models import Case, ServiceItem
from yiwang.core.identity import Department
from yiwang.core.policy import SYSTEM

SHAOXING = {"latitude": 30.0, "longitude": 120.58}
QUESTION = "地址写的是杭州市，地图上的位置在绍兴市，请确认哪个正确"


class Bureaus:
    def __init__(self, session: Session) -> None:
        province = make_department(
            session, name_zh="浙江省住房和城乡建设厅", division_code="330000", slug="c-zj"
        )
        self.hangzhou: Department = make_department(
            session, name_zh="杭州市城市管理局", division_code="330100", slug="c-hz"
        )
        self.shaoxing: Department = make_department(
            session, name_zh="绍兴市综合行政执法局", division_code="330600", slug="c-sx"
        )
        self.category: ServiceItem = make_category(
            session, province, name="占道经营", routing={"330100": "c-hz", "330600": "c-sx"}
        )
        self.app_key = make_token(session, make_user(session, username="loc_app"))
        session.commit()


def _count(session: Session) -> int:
    session.expire_all()
    _, total = queries.list_cases(
        session, actor=SYSTEM, filters=queries.CaseFilters(kind="complaint"), limit=1
    )
    return total or 0


def _body(bureaus: Bureaus, **changes: Any) -> dict[str, Any]:
    return {
        "category_code": bureaus.category.code,
        "division_code": "330600",
        **SHAOXING,
        "address": "杭州市西湖区文三路",
        "description": "人行道上摆摊占道",
    } | changes


def test_the_api_refuses_a_point_and_an_address_in_two_cities(
    app_client: TestClient, session: Session
) -> None:
    bureaus = Bureaus(session)
    before = _count(session)
    response = app_client.post("/api/v1/cases/complaints", json=_body(bureaus))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "cases.location_conflict"
    assert error["message"].startswith(QUESTION)
    assert "location_confirmed=true" in error["message"]
    assert error["details"] == {
        "field": "address",
        "address_city": "330100",
        "located_city": "330600",
    }
    english = app_client.post(
        "/api/v1/cases/complaints", json=_body(bureaus), headers={"Accept-Language": "en"}
    )
    assert english.json()["error"]["message"].startswith(
        "The address says 杭州市 but the point is in 绍兴市"
    )
    assert _count(session) == before


def test_the_api_files_it_where_the_client_confirms(
    app_client: TestClient, session: Session
) -> None:
    bureaus = Bureaus(session)
    response = app_client.post(
        "/api/v1/cases/complaints", json=_body(bureaus, location_confirmed=True)
    )
    assert response.status_code == 201, response.text
    session.expire_all()
    case = session.query(Case).filter_by(number=response.json()["number"]).one()
    assert case.division_code == "330600"
    assert case.department_id == bureaus.shaoxing.id
    assert case.address == "杭州市西湖区文三路"


def test_the_api_checks_the_division_code_without_a_point(
    app_client: TestClient, session: Session
) -> None:
    bureaus = Bureaus(session)
    body = _body(bureaus, latitude=None, longitude=None)
    response = app_client.post("/api/v1/cases/complaints", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith(
        "地址写的是杭州市，division_code 却是绍兴市，请确认哪个正确"
    )
    agreeing = app_client.post("/api/v1/cases/complaints", json=body | {"division_code": "330106"})
    assert agreeing.status_code == 201, agreeing.text
    session.expire_all()
    case = session.query(Case).filter_by(number=agreeing.json()["number"]).one()
    assert case.department_id == bureaus.hangzhou.id


def test_an_address_naming_no_city_or_the_same_city_is_filed(
    app_client: TestClient, session: Session
) -> None:
    bureaus = Bureaus(session)
    for address in ("解放北路 12 号", "绍兴市越城区解放北路", "绍兴路 8 号", None):
        response = app_client.post("/api/v1/cases/complaints", json=_body(bureaus, address=address))
        assert response.status_code == 201, (address, response.text)


def _open311(bureaus: Bureaus, **changes: str) -> dict[str, str]:
    return {
        "api_key": bureaus.app_key,
        "jurisdiction_id": "zj.gov.cn",
        "service_code": bureaus.category.code,
        "lat": "30.00",
        "long": "120.58",
        "address_string": "杭州市西湖区文三路",
        "description": "人行道上摆摊占道",
    } | changes


def test_open311_refuses_it_in_the_spec_s_form_unless_confirmed(
    client: TestClient,  # noqa: F811
    session: Session,
) -> None:
    bureaus = Bureaus(session)
    before = _count(session)
    response = client.post("/open311/v2/requests.xml", data=_open311(bureaus))
    assert response.status_code == 400
    root = ET.fromstring(response.content)  # noqa: S314  (our own server's answer)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "400"
    description = root.findtext("error/description") or ""
    assert description.startswith(QUESTION)
    assert _count(session) == before

    confirmed = client.post(
        "/open311/v2/requests.json", data=_open311(bureaus, location_confirmed="true")
    )
    assert confirmed.status_code == 200, confirmed.text
    (filed,) = confirmed.json()
    assert filed["service_request_id"].startswith("330600-")
    assert filed["service_notice"].startswith("已交绍兴市综合行政执法局办理")
    # A confirmation that is not "true" confirms nothing.
    refused = client.post(
        "/open311/v2/requests.json", data=_open311(bureaus, location_confirmed="no")
    )
    assert refused.status_code == 400
