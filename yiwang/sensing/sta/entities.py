"""The SensorThings entity types as this server keeps them: for each, its table, its
properties (STA name → column and kind), its navigation properties (how two tables relate),
who may see its rows, and how a row becomes STA JSON with its links."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Table

from yiwang.core.policy import Actor
from yiwang.sensing import models as m
from yiwang.sensing import parsing, times
from yiwang.sensing.timeseries import open_or_own

Row = Mapping[Any, Any]  # a row as a mapping (RowMapping or dict)

THINGS: Table = m.Thing.__table__  # type: ignore[assignment]
LOCATIONS: Table = m.Location.__table__  # type: ignore[assignment]
THING_LOCATIONS: Table = m.ThingLocation.__table__  # type: ignore[assignment]
HISTORICAL_LOCATIONS: Table = m.HistoricalLocation.__table__  # type: ignore[assignment]
HISTORICAL_LOCATION_LOCATIONS: Table = m.HistoricalLocationLocation.__table__  # type: ignore[assignment]
SENSORS: Table = m.Sensor.__table__  # type: ignore[assignment]
OBSERVED_PROPERTIES: Table = m.ObservedProperty.__table__  # type: ignore[assignment]
DATASTREAMS: Table = m.Datastream.__table__  # type: ignore[assignment]
MULTI_PROPERTIES: Table = m.MultiDatastreamProperty.__table__  # type: ignore[assignment]
FEATURES: Table = m.FeatureOfInterest.__table__  # type: ignore[assignment]
OBSERVATIONS: Table = m.Observation.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Prop:
    """A property: its STA name, the column it reads (None for computed ones) and its kind
    (string, number, boolean, datetime, json, geometry or result)."""

    name: str
    column: str | None
    kind: str


@dataclass(frozen=True)
class Nav:
    """A navigation property. Either a direct relation (``target.target_key ==
    source.source_key``) or one through a link table (``link.link_source == source.id`` and
    ``link.link_target == target.id``)."""

    name: str
    target: str
    many: bool
    source_key: str = "id"
    target_key: str = "id"
    link: Table | None = None
    link_source: str = ""
    link_target: str = ""


@dataclass
class EntityType:
    name: str
    plural: str
    table: Table
    props: dict[str, Prop]
    navs: dict[str, Nav]
    kind: str | None = None  # the kind column's value, for the two kinds of stream
    audited: bool = False  # reads of rows that are not open are recorded
    writable: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def base_condition(self, table: sa.FromClause | None = None) -> ColumnElement[bool] | None:
        if self.kind is None:
            return None
        source = self.table if table is None else table
        return source.c.kind == self.kind

    def prop(self, name: str) -> Prop | None:
        if name in ("id", "@iot.id"):
            return Prop("id", "id", "number")
        return self.props.get(name)


def _props(*items: tuple[str, str | None, str]) -> dict[str, Prop]:
    return {name: Prop(name, column, kind) for name, column, kind in items}


_NAMED = (("name", "name", "string"), ("description", "description", "string"))

TYPES: dict[str, EntityType] = {}


def _register(entity: EntityType) -> None:
    TYPES[entity.name] = entity


_register(
    EntityType(
        "Thing",
        "Things",
        THINGS,
        _props(*_NAMED, ("properties", "properties", "json")),
        {
            "Locations": Nav(
                "Locations",
                "Location",
                True,
                link=THING_LOCATIONS,
                link_source="thing_id",
                link_target="location_id",
            ),
            "HistoricalLocations": Nav(
                "HistoricalLocations", "HistoricalLocation", True, target_key="thing_id"
            ),
            "Datastreams": Nav("Datastreams", "Datastream", True, target_key="thing_id"),
            "MultiDatastreams": Nav(
                "MultiDatastreams", "MultiDatastream", True, target_key="thing_id"
            ),
        },
        audited=True,
    )
)
_register(
    EntityType(
        "Location",
        "Locations",
        LOCATIONS,
        _props(
            *_NAMED,
            ("encodingType", "encoding_type", "string"),
            ("location", "location", "geometry"),
            ("properties", "properties", "json"),
        ),
        {
            "Things": Nav(
                "Things",
                "Thing",
                True,
                link=THING_LOCATIONS,
                link_source="location_id",
                link_target="thing_id",
            ),
            "HistoricalLocations": Nav(
                "HistoricalLocations",
                "HistoricalLocation",
                True,
                link=HISTORICAL_LOCATION_LOCATIONS,
                link_source="location_id",
                link_target="historical_location_id",
            ),
        },
    )
)
_register(
    EntityType(
        "HistoricalLocation",
        "HistoricalLocations",
        HISTORICAL_LOCATIONS,
        _props(("time", "time", "datetime")),
        {
            "Thing": Nav("Thing", "Thing", False, source_key="thing_id"),
            "Locations": Nav(
                "Locations",
                "Location",
                True,
                link=HISTORICAL_LOCATION_LOCATIONS,
                link_source="historical_location_id",
                link_target="location_id",
            ),
        },
    )
)
_register(
    EntityType(
        "Sensor",
        "Sensors",
        SENSORS,
        _props(
            *_NAMED,
            ("encodingType", "encoding_type", "string"),
            ("metadata", "metadata", "json"),
            ("properties", "properties", "json"),
        ),
        {
            "Datastreams": Nav("Datastreams", "Datastream", True, target_key="sensor_id"),
            "MultiDatastreams": Nav(
                "MultiDatastreams", "MultiDatastream", True, target_key="sensor_id"
            ),
        },
    )
)
_register(
    EntityType(
        "ObservedProperty",
        "ObservedProperties",
        OBSERVED_PROPERTIES,
        _props(
            *_NAMED, ("definition", "definition", "string"), ("properties", "properties", "json")
        ),
        {
            "Datastreams": Nav(
                "Datastreams", "Datastream", True, target_key="observed_property_id"
            ),
            "MultiDatastreams": Nav(
                "MultiDatastreams",
                "MultiDatastream",
                True,
                link=MULTI_PROPERTIES,
                link_source="observed_property_id",
                link_target="datastream_id",
            ),
        },
    )
)
_STREAM_PROPS = (
    *_NAMED,
    ("observationType", "observation_type", "string"),
    ("observedArea", "observed_area", "geometry"),
    ("phenomenonTime", "phenomenon_time_start", "datetime"),
    ("resultTime", "result_time_start", "datetime"),
    ("properties", "properties", "json"),
)
_register(
    EntityType(
        "Datastream",
        "Datastreams",
        DATASTREAMS,
        _props(*_STREAM_PROPS, ("unitOfMeasurement", "unit_of_measurement", "json")),
        {
            "Thing": Nav("Thing", "Thing", False, source_key="thing_id"),
            "Sensor": Nav("Sensor", "Sensor", False, source_key="sensor_id"),
            "ObservedProperty": Nav(
                "ObservedProperty", "ObservedProperty", False, source_key="observed_property_id"
            ),
            "Observations": Nav("Observations", "Observation", True, target_key="stream_id"),
        },
        kind=m.SINGLE,
        audited=True,
    )
)
_register(
    EntityType(
        "MultiDatastream",
        "MultiDatastreams",
        DATASTREAMS,
        _props(
            *_STREAM_PROPS,
            ("unitOfMeasurements", "unit_of_measurement", "json"),
            ("multiObservationDataTypes", "multi_observation_types", "json"),
        ),
        {
            "Thing": Nav("Thing", "Thing", False, source_key="thing_id"),
            "Sensor": Nav("Sensor", "Sensor", False, source_key="sensor_id"),
            "ObservedProperties": Nav(
                "ObservedProperties",
                "ObservedProperty",
                True,
                link=MULTI_PROPERTIES,
                link_source="datastream_id",
                link_target="observed_property_id",
            ),
            "Observations": Nav("Observations", "Observation", True, target_key="stream_id"),
        },
        kind=m.MULTI,
        audited=True,
    )
)
_register(
    EntityType(
        "Observation",
        "Observations",
        OBSERVATIONS,
        _props(
            ("phenomenonTime", "phenomenon_time", "datetime"),
            ("resultTime", "result_time", "datetime"),
            ("result", None, "result"),
            ("resultQuality", "result_quality", "json"),
            ("validTime", "valid_time_start", "datetime"),
            ("parameters", "parameters", "json"),
        ),
        {
            "Datastream": Nav("Datastream", "Datastream", False, source_key="stream_id"),
            "MultiDatastream": Nav(
                "MultiDatastream", "MultiDatastream", False, source_key="stream_id"
            ),
            "FeatureOfInterest": Nav(
                "FeatureOfInterest", "FeatureOfInterest", False, source_key="feature_id"
            ),
        },
        audited=True,
    )
)
_register(
    EntityType(
        "FeatureOfInterest",
        "FeaturesOfInterest",
        FEATURES,
        _props(
            *_NAMED,
            ("encodingType", "encoding_type", "string"),
            ("feature", "feature", "geometry"),
            ("properties", "properties", "json"),
        ),
        {"Observations": Nav("Observations", "Observation", True, target_key="feature_id")},
    )
)

BY_PLURAL: dict[str, EntityType] = {t.plural: t for t in TYPES.values()}

# The navigation property that leads back: Thing.Datastreams ↔ Datastream.Thing and so on.
REVERSE: dict[tuple[str, str], str] = {
    ("Thing", "Locations"): "Things",
    ("Location", "Things"): "Locations",
    ("Thing", "HistoricalLocations"): "Thing",
    ("HistoricalLocation", "Thing"): "HistoricalLocations",
    ("Location", "HistoricalLocations"): "Locations",
    ("HistoricalLocation", "Locations"): "HistoricalLocations",
    ("Thing", "Datastreams"): "Thing",
    ("Datastream", "Thing"): "Datastreams",
    ("Thing", "MultiDatastreams"): "Thing",
    ("MultiDatastream", "Thing"): "MultiDatastreams",
    ("Sensor", "Datastreams"): "Sensor",
    ("Datastream", "Sensor"): "Datastreams",
    ("Sensor", "MultiDatastreams"): "Sensor",
    ("MultiDatastream", "Sensor"): "MultiDatastreams",
    ("ObservedProperty", "Datastreams"): "ObservedProperty",
    ("Datastream", "ObservedProperty"): "Datastreams",
    ("ObservedProperty", "MultiDatastreams"): "ObservedProperties",
    ("MultiDatastream", "ObservedProperties"): "MultiDatastreams",
    ("Datastream", "Observations"): "Datastream",
    ("Observation", "Datastream"): "Observations",
    ("MultiDatastream", "Observations"): "MultiDatastream",
    ("Observation", "MultiDatastream"): "Observations",
    ("FeatureOfInterest", "Observations"): "FeatureOfInterest",
    ("Observation", "FeatureOfInterest"): "Observations",
}


# --- relations in SQL ---------------------------------------------------------------------------


def relation(nav: Nav, source: sa.FromClause, target: sa.FromClause) -> list[ColumnElement[bool]]:
    """Conditions that relate rows of ``source`` to rows of ``target`` along ``nav``."""
    conditions: list[ColumnElement[bool]] = []
    if nav.link is None:
        conditions.append(target.c[nav.target_key] == source.c[nav.source_key])
    else:
        link = nav.link.alias()
        conditions.append(
            sa.exists()
            .where(link.c[nav.link_source] == source.c.id, link.c[nav.link_target] == target.c.id)
            .correlate(source, target)
        )
    base = TYPES[nav.target].base_condition(target)
    if base is not None:
        conditions.append(base)
    return conditions


def related_to(nav: Nav, parent: Row, target: Table) -> list[ColumnElement[bool]]:
    """Conditions selecting the rows of ``target`` related along ``nav`` to one parent row."""
    conditions: list[ColumnElement[bool]] = []
    if nav.link is None:
        conditions.append(target.c[nav.target_key] == parent[nav.source_key])
    else:
        conditions.append(
            target.c.id.in_(
                sa.select(nav.link.c[nav.link_target]).where(
                    nav.link.c[nav.link_source] == parent["id"]
                )
            )
        )
    base = TYPES[nav.target].base_condition(target)
    if base is not None:
        conditions.append(base)
    return conditions


# --- visibility ---------------------------------------------------------------------------------


def visibility(
    entity: EntityType, table: sa.FromClause, actor: Actor
) -> ColumnElement[bool] | None:
    """The condition limiting ``table`` (of ``entity``) to what ``actor`` may see, or None when
    everything is visible. Things, their streams, observations and location history of things
    that are not open are seen only by the owning department's staff and sysadmins."""
    if actor.is_sysadmin:
        return None
    if entity.name in ("Thing", "Datastream", "MultiDatastream"):
        return open_or_own(actor, table.c.is_open, table.c.department_id)
    if entity.name == "Observation":
        streams = DATASTREAMS.alias("visible_stream")
        return (
            sa.exists()
            .where(
                streams.c.id == table.c.stream_id,
                open_or_own(actor, streams.c.is_open, streams.c.department_id),
            )
            .correlate(table)
        )
    if entity.name == "HistoricalLocation":
        things = THINGS.alias("visible_thing")
        return (
            sa.exists()
            .where(
                things.c.id == table.c.thing_id,
                open_or_own(actor, things.c.is_open, things.c.department_id),
            )
            .correlate(table)
        )
    return None


# --- serialization ------------------------------------------------------------------------------


def format_instant(value: dt.datetime | None) -> str | None:
    return None if value is None else times.format_instant(value)


def format_period(start: dt.datetime | None, end: dt.datetime | None) -> str | None:
    return times.format_optional(start, end)


def _stream_time(prefix: str) -> Callable[[Row], Any]:
    def read(row: Row) -> Any:
        start, end = row[f"{prefix}_start"], row[f"{prefix}_end"]
        if start is None:
            return None
        return f"{format_instant(start)}/{format_instant(end or start)}"

    return read


@dataclass
class StreamInfo:
    """What serializing an observation needs to know of its stream."""

    kind: str
    observation_type: str
    is_open: bool


def observation_result(row: Row, stream: StreamInfo | None) -> Any:
    return parsing.result_of(
        row["result_number"],
        row["result_json"],
        None if stream is None else stream.observation_type,
    )


def _column(name: str) -> Callable[[Row], Any]:
    return lambda row: row[name]


_GETTERS: dict[str, dict[str, Callable[[Row], Any]]] = {
    "HistoricalLocation": {"time": lambda row: format_instant(row["time"])},
    "Datastream": {
        "phenomenonTime": _stream_time("phenomenon_time"),
        "resultTime": _stream_time("result_time"),
    },
    "MultiDatastream": {
        "phenomenonTime": _stream_time("phenomenon_time"),
        "resultTime": _stream_time("result_time"),
    },
    "Observation": {
        "phenomenonTime": lambda row: format_period(
            row["phenomenon_time"], row["phenomenon_time_end"]
        ),
        "resultTime": lambda row: format_instant(row["result_time"]),
        "validTime": lambda row: format_period(row["valid_time_start"], row["valid_time_end"]),
    },
}


def getter(entity: EntityType, prop: Prop) -> Callable[[Row], Any]:
    special = _GETTERS.get(entity.name, {}).get(prop.name)
    if special is not None:
        return special
    if prop.column is None:  # the result, which needs its stream: see observation_result
        return lambda row: observation_result(row, None)
    return _column(prop.column)


def self_link(base_url: str, entity: EntityType, entity_id: Any) -> str:
    return f"{base_url}/{entity.plural}({entity_id})"


__all__ = [
    "BY_PLURAL",
    "REVERSE",
    "TYPES",
    "EntityType",
    "Nav",
    "Prop",
    "Row",
    "StreamInfo",
    "format_instant",
    "format_period",
    "getter",
    "observation_result",
    "related_to",
    "relation",
    "self_link",
    "visibility",
]
