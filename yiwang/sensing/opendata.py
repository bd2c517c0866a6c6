"""The domain packs' open data: hourly aggregates of their Things' Datastreams (mean, minimum,
maximum and count per stream and hour, and the value of category streams such as the AQI
category), registered in the data catalogue as open resources of the pack's department and
refreshed every hour by the job ``sensing.publish_open_data``.

Each dataset of a pack is one catalogue resource named ``sensing-<pack>-<dataset>`` with one
distribution whose datastore table has one row per stream and hour (keyed by both). The job
upserts the last few hours (late observations are counted when their hour is published
again); :func:`publish` with ``full=True`` rebuilds the table as a new version."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from yiwang.catalog.public import (
    CatalogType,
    FieldSpec,
    FieldType,
    Frequency,
    OpenClass,
    PersonalKindName,
    ResourceCreate,
    ShareClass,
    find_table,
    register_table,
    replace_table,
    upsert_rows,
)
from yiwang.core import jobs
from yiwang.core.codes import division_name
from yiwang.core.db import utcnow
from yiwang.core.jobs import Job, JobContext, handler
from yiwang.core.policy import SYSTEM, Actor
from yiwang.sensing import packs
from yiwang.sensing.models import Datastream, Observation, ObservedProperty, Thing
from yiwang.sensing.parsing import CATEGORY

if TYPE_CHECKING:
    from yiwang.core.identity import Department

log = logging.getLogger(__name__)

PUBLISH_JOB = "sensing.publish_open_data"
DEFAULT_HOURS = 3  # hours published again by each run, for observations that came late
DISTRIBUTION_NAME = "小时统计数据"
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
_HOUR = dt.timedelta(hours=1)

# (name, CKAN type, description) of the columns every dataset has, before and after the
# Thing's own fields.
_LEADING = (
    ("时间", "timestamp", "统计小时的起点（北京时间）"),
    ("行政区划代码", "text", "监测点所在设区市的 GB/T 2260 代码"),
    ("城市", "text", "监测点所在设区市"),
    ("监测点编码", "text", None),
    ("监测点", "text", None),
)
_TRAILING = (
    ("指标", "text", "观测属性"),
    ("单位", "text", None),
    ("数据流编号", "int", "SensorThings API 中 Datastream 的 @iot.id"),
    ("平均值", "numeric", "该小时内观测值的平均值"),
    ("最小值", "numeric", None),
    ("最大值", "numeric", None),
    ("样本数", "int", "该小时内的观测次数"),
    ("类别值", "text", "类别型指标（如空气质量指数类别）该小时的最后一个值"),
)
_KEY = ("数据流编号", "时间")
_FIELD_TYPES: dict[str, FieldType] = {
    "timestamp": "datetime",
    "text": "text",
    "int": "integer",
    "numeric": "decimal",
}


def dataset_name(pack: packs.Pack, dataset: packs.DatasetSpec) -> str:
    """The catalogue name (CKAN ``name``) of a pack's dataset."""
    return f"sensing-{pack.name}-{dataset.key}"


def _columns(dataset: packs.DatasetSpec) -> list[tuple[str, str, str | None, str | None]]:
    # Personal data public by law is published clear, its legal basis in the description.
    middle = [
        (
            f.name,
            "text",
            f"依法公开：{f.legal_basis}" if f.legal_basis else None,
            f.personal if f.is_masked() else None,
        )
        for f in dataset.thing_fields
    ]
    return [
        *((n, t, d, None) for n, t, d in _LEADING),
        *middle,
        *((n, t, d, None) for n, t, d in _TRAILING),
    ]


def _ckan_fields(dataset: packs.DatasetSpec) -> list[dict[str, Any]]:
    return [
        {"id": name, "type": kind, "info": {"personal": personal}}
        for name, kind, _, personal in _columns(dataset)
    ]


def register_datasets(
    session: Session,
    *,
    actor: Actor,
    pack: packs.Pack,
    department: Department,
    report: packs.InstallReport | None = None,
) -> list[str]:
    """Register each of the pack's datasets in the catalogue (open, unconditionally shared,
    updated hourly) with an empty table, unless a resource of that name exists already (even
    deleted: a department that withdrew a dataset is not overruled). Return the resources'
    ids."""
    resources: list[str] = []
    for dataset in pack.datasets:
        name = dataset_name(pack, dataset)

        def data(name: str = name, dataset: packs.DatasetSpec = dataset) -> ResourceCreate:
            return ResourceCreate(
                department_id=department.id,
                name=name,
                title=dataset.title,
                title_en=dataset.title_en or None,
                summary=dataset.summary,
                catalog_type=CatalogType.DEPARTMENTAL,
                category=pack.category,
                format="CSV",
                fields=[
                    FieldSpec(
                        name=column,
                        type=_FIELD_TYPES[kind],
                        description=description,
                        personal=cast("PersonalKindName | None", personal),
                    )
                    for column, kind, description, personal in _columns(dataset)
                ],
                share_class=ShareClass.UNCONDITIONAL,
                open_class=OpenClass.UNCONDITIONAL,
                update_frequency=Frequency.HOURLY,
                tags=[*dataset.tags, "物联感知", pack.title],
                spatial_division="330000",
                state="active",
            )

        resource_id, created = register_table(
            session,
            actor=actor,
            ref=name,
            data=data,
            distribution=DISTRIBUTION_NAME,
            description=f"{dataset.title}：每个数据流每小时一行",
            format="CSV",
            fields=_ckan_fields(dataset),
            primary_key=_KEY,
        )
        if created and report is not None:
            report.count("datasets", created=True)
        resources.append(resource_id)
    return resources


# --- aggregates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stream:
    id: int
    thing: Mapping[str, Any]
    name: str
    unit: str
    is_category: bool


def _hour_expression(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("hour", func.timezone("UTC", Observation.phenomenon_time))
    return func.strftime("%Y-%m-%d %H:00:00", Observation.phenomenon_time)


def _as_hour(value: str | dt.datetime) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _field(properties: Mapping[str, Any], path: str) -> str | None:
    value: Any = properties
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return None if value is None else str(value)


def _streams(session: Session, pack: packs.Pack, dataset: packs.DatasetSpec) -> list[_Stream]:
    kinds = [pack.kind(k).full_name for k in dataset.kinds]
    things = {
        row.id: row
        for row in session.execute(
            select(Thing.id, Thing.name, Thing.division_code, Thing.properties).where(
                Thing.pack.in_(kinds), Thing.is_open.is_(True)
            )
        )
    }
    if not things:
        return []
    result = []
    for stream_id, thing_id, kind, unit, property_name in session.execute(
        select(
            Datastream.id,
            Datastream.thing_id,
            Datastream.observation_type,
            Datastream.unit_of_measurement,
            ObservedProperty.name,
        )
        .join(ObservedProperty, ObservedProperty.id == Datastream.observed_property_id)
        .where(Datastream.thing_id.in_(list(things)), Datastream.is_open.is_(True))
        .order_by(Datastream.id)
    ):
        thing = things[thing_id]
        properties = thing.properties or {}
        city = (thing.division_code or "")[:4] + "00" if thing.division_code else None
        values: dict[str, Any] = {
            "行政区划代码": city,
            "城市": division_name(city) if city else None,
            "监测点编码": properties.get("code"),
            "监测点": thing.name,
        }
        for spec in dataset.thing_fields:
            values[spec.name] = _field(properties, spec.property)
        symbol = (unit or {}).get("symbol") if isinstance(unit, Mapping) else None
        result.append(
            _Stream(
                id=stream_id,
                thing=values,
                name=property_name,
                unit=symbol or "",
                is_category=kind == CATEGORY,
            )
        )
    return result


def hourly_rows(
    session: Session,
    *,
    pack: packs.Pack,
    dataset: packs.DatasetSpec,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The dataset's rows for the hours from ``start`` (inclusive) to ``end`` (exclusive);
    without them, every hour there is."""
    streams = {s.id: s for s in _streams(session, pack, dataset)}
    if not streams:
        return []
    hour = _hour_expression(session).label("hour")
    conditions: list[ColumnElement[bool]] = [Observation.stream_id.in_(list(streams))]
    if start is not None:
        conditions.append(Observation.phenomenon_time >= start)
    if end is not None:
        conditions.append(Observation.phenomenon_time < end)
    numbers = session.execute(
        select(
            Observation.stream_id,
            hour,
            func.avg(Observation.result_number),
            func.min(Observation.result_number),
            func.max(Observation.result_number),
            func.count(),
        )
        .where(*conditions, Observation.result_number.is_not(None))
        .group_by(Observation.stream_id, hour)
    ).all()
    rows: dict[tuple[int, dt.datetime], dict[str, Any]] = {}
    for stream_id, when, mean, low, high, count in numbers:
        rows[(stream_id, _as_hour(when))] = {
            "平均值": round(float(mean), 4),
            "最小值": float(low),
            "最大值": float(high),
            "样本数": int(count),
            "类别值": None,
        }
    category_ids = [s.id for s in streams.values() if s.is_category]
    if category_ids:
        _category_rows(session, rows, category_ids, start, end)
    result = []
    for (stream_id, when), values in sorted(
        rows.items(), key=lambda item: (item[0][1], item[0][0])
    ):
        stream = streams[stream_id]
        result.append(
            {
                "时间": when.astimezone(BEIJING).isoformat(),
                **stream.thing,
                "指标": stream.name,
                "单位": stream.unit,
                "数据流编号": stream_id,
                **values,
            }
        )
    return result


def _category_rows(
    session: Session,
    rows: dict[tuple[int, dt.datetime], dict[str, Any]],
    stream_ids: Sequence[int],
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> None:
    conditions: list[ColumnElement[bool]] = [Observation.stream_id.in_(stream_ids)]
    if start is not None:
        conditions.append(Observation.phenomenon_time >= start)
    if end is not None:
        conditions.append(Observation.phenomenon_time < end)
    for stream_id, when, value in session.execute(
        select(Observation.stream_id, Observation.phenomenon_time, Observation.result_json)
        .where(*conditions)
        .order_by(Observation.phenomenon_time)
    ):
        hour = when.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
        row = rows.setdefault(
            (stream_id, hour),
            {"平均值": None, "最小值": None, "最大值": None, "样本数": 0, "类别值": None},
        )
        row["样本数"] += 1
        row["类别值"] = None if value is None else str(value)


# --- publishing ------------------------------------------------------------------------------


def _datasets(names: Iterable[str] | None) -> list[tuple[packs.Pack, packs.DatasetSpec]]:
    chosen = set(names) if names is not None else None
    return [
        (pack, dataset)
        for pack in packs.discover().values()
        if chosen is None or pack.name in chosen
        for dataset in pack.datasets
    ]


def publish(
    session: Session,
    *,
    actor: Actor,
    pack_names: Iterable[str] | None = None,
    hours: int = DEFAULT_HOURS,
    full: bool = False,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """Publish the hourly aggregates of the registered datasets (of the named packs, or of
    all): the last ``hours`` hours upserted into the current table, or with ``full`` the whole
    history as a new version. Return the rows written per dataset name."""
    now = now or utcnow()
    written: dict[str, int] = {}
    for pack, dataset in _datasets(pack_names):
        name = dataset_name(pack, dataset)
        distribution_id = find_table(session, actor=SYSTEM, ref=name)
        if distribution_id is None:
            continue
        if full:
            rows = hourly_rows(session, pack=pack, dataset=dataset)
            replace_table(
                session,
                actor=actor,
                distribution_id=distribution_id,
                fields=_ckan_fields(dataset),
                records=rows,
                primary_key=_KEY,
            )
        else:
            start = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
            start -= (hours - 1) * _HOUR
            rows = hourly_rows(session, pack=pack, dataset=dataset, start=start)
            if rows:
                upsert_rows(session, actor=actor, distribution_id=distribution_id, records=rows)
        written[name] = len(rows)
    return written


def schedule(session: Session, *, actor: Actor = SYSTEM, at: dt.datetime | None = None) -> Job:
    """Queue the publishing job for ``at`` (by default a few minutes past the next hour),
    unless one is queued already; return the queued job."""
    queued = session.scalars(
        select(Job).where(Job.kind == PUBLISH_JOB, Job.status == jobs.QUEUED).order_by(Job.id)
    ).first()
    if queued is not None:
        return queued
    if at is None:
        now = utcnow()
        at = now.replace(minute=5, second=0, microsecond=0)
        if at <= now:
            at += _HOUR
    return jobs.enqueue(session, kind=PUBLISH_JOB, actor=actor, run_after=at, max_attempts=3)


@handler(PUBLISH_JOB)
def publish_open_data(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The job: publish the last hours of every pack's datasets, then queue the next run."""
    hours = int(payload.get("hours", DEFAULT_HOURS))
    ctx.progress(1, "publishing hourly aggregates")
    with ctx.db.session() as session:
        written = publish(
            session,
            actor=SYSTEM,
            pack_names=payload.get("packs"),
            hours=hours,
            full=bool(payload.get("full", False)),
        )
    if payload.get("repeat", True):
        with ctx.db.session() as session:
            schedule(session)
    ctx.progress(100, "done")
    return {"rows": written}


__all__ = [
    "DEFAULT_HOURS",
    "PUBLISH_JOB",
    "dataset_name",
    "hourly_rows",
    "publish",
    "publish_open_data",
    "register_datasets",
    "schedule",
]
