"""What MQTT subscribers of SensorThings updates receive (OGC 18-088 14.2): the topics a new
or changed entity is published to, and the ``$select`` topics subscribers asked for.

An entity created is published, whole, to its entity set (``v1.1/Things``) and to every
collection it joins by a navigation property (``v1.1/Datastreams(1)/Observations``,
``v1.1/Locations(3)/Things``). An entity updated is published to those and to its own topic
(``v1.1/Things(1)``), and each property the update named to its property topic
(``v1.1/Things(1)/name``, as ``{"name": …}``). Entities are shown as the public sees them:
one the public cannot read is not published, and personal data is masked.

MQTT cannot tell a publisher who subscribes to what, so ``$select`` topics
(``v1.1/Things?$select=id,name``) are learned from the broker: Mosquitto reports every
subscription on ``$SYS/broker/log/M/subscribe`` (``log_dest topic``, ``log_type subscribe``
in deploy/mosquitto.conf). A bounded number are kept, the most recently subscribed."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from yiwang.core.policy import ANONYMOUS
from yiwang.sensing.mqtt.topics import VERSION
from yiwang.sensing.sta.changes import Change
from yiwang.sensing.sta.entities import REVERSE, TYPES, EntityType, Row, related_to
from yiwang.sensing.sta.query import Query
from yiwang.sensing.sta.reads import Context, fetch_one, serialize_rows

SUBSCRIPTION_LOG = "$SYS/broker/log/M/subscribe"
MAX_SELECT_TOPICS = 1000
# The parents, per navigation property, whose collection topic gets an entity: a Location of
# a Thing that moved often belongs to many HistoricalLocations.
MAX_PARENTS = 100
# "2026-11-29T08:00:00: client-id 1 v1.1/Things?$select=name": the time (in the broker's
# log_timestamp_format), the client, the QoS and the topic.
_LOG_LINE = re.compile(rf" [0-2] (?P<topic>{re.escape(VERSION)}/.+)$")

Message = tuple[str, Any]  # a topic and the JSON document published there


class SelectTopics:
    """The ``$select`` topics subscribers have asked for: at most ``limit``, the most recently
    subscribed kept."""

    def __init__(self, limit: int = MAX_SELECT_TOPICS) -> None:
        self._limit = limit
        self._topics: OrderedDict[str, str] = OrderedDict()  # topic → its base, oldest first
        self._by_base: dict[str, dict[str, tuple[str, ...]]] = {}  # base → topic → names
        self._lock = threading.Lock()

    def learn(self, log_line: str) -> None:
        """Note the topic of a subscription the broker reported, if it is a ``$select`` one."""
        match = _LOG_LINE.search(log_line.strip())
        if match is not None:
            self.add(match.group("topic"))

    def add(self, topic: str) -> None:
        parsed = parse_select_topic(topic)
        if parsed is None:
            return
        base, names = parsed
        with self._lock:
            self._topics[topic] = base
            self._topics.move_to_end(topic)
            self._by_base.setdefault(base, {})[topic] = names
            while len(self._topics) > self._limit:
                oldest, oldest_base = self._topics.popitem(last=False)
                on_base = self._by_base[oldest_base]
                del on_base[oldest]
                if not on_base:
                    del self._by_base[oldest_base]

    def matching(self, bases: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
        """The ``$select`` topics (with their property names) on any of ``bases``."""
        with self._lock:
            if not self._by_base:
                return []
            return [
                (topic, names)
                for base in dict.fromkeys(bases)
                for topic, names in self._by_base.get(base, {}).items()
            ]


def parse_select_topic(topic: str) -> tuple[str, tuple[str, ...]] | None:
    """``("v1.1/Things", ("id", "name"))`` for ``v1.1/Things?$select=id,name``; None for a
    topic of any other form (no ``$select``, other options, wildcards)."""
    base, mark, options = topic.partition("?")
    if not mark or not base.startswith(f"{VERSION}/") or "+" in base or "#" in base:
        return None
    key, equals, value = options.partition("=")
    names = tuple(n.strip() for n in value.split(","))
    if key != "$select" or not equals or "&" in value or not all(names):
        return None
    return base, names


def selected(document: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The properties ``names`` of ``document``, as ``$select`` gives them over HTTP: ``id``
    is the id and the selfLink, a navigation property its link."""
    result: dict[str, Any] = {}
    for name in names:
        if name in ("id", "@iot.id"):
            for key in ("@iot.id", "@iot.selfLink"):
                if key in document:
                    result[key] = document[key]
        elif name in document:
            result[name] = document[name]
        elif f"{name}@iot.navigationLink" in document:
            result[f"{name}@iot.navigationLink"] = document[f"{name}@iot.navigationLink"]
    return result


def with_selects(
    messages: Sequence[Message], set_topics: Sequence[str], selects: SelectTopics | None
) -> list[Message]:
    """``messages`` and, for each ``$select`` topic on one of ``set_topics``, the document
    (the first message's) cut to what it selects."""
    result = list(messages)
    if selects is None or not messages:
        return result
    document = messages[0][1]
    for topic, names in selects.matching(set_topics):
        result.append((topic, selected(document, names)))
    return result


def collection_topics(entity: EntityType, row: Row, session: Session) -> list[str]:
    """The entity set topic of a row and those of the collections it belongs to by a
    navigation property (its Datastream's Observations, its Things' Locations, …)."""
    topics = [f"{VERSION}/{entity.plural}"]
    for nav in entity.navs.values():
        reverse = REVERSE.get((entity.name, nav.name))
        parent = TYPES[nav.target]
        if reverse is None or not parent.navs[reverse].many:
            continue
        ids: Iterable[Any]
        kind = parent.base_condition()
        if nav.many:
            ids = session.execute(
                sa.select(parent.table.c.id)
                .where(*related_to(nav, row, parent.table))
                .order_by(parent.table.c.id.desc())
                .limit(MAX_PARENTS)
            ).scalars()
        elif kind is None:
            linked = row[nav.source_key]
            ids = () if linked is None else (linked,)
        else:  # an Observation's stream is a Datastream or a MultiDatastream
            ids = session.execute(
                sa.select(parent.table.c.id).where(parent.table.c.id == row[nav.source_key], kind)
            ).scalars()
        topics.extend(f"{VERSION}/{parent.plural}({i})/{reverse}" for i in ids)
    return topics


def entity_messages(
    session: Session,
    changes: Sequence[Change],
    *,
    base_url: str,
    selects: SelectTopics | None = None,
) -> list[Message]:
    """The messages telling subscribers of ``changes``, read inside their transaction."""
    ctx = Context(session=session, actor=ANONYMOUS, base_url=f"{base_url}/sta/{VERSION}")
    messages: list[Message] = []
    for change in changes:
        entity = TYPES.get(change.entity)
        if entity is None:
            continue
        row = fetch_one(ctx, entity, [entity.table.c.id == change.id])
        if row is None:  # not for the public's eyes
            continue
        document = serialize_rows(ctx, entity, [row], Query())[0]
        sets = collection_topics(entity, row, session)
        own = [(topic, document) for topic in sets]
        if not change.created:
            entity_topic = f"{VERSION}/{entity.plural}({change.id})"
            own.append((entity_topic, document))
            sets = [*sets, entity_topic]
            own.extend(
                (f"{entity_topic}/{name}", {name: document.get(name)})
                for name in change.fields
                if name in entity.props and name in document
            )
        messages.extend(with_selects(own, sets, selects))
    return messages


__all__ = [
    "MAX_PARENTS",
    "MAX_SELECT_TOPICS",
    "SUBSCRIPTION_LOG",
    "Message",
    "SelectTopics",
    "collection_topics",
    "entity_messages",
    "parse_select_topic",
    "selected",
    "with_selects",
]
