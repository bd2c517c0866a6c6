"""The sensing engine's tables: the SensorThings entities (Things, Locations, their history,
Sensors, ObservedProperties, Datastreams and MultiDatastreams, FeaturesOfInterest and
Observations) and the record of rejected input.

A MultiDatastream is a row of ``sensing_datastreams`` with ``kind = 'multi'``: both kinds share
one id space, so every observation names exactly one stream (``stream_id``) and "one
observation per stream and phenomenon time" is one unique index. On PostgreSQL the
observations table is partitioned by month of phenomenon time (see the migration)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yiwang.core.db import Base, CreatedAt, JSONType, UTCDateTime, utcnow

BigID = BigInteger().with_variant(Integer(), "sqlite")
EntityPK = Annotated[int, mapped_column(BigID, primary_key=True)]
UpdatedAt = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)]

SINGLE = "single"
MULTI = "multi"


class _BoundingBox:
    """Columns holding the bounding box of a GeoJSON value, for an index-friendly first pass of
    the spatial functions of ``$filter`` (the exact test runs afterwards)."""

    min_x: Mapped[float | None] = mapped_column(Float)
    min_y: Mapped[float | None] = mapped_column(Float)
    max_x: Mapped[float | None] = mapped_column(Float)
    max_y: Mapped[float | None] = mapped_column(Float)


class Thing(Base):
    """A thing that carries sensors: an air station, a scenic spot's gate, a road section."""

    __tablename__ = "sensing_things"

    id: Mapped[EntityPK]
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True, comment="owning department"
    )
    is_open: Mapped[bool] = mapped_column(
        Boolean, default=True, comment="its data is open: readable without signing in"
    )
    pack: Mapped[str | None] = mapped_column(
        String(64), index=True, comment="domain pack and kind, e.g. environment.air_station"
    )
    division_code: Mapped[str | None] = mapped_column(
        String(6), index=True, comment="GB/T 2260 code of the city or county it stands in"
    )
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    locations: Mapped[list[Location]] = relationship(
        secondary="sensing_thing_locations", back_populates="things", lazy="selectin"
    )


class Location(_BoundingBox, Base):
    __tablename__ = "sensing_locations"

    id: Mapped[EntityPK]
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(100), default="application/geo+json")
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True, comment="owning department"
    )
    location: Mapped[dict[str, Any]] = mapped_column(JSONType, comment="GeoJSON geometry")
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[CreatedAt]

    things: Mapped[list[Thing]] = relationship(
        secondary="sensing_thing_locations", back_populates="locations", lazy="raise_on_sql"
    )


class ThingLocation(Base):
    """The current Location(s) of a Thing."""

    __tablename__ = "sensing_thing_locations"

    thing_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_things.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_locations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class HistoricalLocation(Base):
    """When a Thing was placed at a set of Locations."""

    __tablename__ = "sensing_historical_locations"
    __table_args__ = (Index("ix_sensing_historical_locations_thing_time", "thing_id", "time"),)

    id: Mapped[EntityPK]
    thing_id: Mapped[int] = mapped_column(ForeignKey("sensing_things.id", ondelete="CASCADE"))
    time: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class HistoricalLocationLocation(Base):
    __tablename__ = "sensing_historical_location_locations"

    historical_location_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_historical_locations.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_locations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Sensor(Base):
    __tablename__ = "sensing_sensors"

    id: Mapped[EntityPK]
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(100), default="")
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True, comment="owning department"
    )
    sensor_metadata: Mapped[Any] = mapped_column(
        "metadata", JSONType, nullable=True, comment="STA metadata"
    )
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[CreatedAt]


class ObservedProperty(Base):
    __tablename__ = "sensing_observed_properties"

    id: Mapped[EntityPK]
    name: Mapped[str] = mapped_column(String(300))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True, comment="owning department"
    )
    definition: Mapped[str] = mapped_column(String(500), default="", index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[CreatedAt]


class Datastream(Base):
    """A Datastream (``kind = 'single'``) or a MultiDatastream (``kind = 'multi'``), with the
    latest observation kept on the row so "latest value of every stream" reads no
    observations."""

    __tablename__ = "sensing_datastreams"

    id: Mapped[EntityPK]
    kind: Mapped[str] = mapped_column(String(8), default=SINGLE, comment="single or multi")
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    observation_type: Mapped[str] = mapped_column(
        String(200), comment="O&M observation type URI (OM_ComplexObservation for multi)"
    )
    multi_observation_types: Mapped[list[str] | None] = mapped_column(JSONType)
    unit_of_measurement: Mapped[Any] = mapped_column(
        JSONType, nullable=True, comment="an object; a list of objects for a MultiDatastream"
    )
    observed_area: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    thing_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_things.id", ondelete="CASCADE"), index=True
    )
    sensor_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_sensors.id", ondelete="CASCADE"), index=True
    )
    observed_property_id: Mapped[int | None] = mapped_column(
        ForeignKey("sensing_observed_properties.id", ondelete="CASCADE"),
        index=True,
        comment="null for a MultiDatastream",
    )
    department_id: Mapped[int | None] = mapped_column(
        Integer, index=True, comment="the Thing's department, copied for filtering"
    )
    is_open: Mapped[bool] = mapped_column(Boolean, default=True, comment="copied from the Thing")
    phenomenon_time_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    phenomenon_time_end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    result_time_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    result_time_end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_observation_id: Mapped[int | None] = mapped_column(BigID)
    last_phenomenon_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_result_number: Mapped[float | None] = mapped_column(Float)
    last_result: Mapped[Any] = mapped_column(
        JSONType, nullable=True, comment="the latest result as JSON"
    )
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class MultiDatastreamProperty(Base):
    """The ObservedProperties of a MultiDatastream, in the order of its result arrays."""

    __tablename__ = "sensing_multi_datastream_properties"

    datastream_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_datastreams.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    observed_property_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_observed_properties.id", ondelete="CASCADE"), index=True
    )


class FeatureOfInterest(_BoundingBox, Base):
    __tablename__ = "sensing_features"

    id: Mapped[EntityPK]
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(100), default="application/geo+json")
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True, comment="owning department"
    )
    feature: Mapped[dict[str, Any]] = mapped_column(JSONType, comment="GeoJSON geometry")
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("sensing_locations.id", ondelete="SET NULL"),
        unique=True,
        comment="the Location it was made from, when it was made automatically",
    )
    created_at: Mapped[CreatedAt]


class Observation(Base):
    """One observation. A numeric result is kept in ``result_number`` (indexable, and what
    aggregates read); any other result (text, boolean, object, a MultiDatastream's array) in
    ``result_json``."""

    __tablename__ = "sensing_observations"
    __table_args__ = (
        UniqueConstraint("stream_id", "phenomenon_time"),
        Index("ix_sensing_observations_feature_id", "feature_id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    stream_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_datastreams.id", ondelete="CASCADE"),
        comment="Datastream or MultiDatastream",
    )
    phenomenon_time: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), comment="instant, or start of the interval"
    )
    phenomenon_time_end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    result_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    result_number: Mapped[float | None] = mapped_column(Float)
    result_json: Mapped[Any] = mapped_column(JSONType, nullable=True)
    result_quality: Mapped[Any] = mapped_column(JSONType, nullable=True)
    valid_time_start: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    valid_time_end: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    feature_id: Mapped[int] = mapped_column(ForeignKey("sensing_features.id", ondelete="CASCADE"))


class Rejection(Base):
    """Input that was refused (over MQTT there is no one to answer): what came, from where, and
    why, for operators to see."""

    __tablename__ = "sensing_rejections"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    received_at: Mapped[CreatedAt]
    source: Mapped[str] = mapped_column(String(16), comment="mqtt or http")
    topic: Mapped[str | None] = mapped_column(String(300))
    datastream_id: Mapped[int | None] = mapped_column(BigID, index=True)
    code: Mapped[str] = mapped_column(String(100), comment="message code of the reason")
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text, comment="the start of what was received")


__all__ = [
    "MULTI",
    "SINGLE",
    "Datastream",
    "FeatureOfInterest",
    "HistoricalLocation",
    "HistoricalLocationLocation",
    "Location",
    "MultiDatastreamProperty",
    "Observation",
    "ObservedProperty",
    "Rejection",
    "Sensor",
    "Thing",
    "ThingLocation",
]
