"""Reading time series: the latest value of many streams (from the stream rows, no observation
read) and hourly or daily aggregates of one stream (average, minimum, maximum, count).

Days are counted in China Standard Time (UTC+8, no daylight saving) unless another fixed offset
is asked for: a "day" of a Zhejiang monitoring station runs from local midnight to midnight."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from yiwang.core import audit, policy
from yiwang.core.db import UTCDateTime
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.core.i18n import EN, ZH, add_messages
from yiwang.core.policy import Actor
from yiwang.sensing.models import Datastream, Observation, ObservedProperty, Thing
from yiwang.sensing.parsing import result_of

Interval = Literal["hour", "day"]
CHINA_OFFSET_MINUTES = 480
MAX_BUCKETS = 10_000
MAX_LATEST = 10_000

add_messages(
    {
        "sensing.range_invalid": {
            ZH: "时间范围无效：结束时间须晚于开始时间。",
            EN: "The time range is invalid: the end must come after the start.",
        },
        "sensing.range_too_long": {
            ZH: "时间范围过长：最多 {limit} 个统计区间，请缩小范围或改用按日统计。",
            EN: "The time range is too long: at most {limit} buckets; narrow it or use daily "
            "buckets.",
        },
        "sensing.too_many_streams": {
            ZH: "一次最多查询 {limit} 个数据流。",
            EN: "At most {limit} datastreams can be read at once.",
        },
    }
)


def open_or_own(actor: Actor, is_open: Any, department_id: Any) -> ColumnElement[bool]:
    """The policy's ``can_see_sensing`` in SQL, for rows with these ``is_open`` and
    ``department_id`` columns: open rows, and for staff their own department's."""
    if actor.is_sysadmin:
        return true()
    if actor.department_id is not None and actor.role is not None:
        return or_(is_open.is_(True), department_id == actor.department_id)
    return is_open.is_(True)  # type: ignore[no-any-return]


def visible_streams(actor: Actor) -> ColumnElement[bool]:
    """The streams ``actor`` may read, as a condition on ``Datastream``."""
    return open_or_own(actor, Datastream.is_open, Datastream.department_id)


def count_streams(session: Session, *, actor: Actor) -> int:
    """How many datastreams ``actor`` may read (for the anonymous public: the open ones)."""
    query = select(func.count()).select_from(Datastream).where(visible_streams(actor))
    return int(session.scalar(query) or 0)


@dataclass(frozen=True, slots=True)
class LatestValue:
    datastream_id: int
    name: str
    thing_id: int
    thing_name: str
    pack: str | None
    division_code: str | None
    observed_property: str | None
    unit: Any
    time: dt.datetime | None
    result: Any
    observation_id: int | None
    is_open: bool = True  # the stream's data is open to the public


def latest(
    session: Session,
    *,
    actor: Actor,
    datastream_ids: Sequence[int] | None = None,
    pack: str | None = None,
    observed_property: str | None = None,
    department_id: int | None = None,
    division_code: str | None = None,
    limit: int = 1000,
) -> list[LatestValue]:
    """The latest observation of each matching stream the actor may read, in stream order.
    Read from the stream rows, which the observation service keeps current."""
    if datastream_ids is not None and len(datastream_ids) > MAX_LATEST:
        raise InvalidInput("sensing.too_many_streams", limit=MAX_LATEST)
    query: Select[Any] = (
        select(
            Datastream.id,
            Datastream.name,
            Datastream.thing_id,
            Thing.name,
            Thing.pack,
            Thing.division_code,
            ObservedProperty.name,
            Datastream.unit_of_measurement,
            Datastream.last_phenomenon_time,
            Datastream.last_result_number,
            Datastream.last_result,
            Datastream.observation_type,
            Datastream.last_observation_id,
            Datastream.is_open,
            Datastream.department_id,
        )
        .join(Thing, Thing.id == Datastream.thing_id)
        .outerjoin(ObservedProperty, ObservedProperty.id == Datastream.observed_property_id)
        .where(visible_streams(actor))
        .order_by(Datastream.id)
        .limit(min(limit, MAX_LATEST))
    )
    if datastream_ids is not None:
        query = query.where(Datastream.id.in_(datastream_ids))
    if pack is not None:
        query = query.where(Thing.pack == pack)
    if observed_property is not None:
        query = query.where(
            or_(
                ObservedProperty.definition == observed_property,
                ObservedProperty.name == observed_property,
            )
        )
    if department_id is not None:
        query = query.where(Datastream.department_id == department_id)
    if division_code is not None:
        query = query.where(Thing.division_code == division_code)
    rows = session.execute(query).all()
    closed = [row[0] for row in rows if not row[13]]
    if closed:
        audit.record_read(
            session,
            actor=actor,
            action="read_latest",
            object_type="datastream",
            details={"datastreams": closed[:100], "count": len(closed)},
        )
    return [
        LatestValue(
            datastream_id=row[0],
            name=row[1],
            thing_id=row[2],
            thing_name=row[3],
            pack=row[4],
            division_code=row[5],
            observed_property=row[6],
            unit=row[7],
            time=row[8],
            result=(
                None
                if row[8] is None
                else (row[10] if row[9] is None else result_of(row[9], None, row[11]))
            ),
            observation_id=row[12],
            is_open=bool(row[13]),
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class Bucket:
    start: dt.datetime
    count: int
    avg: float | None
    min: float | None
    max: float | None


def _stream_for_read(session: Session, *, actor: Actor, datastream_id: int) -> Datastream:
    stream = session.get(Datastream, datastream_id)
    if stream is None:
        raise NotFound("Datastream", datastream_id)
    if not policy.can_see_sensing(
        actor, department_id=stream.department_id, is_open=stream.is_open
    ):
        raise PermissionDenied("read_datastream", object_type="datastream", object_id=stream.id)
    if not stream.is_open:
        audit.record_read(
            session,
            actor=actor,
            action="read_aggregates",
            object_type="datastream",
            object_id=stream.id,
        )
    return stream


def _bucket_expression(dialect: str, seconds: int, offset_seconds: int) -> ColumnElement[Any]:
    """The bucket of each observation, counted in local time at ``offset_seconds`` east of
    UTC: on PostgreSQL its start (``date_bin``, cheaper than arithmetic on ``extract``'s
    numeric), on SQLite its number of whole ``seconds`` since the epoch."""
    if dialect == "postgresql":
        local_midnight = dt.datetime(
            2000, 1, 1, tzinfo=dt.timezone(dt.timedelta(seconds=offset_seconds))
        )
        return func.date_bin(
            literal_column(f"interval '{int(seconds)} seconds'"),
            Observation.phenomenon_time,
            literal(local_midnight, UTCDateTime()),
        )
    epoch: ColumnElement[Any]
    if sqlite3.sqlite_version_info >= (3, 38):
        epoch = func.unixepoch(Observation.phenomenon_time)
    else:
        epoch = cast(func.strftime("%s", Observation.phenomenon_time), Integer)
    # Integer division in SQLite (the operator made explicit so SQLAlchemy keeps it integral).
    return (epoch + offset_seconds).op("/", precedence=100)(seconds)


def _bucket_start(value: Any, seconds: int, offset_seconds: int) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return dt.datetime.fromtimestamp(int(value) * seconds - offset_seconds, tz=dt.UTC)


def aggregate(
    session: Session,
    *,
    actor: Actor,
    datastream_id: int,
    interval: Interval,
    start: dt.datetime,
    end: dt.datetime,
    offset_minutes: int = CHINA_OFFSET_MINUTES,
) -> list[Bucket]:
    """Average, minimum, maximum and count of the numeric results of one stream per hour or
    per (local) day over ``[start, end)``; empty buckets are left out."""
    if end <= start:
        raise InvalidInput("sensing.range_invalid")
    seconds = 3600 if interval == "hour" else 86400
    if (end - start).total_seconds() / seconds > MAX_BUCKETS:
        raise InvalidInput("sensing.range_too_long", limit=MAX_BUCKETS)
    _stream_for_read(session, actor=actor, datastream_id=datastream_id)
    offset = offset_minutes * 60
    bucket = _bucket_expression(session.get_bind().dialect.name, seconds, offset).label("bucket")
    rows = session.execute(
        select(
            bucket,
            func.count(),
            func.avg(Observation.result_number),
            func.min(Observation.result_number),
            func.max(Observation.result_number),
        )
        .where(
            and_(
                Observation.stream_id == datastream_id,
                Observation.phenomenon_time >= start,
                Observation.phenomenon_time < end,
            )
        )
        .group_by(bucket)
        .order_by(bucket)
    ).all()
    return [
        Bucket(
            start=_bucket_start(number, seconds, offset),
            count=int(count),
            avg=None if avg is None else float(avg),
            min=None if low is None else float(low),
            max=None if high is None else float(high),
        )
        for number, count, avg, low, high in rows
    ]


__all__ = [
    "Bucket",
    "LatestValue",
    "aggregate",
    "count_streams",
    "latest",
    "open_or_own",
    "visible_streams",
]
