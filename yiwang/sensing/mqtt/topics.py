"""The SensorThings MQTT topics: where observations are published to be stored, and where
subscribers are told of new ones."""

from __future__ import annotations

import re

from yiwang.core.errors import InvalidInput

VERSION = "v1.1"
SHARE_GROUP = "yiwang"

# MQTT's "+" matches a whole level, so "Datastreams(7)" cannot be matched by a filter
# ("Datastreams(+)" is not one): subscribe to every "<level>/Observations" and parse the level.
_STREAM_TOPIC = re.compile(r"^v1\.1/(Datastreams|MultiDatastreams)\((\d{1,18})\)/Observations$")
_PLAIN_TOPIC = f"{VERSION}/Observations"
DATASTREAMS = "Datastreams"
MULTI_DATASTREAMS = "MultiDatastreams"


def ingest_filters(*, shared: bool) -> list[str]:
    """The topic filters the ingest bridge subscribes to; ``shared`` spreads the messages over
    every bridge of the group instead of giving each all of them."""
    filters = [f"{VERSION}/+/Observations", _PLAIN_TOPIC]
    if shared:
        return [f"$share/{SHARE_GROUP}/{f}" for f in filters]
    return filters


def parse_topic(topic: str) -> tuple[str | None, int | None]:
    """Return ``(collection, stream id)`` of an ingest topic: ``("Datastreams", 7)`` for
    ``v1.1/Datastreams(7)/Observations``, ``(None, None)`` for ``v1.1/Observations`` (the body
    names its stream). Raise :class:`InvalidInput` for any other topic."""
    if topic == _PLAIN_TOPIC:
        return None, None
    match = _STREAM_TOPIC.match(topic)
    if match is None:
        raise InvalidInput("sensing.mqtt_topic_invalid", topic=topic[:200])
    return match.group(1), int(match.group(2))


def observations_topic(stream_id: int, *, multi: bool) -> str:
    """The topic subscribers of a (Multi)Datastream's observations listen to."""
    collection = MULTI_DATASTREAMS if multi else DATASTREAMS
    return f"{VERSION}/{collection}({stream_id})/Observations"


__all__ = [
    "DATASTREAMS",
    "MULTI_DATASTREAMS",
    "SHARE_GROUP",
    "VERSION",
    "ingest_filters",
    "observations_topic",
    "parse_topic",
]
