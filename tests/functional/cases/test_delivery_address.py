"""Delivery by courier over HTTP: the recipient, phone and address are asked for and checked
(the city within the province, the district within the city), kept with the case, shown whole
to the staff handling it and masked for everyone else; a refusal keeps nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.cases import CITIZEN_ID, PDF, make_item
from tests.functional.cases.conftest import Staff
from yiwang.cases import filing
from yiwang.cases.models import Case
from yiwang.core.config import Settings
from yiwang.core.errors import InvalidInput

pytestmark = pytest.mark.dates

URL = "/api/v1/cases/applications"
ADDRESS = {
    "recipient": "王小明",
    "phone": "0571-87654321",
    "province_code": "330000",
    "city_code": "330100",
    "district_code": "330106",
    "street": "文三路90号东部软件园3号楼",
}


def _post(
    client: TestClient,
    item_code: str,
    *,
    method: str = "courier",
    language: str = "zh-CN",
    address: dict[str, Any] | None = None,
    **changes: Any,
) -> Any:
    body: dict[str, Any] = {
        "item_code": item_code,
        "applicant": {"type": "citizen", "name": "王小明", "id_number": CITIZEN_ID},
        "form": {"purpose": "开办餐饮店"},
        "delivery_method": method,
    }
    if address is not None or changes:
        body["delivery_address"] = {**(address or ADDRESS), **changes}
    return client.post(
        URL,
        data={"application": json.dumps(body, ensure_ascii=False)},
        files=[("id_card", ("身份证.pdf", PDF)), ("form", ("申请书.pdf", PDF))],
        headers={"Accept-Language": language},
    )


def _cases(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Case)) or 0


def _stored_files(settings: Settings) -> list[Path]:
    root = Path(settings.var_dir) / "cases" / "materials"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_courier_delivery_keeps_the_address_masked_for_all_but_the_staff(
    app_client: TestClient, session: Session, market: Staff
) -> None:
    item = make_item(session, market.department)
    session.commit()
    answer = _post(app_client, item.code, address=ADDRESS)
    assert answer.status_code == 201, answer.text
    delivery = answer.json()["delivery"]
    assert delivery["method"] == "courier"
    address = delivery["address"]
    assert address["recipient"] == "王**"
    assert address["phone"] == "****-****4321"
    assert address["street"] == "****"
    assert address["full"] == "浙江省杭州市西湖区****"
    assert (address["province_code"], address["city_code"], address["district_code"]) == (
        "330000",
        "330100",
        "330106",
    )

    number = answer.json()["number"]
    staff = app_client.get(f"/api/v1/cases/{number}", headers=market.headers).json()
    assert staff["delivery"]["address"]["recipient"] == "王小明"
    assert staff["delivery"]["address"]["phone"] == "0571-87654321"
    assert staff["delivery"]["address"]["full"] == "浙江省杭州市西湖区文三路90号东部软件园3号楼"


def test_other_methods_keep_no_address(
    app_client: TestClient, session: Session, market: Staff
) -> None:
    item = make_item(session, market.department)
    session.commit()
    answer = _post(app_client, item.code, method="pickup", address=ADDRESS)
    assert answer.status_code == 201, answer.text
    assert answer.json()["delivery"] == {
        "method": "pickup",
        "tracking_number": None,
        "address": None,
    }
    case = session.scalars(select(Case).where(Case.number == answer.json()["number"])).one()
    assert case.delivery_division_code is None
    assert case.delivery_address is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"district_code": "330203"}, "海曙区不属于杭州市，请重新选择区（县）。"),
        ({"city_code": "320100"}, "南京市不属于浙江省，请重新选择城市。"),
        ({"district_code": None}, "请选择收件地址在杭州市的区（县）。"),
        ({"province_code": "999999"}, "收件地址的行政区划代码无效"),
        ({"phone": "12345"}, "收件人联系电话“12345”格式不正确"),
        ({"recipient": " "}, "请填写收件人姓名。"),
        ({"street": ""}, "请填写详细地址"),
    ],
)
def test_a_wrong_address_is_refused_in_chinese_and_nothing_is_kept(
    app_client: TestClient,
    session: Session,
    market: Staff,
    settings: Settings,
    changes: dict[str, Any],
    message: str,
) -> None:
    item = make_item(session, market.department)
    session.commit()
    answer = _post(app_client, item.code, **changes)
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["error"]["message"]
    assert _cases(session) == 0
    assert _stored_files(settings) == []


def test_courier_without_an_address_is_refused(
    app_client: TestClient, session: Session, market: Staff
) -> None:
    item = make_item(session, market.department)
    session.commit()
    answer = _post(app_client, item.code)
    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == "选择快递送达时，请填写收件人、联系电话和收件地址。"
    english = _post(app_client, item.code, language="en", district_code="330203")
    assert (
        english.json()["error"]["message"] == "海曙区 is not in 杭州市; choose the district again."
    )
    assert _cases(session) == 0


@pytest.mark.parametrize(
    ("province", "city", "district", "filed"),
    [
        ("110000", "110000", "110105", "110105"),  # a municipality is its own city
        ("440000", "441900", None, "441900"),  # 东莞市 has no districts
        ("460000", "469001", None, "469001"),  # a county-level city under the province
    ],
)
def test_divisions_of_every_shape_are_taken(
    province: str, city: str, district: str | None, filed: str
) -> None:
    assert filing.delivery_division(province, city, district) == filed
    assert filing.delivery_levels(filed) == (province, city, district)


def test_a_district_outside_a_city_without_districts_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        filing.delivery_division("440000", "441900", "330106")
    assert refused.value.code == "cases.delivery_district_outside"


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("138 1234 5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
        ("(0571)87654321", "0571-87654321"),
        ("010-62345678", "010-62345678"),
        ("0571-87654321-808", "0571-87654321-808"),
        ("02087654321", "020-87654321"),  # three-digit area codes typed without a dash
        ("01062345678", "010-62345678"),
        ("057187654321", "0571-87654321"),
    ],
)
def test_mobile_and_landline_numbers_are_taken(typed: str, kept: str) -> None:
    assert filing.normalize_phone(typed) == kept


@pytest.mark.parametrize(
    "typed",
    ["12812345678", "1381234567", "87654321", "0571-1234567", "x", "13٨١٢٣٤٥٦٧٨"],  # Arabic digits
)
def test_other_numbers_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        filing.normalize_phone(typed)
