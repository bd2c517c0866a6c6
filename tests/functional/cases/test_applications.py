"""Applying online over HTTP: the form and materials checked, the number and query code,
personal data masked, idempotent submissions, and nothing kept from a refused one."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.cases import CITIZEN_ID, ENTERPRISE_ID, PDF, PNG, docx_bytes, make_item
from tests.functional.cases.conftest import Staff
from yiwang.cases.models import Case, Material
from yiwang.core.audit import AuditEntry
from yiwang.core.config import Settings
from yiwang.core.events import OutboxEvent

pytestmark = pytest.mark.dates


URL = "/api/v1/cases/applications"


def _application(item_code: str, **applicant: Any) -> str:
    return json.dumps(
        {
            "item_code": item_code,
            "applicant": {
                "type": "citizen",
                "name": "王小明",
                "id_number": CITIZEN_ID,
                "phone": "13812345678",
                **applicant,
            },
            "form": {"purpose": "开办餐饮店", "count": "2"},
            "delivery_method": "courier",
            "delivery_address": {
                "recipient": "王小明",
                "phone": "13812345678",
                "province_code": "330000",
                "city_code": "330100",
                "district_code": "330106",
                "street": "文三路90号东部软件园3号楼",
            },
        },
        ensure_ascii=False,
    )


def _post(
    client: TestClient,
    item_code: str,
    files: dict[str, tuple[str, bytes]] | None = None,
    *,
    key: str | None = None,
    language: str = "zh-CN",
    **applicant: Any,
) -> Any:
    headers = {"Accept-Language": language}
    if key:
        headers["Idempotency-Key"] = key
    if files is None:
        files = {"id_card": ("身份证.png", PNG), "form": ("申请书.docx", docx_bytes())}
    return client.post(
        URL,
        data={"application": _application(item_code, **applicant)},
        files=list(files.items()),
        headers=headers,
    )


def _stored_files(settings: Settings) -> list[Path]:
    root = Path(settings.var_dir) / "cases" / "materials"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_apply_with_two_materials(
    app_client: TestClient, session: Session, market: Staff, settings: Settings
) -> None:
    item = make_item(session, market.department)
    session.commit()
    answer = _post(app_client, item.code)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert re.fullmatch(r"330100-\d{8}-\d{6}", body["number"])
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", body["query_code"])
    assert body["state"] == "submitted"
    assert body["state_label"] == "已提交"
    # The applicant sees their identity number masked.
    assert body["applicant"]["id_number"] == "110105********002X"
    assert body["applicant"]["phone"] == "138****5678"
    assert body["form"] == {"purpose": "开办餐饮店", "count": 2.0}
    assert {m["key"]: m["type"] for m in body["materials"]} == {"id_card": "png", "form": "docx"}
    assert len(_stored_files(settings)) == 2

    # With the query code the applicant follows the case; without it, it does not exist.
    number, code = body["number"], body["query_code"]
    mine = app_client.get(f"/api/v1/cases/{number}", headers={"X-Query-Code": code})
    assert mine.status_code == 200
    assert "query_code" not in mine.json()
    assert app_client.get(f"/api/v1/cases/{number}").status_code == 404
    wrong = app_client.get(f"/api/v1/cases/{number}", headers={"X-Query-Code": "AAAAAAAA"})
    assert wrong.status_code == 404

    # The staff handling it see it whole; the code is stored only as a digest.
    staff = app_client.get(f"/api/v1/cases/{number}", headers=market.headers).json()
    assert staff["applicant"]["id_number"] == CITIZEN_ID
    stored = session.scalars(select(Case).where(Case.number == number)).one()
    assert code not in stored.query_code_digest
    assert len(stored.query_code_digest) == 64
    assert session.scalar(
        select(func.count()).where(
            AuditEntry.action == "case.submit", AuditEntry.object_id == number
        )
    )
    assert session.scalar(select(func.count()).where(OutboxEvent.name == "case.submitted"))


def test_numbers_are_unique_and_sequential(
    app_client: TestClient, session: Session, market: Staff
) -> None:
    item = make_item(session, market.department)
    session.commit()
    numbers = [_post(app_client, item.code).json()["number"] for _ in range(3)]
    assert len(set(numbers)) == 3
    tails = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert tails == [tails[0], tails[0] + 1, tails[0] + 2]


def test_enterprise_applicant_is_masked_too(
    app_client: TestClient, session: Session, market: Staff
) -> None:
    item = make_item(session, market.department)
    session.commit()
    answer = _post(app_client, item.code, type="enterprise", id_number=ENTERPRISE_ID)
    assert answer.status_code == 201, answer.text
    assert answer.json()["applicant"]["id_number"] == "9133**********0F3L"


@pytest.mark.parametrize(
    ("language", "text"),
    [("zh-CN", "居民身份证号码无效"), ("en", "Not a valid resident identity number")],
)
def test_invalid_resident_id_is_refused_in_the_callers_language(
    app_client: TestClient,
    session: Session,
    market: Staff,
    settings: Settings,
    language: str,
    text: str,
) -> None:
    item = make_item(session, market.department)
    session.commit()
    answer = _post(app_client, item.code, id_number="110105194912310021", language=language)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "codes.ric_invalid"
    assert text in answer.json()["error"]["message"]
    assert session.scalar(select(func.count()).select_from(Case)) == 0
    assert _stored_files(settings) == []


def test_invalid_uscc_is_refused(app_client: TestClient, session: Session, market: Staff) -> None:
    item = make_item(session, market.department)
    session.commit()
    answer = _post(app_client, item.code, type="enterprise", id_number="91330100MA27XL0F30")
    assert answer.status_code == 422
    assert "统一社会信用代码无效" in answer.json()["error"]["message"]


def test_missing_mandatory_material(
    app_client: TestClient, session: Session, market: Staff, settings: Settings
) -> None:
    item = make_item(session, market.department)
    session.commit()
    answer = _post(app_client, item.code, {"id_card": ("id.pdf", PDF)})
    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == "缺少必交材料：申请书"
    assert _stored_files(settings) == []


def test_a_png_named_pdf_is_refused_and_nothing_is_kept(
    app_client: TestClient, session: Session, market: Staff, settings: Settings
) -> None:
    item = make_item(session, market.department)
    session.commit()
    answer = _post(app_client, item.code, {"id_card": ("id.pdf", PDF), "form": ("申请书.pdf", PNG)})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "cases.material_type"
    assert "PNG" in error["message"]
    assert "申请书" in error["message"]
    # The first material had been accepted; it is gone with the refused submission.
    assert _stored_files(settings) == []
    assert session.scalar(select(func.count()).select_from(Material)) == 0


def test_content_not_matching_its_name_is_refused(
    app_client: TestClient, session: Session, market: Staff
) -> None:
    item = make_item(session, market.department)
    session.commit()
    # id_card accepts PNG and PDF, but this PNG claims to be a PDF.
    answer = _post(
        app_client, item.code, {"id_card": ("id.pdf", PNG), "form": ("f.pdf", PDF)}, language="en"
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "cases.material_mismatch"
    assert "does not match its content (PNG)" in answer.json()["error"]["message"]


def test_oversized_material(
    app_client: TestClient, session: Session, market: Staff, settings: Settings
) -> None:
    item = make_item(session, market.department, max_material_bytes=1000)
    session.commit()
    answer = _post(
        app_client, item.code, {"id_card": ("id.pdf", PDF + b"0" * 2000), "form": ("f.pdf", PDF)}
    )
    assert answer.status_code == 413
    assert "超过大小限制（1000 字节）" in answer.json()["error"]["message"]
    assert _stored_files(settings) == []


def test_form_is_checked_against_the_item(
    app_client: TestClient, session: Session, market: Staff
) -> None:
    item = make_item(session, market.department)
    session.commit()
    body = json.loads(_application(item.code))
    body["form"] = {"count": "many"}
    answer = app_client.post(URL, json=body)
    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == "请填写“申请事由”。"
    body["form"] = {"purpose": "x", "count": "many"}
    assert "数量" in app_client.post(URL, json=body).json()["error"]["message"]


def test_repeated_submission_returns_the_same_case(
    app_client: TestClient, session: Session, market: Staff
) -> None:
    item = make_item(session, market.department)
    session.commit()
    first = _post(app_client, item.code, key="click-1")
    again = _post(app_client, item.code, key="click-1")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    # The query code can be shown again: it derives from the key, it is not stored.
    assert again.json()["query_code"] == first.json()["query_code"]
    assert again.json()["created"] is False
    assert session.scalar(select(func.count()).select_from(Case)) == 1
    # A form field carries the key for browsers.
    via_form = app_client.post(
        URL,
        data={"application": _application(item.code), "idempotency_key": "click-1"},
        files=[("id_card", ("a.pdf", PDF)), ("form", ("b.pdf", PDF))],
    )
    assert via_form.status_code == 200
    assert via_form.json()["number"] == first.json()["number"]
    # Another applicant's identical key is another case.
    other = _post(app_client, item.code, key="click-1", id_number="33010619900101123X")
    assert other.status_code == 201
    assert other.json()["number"] != first.json()["number"]
