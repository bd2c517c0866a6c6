"""Deadlines in working days around National Day 2025 (10-01..10-08 off; 09-28 and 10-11 are
make-up workdays), the clock stopped during 补正, and the yellow and red cards of supervision."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.cases import apply, make_item
from tests.functional.cases.conftest import Staff
from yiwang.cases import access, supervision, workflow
from yiwang.cases.models import Card
from yiwang.cases.schemas import TransitionIn
from yiwang.core.events import OutboxEvent
from yiwang.core.policy import ANONYMOUS, SYSTEM

pytestmark = pytest.mark.dates


def at(day: str, hour: int = 10) -> dt.datetime:
    """A moment of a local (China Standard Time) day."""
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00")


@pytest.mark.parametrize(
    ("filed", "days", "due"),
    [
        ("2025-09-26", 1, "2025-09-28"),  # a Friday: the make-up Sunday is the next workday
        ("2025-09-26", 2, "2025-09-29"),
        ("2025-09-30", 1, "2025-10-09"),  # the eight days off are skipped
        ("2025-09-30", 3, "2025-10-11"),  # ... and the make-up Saturday counts
        ("2025-10-03", 1, "2025-10-09"),  # filed on a holiday
        ("2025-09-29", 5, "2025-10-13"),
    ],
)
def test_deadline_over_national_day(
    session: Session, market: Staff, tmp_path: Path, filed: str, days: int, due: str
) -> None:
    item = make_item(session, market.department, promised_limit_days=days, legal_limit_days=20)
    case = apply(session, item, tmp_path, now=at(filed)).case
    assert case.submitted_on == dt.date.fromisoformat(filed)
    assert case.due_on == dt.date.fromisoformat(due)


def test_filed_late_in_the_evening_counts_from_the_local_day(
    session: Session, market: Staff, tmp_path: Path
) -> None:
    item = make_item(session, market.department, promised_limit_days=1)
    # 23:30 in Hangzhou on 09-30 is still 09-30 (15:30 UTC).
    case = apply(session, item, tmp_path, now=at("2025-09-30", 23)).case
    assert case.submitted_on == dt.date(2025, 9, 30)
    assert case.due_on == dt.date(2025, 10, 9)


def test_the_clock_stops_during_supplement(session: Session, market: Staff, tmp_path: Path) -> None:
    item = make_item(session, market.department, promised_limit_days=3)
    filed = apply(session, item, tmp_path, now=at("2025-09-30"))
    number = filed.case.number
    assert filed.case.due_on == dt.date(2025, 10, 11)
    workflow.transition(
        session,
        actor=market.actor,
        number=number,
        action="request_supplement",
        data=TransitionIn(reason="缺少营业执照副本"),
        now=at("2025-09-30", 15),
    )
    case = access.get_case(session, actor=market.actor, number=number)
    assert case.paused_on == dt.date(2025, 9, 30)
    assert case.next_card_on is None  # no card while the applicant has the case
    # Supplemented on 10-10: two working days (10-09, 10-10) passed with the clock stopped.
    case = workflow.transition(
        session,
        actor=ANONYMOUS,
        number=number,
        action="supplement",
        data=TransitionIn(query_code=filed.query_code),
        now=at("2025-10-10"),
    )
    assert case.state == "submitted"
    assert case.paused_workdays == 2
    assert case.due_on == dt.date(2025, 10, 14)  # 10-11 (make-up) + 2 workdays: 10-13, 10-14
    assert case.next_card_on == dt.date(2025, 10, 13)


def test_the_clock_runs_on_when_the_item_says_so(
    session: Session, market: Staff, tmp_path: Path
) -> None:
    item = make_item(
        session, market.department, promised_limit_days=3, clock_stops_on_supplement=False
    )
    filed = apply(session, item, tmp_path, now=at("2025-09-30"))
    workflow.transition(
        session,
        actor=market.actor,
        number=filed.case.number,
        action="request_supplement",
        data=TransitionIn(reason="补正"),
        now=at("2025-09-30", 15),
    )
    case = workflow.transition(
        session,
        actor=ANONYMOUS,
        number=filed.case.number,
        action="supplement",
        data=TransitionIn(query_code=filed.query_code),
        now=at("2025-10-10"),
    )
    assert case.due_on == dt.date(2025, 10, 11)
    assert case.paused_workdays == 0


def _cards(session: Session) -> list[tuple[str, str, int]]:
    rows = session.execute(select(Card.case_id, Card.level, Card.workdays_left).order_by(Card.id))
    return [(str(case_id), level, left) for case_id, level, left in rows]


def test_yellow_then_red_cards(session: Session, market: Staff, tmp_path: Path) -> None:
    item = make_item(session, market.department, promised_limit_days=3, warn_days=1)
    case = apply(session, item, tmp_path, now=at("2025-09-30")).case  # due 10-11 (Saturday)
    assert case.next_card_on == dt.date(2025, 10, 10)
    assert supervision.scan(session, today=dt.date(2025, 10, 9)).yellow == 0
    result = supervision.scan(session, today=dt.date(2025, 10, 10))
    assert (result.yellow, result.red) == (1, 0)
    session.refresh(case)
    assert case.card == "yellow"
    # A second scan the same day issues nothing again.
    assert supervision.scan(session, today=dt.date(2025, 10, 10)).yellow == 0
    assert supervision.scan(session, today=dt.date(2025, 10, 11)).red == 0  # due that day
    result = supervision.scan(session, today=dt.date(2025, 10, 12))
    assert (result.yellow, result.red) == (0, 1)
    # Overdue on Sunday 10-12, no working day past the deadline yet.
    assert _cards(session) == [(str(case.id), "yellow", 1), (str(case.id), "red", 0)]
    session.refresh(case)
    assert case.next_card_on is None
    events = session.scalars(select(OutboxEvent.name).where(OutboxEvent.name.like("case.card.%")))
    assert sorted(events) == ["case.card.red", "case.card.yellow"]


def test_overdue_at_first_scan_gets_a_red_card_only(
    session: Session, market: Staff, tmp_path: Path
) -> None:
    item = make_item(session, market.department, promised_limit_days=1)
    apply(session, item, tmp_path, now=at("2025-09-30"))  # due 10-09
    result = supervision.scan(session, today=dt.date(2025, 10, 15))
    assert (result.yellow, result.red) == (0, 1)
    assert session.scalar(select(Card.workdays_left)) == -5  # 10-10, 10-11, 10-13, 10-14, 10-15


def test_finished_and_paused_cases_get_no_card(
    session: Session, market: Staff, tmp_path: Path
) -> None:
    item = make_item(session, market.department, promised_limit_days=1)
    rejected = apply(session, item, tmp_path, now=at("2025-09-30")).case
    workflow.transition(
        session,
        actor=market.actor,
        number=rejected.number,
        action="reject",
        data=TransitionIn(reason="不属于本机关职权范围"),
        now=at("2025-09-30", 16),
    )
    paused = apply(session, item, tmp_path, now=at("2025-09-30")).case
    workflow.transition(
        session,
        actor=market.actor,
        number=paused.number,
        action="request_supplement",
        data=TransitionIn(reason="补正"),
        now=at("2025-09-30", 16),
    )
    assert supervision.scan(session, today=dt.date(2025, 12, 1)).red == 0
    assert rejected.on_time is True
    assert rejected.workdays_used == 0


def test_supervision_views(
    app_client: TestClient,
    session: Session,
    market: Staff,
    fire: Staff,
    office: Staff,
    tmp_path: Path,
) -> None:
    item = make_item(session, market.department, promised_limit_days=1)
    for _ in range(2):
        apply(session, item, tmp_path, now=at("2025-09-30"))
    supervision.scan(session, today=dt.date(2025, 10, 20), actor=SYSTEM)
    session.commit()
    url = "/api/v1/cases/supervision"
    own = app_client.get(
        url, params={"department_id": market.department.id}, headers=market.headers
    )
    assert own.status_code == 200, own.text
    body = own.json()
    assert body["cards"] == {"yellow": 0, "red": 2}
    assert body["open_with_card"]["red"] == 2
    assert body["by_item"][0]["item"] == item.code
    assert body["flagged"][0]["due_on"] == "2025-10-09"
    assert body["flagged"][0]["days_overdue"] > 0
    # Another department may not look; the data office sees the province.
    stranger = app_client.get(
        url, params={"department_id": market.department.id}, headers=fire.headers
    )
    assert stranger.status_code == 403
    assert app_client.get(url, headers=market.headers).status_code == 403
    province = app_client.get(url, headers=office.headers).json()
    assert province["scope"] == "province"
    assert {d["department_id"]: d["red"] for d in province["by_department"]} == {
        market.department.id: 2
    }
    assert session.scalar(select(func.count()).select_from(Card)) == 2
