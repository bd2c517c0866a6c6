"""Receipts a citizen can keep: the receipt pages of the service hall and of complaints say
what happens next and offer the receipt as a PDF; the PDF is made on the server, carries the
case number, the query code and the promised date with personal data masked, and is given
only to whoever sends the case number with its query code."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from tests.factories.cases import CITIZEN_ID, PDF, apply, make_category, make_item
from tests.factories.core import make_department
from tests.functional.core.test_pages import csrf_of
from yiwang.app import create_app
from yiwang.cases.models import ServiceItem
from yiwang.core import clock
from yiwang.core.config import Settings
from yiwang.core.db import Database
from yiwang.core.identity import Department

pytestmark = pytest.mark.dates

HTML = {"Accept": "text/html"}


@pytest.fixture
def market(session: Session) -> Department:
    department = make_department(
        session, name_zh="杭州市市场监督管理局", slug="t-receipt-market", division_code="330100"
    )
    session.commit()
    return department


@pytest.fixture
def birth_certificate(session: Session, market: Department) -> ServiceItem:
    item = make_item(
        session,
        market,
        name="出生医学证明首次签发",
        name_en="First issue of a birth certificate",
        applicant_types=["citizen"],
        promised_limit_days=7,
    )
    session.commit()
    return item


def _download(client: TestClient, number: str, code: str, *, lang: str = "zh-CN") -> Any:
    page = client.get("/track", headers=HTML).text
    return client.post(
        "/track/receipt.pdf",
        params={"lang": lang},
        data={"csrf": csrf_of(page), "number": number, "code": code},
        headers=HTML,
    )


def _text(pdf: bytes) -> str:
    """The PDF's text, its lines joined (pypdf breaks a line where the layout wraps it)."""
    reader = PdfReader(io.BytesIO(pdf))
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "")


def _pdf_form(page: str) -> dict[str, str]:
    """The fields of the receipt's PDF download form, as a browser sends them."""
    form = re.search(
        r'<form method="post" action="/track/receipt.pdf">(.*?)</form>', page, re.DOTALL
    )
    assert form is not None, page
    assert "下载回执 (PDF)" in form.group(1)
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(1)))


def test_an_application_s_receipt_is_a_pdf_with_its_number_and_code(
    app_client: TestClient, session: Session, tmp_path: Path, birth_certificate: ServiceItem
) -> None:
    filed = apply(session, birth_certificate, tmp_path)
    session.commit()
    number, code = filed.case.number, filed.query_code or ""

    answer = _download(app_client, number, code.lower())  # typed in lower case
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == f'attachment; filename="receipt-{number}.pdf"'
    assert answer.headers["cache-control"] == "no-store"
    assert answer.content.startswith(b"%PDF")
    text = _text(answer.content)
    assert number in text
    assert code.upper() in text
    assert "出生医学证明首次签发" in text
    assert "杭州市市场监督管理局" in text
    assert "已提交" in text  # the state in words
    assert "7 个工作日" in text
    assert filed.case.due_on.isoformat() in text
    assert "http://testserver/track" in text
    assert "张**" in text  # masked as the track page masks it
    assert "张三丰" not in text
    assert CITIZEN_ID not in text

    english = _text(_download(app_client, number, code, lang="en").content)
    assert "First issue of a birth certificate" in english
    assert "Submitted" in english
    assert "7 working days" in english


def test_without_the_right_query_code_there_is_no_pdf(
    app_client: TestClient, session: Session, tmp_path: Path, birth_certificate: ServiceItem
) -> None:
    filed = apply(session, birth_certificate, tmp_path)
    session.commit()
    number, code = filed.case.number, filed.query_code or ""

    for wrong_number, wrong_code in (
        (number, "ABCDEFGH"),
        (number, ""),
        ("330100-20250101-000001", code),
    ):
        refused = _download(app_client, wrong_number, wrong_code)
        assert refused.status_code == 404
        assert refused.headers["content-type"].startswith("text/html")
        assert "没有找到办件：办件编号或查询码不正确" in refused.text
        assert "出生医学证明首次签发" not in refused.text
        assert not refused.content.startswith(b"%PDF")

    no_csrf = app_client.post(
        "/track/receipt.pdf", data={"number": number, "code": code}, headers=HTML
    )
    assert no_csrf.status_code == 403
    assert not no_csrf.content.startswith(b"%PDF")
    # The code is asked in the body only: a URL that names it gives nothing.
    in_url = app_client.get("/track/receipt.pdf", params={"number": number, "code": code})
    assert in_url.status_code in (404, 405)
    assert not in_url.content.startswith(b"%PDF")


def test_the_hall_receipt_offers_the_pdf_and_says_what_happens_next(
    app_client: TestClient, session: Session, birth_certificate: ServiceItem
) -> None:
    page = app_client.get(f"/services/{birth_certificate.code}/apply", headers=HTML).text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key is not None
    filed = app_client.post(
        f"/services/{birth_certificate.code}/apply",
        data={
            "csrf": csrf_of(page),
            "idempotency_key": key.group(1),
            "applicant_type": "citizen",
            "applicant_name": "张三丰",
            "applicant_id_number": CITIZEN_ID,
            "applicant_phone": "13812345678",
            "field_purpose": "首次签发",
        },
        files=[
            ("file_id_card", ("身份证.pdf", PDF, "application/pdf")),
            ("file_form", ("申请书.pdf", PDF, "application/pdf")),
        ],
        headers=HTML,
    )
    assert filed.status_code == 201, filed.text
    receipt = filed.text
    number = re.search(r'<dd id="case-number" class="code">([\d-]+)</dd>', receipt)
    code = re.search(r'<dd id="query-code" class="code">(\w{8})</dd>', receipt)
    assert number is not None
    assert code is not None
    nxt = re.search(r'<section class="receipt-next".*?</section>', receipt, re.DOTALL)
    assert nxt is not None
    assert "承诺 7 个工作日内办结" in nxt.group(0)
    assert "http://testserver/track" in nxt.group(0)
    assert code.group(1) in nxt.group(0)
    assert '<link rel="stylesheet" href="/static/css/receipt.css">' in receipt
    assert 'id="receipt-print"' in receipt
    assert not re.search(rf'href="[^"]*{code.group(1)}', receipt)  # never in a URL

    fields = _pdf_form(receipt)
    assert (fields["number"], fields["code"]) == (number.group(1), code.group(1))
    answer = app_client.post("/track/receipt.pdf", data=fields, headers=HTML)
    assert answer.status_code == 200, answer.text
    assert answer.content.startswith(b"%PDF")
    assert number.group(1) in _text(answer.content)


def test_a_complaint_s_receipt_downloads_as_a_pdf(
    app_client: TestClient, session: Session, market: Department
) -> None:
    category = make_category(session, market, name="占道经营", promised_limit_days=4)
    session.commit()
    form = app_client.get("/complaints/new", params={"category": category.code}, headers=HTML)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.text))
    filed = app_client.post(
        "/complaints/new",
        data={
            "csrf": hidden["csrf"],
            "idempotency_key": hidden["idempotency_key"],
            "category": category.code,
            "description": "人行道上摆摊",
            "longitude": "120.16",
            "latitude": "30.27",
            "contact_name": "王五",
            "phone": "13800001234",
        },
        headers=HTML,
    )
    assert filed.status_code == 201, filed.text
    receipt = filed.text
    number = re.search(r'<dd id="case-number" class="token">([^<]+)</dd>', receipt)
    code = re.search(r'<dd id="query-code" class="token">([^<]+)</dd>', receipt)
    assert number is not None
    assert code is not None
    nxt = re.search(r'<section class="receipt-next".*?</section>', receipt, re.DOTALL)
    assert nxt is not None
    assert "4 个工作日内答复" in nxt.group(0)
    assert "http://testserver/track" in nxt.group(0)

    answer = app_client.post("/track/receipt.pdf", data=_pdf_form(receipt), headers=HTML)
    assert answer.status_code == 200, answer.text
    assert answer.content.startswith(b"%PDF")
    text = _text(answer.content)
    assert number.group(1) in text
    assert code.group(1) in text
    assert "占道经营" in text
    assert "4 个工作日" in text
    assert "王*" in text
    assert "13800001234" not in text


def test_query_code_guesses_for_a_pdf_are_throttled(
    committed_database: Database, settings: Settings
) -> None:
    client = TestClient(create_app(settings, committed_database))
    csrf = csrf_of(client.get("/track", headers=HTML).text)
    with clock.pin(clock.now()):
        answers = [
            client.post(
                "/track/receipt.pdf",
                data={"csrf": csrf, "number": "330100-20261207-000001", "code": f"G{n:07d}"},
                headers=HTML,
            )
            for n in range(settings.throttle_free_per_address + 1)
        ]
    assert {a.status_code for a in answers[:-1]} == {404}
    assert answers[-1].status_code == 429
    assert answers[-1].headers["retry-after"]
    assert "尝试次数过多" in answers[-1].text
