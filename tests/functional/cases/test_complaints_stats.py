"""Complaints as cases (routing by category and city, public listing), the list filters the
Open311 layer relies on, statistics, and their publication in the open-data catalogue."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories.cases import apply, complain, make_category, make_item
from tests.factories.core import make_department
from tests.functional.cases.conftest import Staff
from tests.support.databases import BoundDatabase
from yiwang.cases import access, queries, stats, tasks, workflow
from yiwang.cases.models import Case
from yiwang.cases.schemas import TransitionIn
from yiwang.catalog import datastore
from yiwang.catalog import service as catalog
from yiwang.core import jobs
from yiwang.core.db import Database
from yiwang.core.jobs import Worker
from yiwang.core.policy import ANONYMOUS, SYSTEM

pytestmark = pytest.mark.dates


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00")


def test_complaints_are_routed_by_category_and_city(session: Session, market: Staff) -> None:
    ningbo = make_department(session, slug="t-nb-city", division_code="330200")
    category = make_category(
        session, market.department, routing={"330200": "t-nb-city", "default": "t-market"}
    )
    in_ningbo = complain(session, category, division_code="330212").case  # a district of Ningbo
    in_hangzhou = complain(session, category, division_code="330100").case
    assert in_ningbo.department_id == ningbo.id
    assert in_ningbo.division_code == "330212"
    assert in_hangzhou.department_id == market.department.id
    assert in_hangzhou.kind == "complaint"
    assert (in_hangzhou.latitude, in_hangzhou.longitude) == (30.27, 120.15)
    assert in_hangzhou.due_on > in_hangzhou.submitted_on


def test_complaint_over_http_and_its_public_listing(
    app_client: TestClient, session: Session, market: Staff
) -> None:
    category = make_category(session, market.department)
    item = make_item(session, market.department)
    session.commit()
    body = {
        "category_code": category.code,
        "division_code": "330100",
        "latitude": 30.25,
        "longitude": 120.16,
        "description": "路灯不亮",
        "contact": {"name": "赵六", "phone": "13700001234"},
    }
    first = app_client.post("/api/v1/cases/complaints", json=body, headers={"Idempotency-Key": "k"})
    assert first.status_code == 201, first.text
    assert first.json()["applicant"]["name"] == "赵*"
    again = app_client.post("/api/v1/cases/complaints", json=body, headers={"Idempotency-Key": "k"})
    assert (again.status_code, again.json()["number"]) == (200, first.json()["number"])
    no_place = app_client.post(
        "/api/v1/cases/complaints", json={**body, "latitude": None, "longitude": None}
    )
    assert no_place.status_code == 422
    wrong = app_client.post("/api/v1/cases/complaints", json={**body, "category_code": item.code})
    assert wrong.status_code == 422
    assert "不是投诉类别" in wrong.json()["error"]["message"]
    # The public list (what Open311 shows) holds complaints only.
    rows, total = queries.list_cases(
        session, actor=ANONYMOUS, filters=queries.CaseFilters(), public=True
    )
    assert total == 1
    assert rows[0].number == first.json()["number"]


def test_list_filters(session: Session, market: Staff, tmp_path: Path) -> None:
    category = make_category(session, market.department)
    other = make_category(session, market.department)
    old = complain(session, category, now=at("2025-09-01")).case
    new = complain(session, category, now=at("2025-10-09")).case
    elsewhere = complain(session, other, now=at("2025-10-09")).case
    workflow.transition(
        session,
        actor=market.actor,
        number=old.number,
        action="reject",
        data=TransitionIn(reason="重复投诉"),
    )

    def numbers(**filters: object) -> set[str]:
        rows, _ = queries.list_cases(
            session,
            actor=market.actor,
            filters=queries.CaseFilters(**filters),  # type: ignore[arg-type]
        )
        return {r.number for r in rows}

    assert numbers(status="open") == {new.number, elsewhere.number}
    assert numbers(status="closed") == {old.number}
    assert numbers(item_codes=[other.code]) == {elsewhere.number}
    assert numbers(submitted_from=at("2025-10-01"), submitted_before=at("2025-10-10")) == {
        new.number,
        elsewhere.number,
    }
    assert numbers(numbers=[old.number, new.number]) == {old.number, new.number}
    assert numbers(ids=[elsewhere.id]) == {elsewhere.number}
    # Staff of another department list none of them.
    _, total = queries.list_cases(
        session, actor=SYSTEM.__class__(user_id=999, role=None), filters=queries.CaseFilters()
    )
    assert total == 0
    apply(session, make_item(session, market.department), tmp_path)
    assert len(numbers(kind="application")) == 1
    assert numbers(kind="complaint") == {
        old.number,
        new.number,
        elsewhere.number,
    }


def _close(session: Session, staff: Staff, number: str, now: dt.datetime) -> None:
    for action, data in (
        ("accept", TransitionIn()),
        ("start_review", TransitionIn()),
    ):
        workflow.transition(
            session, actor=staff.actor, number=number, action=action, data=data, now=now
        )
    case = access.get_case(session, actor=staff.actor, number=number)
    for task in queries.tasks_of(session, case):
        workflow.complete_task(
            session, actor=staff.actor, number=number, task_id=task.id, opinion="agree"
        )
    workflow.transition(
        session,
        actor=staff.actor,
        number=number,
        action="decide",
        data=TransitionIn(decision="approved", document_number="D-1"),
        now=now,
    )
    workflow.transition(
        session,
        actor=staff.actor,
        number=number,
        action="deliver",
        data=TransitionIn(delivery_method="pickup"),
        now=now,
    )
    workflow.transition(session, actor=staff.actor, number=number, action="close", now=now)


def test_statistics(session: Session, market: Staff, tmp_path: Path) -> None:
    item = make_item(session, market.department, promised_limit_days=2, trips=0, trips_offline=2)
    fast = apply(session, item, tmp_path, now=at("2025-09-29"))
    slow = apply(session, item, tmp_path, now=at("2025-09-29"))
    apply(session, item, tmp_path, now=at("2025-09-29"))  # still open
    _close(session, market, fast.case.number, at("2025-09-30"))  # 1 working day, on time
    _close(session, market, slow.case.number, at("2025-10-10"))  # 09-30, 10-09, 10-10: late
    workflow.rate(
        session, actor=ANONYMOUS, number=fast.case.number, score=5, query_code=fast.query_code
    )
    workflow.rate(
        session, actor=ANONYMOUS, number=slow.case.number, score=2, query_code=slow.query_code
    )
    [row] = stats.statistics(session, start=dt.date(2025, 9, 1), end=dt.date(2025, 10, 1))
    assert row["item"] == item.code
    assert row["volume"] == 3
    assert row["finished"] == 2
    assert row["on_time_rate"] == 0.5
    assert row["average_workdays"] == 2.0  # (1 + 3) / 2
    assert (row["ratings"], row["satisfaction"], row["good_rate"]) == (2, 3.5, 0.5)
    assert (row["zero_trip_cases"], row["trips_saved"]) == (2, 4)
    assert stats.totals([row])["volume"] == 3


def test_monthly_statistics_are_published_to_the_catalogue(
    db: BoundDatabase, session: Session, market: Staff, office: Staff, tmp_path: Path
) -> None:
    item = make_item(session, market.department)
    apply(session, item, tmp_path, now=at("2025-09-10"))
    apply(session, item, tmp_path, now=at("2025-10-10"))
    jobs.enqueue(session, kind=tasks.PUBLISH, payload={"month": "2025-10"}, actor=SYSTEM)
    session.commit()
    assert Worker(db).run_one()
    with db.sessionmaker() as check:
        resource = catalog.get_resource(check, actor=ANONYMOUS, ref=stats.RESOURCE_CODE)
        assert resource.open_class == "unconditional"
        assert resource.department_id == office.department.id
        [distribution] = resource.distributions
        result, _ = datastore.read(
            check,
            actor=ANONYMOUS,
            distribution_id=distribution.id,
            query=datastore.Query(fields=["月份"]),
        )
        months = sorted(str(r[-1]) for r in result.records)
        assert months == ["2025-09", "2025-10"]
        assert check.scalar(select(func.count()).select_from(Case)) == 2


def test_concurrent_double_submission_files_one_case(
    committed_database: Database, tmp_path: Path
) -> None:
    with committed_database.session() as session:
        department = make_department(session, slug="t-race", division_code="330100")
        item = make_item(session, department)
        code = item.code
    barrier = threading.Barrier(2)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            barrier.wait(timeout=10)
            with committed_database.session() as session:
                filed = apply(
                    session,
                    service_item(session, code),
                    tmp_path,
                    key="double-click",
                    code_secret=b"secret",
                )
                numbers.append(filed.case.number)
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(numbers) == 2
    assert numbers[0] == numbers[1]
    with committed_database.session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def service_item(session: Session, code: str):  # type: ignore[no-untyped-def]
    from yiwang.cases import items  # noqa: PLC0415

    return items.get_item(session, code=code)


def test_public_complaint_search_merges_categories_cities_and_statuses(
    session: Session, market: Staff
) -> None:
    """Every filter combination Open311 asks for gives the complaints a full scan would:
    newest first, paged, however the search splits into index ranges."""
    noise, litter, other = (make_category(session, market.department) for _ in range(3))
    start = dt.datetime(2025, 10, 8, tzinfo=dt.UTC)
    filed = []
    for n in range(24):
        category = (noise, litter, other)[n % 3]
        city = ("330100", "330200")[n // 3 % 2]
        case = complain(
            session, category, division_code=city, now=start + dt.timedelta(hours=n)
        ).case
        filed.append((case, category.code))
    for case, _ in filed[::4]:
        case.is_open = False  # as a rejection or closing leaves it
    session.commit()
    end = start + dt.timedelta(hours=24)

    def expected(codes: set[str], division: str | None, statuses: set[bool]) -> list[str]:
        hits = [
            (c.submitted_at, c.id, c.number)
            for c, code in filed
            if (not codes or code in codes)
            and (division is None or c.division_code == division)
            and c.is_open in statuses
        ]
        return [number for _, _, number in sorted(hits, reverse=True)]

    divisions: tuple[str | None, ...] = (None, "330200")
    for codes in (set(), {noise.code}, {noise.code, litter.code}):
        for division in divisions:
            for statuses, wanted in (
                ([], {True, False}),
                (["open"], {True}),
                (["closed"], {False}),
            ):
                everything = expected(codes, division, wanted)
                for limit, offset in ((100, 0), (3, 0), (3, 2), (2, 5)):
                    rows = queries.list_public_complaints(
                        session,
                        item_codes=sorted(codes),
                        division_code=division,
                        statuses=statuses,
                        limit=limit,
                        offset=offset,
                        submitted_from=start,
                        submitted_before=end,
                    )
                    assert [r.number for r in rows] == everything[offset : offset + limit], (
                        codes,
                        division,
                        statuses,
                        limit,
                        offset,
                    )
    # Public columns only: the complainant's contact is not even read.
    (row,) = queries.list_public_complaints(
        session, submitted_from=start, submitted_before=end, limit=1
    )
    assert "applicant_phone" not in row._fields
    unknown = queries.list_public_complaints(
        session, item_codes=["NO-SUCH"], submitted_from=start, submitted_before=end, limit=5
    )
    assert unknown == []
