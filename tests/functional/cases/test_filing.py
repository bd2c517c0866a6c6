"""Filing as the applicant sees it when many file at once: the answer is the case as it is
stored, numbers are given without waiting for other filings to commit, the audit entry is
written with the filing (and only if it stays), and revised items are filed under at once."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.cases import CITIZEN_ID, PDF, PNG, apply, make_item
from tests.functional.cases.conftest import Staff
from yiwang.cases import items, materials, numbers
from yiwang.cases.materials import Upload
from yiwang.cases.schemas import ItemVersionSpec
from yiwang.core import audit
from yiwang.core.audit import AuditEntry
from yiwang.core.db import Database
from yiwang.core.policy import SYSTEM

pytestmark = pytest.mark.dates


URL = "/api/v1/cases/applications"


def _post(client: TestClient, item_code: str, **headers: str) -> Any:
    application = {
        "item_code": item_code,
        "applicant": {"type": "citizen", "name": "王小明", "id_number": CITIZEN_ID},
        "form": {"purpose": "开办餐饮店"},
    }
    return client.post(
        URL,
        data={"application": json.dumps(application, ensure_ascii=False)},
        files=[("id_card", ("身份证.png", PNG)), ("form", ("申请书.pdf", PDF))],
        headers=headers,
    )


@pytest.mark.parametrize("reader", ["applicant", "staff"])
def test_the_answer_to_a_filing_is_the_case_as_stored(
    app_client: TestClient, session: Session, market: Staff, reader: str
) -> None:
    item = make_item(session, market.department)
    session.commit()
    headers = market.headers if reader == "staff" else {}
    filed = _post(app_client, item.code, **headers)
    assert filed.status_code == 201, filed.text
    body = filed.json()
    number, code = body.pop("number"), body.pop("query_code")
    assert body.pop("created") is True
    read = app_client.get(f"/api/v1/cases/{number}", headers={"X-Query-Code": code, **headers})
    assert read.status_code == 200
    stored = read.json()
    stored.pop("number")
    assert body == stored
    assert [m["purpose"] for m in body["materials"]] == ["application", "application"]
    assert [h["action"] for h in body["history"]] == ["submit"]
    # Staff of the responsible department see the applicant whole, anyone else masked.
    assert (body["applicant"]["id_number"] == CITIZEN_ID) is (reader == "staff")


def test_each_filing_is_audited_in_the_chain(
    app_client: TestClient, session: Session, market: Staff
) -> None:
    item = make_item(session, market.department)
    session.commit()
    numbers = [_post(app_client, item.code).json()["number"] for _ in range(3)]
    audited = list(
        session.scalars(
            select(AuditEntry.object_id)
            .where(AuditEntry.action == "case.submit")
            .order_by(AuditEntry.seq)
        )
    )
    assert audited[-3:] == numbers
    assert audit.verify(session, actor=SYSTEM).ok


def test_a_filing_rolled_back_leaves_no_audit_entry(
    session: Session, market: Staff, tmp_path: Path
) -> None:
    item = make_item(session, market.department)
    session.commit()
    kept = apply(session, item, tmp_path).case.number
    savepoint = session.begin_nested()
    undone = apply(session, item, tmp_path).case.number
    savepoint.rollback()
    session.commit()
    audited = set(
        session.scalars(select(AuditEntry.object_id).where(AuditEntry.action == "case.submit"))
    )
    assert kept in audited
    assert undone not in audited


def test_a_revised_item_is_filed_under_at_once(
    app_client: TestClient, session: Session, market: Staff
) -> None:
    item = make_item(session, market.department)
    session.commit()
    assert _post(app_client, item.code).json()["item"]["version"] == 1
    spec = ItemVersionSpec.model_validate(
        {
            "name": "测试事项（修订）",
            "legal_limit_days": 20,
            "promised_limit_days": 3,
            "materials": [{"key": "id_card", "name": "身份证明", "types": ["png"]}],
            "form_fields": [{"key": "purpose", "label": "申请事由", "required": True}],
        }
    )
    items.revise_item(session, actor=SYSTEM, code=item.code, data=spec)
    session.commit()
    revised = _post(app_client, item.code)
    # The new version no longer has the "form" material: the filing says so.
    assert revised.status_code == 422, revised.text
    assert "form" in revised.json()["error"]["message"]


def test_a_revision_in_the_same_transaction_is_filed_under(
    session: Session, market: Staff, tmp_path: Path
) -> None:
    item = make_item(session, market.department)
    session.commit()
    assert apply(session, item, tmp_path).case.item_version_id == item.current_version_id
    spec = ItemVersionSpec.model_validate(
        {
            "name": "测试事项（修订）",
            "legal_limit_days": 20,
            "promised_limit_days": 3,
            "materials": [{"key": "id_card", "name": "身份证明", "types": ["pdf"]}],
            "form_fields": [{"key": "purpose", "label": "申请事由", "required": True}],
        }
    )
    version = items.revise_item(session, actor=SYSTEM, code=item.code, data=spec)
    filed = apply(session, item, tmp_path, files=[Upload("id_card", "a.pdf", io.BytesIO(PDF))])
    assert filed.case.item_version_id == version.id


def test_numbers_are_given_while_another_filing_is_still_open(
    committed_database: Database, tmp_path: Path
) -> None:
    """On PostgreSQL a number is taken in a transaction of its own, so a second filing gets
    the next number at once instead of waiting for the first to commit. On SQLite writers
    take turns anyway (one write lock), and numbering stays inside the filing."""
    if committed_database.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    day = dt.date(2025, 10, 9)
    with committed_database.session() as first:
        taken = numbers.next_number(first, division_code="330100", day=day)
        got: list[str] = []

        def other() -> None:
            with committed_database.session() as second:
                got.append(numbers.next_number(second, division_code="330100", day=day))

        worker = threading.Thread(target=other)
        worker.start()
        worker.join(timeout=5)
        assert not worker.is_alive(), "the second filing waited for the first to commit"
    assert got == [taken[:-6] + f"{int(taken[-6:]) + 1:06d}"]


def test_a_stream_that_cannot_seek_is_stored_too(session: Session, tmp_path: Path) -> None:
    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            chunk = self.data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    stored = materials.store(
        session,
        Upload("form", "申请书.pdf", OneWay(PDF)),  # type: ignore[arg-type]
        root=tmp_path,
        max_bytes=10**6,
        accepted=["pdf"],
        material_name="申请书",
    )
    assert stored.path.read_bytes() == PDF
    again = materials.store(
        session,
        Upload("form", "again.pdf", io.BytesIO(PDF)),
        root=tmp_path,
        max_bytes=10**6,
        accepted=["pdf"],
        material_name="申请书",
    )
    assert again.path == stored.path
    kept = [p for p in (tmp_path / "cases" / "materials").rglob("*") if p.is_file()]
    assert kept == [stored.path]
