"""The database side of storing observations: reading the streams of a batch and the features
of interest made from their Things' locations, writing the rows in bulk (SQLite: one
``executemany`` under the write lock; PostgreSQL: ``COPY`` into a temporary table, then one
``INSERT ... ON CONFLICT DO NOTHING``), the monthly partitions of the observation table on
PostgreSQL, and each stream's summary (latest value, time ranges) kept on the stream row.

The checks of a batch, and what is told of it, are :mod:`yiwang.sensing.service`'s."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from yiwang.core.db import utcnow
from yiwang.sensing.models import (
    Datastream,
    FeatureOfInterest,
    Location,
    Observation,
    ThingLocation,
)
from yiwang.sensing.parsing import NewObservation

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Stream:
    """What storing needs of a stream."""

    id: int
    kind: str
    observation_type: str
    component_types: list[str] | None
    thing_id: int
    department_id: int | None
    is_open: bool
    observed_property_id: int | None


@dataclass(slots=True)
class Row:
    """An observation of the batch on its way to the table: the id once it has one."""

    index: int
    item: NewObservation
    number: float | None
    value: Any  # JSON-encodable result kept in result_json (None when numeric)
    feature_id: int | None = None
    id: int | None = None
    stream: Stream | None = field(default=None, repr=False)


# --- reading the batch's streams --------------------------------------------------------------


def load_streams(session: Session, ids: set[int]) -> dict[int, Stream]:
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
    return {row[0]: Stream(*row) for row in rows}


def features_from_locations(session: Session, thing_ids: set[int]) -> dict[int, int]:
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


# --- writing --------------------------------------------------------------------------------------

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


def insert(session: Session, rows: list[Row]) -> set[int]:
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


def _insert_sqlite(session: Session, rows: list[Row]) -> set[int]:
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


def ensure_partitions(session: Session, observations: Sequence[NewObservation]) -> None:
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


def _insert_postgresql(session: Session, rows: list[Row]) -> set[int]:
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


def update_streams(session: Session, stored: list[Row]) -> None:
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
        latest: Row = entry["latest"]
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


__all__ = [
    "Row",
    "Stream",
    "ensure_partitions",
    "features_from_locations",
    "insert",
    "load_streams",
    "prepare_partitions",
    "refresh_stream_summary",
    "update_streams",
]
