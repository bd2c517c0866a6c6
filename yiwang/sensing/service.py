"""Storing observations: the one way in for every source (SensorThings over HTTP, MQTT, the
computed indices of the domain packs, the simulator).

``create_observations`` checks a batch (stream, permission, result type, feature of interest,
duplicates), stores it in bulk (SQLite: one ``executemany`` under the write lock; PostgreSQL:
``COPY`` into a temporary table, then one ``INSERT ... ON CONFLICT DO NOTHING``), keeps each
stream's latest value and time ranges on the stream row, runs the ingest hooks (alert rules)
inside the same transaction and hands the stored observations to the committed listeners (MQTT
subscribers, live pages) after the commit."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from yiwang.core import policy
from yiwang.core.db import utcnow
from yiwang.core.errors import AppError, Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.policy import Actor
from yiwang.sensing import (
    limits,
    messages,  # noqa: F401  (registers the messages)
)
from yiwang.sensing.models import (
    MULTI,
    Datastream,
    FeatureOfInterest,
    Location,
    Observation,
    ThingLocation,
)
from yiwang.sensing.times import format_instant, parse_instant, parse_time_value

log = logging.getLogger(__name__)

OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/"
MEASUREMENT = OM + "OM_Measurement"
COUNT = OM + "OM_CountObservation"
TRUTH = OM + "OM_TruthObservation"
CATEGORY = OM + "OM_CategoryObservation"
GENERIC = OM + "OM_Observation"
COMPLEX = OM + "OM_ComplexObservation"

Duplicates = Literal["error", "report", "skip"]


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


@dataclass(frozen=True, slots=True)
class ObservationOutcome:
    """What became of one observation: stored (``id``), a duplicate skipped, or refused."""

    id: int | None = None
    error: AppError | None = None
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class StoredObservation:
    """An observation as stored, with what rules and listeners need of its stream."""

    id: int
    stream_id: int
    phenomenon_time: dt.datetime
    result: Any
    result_number: float | None
    thing_id: int
    department_id: int | None
    is_open: bool
    observed_property_id: int | None
    phenomenon_time_end: dt.datetime | None = None
    result_time: dt.datetime | None = None
    feature_id: int | None = None
    result_quality: Any = None
    valid_time_start: dt.datetime | None = None
    valid_time_end: dt.datetime | None = None
    parameters: dict[str, Any] | None = None


@dataclass(slots=True)
class _Stream:
    id: int
    kind: str
    observation_type: str
    component_types: list[str] | None
    thing_id: int
    department_id: int | None
    is_open: bool
    observed_property_id: int | None


@dataclass(slots=True)
class _Row:
    index: int
    item: NewObservation
    number: float | None
    value: Any  # JSON-encodable result kept in result_json (None when numeric)
    feature_id: int | None = None
    id: int | None = None
    stream: _Stream | None = field(default=None, repr=False)


IngestHook = Callable[[Session, Sequence[StoredObservation]], None]
CommittedListener = Callable[[Sequence[StoredObservation]], None]
_ingest_hooks: list[IngestHook] = []
_committed_listeners: list[CommittedListener] = []
_PENDING_KEY = "yiwang.sensing.committed"


def register_ingest_hook(hook: IngestHook) -> None:
    """Call ``hook(session, stored)`` inside every transaction that stores observations."""
    if hook not in _ingest_hooks:
        _ingest_hooks.append(hook)


def register_committed_listener(listener: CommittedListener) -> None:
    """Call ``listener(stored)`` in this process after such a transaction commits."""
    if listener not in _committed_listeners:
        _committed_listeners.append(listener)


def unregister(callback: IngestHook | CommittedListener) -> None:
    _ingest_hooks[:] = [h for h in _ingest_hooks if h is not callback]
    _committed_listeners[:] = [c for c in _committed_listeners if c is not callback]


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the real commit is still to come
    pending: list[StoredObservation] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    for listener in _committed_listeners:
        try:
            listener(pending)
        except Exception:
            log.exception("observation listener failed")


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    # A rolled-back savepoint or transaction stored nothing; tell no one.
    if not session.in_transaction():
        session.info.pop(_PENDING_KEY, None)


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


# --- results -------------------------------------------------------------------------------------

_EXPECTED = {
    MEASUREMENT: ("数值", "a number"),
    COUNT: ("整数", "an integer"),
    TRUTH: ("布尔值", "true or false"),
    CATEGORY: ("文本或 URI", "a text or URI"),
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_component(value: Any, observation_type: str) -> bool:
    if observation_type == MEASUREMENT:
        return _is_number(value) and math.isfinite(value)
    if observation_type == COUNT:
        return _is_number(value) and float(value).is_integer()
    if observation_type == TRUTH:
        return isinstance(value, bool)
    if observation_type == CATEGORY:
        return isinstance(value, str)
    return True


def _result_columns(stream: _Stream, result: Any) -> tuple[float | None, Any]:
    """Split a result into (result_number, result_json), or raise if it does not fit the
    stream's observation type."""
    if stream.kind == MULTI:
        types = stream.component_types or []
        if not isinstance(result, list) or len(result) != len(types):
            raise InvalidInput(
                "sensing.result_components",
                stream=stream.id,
                expected=len(types),
                count=len(result) if isinstance(result, list) else 1,
            )
        for value, kind in zip(result, types, strict=True):
            if not _check_component(value, kind):
                raise _type_error(stream, kind, value)
        return None, result
    kind = stream.observation_type
    if not _check_component(result, kind):
        raise _type_error(stream, kind, result)
    if _is_number(result):
        return float(result), None
    return None, result


def _type_error(stream: _Stream, kind: str, value: Any) -> InvalidInput:
    zh, en = _EXPECTED.get(kind, ("合适的值", "a suitable value"))
    return InvalidInput(
        "sensing.result_type",
        stream=stream.id,
        type=kind.rsplit("/", 1)[-1],
        value=json.dumps(value, ensure_ascii=False)[:80],
        expected_zh=zh,
        expected_en=en,
    )


def result_of(number: float | None, value: Any, observation_type: str | None) -> Any:
    """The result as SensorThings shows it, from the two stored columns."""
    if value is not None or number is None:
        return value
    if observation_type == COUNT:
        return int(number)
    return number


# --- the batch -----------------------------------------------------------------------------------


def _load_streams(session: Session, ids: set[int]) -> dict[int, _Stream]:
    rows = session.execute(
        select(
            Datastream.id,
            Datastream.kind,
            Datastream.observation_type,
            Datastream.multi_observation_types,
            Datastream.thing_id,
            Datastream.department_id,
            Datastream.is_open,
            Datastream.observed_property_id,
        ).where(Datastream.id.in_(ids))
    ).all()
    return {row[0]: _Stream(*row) for row in rows}


def _features_from_locations(session: Session, thing_ids: set[int]) -> dict[int, int]:
    """The FeatureOfInterest made from each Thing's (first) Location, created when missing."""
    pairs = session.execute(
        select(ThingLocation.thing_id, ThingLocation.location_id)
        .where(ThingLocation.thing_id.in_(thing_ids))
        .order_by(ThingLocation.thing_id, ThingLocation.location_id)
    ).all()
    location_of: dict[int, int] = {}
    for thing_id, location_id in pairs:
        location_of.setdefault(thing_id, location_id)
    if not location_of:
        return {}
    existing = dict(
        session.execute(
            select(FeatureOfInterest.location_id, FeatureOfInterest.id).where(
                FeatureOfInterest.location_id.in_(set(location_of.values()))
            )
        ).all()
    )
    missing = set(location_of.values()) - set(existing)
    if missing:
        for location in session.scalars(select(Location).where(Location.id.in_(missing))):
            feature = FeatureOfInterest(
                name=location.name,
                description=location.description,
                encoding_type=location.encoding_type,
                feature=location.location,
                properties=None,
                location_id=location.id,
                department_id=location.department_id,
                min_x=location.min_x,
                min_y=location.min_y,
                max_x=location.max_x,
                max_y=location.max_y,
            )
            try:
                with session.begin_nested():
                    session.add(feature)
                    session.flush()
                existing[location.id] = feature.id
            except IntegrityError:
                # Another transaction (another MQTT bridge, say) made it at the same moment.
                made = session.scalar(
                    select(FeatureOfInterest.id).where(FeatureOfInterest.location_id == location.id)
                )
                if made is None:
                    raise
                existing[location.id] = made
    return {thing: existing[loc] for thing, loc in location_of.items() if loc in existing}


def create_observations(
    session: Session,
    *,
    actor: Actor,
    observations: Sequence[NewObservation],
    duplicates: Duplicates = "error",
) -> list[ObservationOutcome]:
    """Store ``observations`` and return one outcome per item, in order.

    ``duplicates="error"`` raises on the first refused item (the caller's transaction then
    stores nothing); ``"report"`` stores the acceptable items and reports the others as
    errors; ``"skip"`` is ``"report"`` with duplicates (the same stream and phenomenon time)
    counted as already stored, which makes a redelivered message harmless."""
    raise_first = duplicates == "error"
    outcomes: list[ObservationOutcome | None] = [None] * len(observations)
    if observations and session.get_bind().dialect.name == "postgresql":
        # First, before this transaction locks anything a new partition would wait for.
        _ensure_partitions(session, observations)

    def refuse(index: int, error: AppError) -> None:
        if raise_first:
            raise error
        outcomes[index] = ObservationOutcome(error=error)

    streams = _load_streams(session, {o.stream_id for o in observations})
    allowed: dict[int | None, bool] = {}
    rows: list[_Row] = []
    for index, item in enumerate(observations):
        stream = streams.get(item.stream_id)
        if stream is None:
            refuse(index, NotFound("Datastream", item.stream_id))
            continue
        if stream.department_id not in allowed:
            allowed[stream.department_id] = policy.can_edit_sensing(
                actor, department_id=stream.department_id
            )
        if not allowed[stream.department_id]:
            refuse(
                index,
                PermissionDenied(
                    "create_observations", object_type="datastream", object_id=stream.id
                ),
            )
            continue
        try:
            number, value = _result_columns(stream, item.result)
        except InvalidInput as exc:
            refuse(index, exc)
            continue
        rows.append(_Row(index, item, number, value, item.feature_id, stream=stream))

    _assign_features(session, rows, refuse)
    rows = [r for r in rows if outcomes[r.index] is None]
    rows = _drop_duplicates_in_batch(rows, refuse, skip=duplicates == "skip", outcomes=outcomes)
    if rows:
        stored_ids = _insert(session, rows)
        for row in rows:
            if row.id is not None and row.id in stored_ids:
                outcomes[row.index] = ObservationOutcome(id=row.id)
            elif duplicates == "skip":
                outcomes[row.index] = ObservationOutcome(duplicate=True)
            else:
                refuse(row.index, _duplicate_error(row))
        stored = [r for r in rows if r.id is not None and r.id in stored_ids]
        if stored:
            _update_streams(session, stored)
            _announce(session, stored)
    return [o if o is not None else ObservationOutcome(duplicate=True) for o in outcomes]


def _duplicate_error(row: _Row) -> Conflict:
    return Conflict(
        "sensing.duplicate_observation",
        stream=row.item.stream_id,
        time=format_instant(row.item.phenomenon_time),
    )


def _assign_features(
    session: Session, rows: list[_Row], refuse: Callable[[int, AppError], None]
) -> None:
    given = {r.feature_id for r in rows if r.feature_id is not None}
    if given:
        known = set(
            session.scalars(select(FeatureOfInterest.id).where(FeatureOfInterest.id.in_(given)))
        )
        for row in rows:
            if row.feature_id is not None and row.feature_id not in known:
                refuse(row.index, NotFound("FeatureOfInterest", row.feature_id))
    needing = {r.stream.thing_id for r in rows if r.feature_id is None and r.stream}
    if not needing:
        return
    features = _features_from_locations(session, needing)
    for row in rows:
        if row.feature_id is None and row.stream is not None:
            feature = features.get(row.stream.thing_id)
            if feature is None:
                refuse(row.index, InvalidInput("sensing.no_feature", stream=row.stream.id))
            else:
                row.feature_id = feature


def _drop_duplicates_in_batch(
    rows: list[_Row],
    refuse: Callable[[int, AppError], None],
    *,
    skip: bool,
    outcomes: list[ObservationOutcome | None],
) -> list[_Row]:
    seen: set[tuple[int, dt.datetime]] = set()
    kept: list[_Row] = []
    for row in rows:
        key = (row.item.stream_id, row.item.phenomenon_time)
        if key in seen:
            if skip:
                outcomes[row.index] = ObservationOutcome(duplicate=True)
            else:
                refuse(row.index, _duplicate_error(row))
            continue
        seen.add(key)
        kept.append(row)
    return kept


# --- storage -------------------------------------------------------------------------------------

_COLUMNS = (
    "id",
    "stream_id",
    "phenomenon_time",
    "phenomenon_time_end",
    "result_time",
    "result_number",
    "result_json",
    "result_quality",
    "valid_time_start",
    "valid_time_end",
    "parameters",
    "feature_id",
)


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _insert(session: Session, rows: list[_Row]) -> set[int]:
    """Store ``rows`` (giving each an id) and return the ids actually stored: a row whose
    stream already has an observation at that time is left out."""
    if session.get_bind().dialect.name == "postgresql":
        return _insert_postgresql(session, rows)
    return _insert_sqlite(session, rows)


def _sqlite_instant(value: dt.datetime) -> str:
    # The text form SQLAlchemy's DateTime uses on SQLite, so both read and compare alike.
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_time(value: dt.datetime | None) -> str | None:
    return None if value is None else _sqlite_instant(value)


def _insert_sqlite(session: Session, rows: list[_Row]) -> set[int]:
    connection = session.connection()
    # Writes run under SQLite's write lock (BEGIN IMMEDIATE): nothing can slip in between the
    # choice of ids and the insert, so the ids of the rows stored are exactly the chosen ids
    # found afterwards (a duplicate is skipped by ON CONFLICT and leaves its id unused).
    (top,) = connection.exec_driver_sql("SELECT max(id) FROM sensing_observations").one()
    first_id = (top or 0) + 1
    values = []
    for offset, row in enumerate(rows):
        row.id = first_id + offset
        item = row.item
        values.append(
            (
                row.id,
                item.stream_id,
                _sqlite_instant(item.phenomenon_time),
                _sqlite_time(item.phenomenon_time_end),
                _sqlite_time(item.result_time),
                row.number,
                _json_or_none(row.value),
                _json_or_none(item.result_quality),
                _sqlite_time(item.valid_time_start),
                _sqlite_time(item.valid_time_end),
                _json_or_none(item.parameters),
                row.feature_id,
            )
        )
    placeholders = ", ".join("?" * len(_COLUMNS))
    connection.exec_driver_sql(
        f"INSERT INTO sensing_observations ({', '.join(_COLUMNS)}) VALUES ({placeholders}) "
        "ON CONFLICT (stream_id, phenomenon_time) DO NOTHING",
        values,
    )
    stored = connection.exec_driver_sql(
        "SELECT id FROM sensing_observations WHERE id BETWEEN ? AND ?",
        (first_id, first_id + len(rows) - 1),
    ).all()
    return {ident for (ident,) in stored}


_known_partitions: set[tuple[str, int, int]] = set()
_COPY_THRESHOLD = 64
_PARTITION_LOCK_TIMEOUT = "1s"


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _ensure_partitions(session: Session, observations: Sequence[NewObservation]) -> None:
    """Make sure the monthly partitions the rows fall in, and the month after the latest, exist.

    They are created on a connection of their own, in autocommit, and never inside the
    storing transaction: creating a partition locks the whole table, and two storing
    transactions doing it at once would deadlock. If the table is busy (for instance because
    the caller's own transaction already stored into it), the attempt gives up after a second
    and the rows go to the default partition, which holds any month; the next batch tries again.
    """
    engine = session.get_bind().engine
    months = {(o.phenomenon_time.year, o.phenomenon_time.month) for o in observations}
    months.add(_next_month(*max(months)))
    _settle_months(engine, months, lock_timeout=_PARTITION_LOCK_TIMEOUT)


def prepare_partitions(engine: Engine, *, months_ahead: int = 3) -> None:
    """Create the partitions of this month and the next ``months_ahead`` (PostgreSQL), so that
    storing rarely has to: called when the application starts."""
    if engine.dialect.name != "postgresql":
        return
    today = utcnow()
    months = [(today.year, today.month)]
    for _ in range(months_ahead):
        months.append(_next_month(*months[-1]))
    _settle_months(engine, set(months), lock_timeout="10s")


def _settle_months(engine: Engine, months: set[tuple[int, int]], *, lock_timeout: str) -> None:
    """Create the partitions of ``months`` not yet known to exist, on a connection of their own
    in autocommit, waiting at most ``lock_timeout`` for the table's lock."""
    url = str(engine.url)
    missing = sorted(m for m in months if (url, *m) not in _known_partitions)
    if not missing:
        return
    try:
        with engine.connect() as raw:
            connection = raw.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql(f"SET lock_timeout = '{lock_timeout}'")
            for year, month in missing:
                if _create_partition(connection, year, month):
                    _known_partitions.add((url, year, month))
    except OperationalError as exc:
        log.info("observation partitions not created now: %s", exc.orig or exc)


def _create_partition(connection: Connection, year: int, month: int) -> bool:
    """Create the partition of one month unless it exists; True once the month is settled."""
    name = f"sensing_observations_y{year:04d}m{month:02d}"
    if connection.exec_driver_sql("SELECT 1 FROM pg_class WHERE relname = %s", (name,)).first():
        return True
    start = f"{year:04d}-{month:02d}-01 00:00:00+00"
    end = "{:04d}-{:02d}-01 00:00:00+00".format(*_next_month(year, month))
    # A month that already has rows in the default partition keeps them there.
    clash = connection.exec_driver_sql(
        "SELECT 1 FROM sensing_observations_default "
        "WHERE phenomenon_time >= %s::timestamptz AND phenomenon_time < %s::timestamptz LIMIT 1",
        (start, end),
    ).first()
    if clash is not None:
        return True  # settled: the month stays in the default partition
    try:
        connection.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF sensing_observations "
            f"FOR VALUES FROM ('{start}') TO ('{end}')"
        )
    except (ProgrammingError, IntegrityError):
        # Another node created it at the same moment (IF NOT EXISTS does not guard that race).
        exists = connection.exec_driver_sql("SELECT 1 FROM pg_class WHERE relname = %s", (name,))
        if exists.first() is None:
            raise
    return True


def _insert_postgresql(session: Session, rows: list[_Row]) -> set[int]:
    connection = session.connection()
    ids = [
        value
        for (value,) in connection.exec_driver_sql(
            "SELECT nextval('sensing_observations_id_seq') FROM generate_series(1, %s)",
            (len(rows),),
        )
    ]
    for row, ident in zip(rows, ids, strict=True):
        row.id = ident
    records = [
        (
            row.id,
            row.item.stream_id,
            row.item.phenomenon_time,
            row.item.phenomenon_time_end,
            row.item.result_time,
            row.number,
            _json_or_none(row.value),
            _json_or_none(row.item.result_quality),
            row.item.valid_time_start,
            row.item.valid_time_end,
            _json_or_none(row.item.parameters),
            row.feature_id,
        )
        for row in rows
    ]
    columns = ", ".join(_COLUMNS)
    if len(records) < _COPY_THRESHOLD:
        placeholders = ", ".join("(" + ", ".join(["%s"] * len(_COLUMNS)) + ")" for _ in records)
        flat = [value for record in records for value in record]
        inserted = connection.exec_driver_sql(
            f"INSERT INTO sensing_observations ({columns}) VALUES {placeholders} "
            "ON CONFLICT (stream_id, phenomenon_time) DO NOTHING RETURNING id",
            tuple(flat),
        ).all()
        return {ident for (ident,) in inserted}
    raw = connection.connection.driver_connection
    assert raw is not None  # noqa: S101
    with raw.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS sensing_observations_in "
            "(LIKE sensing_observations INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY sensing_observations_in ({columns}) FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
        cursor.execute(
            f"INSERT INTO sensing_observations ({columns}) "
            f"SELECT {columns} FROM sensing_observations_in "
            "ON CONFLICT (stream_id, phenomenon_time) DO NOTHING RETURNING id"
        )
        inserted = cursor.fetchall()
        cursor.execute("DELETE FROM sensing_observations_in")
    return {ident for (ident,) in inserted}


def _update_streams(session: Session, stored: list[_Row]) -> None:
    """Keep each stream's latest observation and its time ranges on the stream row."""
    summary: dict[int, dict[str, Any]] = {}
    for row in stored:
        item = row.item
        end = item.phenomenon_time_end or item.phenomenon_time
        entry = summary.get(item.stream_id)
        if entry is None:
            summary[item.stream_id] = entry = {
                "id": item.stream_id,
                "first": item.phenomenon_time,
                "last_end": end,
                "rt_first": item.result_time,
                "rt_last": item.result_time,
                "latest": row,
            }
        else:
            entry["first"] = min(entry["first"], item.phenomenon_time)
            entry["last_end"] = max(entry["last_end"], end)
            if item.result_time is not None:
                entry["rt_first"] = min(filter(None, (entry["rt_first"], item.result_time)))
                entry["rt_last"] = max(filter(None, (entry["rt_last"], item.result_time)))
            if item.phenomenon_time >= entry["latest"].item.phenomenon_time:
                entry["latest"] = row
    sqlite = session.get_bind().dialect.name == "sqlite"
    to_db = _sqlite_time if sqlite else (lambda v: v)
    params = []
    for entry in summary.values():
        latest: _Row = entry["latest"]
        params.append(
            {
                "id": entry["id"],
                "first": to_db(entry["first"]),
                "last_end": to_db(entry["last_end"]),
                "rt_first": to_db(entry["rt_first"]),
                "rt_last": to_db(entry["rt_last"]),
                "obs_id": latest.id,
                "obs_time": to_db(latest.item.phenomenon_time),
                "number": latest.number,
                "value": json.dumps(
                    latest.item.result if latest.value is None else latest.value,
                    ensure_ascii=False,
                ),
            }
        )
    if not sqlite:
        _update_streams_postgresql(session, params)
        return
    newer = "(last_phenomenon_time IS NULL OR last_phenomenon_time <= :obs_time)"
    session.execute(
        text(
            "UPDATE sensing_datastreams SET "
            "phenomenon_time_start = coalesce(min(phenomenon_time_start, :first), :first), "
            "phenomenon_time_end = coalesce(max(phenomenon_time_end, :last_end), :last_end), "
            "result_time_start = coalesce(min(result_time_start, :rt_first), :rt_first), "
            "result_time_end = coalesce(max(result_time_end, :rt_last), :rt_last), "
            f"last_observation_id = CASE WHEN {newer} THEN :obs_id "
            "ELSE last_observation_id END, "
            f"last_result_number = CASE WHEN {newer} THEN :number ELSE last_result_number END, "
            f"last_result = CASE WHEN {newer} THEN :value ELSE last_result END, "
            f"last_phenomenon_time = CASE WHEN {newer} THEN :obs_time "
            "ELSE last_phenomenon_time END "
            "WHERE id = :id"
        ),
        params,
    )


def refresh_stream_summary(session: Session, stream_id: int) -> None:
    """Recompute a stream's latest observation and time ranges from its observations, after
    one of them was changed or deleted (ingest keeps them up to date incrementally; a change
    to the past can move the latest value or shrink a range, which only a recount sees)."""
    latest = session.execute(
        select(
            Observation.id,
            Observation.phenomenon_time,
            Observation.result_number,
            Observation.result_json,
        )
        .where(Observation.stream_id == stream_id)
        .order_by(Observation.phenomenon_time.desc())
        .limit(1)
    ).first()
    ranges = session.execute(
        select(
            func.min(Observation.phenomenon_time),
            func.max(func.coalesce(Observation.phenomenon_time_end, Observation.phenomenon_time)),
            func.min(Observation.result_time),
            func.max(Observation.result_time),
        ).where(Observation.stream_id == stream_id)
    ).one()
    stream = session.get(Datastream, stream_id)
    if stream is None:
        return
    stream.phenomenon_time_start, stream.phenomenon_time_end = ranges[0], ranges[1]
    stream.result_time_start, stream.result_time_end = ranges[2], ranges[3]
    if latest is None:
        stream.last_observation_id = None
        stream.last_phenomenon_time = None
        stream.last_result_number = None
        stream.last_result = None
    else:
        stream.last_observation_id = latest.id
        stream.last_phenomenon_time = latest.phenomenon_time
        stream.last_result_number = latest.result_number
        stream.last_result = (
            latest.result_json if latest.result_json is not None else latest.result_number
        )
    session.flush()


_UPDATE_STREAMS_POSTGRESQL = """
UPDATE sensing_datastreams AS d SET
    phenomenon_time_start = coalesce(LEAST(d.phenomenon_time_start, v.first), v.first),
    phenomenon_time_end = coalesce(GREATEST(d.phenomenon_time_end, v.last_end), v.last_end),
    result_time_start = coalesce(LEAST(d.result_time_start, v.rt_first), v.rt_first),
    result_time_end = coalesce(GREATEST(d.result_time_end, v.rt_last), v.rt_last),
    last_observation_id = CASE WHEN v.newer THEN v.obs_id ELSE d.last_observation_id END,
    last_result_number = CASE WHEN v.newer THEN v.number ELSE d.last_result_number END,
    last_result = CASE WHEN v.newer THEN CAST(v.value AS jsonb) ELSE d.last_result END,
    last_phenomenon_time = CASE WHEN v.newer THEN v.obs_time ELSE d.last_phenomenon_time END
FROM (
    SELECT u.*, (s.last_phenomenon_time IS NULL OR s.last_phenomenon_time <= u.obs_time) AS newer
    FROM unnest(
        CAST(:ids AS bigint[]), CAST(:firsts AS timestamptz[]), CAST(:last_ends AS timestamptz[]),
        CAST(:rt_firsts AS timestamptz[]), CAST(:rt_lasts AS timestamptz[]),
        CAST(:obs_ids AS bigint[]), CAST(:obs_times AS timestamptz[]),
        CAST(:numbers AS double precision[]), CAST(:values AS text[])
    ) AS u(id, first, last_end, rt_first, rt_last, obs_id, obs_time, number, value)
    JOIN sensing_datastreams AS s ON s.id = u.id
) AS v
WHERE d.id = v.id
"""


def _update_streams_postgresql(session: Session, params: list[dict[str, Any]]) -> None:
    # One statement for the whole batch (a batch from MQTT touches hundreds of streams).
    columns = {
        "ids": "id",
        "firsts": "first",
        "last_ends": "last_end",
        "rt_firsts": "rt_first",
        "rt_lasts": "rt_last",
        "obs_ids": "obs_id",
        "obs_times": "obs_time",
        "numbers": "number",
        "values": "value",
    }
    arrays = {name: [p[key] for p in params] for name, key in columns.items()}
    session.execute(text(_UPDATE_STREAMS_POSTGRESQL), arrays)


def _announce(session: Session, stored: list[_Row]) -> None:
    records = [
        StoredObservation(
            id=row.id,
            stream_id=row.item.stream_id,
            phenomenon_time=row.item.phenomenon_time,
            result=row.item.result,
            result_number=row.number,
            thing_id=row.stream.thing_id,
            department_id=row.stream.department_id,
            is_open=row.stream.is_open,
            observed_property_id=row.stream.observed_property_id,
            phenomenon_time_end=row.item.phenomenon_time_end,
            result_time=row.item.result_time,
            feature_id=row.feature_id,
            result_quality=row.item.result_quality,
            valid_time_start=row.item.valid_time_start,
            valid_time_end=row.item.valid_time_end,
            parameters=row.item.parameters,
        )
        for row in stored
        if row.id is not None and row.stream is not None
    ]
    for hook in _ingest_hooks:
        hook(session, records)
    if _committed_listeners:
        session.info.setdefault(_PENDING_KEY, []).extend(records)


__all__ = [
    "CATEGORY",
    "COMPLEX",
    "COUNT",
    "GENERIC",
    "MEASUREMENT",
    "TRUTH",
    "NewObservation",
    "ObservationOutcome",
    "StoredObservation",
    "create_observations",
    "observation_from_json",
    "prepare_partitions",
    "register_committed_listener",
    "register_ingest_hook",
    "result_of",
    "unregister",
]
