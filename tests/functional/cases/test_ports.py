"""The extension points the next engines use, exercised by test-only stand-ins (there is no
credit or certs engine yet): a check asked about every applicant when a case is filed (it may
block the filing with a reason, or flag the case), a provider offering a document in place of a
material, and the decision event a subscriber hears from the outbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.cases import (
    OTHER_CITIZEN_ID,
    PDF,
    PNG,
    apply,
    make_item,
    uploads,
)
from tests.functional.cases.conftest import Staff
from tests.support.databases import BoundDatabase
from yiwang.cases import items, queries, views, workflow
from yiwang.cases.models import Case, Material
from yiwang.cases.schemas import PowerCreate, TransitionIn
from yiwang.core import contracts, events
from yiwang.core.contracts import CaseDecided, Filing, MaterialWanted, ProvidedDocument
from yiwang.core.errors import InvalidInput
from yiwang.core.i18n import EN, ZH, add_messages
from yiwang.core.jobs import Worker
from yiwang.core.policy import SYSTEM

add_messages(
    {
        "test.credit.blacklisted": {
            ZH: "申请人 {name} 被列入严重失信主体名单，暂停受理该事项。",
            EN: "The applicant {name} is on the list of seriously dishonest parties.",
        },
        "test.credit.watched": {
            ZH: "申请人 {name} 在重点关注名单中，请审慎审查。",
            EN: "The applicant {name} is on the watch list.",
        },
    }
)


def _credit_check(session: Session, filing: Filing) -> contracts.Verdict:
    """A stand-in for the credit engine's joint-punishment check: one applicant blocked,
    the others flagged when they apply for a licence."""
    if filing.applicant.id_number == OTHER_CITIZEN_ID:
        return contracts.block("test.credit.blacklisted", name=filing.applicant.name)
    if filing.item.power_category == "licensing":
        return contracts.flag("test.credit.watched", name=filing.applicant.name)
    return contracts.OK


@pytest.fixture
def credit() -> Iterator[None]:
    contracts.register_filing_check("test.credit", _credit_check)
    yield
    contracts.unregister("test.credit")


def _licence_provider(session: Session, wanted: MaterialWanted) -> ProvidedDocument | None:
    """A stand-in for the certs engine: the citizen's identity document as an e-licence."""
    if wanted.key != "id_card" or wanted.applicant.type != "citizen":
        return None
    return ProvidedDocument(
        filename="电子身份证明.pdf", content=PDF, reference=f"EID-{wanted.applicant.id_number[-4:]}"
    )


@pytest.fixture
def certs() -> Iterator[None]:
    contracts.register_material_provider("test.certs", _licence_provider)
    yield
    contracts.unregister("test.certs")


def _licensing_item(session: Session, market: Staff) -> object:
    power = items.create_power(
        session,
        actor=SYSTEM,
        data=PowerCreate(
            code=f"QL-T-{market.department.id}",
            department_id=market.department.id,
            name="测试许可",
            category="licensing",
            legal_basis="《中华人民共和国行政许可法》",
        ),
    )
    return make_item(session, market.department, power_code=power.code)


# --- checks before filing ------------------------------------------------------------------------


def test_a_check_blocks_a_filing_with_its_reason_and_nothing_is_stored(
    session: Session, market: Staff, tmp_path: Path, credit: None
) -> None:
    item = make_item(session, market.department)
    before = session.scalar(select(func.count()).select_from(Case))
    with pytest.raises(contracts.FilingBlocked) as blocked:
        apply(session, item, tmp_path, id_number=OTHER_CITIZEN_ID)
    assert blocked.value.status_code == 422
    assert blocked.value.message(ZH) == "申请人 张三丰 被列入严重失信主体名单，暂停受理该事项。"
    assert blocked.value.details == {"check": "test.credit"}
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Case)) == before


def test_a_blocked_filing_is_answered_in_the_applicants_language(
    app_client: TestClient, session: Session, market: Staff, credit: None
) -> None:
    item = make_item(session, market.department, materials=[])
    session.commit()
    body = {
        "item_code": item.code,
        "applicant": {"type": "citizen", "name": "李四", "id_number": OTHER_CITIZEN_ID},
        "form": {"purpose": "测试"},
    }
    for language, text in (("zh-CN", "被列入严重失信主体名单"), ("en", "seriously dishonest")):
        answer = app_client.post(
            "/api/v1/cases/applications",
            content=json.dumps(body),
            headers={"Content-Type": "application/json", "Accept-Language": language},
        )
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert error["code"] == "test.credit.blacklisted"
        assert text in error["message"]


def test_a_flag_files_the_case_with_the_reason_for_its_staff_only(
    session: Session, market: Staff, tmp_path: Path, credit: None
) -> None:
    item = _licensing_item(session, market)
    filed = apply(session, item, tmp_path)  # type: ignore[arg-type]
    assert filed.created
    staff_view = views.case_dict(session, filed.case, full=True)
    (flag,) = staff_view["flags"]
    assert flag["check"] == "test.credit"
    assert flag["message"] == "申请人 张三丰 在重点关注名单中，请审慎审查。"
    assert "flags" not in views.case_dict(session, filed.case, full=False)


def test_no_check_no_flags(session: Session, market: Staff, tmp_path: Path) -> None:
    filed = apply(session, make_item(session, market.department), tmp_path)
    assert views.case_dict(session, filed.case, full=True)["flags"] == []


# --- materials provided --------------------------------------------------------------------------


def test_a_provider_offers_a_document_in_place_of_an_upload(
    session: Session, market: Staff, tmp_path: Path, certs: None
) -> None:
    item = make_item(session, market.department)
    filed = apply(session, item, tmp_path, files=uploads(form=PDF))  # no id_card uploaded
    rows = {
        m.key: m for m in session.scalars(select(Material).where(Material.case_id == filed.case.id))
    }
    assert set(rows) == {"id_card", "form"}
    assert rows["id_card"].provided_by == "test.certs:EID-002X"
    assert rows["id_card"].file_type == "pdf"
    assert rows["form"].provided_by is None
    assert (tmp_path / "cases" / "materials" / rows["id_card"].digest[:2]).is_dir()
    shown = views.case_dict(session, filed.case, full=False)["materials"]
    assert {m["key"]: m["provided_by"] for m in shown}["id_card"] == "test.certs:EID-002X"


def test_an_upload_is_kept_rather_than_a_provided_document(
    session: Session, market: Staff, tmp_path: Path, certs: None
) -> None:
    item = make_item(session, market.department)
    filed = apply(session, item, tmp_path, files=uploads(id_card=PNG, form=PDF))
    (id_card,) = session.scalars(
        select(Material).where(Material.case_id == filed.case.id, Material.key == "id_card")
    )
    assert (id_card.provided_by, id_card.file_type) == (None, "png")


def test_a_provided_document_is_checked_like_an_upload(
    session: Session, market: Staff, tmp_path: Path
) -> None:
    def offers_a_png(session: Session, wanted: MaterialWanted) -> ProvidedDocument | None:
        if wanted.key != "form":
            return None
        return ProvidedDocument(filename="申请书.png", content=PNG, reference="F-1")

    contracts.register_material_provider("test.wrong", offers_a_png)
    try:
        item = make_item(session, market.department)  # the form is a PDF, DOCX or OFD
        with pytest.raises(InvalidInput) as refused:
            apply(session, item, tmp_path, files=uploads(id_card=PDF))
        assert refused.value.code == "cases.material_type"
    finally:
        contracts.unregister("test.wrong")


def test_without_a_provider_a_missing_material_is_still_missing(
    session: Session, market: Staff, tmp_path: Path, certs: None
) -> None:
    item = make_item(session, market.department)
    with pytest.raises(InvalidInput) as refused:
        apply(session, item, tmp_path, files=uploads(id_card=PDF))  # no form, no one offers it
    assert refused.value.code == "cases.material_missing"


# --- decisions -----------------------------------------------------------------------------------


def test_a_decision_reaches_a_subscriber_with_what_credit_and_certs_need(
    session: Session, db: BoundDatabase, market: Staff, tmp_path: Path
) -> None:
    heard: list[CaseDecided] = []
    handler = contracts.subscribe(
        CaseDecided, "test.credit_records", lambda _session, message: heard.append(message)
    )
    try:
        item = _licensing_item(session, market)
        filed = apply(session, item, tmp_path)  # type: ignore[arg-type]
        number = filed.case.number
        workflow.transition(session, actor=market.actor, number=number, action="accept")
        workflow.transition(session, actor=market.actor, number=number, action="start_review")
        (task,) = queries.tasks_of(session, filed.case)
        workflow.complete_task(
            session, actor=market.actor, number=number, task_id=task.id, opinion="agree"
        )
        workflow.transition(
            session,
            actor=market.actor,
            number=number,
            action="decide",
            data=TransitionIn(decision="approved", document_number="XK-2026-001"),
        )
        session.commit()
        worker = Worker(db)
        while worker.deliver_events():
            pass
        (decided,) = heard
        assert decided.number == number
        assert decided.item_code == item.code  # type: ignore[attr-defined]
        assert decided.power_category == "licensing"
        assert (decided.decision, decided.document_number) == ("approved", "XK-2026-001")
        assert decided.department_id == market.department.id
        assert decided.applicant is not None
        assert decided.applicant.id_number == "11010519491231002X"
        assert decided.applicant.type == "citizen"
        assert decided.decided_at.tzinfo is not None
        assert decided.source_ref is None
    finally:
        events.unsubscribe(handler)


def test_a_newer_version_of_a_message_waits_for_a_process_that_knows_it() -> None:
    event = events.Event(1, CaseDecided.NAME, {"version": CaseDecided.VERSION + 1})
    with pytest.raises(contracts.UnknownVersion):
        CaseDecided.from_event(event)
