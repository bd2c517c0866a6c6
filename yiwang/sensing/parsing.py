"""Observations as SensorThings writes them: the O&M observation types, an observation parsed
from its JSON (:class:`NewObservation`, what
:func:`yiwang.sensing.service.create_observations` stores) and a stored result shown back as
SensorThings shows it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from yiwang.core.db import utcnow
from yiwang.core.errors import InvalidInput
from yiwang.sensing import (
    limits,
    messages,  # noqa: F401  (registers the messages)
)
from yiwang.sensing.times import parse_instant, parse_time_value

OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/"
MEASUREMENT = OM + "OM_Measurement"
COUNT = OM + "OM_CountObservation"
TRUTH = OM + "OM_TruthObservation"
CATEGORY = OM + "OM_CategoryObservation"
GENERIC = OM + "OM_Observation"
COMPLEX = OM + "OM_ComplexObservation"


@dataclass(frozen=True, slots=True)
class NewObservation:
    """An observation to store, already parsed (times aware)."""

    stream_id: int
    phenomenon_time: dt.datetime
    result: Any
    phenomenon_time_end: dt.datetime | None = None
    result_time: dt.datetime | None = None
    result_quality: Any = None
    valid_time_start: dt.datetime | None = None
    valid_time_end: dt.datetime | None = None
    parameters: dict[str, Any] | None = None
    feature_id: int | None = None


# --- parsing -------------------------------------------------------------------------------------


def _ref_id(value: Any, field_name: str) -> int:
    ident = limits.entity_id(value.get("@iot.id")) if isinstance(value, Mapping) else None
    if ident is None:
        raise InvalidInput("sensing.field_invalid", field=field_name, reason="@iot.id")
    return ident


def observation_from_json(
    data: Mapping[str, Any], *, stream_id: int | None = None
) -> NewObservation:
    """Parse a SensorThings Observation. Without ``phenomenonTime`` the server's time is used;
    every time must carry a zone. ``result``, ``resultQuality`` and ``parameters`` have the
    JSON limits of :mod:`yiwang.sensing.limits` (a 400 naming the field)."""
    if not isinstance(data, Mapping):
        raise InvalidInput("sensing.observation_invalid")
    if stream_id is None:
        if "Datastream" in data:
            stream_id = _ref_id(data["Datastream"], "Datastream")
        elif "MultiDatastream" in data:
            stream_id = _ref_id(data["MultiDatastream"], "MultiDatastream")
        else:
            raise InvalidInput("sensing.stream_missing")
    if "result" not in data or data["result"] is None:
        raise InvalidInput("sensing.result_missing")
    raw_time = data.get("phenomenonTime")
    if raw_time is None:
        start, end = utcnow(), None
    else:
        start, end = parse_time_value(raw_time, field="phenomenonTime")
    result_time = data.get("resultTime")
    valid_start = valid_end = None
    if data.get("validTime") is not None:
        valid_start, valid_end = parse_time_value(data["validTime"], field="validTime")
    parameters = data.get("parameters")
    if parameters is not None and not isinstance(parameters, Mapping):
        raise InvalidInput("sensing.field_invalid", field="parameters", reason="JSON object")
    for name in ("result", "resultQuality", "parameters"):
        limits.check_json(data.get(name), entity="Observation", field=name)
    feature = data.get("FeatureOfInterest")
    return NewObservation(
        stream_id=stream_id,
        phenomenon_time=start,
        phenomenon_time_end=end,
        result=data["result"],
        result_time=None if result_time is None else parse_instant(result_time, field="resultTime"),
        result_quality=data.get("resultQuality"),
        valid_time_start=valid_start,
        valid_time_end=valid_end,
        parameters=dict(parameters) if parameters is not None else None,
        feature_id=None if feature is None else _ref_id(feature, "FeatureOfInterest"),
    )


def result_of(number: float | None, value: Any, observation_type: str | None) -> Any:
    """The result as SensorThings shows it, from the two stored columns."""
    if value is not None or number is None:
        return value
    if observation_type == COUNT:
        return int(number)
    return number


__all__ = [
    "CATEGORY",
    "COMPLEX",
    "COUNT",
    "GENERIC",
    "MEASUREMENT",
    "TRUTH",
    "NewObservation",
    "observation_from_json",
    "result_of",
]
