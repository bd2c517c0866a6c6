"""Deadlines counted into a year with no official holiday schedule (2027 here): filed all the
same, marked provisional everywhere, and counted again when the notice is imported, with the
change on the case's timeline and yellow cards kept with a note."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.cases import apply, make_item
from tests.functional.cases.conftest import Staff
from tests.functional.portal.test_hall import _track
from tests.support.calendars import notice_2027
from yiwang.cases import access, recount, supervision
from yiwang.cases.models import Card, Case, Transition
from yiwang.cases.tasks import RECOUNT
from yiwang.core import calendar, clock, events
from yiwang.core.audit import AuditEntry
from yiwang.core.jobs import Job
from yiwang.core.policy import SYSTEM

pytestmark = pytest.mark.dates


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00")


def _import(session: Session) -> list[int]:
    return calendar.import_schedule(
        session, actor=SYSTEM, content=notice_2027().encode(), filename="2027.csv"
    )


def test_an_application_late_in_december_is_filed_with_a_provisional_deadline(
    session: Session, market: Staff, tmp_path: Path, app_client: TestClient
) -> None:
    item = make_item(session, market.department, promised_limit_days=20, legal_limit_days=20)
    with clock.pin(at("2026-12-28")):
        filed = apply(session, item, tmp_path)
    case = filed.case
    assert case.submitted_on == dt.date(2026, 12, 28)
    assert case.deadline_provisional
    # 12-29..12-31 are three working days; 2027-01-01 (元旦) and the weekend after are not.
    assert case.due_on == calendar.add_workdays(session, dt.date(2027, 1, 3), 17)
    assert case.due_on == dt.date(2027, 1, 26)
    session.commit()
    shown = app_client.get(f"/api/v1/cases/{case.number}", headers=market.headers).json()
    assert shown["deadline_provisional"] is True
    page = _track(app_client, case.number, filed.query_code or "")
    assert page.status_code == 200
    assert 'id="due-on">2027-01-26<span class="provisional">（预计）' in page.text
    assert 'id="provisional-note"' in page.text


def test_a_deadline_within_an_official_year_is_not_provisional(
    session: Session, market: Staff, tmp_path: Path
) -> None:
    item = make_item(session, market.department, promised_limit_days=5, legal_limit_days=5)
    case = apply(session, item, tmp_path, now=at("2026-03-02")).case
    assert not case.deadline_provisional


def test_importing_the_notice_recounts_and_says_so(
    session: Session, market: Staff, tmp_path: Path, app_client: TestClient
) -> None:
    item = make_item(session, market.department, promised_limit_days=5, legal_limit_days=20)
    filed = apply(session, item, tmp_path, now=at("2027-02-03"))
    # Provisionally 2-13 (a Saturday) is worked: 2-04, 2-13, 2-15, 2-16, 2-17.
    assert filed.case.due_on == dt.date(2027, 2, 17)
    steady = apply(session, item, tmp_path, now=at("2027-03-01"), key="steady").case
    assert steady.deadline_provisional
    assert _import(session) == [2027]

    # The import's event queues the recount job.
    events.deliver_pending(session)
    queued = session.scalars(select(Job).where(Job.kind == RECOUNT)).all()
    assert [job.payload["years"] for job in queued] == [[2027]]

    result = recount.recount_provisional(session, years=[2027], source="import:2027.csv")
    assert result.checked >= 2
    change = next(c for c in result.changes if c["number"] == filed.case.number)
    # The notice keeps 2-13 off and works 2-20: 2-04, 2-15, 2-16, 2-17, 2-18.
    assert change["due_on"] == ["2027-02-17", "2027-02-18"]
    assert change["days"] == 1
    assert steady.number not in [c["number"] for c in result.changes]  # same days either way
    case = access.get_case(session, actor=SYSTEM, number=filed.case.number)
    assert case.due_on == dt.date(2027, 2, 18)
    assert not case.deadline_provisional
    assert not session.get(Case, steady.id).deadline_provisional  # type: ignore[union-attr]

    moved = session.scalars(
        select(Transition).where(Transition.case_id == case.id, Transition.action == "recount")
    ).one()
    assert moved.from_state == moved.to_state == case.state
    assert "2027-02-17" in (moved.reason or "")
    assert "2027-02-18" in (moved.reason or "")
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "case.recount_deadlines")
    ).one()
    assert entry.details["changed"] == len(result.changes)
    changed = session.scalars(
        select(events.OutboxEvent).where(events.OutboxEvent.name == recount.CHANGED_EVENT)
    ).one()
    assert filed.case.number in [c["number"] for c in changed.payload["cases"]]

    # A second recount finds nothing more to change: no deadline moves twice.
    assert recount.recount_provisional(session, years=[2027], source="again").changes == []

    session.commit()
    page = _track(app_client, case.number, filed.query_code or "")
    assert "2027-02-18" in page.text
    assert "（预计）" not in page.text
    assert "期限重新计算" in page.text
    assert "承诺办结日期由 2027-02-17 改为 2027-02-18" in page.text


def test_a_yellow_card_on_a_provisional_date_stays_with_a_note(
    session: Session, market: Staff, tmp_path: Path
) -> None:
    item = make_item(
        session, market.department, promised_limit_days=5, legal_limit_days=20, warn_days=2
    )
    case = apply(session, item, tmp_path, now=at("2027-02-04")).case
    # Provisionally due 2-18; the yellow card falls due two working days before, on 2-16.
    assert case.due_on == dt.date(2027, 2, 18)
    assert case.next_card_on == dt.date(2027, 2, 16)
    scanned = supervision.scan(session, today=dt.date(2027, 2, 16))
    assert scanned.yellow >= 1
    card = session.scalars(select(Card).where(Card.case_id == case.id)).one()
    assert card.provisional
    assert card.note is None

    _import(session)
    result = recount.recount_provisional(session, years=[2027], source="import:2027.csv")
    assert result.cards_noted >= 1
    session.refresh(card)
    assert card.level == "yellow"  # kept in the record
    assert card.note is not None
    assert "2027-02-19" in card.note
    session.refresh(case)
    assert case.due_on == dt.date(2027, 2, 19)
    assert case.next_card_on == dt.date(2027, 2, 20)  # red, the day after the deadline


def test_the_clock_stopped_for_a_supplement_is_recounted_too(
    session: Session, market: Staff, tmp_path: Path
) -> None:
    from yiwang.cases import workflow  # noqa: PLC0415
    from yiwang.cases.schemas import TransitionIn  # noqa: PLC0415

    item = make_item(session, market.department, promised_limit_days=3, legal_limit_days=20)
    filed = apply(session, item, tmp_path, now=at("2027-02-01"))
    workflow.transition(
        session,
        actor=market.actor,
        number=filed.case.number,
        action="request_supplement",
        data=TransitionIn(reason="缺少材料"),
        now=at("2027-02-03"),
    )
    case = workflow.transition(
        session,
        actor=SYSTEM,
        number=filed.case.number,
        action="supplement",
        data=TransitionIn(query_code=filed.query_code),
        now=at("2027-02-16"),
    )
    # Provisionally 2-04, 2-13 and 2-15, 2-16 passed while paused: four working days.
    assert case.paused_workdays == 4
    _import(session)
    recount.recount_provisional(session, years=[2027], source="import:2027.csv")
    session.refresh(case)
    # Officially 2-04, 2-15 and 2-16: three, and the deadline is counted from the filing again.
    assert case.paused_workdays == 3
    assert case.due_on == calendar.add_workdays(session, dt.date(2027, 2, 1), 3 + 3)
