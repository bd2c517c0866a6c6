"""Shapes of the sensing engine's native answers: latest values, aggregates and rejected input
(rules, alerts and webhooks are in :mod:`yiwang.sensing.alerting.schemas`)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field


class LatestValuePublic(BaseModel):
    """The newest observation of one datastream."""

    datastream_id: int
    name: str = Field(description="the datastream's name")
    thing_id: int
    thing: str = Field(description="the Thing's name")
    pack: str | None = Field(description="the domain-pack kind of the Thing")
    division_code: str | None = Field(description="GB/T 2260 code of the Thing's area")
    observed_property: str | None = Field(description="the ObservedProperty's name")
    unit: Any = Field(description="the datastream's unitOfMeasurement {name, symbol, definition}")
    phenomenon_time: str | None = Field(
        description="UTC with milliseconds, e.g. 2026-11-29T02:00:00.000Z; null without data"
    )
    result: Any = Field(description="the observation's result, as it was received")
    observation_id: int | None


class LatestValues(BaseModel):
    items: list[LatestValuePublic]


class AggregateBucket(BaseModel):
    start: str = Field(description="UTC with milliseconds, inclusive")
    end: str = Field(description="UTC with milliseconds, exclusive")
    count: int = Field(description="observations in the bucket")
    avg: float | None
    min: float | None
    max: float | None


class Aggregates(BaseModel):
    datastream_id: int
    interval: Literal["hour", "day"]
    offset_minutes: int = Field(description="the local time zone that days start in")
    buckets: list[AggregateBucket] = Field(description="only buckets holding observations")


class RejectionPublic(BaseModel):
    """Input that was refused, and why."""

    id: int
    received_at: dt.datetime
    source: str = Field(description="mqtt or http")
    topic: str | None = Field(description="the MQTT topic or the HTTP path")
    datastream_id: int | None
    code: str = Field(description="message code of the reason")
    message: str
    payload: str | None = Field(description="the start of what was received")
