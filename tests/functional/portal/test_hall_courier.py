"""The application form for delivery by courier, as the server renders it (no script): the
address asked for and checked, a refusal said in Chinese with every uploaded file kept for
the retry, the retry filing the case with those files, the lists of cities and districts,
and the address shown masked on the receipt and the tracking page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.factories.cases import CITIZEN_ID, PDF, PNG, make_item
from tests.factories.core import make_department
from tests.functional.core.test_pages import csrf_of
from yiwang.cases import queries
from yiwang.cases.models import Case, ServiceItem
from yiwang.core.config import Settings

pytestmark = pytest.mark.dates

HTML = {"Accept": "text/html"}
FILES = [
    ("file_id_card", ("身份证.png", PNG, "image/png")),
    ("file_form", ("申请书.pdf", PDF, "application/pdf")),
]
ADDRESS = {
    "delivery_recipient": "王小明",
    "delivery_phone": "13812345678",
    "delivery_province": "330000",
    "delivery_city": "330100",
    "delivery_district": "330106",
    "delivery_street": "文三路90号东部软件园3号楼",
}


@pytest.fixture
def permit(session: Session) -> ServiceItem:
    department = make_department(
        session, name_zh="杭州市市场监督管理局", slug="t-courier-market", division_code="330100"
    )
    item = make_item(session, department, applicant_types=["citizen"])
    session.commit()
    return item


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found
    return found.group(1)


def _form(page: str, **changes: str) -> dict[str, str]:
    values = {
        "csrf": csrf_of(page),
        "idempotency_key": _hidden(page, "idempotency_key"),
        "uploads_token": _hidden(page, "uploads_token"),
        "applicant_type": "citizen",
        "applicant_name": "王小明",
        "applicant_id_number": CITIZEN_ID,
        "field_purpose": "开办餐饮店",
        "delivery_method": "courier",
        **dict.fromkeys(ADDRESS, ""),
        "delivery_province": "330000",
    }
    return values | changes


def _apply(client: TestClient, item: ServiceItem, data: dict[str, str], files: Any) -> Any:
    return client.post(f"/services/{item.code}/apply", data=data, files=files, headers=HTML)


def _error(page: str) -> str:
    found = re.search(
        r'<div class="error" role="alert" id="form-error">(.*?)</div>', page, re.DOTALL
    )
    assert found
    return found.group(1)


def _cases(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Case)) or 0


def _staged(settings: Settings) -> list[Path]:
    root = Path(settings.var_dir) / "cases" / "staged"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_courier_without_an_address_is_refused_and_the_files_are_kept_for_the_retry(
    app_client: TestClient, session: Session, settings: Settings, permit: ServiceItem
) -> None:
    page = app_client.get(f"/services/{permit.code}/apply", headers=HTML).text
    assert 'id="delivery-address"' in page
    assert '<option value="330100">杭州市</option>' in page  # the hall's province first

    refused = _apply(app_client, permit, _form(page), FILES)
    assert refused.status_code == 422
    error = _error(refused.text)
    assert "请填写收件人姓名。" in error
    assert "已上传的材料均已保留" in error
    assert 'id="delivery-recipient-error"' in refused.text
    assert re.search(r'id="file-id_card-kept"><strong>已上传：</strong>身份证.png', refused.text)
    assert re.search(r'id="file-form-kept"><strong>已上传：</strong>申请书.pdf', refused.text)
    token = _hidden(refused.text, "uploads_token")
    assert token
    assert _cases(session) == 0

    # Without a script the district list comes with the page once the city is chosen.
    data = _form(refused.text, **(ADDRESS | {"delivery_district": ""}))
    no_district = _apply(app_client, permit, data, [])
    assert no_district.status_code == 422
    assert "请选择收件地址在杭州市的区（县）。" in _error(no_district.text)
    assert '<option value="330106">西湖区</option>' in no_district.text
    assert _hidden(no_district.text, "uploads_token") == token  # the files still kept

    wrong = _apply(
        app_client, permit, _form(page, **(ADDRESS | {"delivery_district": "330203"})), []
    )
    assert "海曙区不属于杭州市" in _error(wrong.text)

    # The retry sends no file: those kept are filed, and then no longer kept.
    filed = _apply(app_client, permit, _form(no_district.text, **ADDRESS), [])
    assert filed.status_code == 201, _error(filed.text)
    number = re.search(r'<dd id="case-number" class="code">([\d-]+)</dd>', filed.text)
    code = re.search(r'<dd id="query-code" class="code">(\w{8})</dd>', filed.text)
    assert number
    assert code
    # The receipt says where the result goes, masked as on the tracking page.
    on_receipt = re.search(r'<dd id="delivery-address">(.*?)</dd>', filed.text, re.DOTALL)
    assert on_receipt
    assert "王**" in on_receipt.group(1)
    assert "浙江省杭州市西湖区****" in on_receipt.group(1)
    assert "文三路" not in filed.text
    session.expire_all()
    case = session.scalars(select(Case).where(Case.number == number.group(1))).one()
    assert (case.delivery_recipient, case.delivery_phone) == ("王小明", "13812345678")
    assert (case.delivery_division_code, case.delivery_address) == (
        "330106",
        ADDRESS["delivery_street"],
    )
    assert sorted((m.key, m.filename) for m in queries.materials_of(session, case)) == [
        ("form", "申请书.pdf"),
        ("id_card", "身份证.png"),
    ]
    assert _staged(settings) == []

    # The applicant sees the address masked on the tracking page.
    track = app_client.post(
        "/track",
        data={"csrf": csrf_of(filed.text), "number": number.group(1), "code": code.group(1)},
        headers=HTML,
    ).text
    shown = re.search(r'<dd id="delivery-address">(.*?)</dd>', track, re.DOTALL)
    assert shown
    assert "王**" in shown.group(1)
    assert "138****5678" in shown.group(1)
    assert "浙江省杭州市西湖区****" in shown.group(1)
    assert "文三路" not in track


def test_a_new_file_replaces_the_one_kept_and_a_wrong_one_is_asked_for_again(
    app_client: TestClient, permit: ServiceItem
) -> None:
    page = app_client.get(f"/services/{permit.code}/apply", headers=HTML).text
    first = _apply(app_client, permit, _form(page), FILES).text
    wrong_file = [("file_form", ("申请书.pdf", PNG, "application/pdf"))]
    second = _apply(app_client, permit, _form(first, **ADDRESS), wrong_file)
    error = _error(second.text)
    assert "申请书" in error
    assert "请重新选择" in error or "请确认选对了文件" in error
    assert 'id="file-form-kept"' not in second.text  # asked for again
    assert 'id="file-id_card-kept"' in second.text
    assert re.search(r'<input id="file-form" name="file_form"[^>]* required', second.text)


def test_a_failure_inside_says_what_to_do_and_keeps_the_files(
    app_client: TestClient,
    session: Session,
    permit: ServiceItem,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def busy(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr("yiwang.cases.public.submit_application", busy)
    page = app_client.get(f"/services/{permit.code}/apply", headers=HTML).text
    answer = _apply(app_client, permit, _form(page, **ADDRESS), FILES)
    assert answer.status_code == 503
    error = _error(answer.text)
    assert "系统暂时繁忙，申请未提交。请稍后再次点击“提交申请”" in error
    assert "database" not in answer.text
    assert 'id="file-form-kept"' in answer.text
    answer_en = app_client.post(
        f"/services/{permit.code}/apply?lang=en",
        data=_form(page, **ADDRESS),
        files=FILES,
        headers=HTML,
    )
    assert "The system is busy and the application was not filed" in _error(answer_en.text)
    assert _cases(session) == 0


def test_the_lists_of_cities_and_districts(app_client: TestClient) -> None:
    cities = app_client.get("/services/apply/divisions", params={"province": "330000"}).json()
    assert {"code": "330100", "name": "杭州市"} in cities["divisions"]
    assert len(cities["divisions"]) == 11
    districts = app_client.get("/services/apply/divisions", params={"city": "330100"}).json()
    assert {"code": "330106", "name": "西湖区"} in districts["divisions"]
    beijing = app_client.get("/services/apply/divisions", params={"province": "110000"}).json()
    assert beijing["divisions"] == [{"code": "110000", "name": "北京市"}]
    nothing = app_client.get("/services/apply/divisions", params={"province": "../x"}).json()
    assert nothing["divisions"] == []


def test_the_form_in_english(app_client: TestClient, permit: ServiceItem) -> None:
    page = app_client.get(f"/services/{permit.code}/apply?lang=en", headers=HTML).text
    answer = app_client.post(
        f"/services/{permit.code}/apply?lang=en", data=_form(page), files=FILES, headers=HTML
    )
    error = _error(answer.text)
    assert "Enter the recipient&#39;s name." in error
    assert "the files you uploaded are kept" in error
