"""Finding cases: listing them as an actor may see them (filtered, newest or most urgent
first) and counting them, the public part of complaints for anyone (Open311's service
requests), and what belongs to one case (its item and version, transitions, materials and
review tasks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true, union_all
from sqlalchemy import case as sql_case
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from yiwang.cases import deadlines
from yiwang.cases.models import Case, ItemVersion, Material, ServiceItem, Task, Transition
from yiwang.cases.vocab import FINAL_STATES, CaseKind, ItemKind, State
from yiwang.core.errors import NotFound
from yiwang.core.policy import Actor

# --- listing -------------------------------------------------------------------------------------


@dataclass
class CaseFilters:
    """Filters of :func:`list_cases`; every one optional. ``status`` is "open" or "closed"."""

    kind: str | None = None
    status: str | None = None
    states: Sequence[str] = ()
    item_codes: Sequence[str] = ()
    numbers: Sequence[str] = ()
    ids: Sequence[int] = ()
    department_id: int | None = None
    division_code: str | None = None
    submitted_from: dt.datetime | None = None
    submitted_before: dt.datetime | None = None
    card: str | None = None
    due_soon_on: dt.date | None = None  # 临近期限 on this day: see :func:`_due_soon`
    extra: dict[str, Any] = field(default_factory=dict)


def visible_cases(actor: Actor) -> ColumnElement[bool]:
    """The SQL form of who may list which cases: sysadmins all, department staff their
    department's (task departments see theirs through the task list), a signed-in user the
    cases they filed, the public none but complaints (whose public part anyone may see)."""
    if actor.is_sysadmin:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if actor.department_id is not None and actor.role is not None:
        conditions.append(Case.department_id == actor.department_id)
        conditions.append(
            Case.id.in_(select(Task.case_id).where(Task.department_id == actor.department_id))
        )
    if actor.user_id is not None:
        conditions.append(Case.applicant_user_id == actor.user_id)
    return or_(*conditions) if conditions else false()


def _due_soon(session: Session, day: dt.date) -> ColumnElement[bool]:
    """Cases near their deadline on ``day`` (临近期限): open, the clock running, the deadline
    not passed, and no more working days left than the item's warn days (when its yellow card
    falls due). Warn days are few distinct numbers, so this is one date bound per number."""
    cal = deadlines.work_calendar(session)
    warn = session.scalars(
        select(Case.warn_days).where(Case.is_open.is_(True), Case.due_on >= day).distinct()
    )
    # workdays_between(day, due_on) <= w  <=>  due_on before the (w + 1)-th working day on
    bounds = [
        and_(Case.warn_days == w, Case.due_on < cal.add_workdays(day, max(w, 0) + 1)) for w in warn
    ]
    return and_(
        Case.is_open.is_(True),
        Case.paused_on.is_(None),
        Case.finished_on.is_(None),
        Case.due_on >= day,
        or_(*bounds) if bounds else false(),
    )


def _filtered(  # noqa: PLR0912  (one branch per optional filter)
    session: Session, *, actor: Actor, filters: CaseFilters, public: bool
) -> Select[Case]:
    query = select(Case)
    if public:
        query = query.where(Case.kind == CaseKind.COMPLAINT)
    else:
        query = query.where(visible_cases(actor))
    if filters.kind:
        query = query.where(Case.kind == filters.kind)
    if filters.status == "open":
        query = query.where(Case.is_open.is_(True))
    elif filters.status == "closed":
        query = query.where(Case.is_open.is_(False))
    if filters.states:
        query = query.where(Case.state.in_(list(filters.states)))
    if filters.item_codes:
        query = query.where(
            Case.item_id.in_(
                select(ServiceItem.id).where(ServiceItem.code.in_(list(filters.item_codes)))
            )
        )
    if filters.numbers:
        query = query.where(Case.number.in_(list(filters.numbers)))
    if filters.ids:
        query = query.where(Case.id.in_(list(filters.ids)))
    if filters.department_id is not None:
        query = query.where(Case.department_id == filters.department_id)
    if filters.division_code:
        query = query.where(Case.division_code == filters.division_code)
    if filters.submitted_from is not None:
        query = query.where(Case.submitted_at >= filters.submitted_from)
    if filters.submitted_before is not None:
        query = query.where(Case.submitted_at < filters.submitted_before)
    if filters.card:
        query = query.where(Case.card == filters.card)
    if filters.due_soon_on is not None:
        query = query.where(_due_soon(session, filters.due_soon_on))
    return query


# The orders :func:`list_cases` knows. Urgency: red cards first, then yellow, then the nearest
# deadline.
ORDERS = ("newest", "urgency")


def list_cases(
    session: Session,
    *,
    actor: Actor,
    filters: CaseFilters,
    public: bool = False,
    limit: int = 50,
    offset: int = 0,
    count: bool = True,
    order: str = "newest",
) -> tuple[list[Case], int | None]:
    """Cases matching ``filters``, newest first (or by urgency, see :data:`ORDERS`), with the
    total (unless ``count`` is False).

    ``public=True`` lists complaints only, for anyone, for views that show only their public
    part (description, place, status, reply); otherwise the actor's own view."""
    query = _filtered(session, actor=actor, filters=filters, public=public)
    total = None
    if count:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if order == "urgency":
        card_rank = sql_case((Case.card == "red", 0), (Case.card == "yellow", 1), else_=2)
        query = query.order_by(card_rank, Case.due_on, Case.submitted_at, Case.id)
    else:
        query = query.order_by(Case.submitted_at.desc(), Case.id.desc())
    rows = session.scalars(query.limit(limit).offset(offset))
    return list(rows), total


def count_cases(session: Session, *, actor: Actor, filters: CaseFilters) -> int:
    """How many cases :func:`list_cases` gives the actor for ``filters``, in one count."""
    query = _filtered(session, actor=actor, filters=filters, public=False)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def list_public_complaints(
    session: Session,
    *,
    item_codes: Sequence[str] = (),
    division_code: str | None = None,
    statuses: Sequence[str] = (),
    submitted_from: dt.datetime,
    submitted_before: dt.datetime,
    limit: int,
    offset: int = 0,
) -> list[Row[Any]]:
    """Complaints filed in ``[submitted_from, submitted_before)``, newest first, of these
    categories (all when none), in this division (all when None), open or closed (both when
    ``statuses`` is empty or names both): their public part is anyone's to see.

    The search is one index-ordered range per category and status, each cut at
    ``offset + limit``, merged: ``(item_id, division_code, is_open, submitted_at)`` for a
    category in a city, ``(item_id, submitted_at)`` for a category in the province,
    ``(kind, division_code, is_open, submitted_at)`` and ``(kind, is_open, submitted_at)``
    without one. So no plan sorts every complaint of the window, however many match.

    Rows carry the public columns only (:data:`PUBLIC_COMPLAINT_COLUMNS`, named as on
    :class:`Case`): never the complainant's contact, and nothing to decode that no one shows."""
    wanted = {s for s in statuses if s in ("open", "closed")}
    open_values: list[bool | None]
    if len(wanted) == 1:
        open_values = [wanted == {"open"}]
    elif item_codes and division_code is None:
        open_values = [None]  # (item_id, submitted_at) serves both statuses at once
    else:
        open_values = [True, False]  # the other indexes hold is_open before the time
    item_ids: list[int | None] = [None]
    if item_codes:
        item_ids = list(
            session.scalars(
                select(ServiceItem.id)
                .where(
                    ServiceItem.code.in_(list(dict.fromkeys(item_codes))),
                    ServiceItem.kind == ItemKind.COMPLAINT_CATEGORY,
                )
                .order_by(ServiceItem.id)
            )
        )
        if not item_ids:
            return []
    newest = (Case.submitted_at.desc(), Case.id.desc())
    parts = []
    for item_id in item_ids:
        for is_open in open_values:
            part = select(*PUBLIC_COMPLAINT_COLUMNS).where(
                Case.kind == CaseKind.COMPLAINT,
                Case.submitted_at >= submitted_from,
                Case.submitted_at < submitted_before,
            )
            if item_id is not None:
                part = part.where(Case.item_id == item_id)
            if division_code is not None:
                part = part.where(Case.division_code == division_code)
            if is_open is not None:
                part = part.where(Case.is_open.is_(is_open))
            parts.append(part.order_by(*newest))
    if len(parts) == 1:
        return list(session.execute(parts[0].limit(limit).offset(offset)))
    merged = union_all(*(select(p.limit(offset + limit).subquery()) for p in parts)).subquery()
    return list(
        session.execute(
            select(merged)
            .order_by(merged.c.submitted_at.desc(), merged.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


# What anyone may see of a complaint (Open311's service requests), and what shows it.
PUBLIC_COMPLAINT_COLUMNS = (
    Case.id,
    Case.number,
    Case.item_version_id,
    Case.department_id,
    Case.division_code,
    Case.is_open,
    Case.reply,
    Case.description,
    Case.address,
    Case.extra,
    Case.latitude,
    Case.longitude,
    Case.media_url,
    Case.submitted_at,
    Case.updated_at,
    Case.due_on,
)


# --- one case ------------------------------------------------------------------------------------


def find_case(session: Session, *, number: str) -> Case | None:
    """The case with this number, with no check of who asks: for public views (Open311) that
    show only what is public about it."""
    return session.scalars(select(Case).where(Case.number == number)).first()


def transitions_of(session: Session, case: Case) -> list[Transition]:
    return list(
        session.scalars(
            select(Transition).where(Transition.case_id == case.id).order_by(Transition.id)
        )
    )


def materials_of(session: Session, case: Case) -> list[Material]:
    return list(
        session.scalars(select(Material).where(Material.case_id == case.id).order_by(Material.id))
    )


def tasks_of(session: Session, case: Case) -> list[Task]:
    return list(
        session.scalars(
            select(Task).where(Task.case_id == case.id).order_by(Task.position, Task.id)
        )
    )


def item_of(session: Session, case: Case) -> tuple[ServiceItem, ItemVersion]:
    item = session.get(ServiceItem, case.item_id)
    version = session.get(ItemVersion, case.item_version_id)
    if item is None or version is None:  # pragma: no cover  (foreign keys guard this)
        raise NotFound("case", case.number)
    return item, version


def open_states() -> list[str]:
    return [s.value for s in State if s not in FINAL_STATES]


__all__ = [
    "ORDERS",
    "PUBLIC_COMPLAINT_COLUMNS",
    "CaseFilters",
    "count_cases",
    "find_case",
    "item_of",
    "list_cases",
    "list_public_complaints",
    "materials_of",
    "open_states",
    "tasks_of",
    "transitions_of",
    "visible_cases",
]
