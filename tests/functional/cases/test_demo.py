"""The cases demo as someone exploring ``yiwang serve --demo`` finds it: dozens of real-looking
items across departments, months of history with late and overdue cases, ratings, cards, and
complaints in all 11 cities, each inside its city."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwang import engines
from yiwang.cases import demo, items, numbers, stats
from yiwang.cases.demo_data import CITY_POINTS
from yiwang.cases.models import Card, Case, Rating
from yiwang.core.codes import normalize_ric, normalize_uscc
from yiwang.core.config import get_settings
from yiwang.demo import install_packs, load_core


@pytest.fixture
def loaded(session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setenv("YIWANG_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    load_core(session)
    engines.load()
    install_packs(session)  # the items and categories are the packs'
    started = time.perf_counter()
    demo.load(session)
    elapsed = time.perf_counter() - started
    get_settings.cache_clear()
    return elapsed


def _items_and_history(session: Session) -> None:
    services = items.list_items(session, kind="service")
    categories = items.list_items(session, kind="complaint_category")
    assert len(services) >= 30
    assert len({i.department_id for i, _ in services}) >= 12
    names = {v.name for _, v in services}
    assert {
        "企业设立登记",
        "食品经营许可",
        "建筑工程施工许可",
        "出生医学证明首次签发",
        "居住证办理",
    } <= names
    assert all(v.legal_basis and "《" in v.legal_basis for _, v in services)
    assert sum(1 for _, v in services if v.trips == 0) > len(services) / 2
    assert len(categories) >= 5

    total = session.scalar(select(func.count()).select_from(Case))
    assert total is not None
    assert total >= 500 + 150
    late = session.scalar(select(func.count()).where(Case.on_time.is_(False)))
    assert late is not None
    assert late > 20
    assert (session.scalar(select(func.count()).select_from(Rating)) or 0) > 200
    assert (session.scalar(select(func.count()).select_from(Card)) or 0) > 0
    for citizen in session.scalars(
        select(Case.applicant_id_number).where(Case.applicant_type == "citizen").limit(50)
    ):
        assert normalize_ric(str(citizen))
    for firm in session.scalars(
        select(Case.applicant_id_number).where(Case.applicant_type == "enterprise").limit(50)
    ):
        assert normalize_uscc(str(firm))
    # New cases are numbered after the demo's, without a clash.
    rows = stats.statistics(
        session,
        start=min(session.scalars(select(Case.submitted_on))),
        end=max(session.scalars(select(Case.submitted_on))),
    )
    assert stats.totals(rows)["trips_saved"] > 0


def _complaints_in_their_cities(session: Session) -> None:
    rows = session.execute(
        select(Case.division_code, Case.latitude, Case.longitude).where(Case.kind == "complaint")
    ).all()
    assert {r.division_code for r in rows} == set(CITY_POINTS)
    for division, lat, long in rows:
        centre_lat, centre_long, _ = CITY_POINTS[division]
        assert lat is not None
        assert long is not None
        assert abs(lat - centre_lat) <= 0.05
        assert abs(long - centre_long) <= 0.05
    # Routed by city: Wenzhou's noise complaints go to Wenzhou's environment bureau.
    wenzhou = session.execute(
        select(Case.department_id).where(Case.kind == "complaint", Case.division_code == "330300")
    ).scalars()
    assert len(set(wenzhou)) >= 1


def test_demo(session: Session, loaded: float) -> None:
    """One load (the core demo hashes dozens of passwords), every check."""
    _items_and_history(session)
    _complaints_in_their_cities(session)
    assert loaded < 20  # a few seconds on a quiet machine; generous for a busy test run
    case = session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case is not None
    number = numbers.next_number(session, division_code=case.division_code, day=case.submitted_on)
    assert session.scalar(select(func.count()).where(Case.number == number)) == 0
