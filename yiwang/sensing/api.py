"""The sensing engine's native API under ``/api/v1/sensing``: latest values and aggregates
(the time-series extension SensorThings itself lacks)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from yiwang.core.errors import InvalidInput
from yiwang.core.web.deps import CurrentActor, SessionDep
from yiwang.sensing import timeseries
from yiwang.sensing.schemas import AggregateBucket, Aggregates, LatestValuePublic, LatestValues
from yiwang.sensing.times import format_instant, parse_instant

router = APIRouter(prefix="/api/v1/sensing", tags=["sensing: time series"])


def latest_public(value: timeseries.LatestValue) -> LatestValuePublic:
    return LatestValuePublic(
        datastream_id=value.datastream_id,
        name=value.name,
        thing_id=value.thing_id,
        thing=value.thing_name,
        pack=value.pack,
        division_code=value.division_code,
        observed_property=value.observed_property,
        unit=value.unit,
        phenomenon_time=None if value.time is None else format_instant(value.time),
        result=value.result,
        observation_id=value.observation_id,
    )


def bucket_public(bucket: timeseries.Bucket, interval: timeseries.Interval) -> AggregateBucket:
    length = dt.timedelta(hours=1 if interval == "hour" else 24)
    return AggregateBucket(
        start=format_instant(bucket.start),
        end=format_instant(bucket.start + length),
        count=bucket.count,
        avg=bucket.avg,
        min=bucket.min,
        max=bucket.max,
    )


def _ids(value: str | None) -> list[int] | None:
    if value is None or not value.strip():
        return None
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise InvalidInput("field_invalid", field="datastream", reason="ids: 1,2,3") from None


@router.get("/latest", summary="The latest value of many datastreams at once")
def latest_values(
    session: SessionDep,
    actor: CurrentActor,
    datastream: Annotated[str | None, Query(description="datastream ids, comma-separated")] = None,
    pack: Annotated[str | None, Query(description="pack kind of the Thing")] = None,
    observed_property: Annotated[
        str | None, Query(description="ObservedProperty name or definition URI")
    ] = None,
    department_id: int | None = None,
    division_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    limit: Annotated[int, Query(ge=1, le=timeseries.MAX_LATEST)] = 1000,
) -> LatestValues:
    values = timeseries.latest(
        session,
        actor=actor,
        datastream_ids=_ids(datastream),
        pack=pack,
        observed_property=observed_property,
        department_id=department_id,
        division_code=division_code,
        limit=limit,
    )
    return LatestValues(items=[latest_public(v) for v in values])


@router.get(
    "/datastreams/{datastream_id}/aggregates",
    summary="Hourly or daily average, minimum, maximum and count of a datastream",
)
def aggregates(
    datastream_id: int,
    session: SessionDep,
    actor: CurrentActor,
    start: Annotated[str, Query(description="ISO 8601 with a zone, inclusive")],
    end: Annotated[str, Query(description="ISO 8601 with a zone, exclusive")],
    interval: Annotated[timeseries.Interval, Query()] = "hour",
    offset_minutes: Annotated[
        int, Query(ge=-720, le=840, description="local time zone of days (default UTC+8)")
    ] = timeseries.CHINA_OFFSET_MINUTES,
) -> Aggregates:
    buckets = timeseries.aggregate(
        session,
        actor=actor,
        datastream_id=datastream_id,
        interval=interval,
        start=parse_instant(start, field="start"),
        end=parse_instant(end, field="end"),
        offset_minutes=offset_minutes,
    )
    return Aggregates(
        datastream_id=datastream_id,
        interval=interval,
        offset_minutes=offset_minutes,
        buckets=[bucket_public(b, interval) for b in buckets],
    )
