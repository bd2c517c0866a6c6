"""Statistics per department and item (volume, on-time rate, average working days,
satisfaction, trips in person saved) and their monthly publication as an open resource of the
data catalogue, through the catalog engine's services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, case, func, select
from sqlalchemy.orm import Session

from yiwang.cases.models import Case, ItemVersion, Rating, ServiceItem
from yiwang.core import identity
from yiwang.core.errors import InvalidInput
from yiwang.core.identity import Department
from yiwang.core.policy import Actor, can_publish_case_statistics, require

RESOURCE_CODE = "330000-CASES-MONTHLY-STATS"
RESOURCE_NAME = "cases-monthly-statistics"
TABLE_NAME = "政务服务办件月度统计"
COLUMNS: tuple[tuple[str, str], ...] = (
    ("月份", "text"),
    ("部门", "text"),
    ("事项编码", "text"),
    ("事项名称", "text"),
    ("办件量", "int"),
    ("办结量", "int"),
    ("按时办结率", "numeric"),
    ("平均办理工作日", "numeric"),
    ("评价数", "int"),
    ("平均评分", "numeric"),
    ("好评率", "numeric"),
    ("零跑腿件数", "int"),
    ("少跑次数", "int"),
)


def parse_month(value: str) -> dt.date:
    """The first day of a month written YYYY-MM."""
    try:
        year, month = (int(part) for part in value.split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        raise InvalidInput("cases.bad_month", value=value) from None


def next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def statistics(
    session: Session,
    *,
    start: dt.date,
    end: dt.date,
    department_id: int | None = None,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """One row per department and item for cases submitted from ``start`` up to (not
    including) ``end``. Trips saved count finished applications: the counter procedure's trips
    less the item's (最多跑一次)."""
    finished = Case.finished_on.is_not(None)
    conditions = [Case.submitted_on >= start, Case.submitted_on < end]
    if department_id is not None:
        conditions.append(Case.department_id == department_id)
    if kind is not None:
        conditions.append(Case.kind == kind)
    rows = session.execute(
        select(
            Case.department_id,
            Case.item_id,
            func.count().label("volume"),
            func.count(Case.finished_on).label("finished"),
            func.sum(case((Case.on_time.is_(True), 1), else_=0)).label("on_time"),
            func.avg(Case.workdays_used).label("avg_days"),
            func.sum(case((finished & (Case.trips == 0), 1), else_=0)).label("zero_trip"),
            func.sum(
                case(
                    (
                        finished & (Case.kind == "application"),
                        (Case.trips_offline - Case.trips).cast(Integer),
                    ),
                    else_=0,
                )
            ).label("trips_saved"),
        )
        .where(*conditions)
        .group_by(Case.department_id, Case.item_id)
    ).all()
    ratings = {
        (r.department_id, r.item_id): r
        for r in session.execute(
            select(
                Case.department_id,
                Case.item_id,
                func.count(Rating.id).label("rated"),
                func.avg(Rating.score).label("score"),
                func.sum(case((Rating.score >= 4, 1), else_=0)).label("good"),
            )
            .join(Rating, Rating.case_id == Case.id)
            .where(*conditions)
            .group_by(Case.department_id, Case.item_id)
        )
    }
    departments = {d.id: d.name_zh for d in session.scalars(select(Department))}
    items = {
        i.id: (i.code, v.name)
        for i, v in session.execute(
            select(ServiceItem, ItemVersion).join(
                ItemVersion, ItemVersion.id == ServiceItem.current_version_id
            )
        )
    }
    result = []
    for row in rows:
        rated = ratings.get((row.department_id, row.item_id))
        code, name = items.get(row.item_id, (str(row.item_id), ""))
        result.append(
            {
                "department_id": row.department_id,
                "department": departments.get(row.department_id),
                "item": code,
                "item_name": name,
                "volume": row.volume,
                "finished": row.finished,
                "on_time_rate": round(row.on_time / row.finished, 4) if row.finished else None,
                "average_workdays": round(float(row.avg_days), 2)
                if row.avg_days is not None
                else None,
                "ratings": rated.rated if rated else 0,
                "satisfaction": round(float(rated.score), 2) if rated else None,
                "good_rate": round(rated.good / rated.rated, 4) if rated and rated.rated else None,
                "zero_trip_cases": int(row.zero_trip or 0),
                "trips_saved": int(row.trips_saved or 0),
            }
        )
    result.sort(key=lambda r: (r["department_id"], r["item"]))
    return result


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The rows of :func:`statistics` summed (rates weighted by their counts)."""
    finished = sum(r["finished"] for r in rows)
    ratings = sum(r["ratings"] for r in rows)
    on_time = sum((r["on_time_rate"] or 0) * r["finished"] for r in rows)
    days = sum((r["average_workdays"] or 0) * r["finished"] for r in rows)
    score = sum((r["satisfaction"] or 0) * r["ratings"] for r in rows)
    good = sum((r["good_rate"] or 0) * r["ratings"] for r in rows)
    return {
        "volume": sum(r["volume"] for r in rows),
        "finished": finished,
        "on_time_rate": round(on_time / finished, 4) if finished else None,
        "average_workdays": round(days / finished, 2) if finished else None,
        "ratings": ratings,
        "satisfaction": round(score / ratings, 2) if ratings else None,
        "good_rate": round(good / ratings, 4) if ratings else None,
        "zero_trip_cases": sum(r["zero_trip_cases"] for r in rows),
        "trips_saved": sum(r["trips_saved"] for r in rows),
    }


def monthly_records(session: Session, *, until: dt.date) -> list[dict[str, Any]]:
    """The rows of the open resource: every month from the first case up to the month of
    ``until``, per department and item."""
    first = session.scalar(select(func.min(Case.submitted_on)))
    if first is None:
        return []
    month = first.replace(day=1)
    records = []
    while month <= until:
        following = next_month(month)
        for row in statistics(session, start=month, end=following):
            values = (
                f"{month:%Y-%m}",
                row["department"],
                row["item"],
                row["item_name"],
                row["volume"],
                row["finished"],
                row["on_time_rate"],
                row["average_workdays"],
                row["ratings"],
                row["satisfaction"],
                row["good_rate"],
                row["zero_trip_cases"],
                row["trips_saved"],
            )
            records.append({name: v for (name, _), v in zip(COLUMNS, values, strict=True)})
        month = following
    return records


def publish_monthly(session: Session, *, actor: Actor, until: dt.date) -> dict[str, Any]:
    """Publish the monthly statistics up to the month of ``until`` as a new version of the
    open resource (registered on first use, provided by the provincial data office)."""
    require(can_publish_case_statistics(actor), "case.statistics.publish", object_type="resource")
    from yiwang.catalog.public import (  # noqa: PLC0415  (the catalog engine's public services)
        FieldSpec,
        ResourceCreate,
        publish_table,
    )

    def data() -> ResourceCreate:
        office = session.scalars(
            select(Department)
            .where(Department.is_data_office.is_(True))
            .order_by(Department.division_code, Department.id)
        ).first()
        owner = office or identity.get_department(session, 1)
        return ResourceCreate(
            department_id=owner.id,
            code=RESOURCE_CODE,
            name=RESOURCE_NAME,
            title="政务服务办件月度统计",
            title_en="Monthly statistics of government service cases",
            summary=(
                "全省政务服务事项按月、按部门和事项统计的办件量、办结量、按时办结率、平均办理"
                "工作日、好差评（评价数、平均评分、好评率）和“最多跑一次”少跑次数，"
                "由一网办件引擎每月自动发布。"
            ),
            category="government",
            format="CSV",
            fields=[
                FieldSpec(name=name, type={"int": "integer", "numeric": "decimal"}.get(t, "text"))
                for name, t in COLUMNS
            ],
            update_frequency="monthly",
            open_class="unconditional",
            share_class="unconditional",
            tags=["政务服务", "好差评", "最多跑一次", "电子监察"],
            spatial_division="330000",
            state="active",
        )

    published = publish_table(
        session,
        actor=actor,
        ref=RESOURCE_CODE,
        data=data,
        distribution=TABLE_NAME,
        format="CSV",
        fields=[{"id": name, "type": t} for name, t in COLUMNS],
        records=monthly_records(session, until=until),
    )
    return {"resource": published.code, "version": published.version, "rows": published.rows}
