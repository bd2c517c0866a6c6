"""The demo as someone loading it finds it on the day they load it: cases submitted over the
months before that day, most open ones on time, a handful overdue, and the sensors' history and
alerts of the last hours, whatever the day (``yiwang demo`` on two days, seeded alike)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwang import demo
from yiwang.cases import deadlines
from yiwang.cases.models import Card, Case
from yiwang.core import clock
from yiwang.core.config import get_settings
from yiwang.sensing.alerting.models import RESOLVED, Alert
from yiwang.sensing.models import Observation

pytestmark = pytest.mark.dates

# Today, and a day four months on (over a year's end or a Spring Festival, by turns). With the
# clock pinned to an awkward day (`make test-dates`), that day alone: each load takes a while.
DAYS_AHEAD = (0,) if os.environ.get("YIWANG_TEST_CLOCK") else (0, 123)


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("YIWANG_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("ahead", DAYS_AHEAD)
def test_the_demo_is_dated_relative_to_the_day_it_is_loaded(
    session: Session, dialect: str, var_dir: None, ahead: int
) -> None:
    if os.environ.get("YIWANG_TEST_CLOCK") and dialect == "postgresql":
        pytest.skip("on the awkward days one database is enough: the dates are the engines'")
    start = clock.now().astimezone(clock.CHINA).replace(hour=10, minute=0, second=0, microsecond=0)
    moment = start + dt.timedelta(days=ahead)
    day = moment.date()
    with clock.pin(moment):
        demo.load(session)
        session.flush()
        calendar = deadlines.work_calendar(session)

    submitted = list(session.scalars(select(Case.submitted_on).where(Case.source == "demo")))
    assert len(submitted) > 500
    assert max(submitted) <= day
    assert min(submitted) >= day - dt.timedelta(days=190)
    assert sum(1 for d in submitted if d >= day - dt.timedelta(days=14)) >= 20  # a live queue
    # Decided cases are spread over the past months, not bunched on one day.
    finished = [
        d for d in session.scalars(select(Case.finished_on).where(Case.source == "demo")) if d
    ]
    assert len({(d.year, d.month) for d in finished}) >= 5
    assert max(finished) <= day

    open_cases = session.execute(
        select(Case.id, Case.due_on).where(Case.is_open.is_(True), Case.source == "demo")
    ).all()
    assert len(open_cases) >= 10
    red = session.scalar(select(func.count()).select_from(Card).where(Card.level == "red")) or 0
    cards = session.scalar(select(func.count()).select_from(Card)) or 0
    # Most open cases are on time; a handful are overdue, none by months.
    assert red <= max(5, len(open_cases) // 5), (red, len(open_cases))
    assert cards < len(open_cases)
    overdue = [calendar.workdays_between(due, day) for _, due in open_cases if due < day]
    assert max(overdue, default=0) <= 10, overdue

    # The sensors' history ends in the hour of the load; the open alerts were raised from it.
    latest = session.scalar(select(func.max(Observation.phenomenon_time)))
    earliest = session.scalar(select(func.min(Observation.phenomenon_time)))
    assert latest is not None
    assert earliest is not None
    assert moment - dt.timedelta(hours=3) <= _aware(latest) <= moment
    assert _aware(earliest) >= moment - dt.timedelta(days=3)
    raised = list(session.scalars(select(Alert.phenomenon_time).where(Alert.state != RESOLVED)))
    assert raised
    assert all(t is None or _aware(earliest) <= _aware(t) <= moment for t in raised)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
