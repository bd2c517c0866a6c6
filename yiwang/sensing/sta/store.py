"""Creating, changing and deleting SensorThings entities: deep insert (entities created
together with those they link to, all or nothing, since the request is one transaction),
links by ``@iot.id``, PATCH, PUT and JSON Patch, DELETE, and the HistoricalLocation written
whenever a Thing gets new Locations. Observations are stored only through
:func:`yiwang.sensing.service.create_observations`."""

from __future__ import annotations

import copy
import datetime as dt
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwang.core import audit, policy
from yiwang.core.db import utcnow
from yiwang.core.errors import AppError, Conflict, NotFound
from yiwang.core.policy import Actor
from yiwang.sensing import limits, parsing, service, storage
from yiwang.sensing.sta import spatial
from yiwang.sensing.sta.changes import Change, announce
from yiwang.sensing.sta.entities import (
    DATASTREAMS,
    HISTORICAL_LOCATION_LOCATIONS,
    HISTORICAL_LOCATIONS,
    MULTI_PROPERTIES,
    REVERSE,
    THING_LOCATIONS,
    THINGS,
    TYPES,
    EntityType,
    Row,
)
from yiwang.sensing.sta.errors import bad_request
from yiwang.sensing.sta.reads import Context, Target, fetch_one
from yiwang.sensing.times import parse_instant


@dataclass(frozen=True)
class Field:
    """A writable property: its column, what it must be, whether it is required, its value
    when absent and, for a text, its most characters (JSON values and geometries have the
    limits of :mod:`yiwang.sensing.limits`)."""

    column: str
    kind: str  # text, object, any, geometry, time, text_list, object_list
    required: bool = False
    default: Any = None
    limit: int = limits.MAX_NAME


_NAME = Field("name", "text", required=True)
_DESCRIPTION = Field("description", "text", required=True, limit=limits.MAX_DESCRIPTION)
_PROPERTIES = Field("properties", "object")
# The widths of their columns.
_ENCODING_TYPE = 100
_DEFINITION = 500
_OBSERVATION_TYPE = 200
_ENCODING = Field("encoding_type", "text", required=True, limit=_ENCODING_TYPE)

# What the data model makes mandatory (OGC 18-088 8.2, 12) is required: a POST or PUT without
# it, or a PATCH setting it to null, is a 400. An Observation's phenomenonTime and resultTime,
# which the server may fill in, are the observation service's.
FIELDS: dict[str, dict[str, Field]] = {
    "Thing": {"name": _NAME, "description": _DESCRIPTION, "properties": _PROPERTIES},
    "Location": {
        "name": _NAME,
        "description": _DESCRIPTION,
        "encodingType": _ENCODING,
        "location": Field("location", "geometry", required=True),
        "properties": _PROPERTIES,
    },
    "HistoricalLocation": {"time": Field("time", "time", required=True)},
    "Sensor": {
        "name": _NAME,
        "description": _DESCRIPTION,
        "encodingType": _ENCODING,
        "metadata": Field("metadata", "any", required=True),
        "properties": _PROPERTIES,
    },
    "ObservedProperty": {
        "name": _NAME,
        "definition": Field("definition", "text", required=True, limit=_DEFINITION),
        "description": _DESCRIPTION,
        "properties": _PROPERTIES,
    },
    "Datastream": {
        "name": _NAME,
        "description": _DESCRIPTION,
        "observationType": Field(
            "observation_type", "text", required=True, limit=_OBSERVATION_TYPE
        ),
        "unitOfMeasurement": Field("unit_of_measurement", "object", required=True),
        "observedArea": Field("observed_area", "geometry"),
        "properties": _PROPERTIES,
    },
    "MultiDatastream": {
        "name": _NAME,
        "description": _DESCRIPTION,
        "observationType": Field(
            "observation_type", "text", required=True, limit=_OBSERVATION_TYPE
        ),
        "multiObservationDataTypes": Field("multi_observation_types", "text_list", required=True),
        "unitOfMeasurements": Field("unit_of_measurement", "object_list", required=True),
        "observedArea": Field("observed_area", "geometry"),
        "properties": _PROPERTIES,
    },
    "FeatureOfInterest": {
        "name": _NAME,
        "description": _DESCRIPTION,
        "encodingType": _ENCODING,
        "feature": Field("feature", "geometry", required=True),
        "properties": _PROPERTIES,
    },
}
# Properties the server maintains; a client may send them back, and they are ignored.
_SERVER_KEPT = frozenset({"@iot.id", "@iot.selfLink", "phenomenonTime", "resultTime"})
_BBOX_FIELDS = {"Location": "location", "FeatureOfInterest": "feature"}
_OWNED = frozenset(
    {"Thing", "Location", "Sensor", "ObservedProperty", "FeatureOfInterest", "Datastream"}
)
_EXPECTED = {
    "text": ("文本", "a text"),
    "object": ("JSON 对象", "a JSON object"),
    "time": ("带时区的时间", "a time with a zone"),
    "text_list": ("文本数组", "a list of texts"),
    "object_list": ("JSON 对象数组", "a list of JSON objects"),
    "link": ("含 @iot.id 的对象", "an object with @iot.id"),
    "list": ("数组", "a list"),
    "result": ("符合观测类型的结果", "a result of the stream's observation type"),
}


@dataclass
class Writer:
    """One request's writes: the session, the actor and the entities touched, for the audit
    log and the answer."""

    ctx: Context
    now: dt.datetime = field(default_factory=utcnow)
    changes: list[Change] = field(default_factory=list)

    @property
    def session(self) -> Session:
        return self.ctx.session

    @property
    def actor(self) -> Actor:
        return self.ctx.actor

    def record(self, action: str, entity: EntityType, entity_id: int, **details: Any) -> None:
        """Audit a create, update or delete, and keep creates and updates to announce (new
        Observations are the observation service's to announce)."""
        if action == "update" or (action == "create" and entity.name != "Observation"):
            fields = tuple(details.get("fields", ()))
            self.changes.append(Change(entity.name, entity_id, action == "create", fields))
        audit.record(
            self.session,
            actor=self.actor,
            action=f"sensing.sta.{action}",
            object_type=entity.name,
            object_id=entity_id,
            details=details or None,
        )

    def announce(self) -> None:
        """Announce this request's creates and updates (inside its transaction, after them)."""
        announce(self.session, self.changes)
        self.changes.clear()


def _invalid(entity: EntityType, name: str, kind: str) -> AppError:
    zh, en = _EXPECTED.get(kind, ("合适的值", "a suitable value"))
    return bad_request(
        "sta.field_invalid", entity=entity.name, field=name, expected_zh=zh, expected_en=en
    )


def _value(entity: EntityType, name: str, spec: Field, value: Any) -> Any:
    """The column value of one property, checked against its kind and its limits (a 400
    naming the field)."""
    if value is None:
        if spec.required:
            raise bad_request("sta.field_missing", entity=entity.name, field=name)
        return spec.default
    if spec.kind == "text":
        if not isinstance(value, str):
            raise _invalid(entity, name, spec.kind)
        limits.check_text(value, entity=entity.name, field=name, limit=spec.limit)
    elif spec.kind == "geometry":
        limits.check_json(
            value, entity=entity.name, field=name, max_bytes=limits.MAX_GEOMETRY_BYTES
        )
    elif spec.kind != "time":
        limits.check_json(value, entity=entity.name, field=name)
    if spec.kind == "object" and not isinstance(value, dict):
        raise _invalid(entity, name, spec.kind)
    if spec.kind == "text_list" and not (
        isinstance(value, list)
        and all(isinstance(v, str) and len(v) <= _OBSERVATION_TYPE for v in value)
    ):
        raise _invalid(entity, name, spec.kind)
    if spec.kind == "object_list" and not (
        isinstance(value, list) and all(isinstance(v, dict) for v in value)
    ):
        raise _invalid(entity, name, spec.kind)
    if spec.kind == "geometry":
        spatial.bounding_box(value, entity=entity.name, field=name)
    if spec.kind == "time":
        if not isinstance(value, str):
            raise _invalid(entity, name, spec.kind)
        return parse_instant(value, field=name)
    return value


def column_values(entity: EntityType, data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """The column values a JSON document sets; with ``partial`` only those it names (PATCH),
    otherwise every writable column (POST, PUT). Unknown properties are refused."""
    fields = FIELDS[entity.name]
    values: dict[str, Any] = {}
    for key in data:
        if key in fields or key in entity.navs or key in _SERVER_KEPT or "@iot." in key:
            continue
        raise bad_request("sta.unknown_field", entity=entity.name, field=key[:100])
    for name, spec in fields.items():
        if partial and name not in data:
            continue
        values[spec.column] = _value(entity, name, spec, data.get(name))
    geometry_field = _BBOX_FIELDS.get(entity.name)
    if geometry_field is not None and fields[geometry_field].column in values:
        box = spatial.bounding_box(
            values[fields[geometry_field].column], entity=entity.name, field=geometry_field
        )
        values.update(zip(("min_x", "min_y", "max_x", "max_y"), box, strict=True))
    return values


def _link_id(entity: EntityType, name: str, value: Any) -> int | None:
    """The id of a link ``{"@iot.id": 1}``, or None for an entity to create."""
    if not isinstance(value, dict):
        raise _invalid(entity, name, "link")
    if value.get("@iot.id") is None:
        return None
    ident = limits.entity_id(value["@iot.id"])
    if ident is None:
        raise _invalid(entity, name, "link")
    return ident


def _existing(writer: Writer, entity: EntityType, ident: int) -> Row:
    row = fetch_one(writer.ctx, entity, [entity.table.c.id == ident])
    if row is None:
        raise NotFound(entity.name, ident)
    return row


def _require_edit(
    writer: Writer, department_id: int | None, entity: EntityType, ident: Any
) -> None:
    policy.require(
        policy.can_edit_sensing(writer.actor, department_id=department_id),
        "sensing.sta.edit",
        object_type=entity.name,
        object_id=ident,
    )


def _department_of(writer: Writer, entity: EntityType, row: Row) -> int | None:
    if entity.name in _OWNED or entity.name == "MultiDatastream":
        department: int | None = row["department_id"]
        return department
    if entity.name == "Observation":
        return writer.session.execute(
            sa.select(DATASTREAMS.c.department_id).where(DATASTREAMS.c.id == row["stream_id"])
        ).scalar_one_or_none()
    return writer.session.execute(
        sa.select(THINGS.c.department_id).where(THINGS.c.id == row["thing_id"])
    ).scalar_one_or_none()


def link_or_create(writer: Writer, entity: EntityType, name: str, value: Any) -> int:
    """The id of the linked entity, or of the one created from ``value`` (deep insert)."""
    ident = _link_id(entity, name, value)
    if ident is None:
        return create(writer, entity, value)
    row = _existing(writer, entity, ident)
    if entity.name == "Thing":
        _require_edit(writer, row["department_id"], entity, ident)
    return ident


# --- create -------------------------------------------------------------------------------------


def create(writer: Writer, entity: EntityType, data: Any) -> int:
    """Create an entity from its JSON, with the entities it contains; return its id."""
    if not isinstance(data, dict):
        raise bad_request("sta.body_not_object")
    if entity.name == "Observation":
        return create_observation(writer, data)
    policy.require(
        policy.can_create_sensing(writer.actor), "sensing.sta.create", object_type=entity.name
    )
    values = column_values(entity, data, partial=False)
    for nav in entity.navs.values():
        if nav.many or nav.name not in data:
            continue
        target = TYPES[nav.target]
        values[nav.source_key] = link_or_create(writer, target, nav.name, data[nav.name])
    if entity.name in ("Datastream", "MultiDatastream"):
        _stream_values(writer, entity, data, values)
    elif entity.name == "HistoricalLocation":
        if "thing_id" not in values:
            raise bad_request("sta.field_missing", entity=entity.name, field="Thing")
    else:
        values["department_id"] = writer.actor.department_id
    if entity.kind is not None:
        values["kind"] = entity.kind
    ident: int = writer.session.execute(
        sa.insert(entity.table).values(**values).returning(entity.table.c.id)
    ).scalar_one()
    writer.record("create", entity, ident)
    _create_children(writer, entity, ident, data)
    return ident


def _stream_values(
    writer: Writer, entity: EntityType, data: Mapping[str, Any], values: dict[str, Any]
) -> None:
    required = ("Thing", "Sensor") + (("ObservedProperty",) if entity.kind == "single" else ())
    for name in required:
        if name not in data:
            raise bad_request("sta.field_missing", entity=entity.name, field=name)
    thing = _existing(writer, TYPES["Thing"], values["thing_id"])
    values["department_id"] = thing["department_id"]
    values["is_open"] = thing["is_open"]
    if entity.kind == "multi":
        if values["observation_type"] != parsing.COMPLEX:
            raise _invalid(entity, "observationType", "text")
        properties = data.get("ObservedProperties")
        if not isinstance(properties, list) or not properties:
            raise bad_request("sta.field_missing", entity=entity.name, field="ObservedProperties")
        lengths = {
            len(properties),
            len(values["multi_observation_types"]),
            len(values["unit_of_measurement"]),
        }
        if len(lengths) != 1:
            raise bad_request("sta.multi_lengths")


def _create_children(
    writer: Writer, entity: EntityType, ident: int, data: Mapping[str, Any]
) -> None:
    for nav in entity.navs.values():
        items = data.get(nav.name)
        if not nav.many or items is None:
            continue
        if not isinstance(items, list):
            raise _invalid(entity, nav.name, "list")
        target = TYPES[nav.target]
        if (entity.name, nav.name) == ("Thing", "Locations"):
            if items:
                ids = [link_or_create(writer, target, nav.name, item) for item in items]
                set_locations(writer, ident, ids)
            continue
        for position, item in enumerate(items):
            _create_child(writer, entity, ident, nav.name, item, position)


def _create_child(
    writer: Writer, entity: EntityType, ident: int, name: str, item: Any, position: int
) -> None:
    target = TYPES[entity.navs[name].target]
    pair = (entity.name, name)
    if pair == ("Location", "Things"):
        set_locations(writer, link_or_create(writer, target, name, item), [ident])
    elif pair == ("HistoricalLocation", "Locations"):
        location_id = link_or_create(writer, target, name, item)
        writer.session.execute(
            sa.insert(HISTORICAL_LOCATION_LOCATIONS).values(
                historical_location_id=ident, location_id=location_id
            )
        )
    elif pair == ("MultiDatastream", "ObservedProperties"):
        property_id = link_or_create(writer, target, name, item)
        writer.session.execute(
            sa.insert(MULTI_PROPERTIES).values(
                datastream_id=ident, position=position, observed_property_id=property_id
            )
        )
    else:
        reverse = REVERSE.get(pair)
        if not isinstance(item, dict) or "@iot.id" in item or reverse is None:
            raise bad_request("sta.read_only", entity=f"{entity.name}/{name}")
        if target.name == "Observation":
            create_observation(writer, item, stream_id=ident)
        else:
            create(writer, target, {**item, reverse: {"@iot.id": ident}})


def set_locations(writer: Writer, thing_id: int, location_ids: list[int]) -> None:
    """Make ``location_ids`` the Thing's current Locations and record it in its history."""
    session = writer.session
    session.execute(sa.delete(THING_LOCATIONS).where(THING_LOCATIONS.c.thing_id == thing_id))
    unique = list(dict.fromkeys(location_ids))
    session.execute(
        sa.insert(THING_LOCATIONS), [{"thing_id": thing_id, "location_id": i} for i in unique]
    )
    history = session.execute(
        sa.insert(HISTORICAL_LOCATIONS)
        .values(thing_id=thing_id, time=writer.now)
        .returning(HISTORICAL_LOCATIONS.c.id)
    ).scalar_one()
    session.execute(
        sa.insert(HISTORICAL_LOCATION_LOCATIONS),
        [{"historical_location_id": history, "location_id": i} for i in unique],
    )
    writer.record("create", TYPES["HistoricalLocation"], history, thing=thing_id)


def _check_observation(document: Mapping[str, Any], stream_id: int | None) -> None:
    """An Observation's mandatory result and stream (its phenomenonTime the service may fill
    in): a 400 naming what is missing, as for any other entity."""
    if document.get("result") is None:
        raise bad_request("sta.field_missing", entity="Observation", field="result")
    if stream_id is None and all(
        document.get(name) is None for name in ("Datastream", "MultiDatastream")
    ):
        raise bad_request("sta.field_missing", entity="Observation", field="Datastream")


def create_observation(
    writer: Writer, data: Mapping[str, Any], *, stream_id: int | None = None
) -> int:
    """Store one observation through the observation service; a FeatureOfInterest or a
    Datastream given in full is created first."""
    document = dict(data)
    _check_observation(document, stream_id)
    for name in ("FeatureOfInterest", "Datastream", "MultiDatastream"):
        value = document.get(name)
        if isinstance(value, dict) and "@iot.id" not in value:
            document[name] = {"@iot.id": create(writer, TYPES[name], value)}
    observation = parsing.observation_from_json(document, stream_id=stream_id)
    outcome = service.create_observations(
        writer.session, actor=writer.actor, observations=[observation], duplicates="error"
    )[0]
    if outcome.error is not None:
        raise outcome.error
    if outcome.id is None:
        raise Conflict(
            "sensing.duplicate_observation",
            stream=observation.stream_id,
            time=observation.phenomenon_time.isoformat(),
        )
    writer.record("create", TYPES["Observation"], outcome.id, stream=observation.stream_id)
    return outcome.id


# --- update -------------------------------------------------------------------------------------


def _editable_row(writer: Writer, target: Target) -> Row:
    if not target.single or target.prop is not None or target.ref:
        raise bad_request("sta.not_an_entity", path=target.path)
    row = fetch_one(writer.ctx, target.entity, target.where)
    if row is None:
        raise NotFound(target.entity.name, target.entity_id)
    _require_edit(writer, _department_of(writer, target.entity, row), target.entity, row["id"])
    return row


def update(writer: Writer, target: Target, data: Any, *, replace: bool) -> int:
    """Change an entity: PATCH (``replace`` False: only the properties given) or PUT."""
    if not isinstance(data, dict):
        raise bad_request("sta.body_not_object")
    row = _editable_row(writer, target)
    entity, ident = target.entity, row["id"]
    if entity.name == "Observation":
        _update_observation(writer, row, data)
        storage.refresh_stream_summary(writer.session, row["stream_id"])
        writer.record("update", entity, ident, fields=sorted(k for k in data if "@" not in k))
        return int(ident)
    values = column_values(entity, data, partial=not replace)
    for nav in entity.navs.values():
        if nav.name not in data:
            continue
        if nav.many:
            _relink(writer, entity, ident, nav.name, data[nav.name])
            continue
        linked = _link_id(entity, nav.name, data[nav.name])
        if linked is None:
            raise bad_request("sta.inline_in_update", entity=entity.name, field=nav.name)
        linked_row = _existing(writer, TYPES[nav.target], linked)
        values[nav.source_key] = linked
        if nav.target == "Thing":
            _require_edit(writer, linked_row["department_id"], TYPES["Thing"], linked)
            if entity.name in ("Datastream", "MultiDatastream"):
                values["department_id"] = linked_row["department_id"]
                values["is_open"] = linked_row["is_open"]
    if values:
        writer.session.execute(
            sa.update(entity.table).where(entity.table.c.id == ident).values(**values)
        )
    writer.record("update", entity, ident, fields=sorted(k for k in data if "@" not in k))
    return int(ident)


def _relink(writer: Writer, entity: EntityType, ident: int, name: str, items: Any) -> None:
    if not isinstance(items, list):
        raise _invalid(entity, name, "list")
    target = TYPES[entity.navs[name].target]
    # An update links existing entities only: it may not contain new ones (OGC 18-088 10.3).
    for item in items:
        if _link_id(entity, name, item) is None:
            raise bad_request("sta.inline_in_update", entity=entity.name, field=name)
    if (entity.name, name) == ("Thing", "Locations"):
        ids = [link_or_create(writer, target, name, item) for item in items]
        set_locations(writer, ident, ids)
    elif (entity.name, name) == ("Location", "Things"):
        for item in items:
            set_locations(writer, link_or_create(writer, target, name, item), [ident])
    else:
        raise bad_request("sta.read_only", entity=f"{entity.name}/{name}")


def _update_observation(writer: Writer, row: Row, data: Mapping[str, Any]) -> None:
    from yiwang.sensing.sta.query import Query  # noqa: PLC0415
    from yiwang.sensing.sta.reads import serialize_rows  # noqa: PLC0415

    entity = TYPES["Observation"]
    current = serialize_rows(writer.ctx, entity, [row], Query())[0]
    merged = {k: v for k, v in current.items() if "@iot." not in k}
    merged.update({k: v for k, v in data.items() if "@iot." not in k})
    if "Datastream" in data or "MultiDatastream" in data:
        raise bad_request("sta.read_only", entity="Observation/Datastream")
    _check_observation(merged, row["stream_id"])
    parsed = parsing.observation_from_json(merged, stream_id=row["stream_id"])
    stream = writer.session.execute(
        sa.select(DATASTREAMS.c.observation_type).where(DATASTREAMS.c.id == row["stream_id"])
    ).scalar_one()
    number, document = _result_columns(stream, parsed.result)
    values = {
        "phenomenon_time": parsed.phenomenon_time,
        "phenomenon_time_end": parsed.phenomenon_time_end,
        "result_time": parsed.result_time,
        "result_number": number,
        "result_json": document,
        "result_quality": parsed.result_quality,
        "valid_time_start": parsed.valid_time_start,
        "valid_time_end": parsed.valid_time_end,
        "parameters": parsed.parameters,
    }
    if parsed.feature_id is not None:
        _existing(writer, TYPES["FeatureOfInterest"], parsed.feature_id)
        values["feature_id"] = parsed.feature_id
    table = entity.table
    try:
        with writer.session.begin_nested():
            writer.session.execute(sa.update(table).where(table.c.id == row["id"]).values(**values))
    except IntegrityError:
        raise Conflict(
            "sensing.duplicate_observation",
            stream=row["stream_id"],
            time=merged.get("phenomenonTime"),
        ) from None


def _result_columns(observation_type: str, result: Any) -> tuple[float | None, Any]:
    number = isinstance(result, int | float) and not isinstance(result, bool)
    expected = {
        parsing.MEASUREMENT: number,
        parsing.COUNT: number and float(result).is_integer(),
        parsing.TRUTH: isinstance(result, bool),
        parsing.CATEGORY: isinstance(result, str),
    }.get(observation_type, True)
    if not expected:
        zh, en = _EXPECTED["result"]
        raise bad_request(
            "sta.field_invalid",
            entity="Observation",
            field="result",
            expected_zh=zh,
            expected_en=en,
        )
    return (float(result), None) if number else (None, result)


def _shown(value: Any) -> str:
    """What an error message shows of a value sent: its start, never the whole of a huge one."""
    return value[:80] if isinstance(value, str) else reprlib.repr(value)


def apply_json_patch(
    document: dict[str, Any], operations: Any, *, entity: str = "JSON Patch"
) -> dict[str, Any]:
    """Apply an RFC 6902 JSON Patch to a copy of ``document``. No property may grow past
    the largest any field takes (a geometry's), so that copies of copies cannot swell the
    document before the fields are checked."""
    if not isinstance(operations, list):
        raise bad_request("sta.bad_json_patch", reason="not a list")
    result = copy.deepcopy(document)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation or "path" not in operation:
            raise bad_request("sta.bad_json_patch", reason=reprlib.repr(operation))
        op, path = operation["op"], operation["path"]
        if op in ("add", "replace", "test") and "value" not in operation:
            raise bad_request("sta.bad_json_patch", reason=f"{_shown(op)} needs a value")
        if op in ("move", "copy"):
            _move_or_copy(result, operation)
        elif op == "add":
            _pointer_set(result, path, operation["value"], add=True)
        elif op == "replace":
            _pointer_get(result, path)
            _pointer_set(result, path, operation["value"], add=False)
        elif op == "remove":
            _pointer_remove(result, path)
        elif op == "test":
            if _pointer_get(result, path) != operation["value"]:
                raise bad_request("sta.json_patch_test_failed", path=_shown(path))
        else:
            raise bad_request("sta.bad_json_patch", reason=f"unknown op {_shown(op)}")
        if op in ("add", "replace", "move", "copy"):
            parts = _pointer(path)
            name = parts[0] if parts else ""
            limits.check_json(
                result.get(name), entity=entity, field=name, max_bytes=limits.MAX_GEOMETRY_BYTES
            )
    return result


def _move_or_copy(document: dict[str, Any], operation: dict[str, Any]) -> None:
    if "from" not in operation:
        raise bad_request("sta.bad_json_patch", reason=f"{_shown(operation['op'])} needs from")
    value = copy.deepcopy(_pointer_get(document, operation["from"]))
    if operation["op"] == "move":
        _pointer_remove(document, operation["from"])
    _pointer_set(document, operation["path"], value, add=True)


def _pointer(path: str) -> list[str]:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise bad_request("sta.bad_json_patch", reason=f"bad path {_shown(path)}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def _walk(document: Any, parts: list[str], path: str) -> Any:
    current = document
    for part in parts:
        try:
            current = current[int(part)] if isinstance(current, list) else current[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise bad_request("sta.bad_json_patch", reason=f"no value at {_shown(path)}") from None
    return current


def _pointer_get(document: Any, path: str) -> Any:
    return _walk(document, _pointer(path), path)


def _index(key: str) -> int:
    """A JSON Pointer's array index, or -1 when ``key`` is none."""
    return int(key) if key.isascii() and key.isdigit() and len(key) < 10 else -1


def _pointer_set(document: Any, path: str, value: Any, *, add: bool) -> None:
    parts = _pointer(path)
    if not parts:
        raise bad_request("sta.bad_json_patch", reason="the whole document")
    parent = _walk(document, parts[:-1], path)
    key = parts[-1]
    if isinstance(parent, list):
        index = len(parent) if key == "-" else _index(key)
        if not 0 <= index <= len(parent):
            raise bad_request("sta.bad_json_patch", reason=f"bad index {_shown(path)}")
        if add:
            parent.insert(index, value)
        else:
            parent[index] = value
    elif isinstance(parent, dict):
        parent[key] = value
    else:
        raise bad_request("sta.bad_json_patch", reason=f"no container at {_shown(path)}")


def _pointer_remove(document: Any, path: str) -> None:
    parts = _pointer(path)
    parent = _walk(document, parts[:-1], path)
    try:
        del parent[int(parts[-1]) if isinstance(parent, list) else parts[-1]]
    except (KeyError, IndexError, ValueError, TypeError):
        raise bad_request("sta.bad_json_patch", reason=f"no value at {_shown(path)}") from None


def patch_json(writer: Writer, target: Target, operations: Any) -> int:
    """Change an entity with a JSON Patch applied to its properties."""
    from yiwang.sensing.sta.query import Query  # noqa: PLC0415
    from yiwang.sensing.sta.reads import serialize_rows  # noqa: PLC0415

    row = _editable_row(writer, target)
    entity = target.entity
    current = serialize_rows(writer.ctx, entity, [row], Query(select=list(entity.props)))[0]
    patched = apply_json_patch(current, operations, entity=entity.name)
    changed = {k: v for k, v in patched.items() if current.get(k) != v}
    for removed in set(current) - set(patched):
        changed[removed] = None
    if not changed:
        return int(row["id"])
    return update(writer, target, changed, replace=False)


# --- delete -------------------------------------------------------------------------------------


def delete(writer: Writer, target: Target) -> None:
    """Delete an entity; what depends on it (a Thing's Datastreams, their Observations) goes
    with it."""
    row = _editable_row(writer, target)
    entity = target.entity
    writer.session.execute(sa.delete(entity.table).where(entity.table.c.id == row["id"]))
    if entity.name == "Observation":
        storage.refresh_stream_summary(writer.session, row["stream_id"])
    writer.record("delete", entity, row["id"])


__all__ = [
    "FIELDS",
    "Writer",
    "apply_json_patch",
    "column_values",
    "create",
    "create_observation",
    "delete",
    "link_or_create",
    "patch_json",
    "set_locations",
    "update",
]
