"""The sensing engine's native API under ``/api/v1/sensing``: latest values and aggregates
(the time-series extension SensorThings itself lacks)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from yiwang.core.errors import InvalidInput
from yiwang.core.web.deps import CurrentActor, SessionDep
from yiwang.sensing import timeseries
from yiwang.sensing.times import format_instant, parse_instant

router = APIRouter(prefix="/api/v1/sensing", tags=["sensing: time series"])


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
) -> dict[str, Any]:
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
    return {
        "items": [
            {
                "datastream_id": v.datastream_id,
                "name": v.name,
                "thing_id": v.thing_id,
                "thing": v.thing_name,
                "pack": v.pack,
                "division_code": v.division_code,
                "observed_property": v.observed_property,
                "unit": v.unit,
                "phenomenon_time": None if v.time is None else format_instant(v.time),
                "result": v.result,
                "observation_id": v.observation_id,
            }
            for v in values
        ]
    }


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
) -> dict[str, Any]:
    buckets = timeseries.aggregate(
        session,
        actor=actor,
        datastream_id=datastream_id,
        interval=interval,
        start=parse_instant(start, field="start"),
        end=parse_instant(end, field="end"),
        offset_minutes=offset_minutes,
    )
    return {
        "datastream_id": datastream_id,
        "interval": interval,
        "offset_minutes": offset_minutes,
        "buckets": [
            {
                "start": format_instant(b.start),
                "end": format_instant(
                    b.start + dt.timedelta(hours=1 if interval == "hour" else 24)
                ),
                "count": b.count,
                "avg": b.avg,
                "min": b.min,
                "max": b.max,
            }
            for b in buckets
        ],
    }
