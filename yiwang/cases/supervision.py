"""电子监察: the scan that issues yellow cards (deadline near) and red cards (overdue), and
the supervision views per department and for the province.

The scan is index-driven: each open case whose clock runs carries ``next_card_on``, the day its
next card falls due (NULL once red, while paused and once finished), so "which cases need a
card now" is one range read of ``ix_cases_cases_next_card_on``, however many cases are open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from yiwang.cases import deadlines
from yiwang.cases.models import Card, Case, ItemVersion, ServiceItem
from yiwang.cases.vocab import local_date
from yiwang.core import audit, calendar, clock, events, identity
from yiwang.core.db import utcnow
from yiwang.core.identity import Department
from yiwang.core.policy import SYSTEM, Actor, can_view_supervision, require

_BATCH = 2000


@dataclass(frozen=True, slots=True)
class ScanResult:
    day: dt.date
    yellow: int
    red: int


def due_for_cards(
    day: dt.date, *, limit: int = _BATCH
) -> Select[int, str, int, int, dt.date, str | None, int, bool]:
    """The query of the scan: cases whose next card is due on ``day`` (the index range)."""
    return (
        select(
            Case.id,
            Case.number,
            Case.department_id,
            Case.item_id,
            Case.due_on,
            Case.card,
            Case.warn_days,
            Case.deadline_provisional,
        )
        .where(Case.next_card_on <= day)
        .order_by(Case.next_card_on, Case.id)
        .limit(limit)
    )


def scan(
    session: Session, *, today: dt.date | None = None, actor: Actor = SYSTEM, batch: int = _BATCH
) -> ScanResult:
    """Issue every card due on ``today`` (local date; default now): yellow while working days
    are left, red once the deadline has passed. Each card is recorded once per case and level
    and moves the case's next card on; each batch publishes ``case.card.yellow`` and
    ``case.card.red`` events whose payload lists the cards (``{"day", "cards": [{number,
    department_id, item_id, due_on, workdays_left}]}``)."""
    today = today or clock.today()
    cal = deadlines.work_calendar(session)
    calendar.log_warnings(session)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    counts = {"yellow": 0, "red": 0}
    while True:
        rows = session.execute(due_for_cards(today, limit=batch)).all()
        if not rows:
            break
        cards: list[dict[str, Any]] = []
        moves: list[dict[str, Any]] = []
        for row in rows:
            level = "red" if today > row.due_on else "yellow"
            cards.append(
                {
                    "case_id": row.id,
                    "level": level,
                    "department_id": row.department_id,
                    "item_id": row.item_id,
                    "due_on": row.due_on,
                    "workdays_left": deadlines.workdays_left(cal, today, row.due_on),
                    "issued_on": today,
                    "provisional": row.deadline_provisional,
                }
            )
            moves.append(
                {
                    "id": row.id,
                    "card": level,
                    "next_card_on": deadlines.next_card_on(
                        cal, due_on=row.due_on, card=level, warn_days=row.warn_days
                    ),
                }
            )
        session.execute(
            insert(Card).on_conflict_do_nothing(index_elements=["case_id", "level"]), cards
        )
        session.execute(update(Case), moves)
        # One event per level and batch, listing its cards: a round trip per card would cost
        # more than the rest of the scan (see bench_cases).
        for level in ("yellow", "red"):
            issued = [
                {
                    "number": row.number,
                    "department_id": row.department_id,
                    "item_id": row.item_id,
                    "due_on": row.due_on.isoformat(),
                    "workdays_left": card["workdays_left"],
                }
                for row, card in zip(rows, cards, strict=True)
                if card["level"] == level
            ]
            if issued:
                counts[level] += len(issued)
                events.publish(
                    session, f"case.card.{level}", {"day": today.isoformat(), "cards": issued}
                )
    if counts["yellow"] or counts["red"]:
        audit.record(
            session,
            actor=actor,
            action="case.supervise",
            object_type="supervision",
            object_id=today.isoformat(),
            details=counts,
        )
    return ScanResult(today, counts["yellow"], counts["red"])


def _is_data_office_staff(session: Session, actor: Actor) -> bool:
    if actor.department_id is None or actor.role is None:
        return False
    department = session.get(Department, actor.department_id)
    return bool(department and department.is_data_office)


def _window(since: dt.date | None, until: dt.date | None) -> list[Any]:
    conditions = []
    if since is not None:
        conditions.append(Card.issued_on >= since)
    if until is not None:
        conditions.append(Card.issued_on <= until)
    return conditions


def supervision_view(
    session: Session,
    *,
    actor: Actor,
    department_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    today: dt.date | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """Cards issued (in the window) per department and per item, the open cases carrying a
    card now, and the most overdue of them: for one department, or (``department_id`` None) for
    the province."""
    require(
        can_view_supervision(
            actor,
            department_id=department_id,
            is_data_office_staff=_is_data_office_staff(session, actor),
        ),
        "case.supervision.read",
        object_type="supervision",
        object_id=department_id,
    )
    today = today or local_date(utcnow())
    scope_cards = _window(since, until)
    scope_cases: list[ColumnElement[bool]] = [Case.is_open.is_(True), Case.card.is_not(None)]
    if department_id is not None:
        identity.get_department(session, department_id)
        scope_cards.append(Card.department_id == department_id)
        scope_cases.append(Case.department_id == department_id)

    names = {d.id: d.name_zh for d in session.scalars(select(Department))}
    per_department: dict[int, dict[str, Any]] = {}
    for dept, level, count in session.execute(
        select(Card.department_id, Card.level, func.count())
        .where(*scope_cards)
        .group_by(Card.department_id, Card.level)
    ):
        entry = per_department.setdefault(
            dept,
            {"department_id": dept, "department": names.get(dept), "yellow": 0, "red": 0},
        )
        entry[level] = count
    items = {
        i.id: (i.code, v.name)
        for i, v in session.execute(
            select(ServiceItem, ItemVersion).join(
                ItemVersion, ItemVersion.id == ServiceItem.current_version_id
            )
        )
    }
    per_item: dict[int, dict[str, Any]] = {}
    for item_id, level, count in session.execute(
        select(Card.item_id, Card.level, func.count())
        .where(*scope_cards)
        .group_by(Card.item_id, Card.level)
    ):
        code, name = items.get(item_id, (str(item_id), None))
        entry = per_item.setdefault(item_id, {"item": code, "name": name, "yellow": 0, "red": 0})
        entry[level] = count
    carrying: dict[str, int] = {
        str(row[0]): row[1]
        for row in session.execute(
            select(Case.card, func.count()).where(*scope_cases).group_by(Case.card)
        )
    }
    overdue = session.execute(
        select(Case.number, Case.department_id, Case.item_id, Case.due_on, Case.card, Case.state)
        .where(*scope_cases)
        .order_by(Case.due_on, Case.id)
        .limit(limit)
    ).all()
    return {
        "scope": "province" if department_id is None else "department",
        "department_id": department_id,
        "department": names.get(department_id) if department_id is not None else None,
        "today": today.isoformat(),
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "cards": {
            "yellow": sum(e["yellow"] for e in per_department.values()),
            "red": sum(e["red"] for e in per_department.values()),
        },
        "open_with_card": {"yellow": carrying.get("yellow", 0), "red": carrying.get("red", 0)},
        "by_department": sorted(
            per_department.values(), key=lambda e: (-e["red"], -e["yellow"], e["department_id"])
        ),
        "by_item": sorted(per_item.values(), key=lambda e: (-e["red"], -e["yellow"], e["item"])),
        "flagged": [
            {
                "number": r.number,
                "department_id": r.department_id,
                "department": names.get(r.department_id),
                "item": items.get(r.item_id, (str(r.item_id), None))[0],
                "due_on": r.due_on.isoformat(),
                "card": r.card,
                "state": r.state,
                "days_overdue": max(0, (today - r.due_on).days),
            }
            for r in overdue
        ],
    }
