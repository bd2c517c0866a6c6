"""Sensing time series: with 10,000,000 observations stored, the latest value of 5,000
datastreams (target: at most 100 ms) and the hourly aggregate of 30 days of one datastream
(target: at most 50 ms), served by ``yiwang serve`` on SQLite and PostgreSQL, against the same
SQL run directly through ``sqlite3`` and psycopg in the same run.

The observations are loaded by the fastest raw means (not measured): ``sqlite3`` executemany in
large transactions, PostgreSQL COPY into the monthly partitions. Set ``BENCH_OBSERVATIONS``
(default 10,000,000), ``BENCH_REQUESTS`` (sequential requests per percentile, default 100) and
``BENCH_SENSING_DATABASES`` (a comma-separated subset of ``sqlite,postgresql``) for a quicker
run, and ``BENCH_CACHE_DIR`` to keep the loaded SQLite file there between runs (by default it
lives as long as the process).

``bench_sensing_http`` uses this module's :func:`create_streams` for its own databases.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import sqlite3
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.support import (
    HOST,
    VENV_BIN,
    BenchError,
    Server,
    clean_env,
    free_port,
    get_json,
    percentile,
    postgres_missing,
    running,
    sequential_latencies,
    shared_temp_dir,
    temp_dir,
    throwaway_postgres,
)

OBSERVATIONS = int(os.environ.get("BENCH_OBSERVATIONS", "10000000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))
WARMUP = 10
ROUNDS = 5  # HTTP and raw measurements alternate in this many rounds
STREAMS = 5000
DENSE_DAYS = 30
DENSE_ROWS = DENSE_DAYS * 1440  # one stream: 30 days, one observation a minute
SPAN_DAYS = 90  # the other streams: evenly over the last 90 days
SEED = 20251003
GENERATOR = 1  # bump when the generated data change, so that cached files are not reused
LATEST_TARGET_MS = 100.0
AGGREGATE_TARGET_MS = 50.0
SQLITE_BATCH = 1_000_000  # rows per transaction of the SQLite load
COPY_BATCH = 100_000  # rows per write to COPY
ALL_DATABASES = ("sqlite", "postgresql")
YIWANG = str(VENV_BIN / "yiwang")

CITIES = (
    ("330100", "杭州市"), ("330200", "宁波市"), ("330300", "温州市"), ("330400", "嘉兴市"),
    ("330500", "湖州市"), ("330600", "绍兴市"), ("330700", "金华市"), ("330800", "衢州市"),
    ("330900", "舟山市"), ("331000", "台州市"), ("331100", "丽水市"),
)  # fmt: skip
PROPERTIES = (
    ("PM2.5", "细颗粒物", "µg/m³"), ("PM10", "可吸入颗粒物", "µg/m³"), ("O3", "臭氧", "µg/m³"),
    ("NO2", "二氧化氮", "µg/m³"), ("SO2", "二氧化硫", "µg/m³"), ("CO", "一氧化碳", "mg/m³"),
    ("TEMP", "气温", "°C"), ("RH", "相对湿度", "%"),
)  # fmt: skip
MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


# --- the streams ---------------------------------------------------------------------------------


@dataclass
class Streams:
    """What :func:`create_streams` made: the department, and per stream its id and the id of
    the FeatureOfInterest of its Thing's Location (in stream order)."""

    department_id: int
    ids: list[int]
    features: list[int]


def create_streams(database_url: str, count: int = STREAMS) -> Streams:
    """Migrate ``database_url`` and register, in bulk, one department (浙江省生态环境厅) and
    ``count`` open air stations of it: a located Thing each, with its FeatureOfInterest made from
    the Location (as the observation service would make it) and one PM2.5-style Datastream; one
    shared Sensor and eight ObservedProperties."""
    from sqlalchemy import insert, select  # noqa: PLC0415

    from yiwang.core import identity  # noqa: PLC0415
    from yiwang.core.db import Database  # noqa: PLC0415
    from yiwang.core.policy import SYSTEM  # noqa: PLC0415
    from yiwang.migrate import upgrade_and_seed  # noqa: PLC0415
    from yiwang.sensing.models import (  # noqa: PLC0415
        Datastream,
        FeatureOfInterest,
        Location,
        ObservedProperty,
        Sensor,
        Thing,
        ThingLocation,
    )

    db = Database(database_url, pool_size=2)
    try:
        upgrade_and_seed(db)
        with db.session() as session:
            department = identity.create_department(
                session,
                actor=SYSTEM,
                name_zh="浙江省生态环境厅",
                division_code="330000",
                slug="zjsthjt",
            )
            department_id = department.id
            sensor = Sensor(
                name="空气质量自动监测仪",
                encoding_type="text/html",
                sensor_metadata="https://www.mee.gov.cn/",
                department_id=department_id,
            )
            properties = [
                ObservedProperty(
                    name=name,
                    definition=f"urn:yiwang:bench:{name.lower()}",
                    description=description,
                    department_id=department_id,
                )
                for name, description, _ in PROPERTIES
            ]
            session.add_all([sensor, *properties])
            session.flush()
            sensor_id = sensor.id
            property_ids = [p.id for p in properties]

            def point(i: int) -> tuple[float, float]:
                return 118.0 + (i % 100) * 0.04, 27.2 + (i // 100) * 0.06

            session.execute(
                insert(Thing),
                [
                    {
                        "name": f"{CITIES[i % len(CITIES)][1]}空气监测站{i + 1:04d}",
                        "description": "基准测试用的空气质量自动监测站",
                        "department_id": department_id,
                        "is_open": True,
                        "pack": "environment.air_station",
                        "division_code": CITIES[i % len(CITIES)][0],
                    }
                    for i in range(count)
                ],
            )
            thing_ids = list(session.scalars(select(Thing.id).order_by(Thing.id)))
            session.execute(
                insert(Location),
                [
                    {
                        "name": f"监测点{i + 1:04d}",
                        "department_id": department_id,
                        "location": {"type": "Point", "coordinates": list(point(i))},
                        "min_x": point(i)[0],
                        "min_y": point(i)[1],
                        "max_x": point(i)[0],
                        "max_y": point(i)[1],
                    }
                    for i in range(count)
                ],
            )
            location_ids = list(session.scalars(select(Location.id).order_by(Location.id)))
            session.execute(
                insert(ThingLocation),
                [
                    {"thing_id": t, "location_id": loc}
                    for t, loc in zip(thing_ids, location_ids, strict=True)
                ],
            )
            session.execute(
                insert(FeatureOfInterest),
                [
                    {
                        "name": f"监测点{i + 1:04d}",
                        "department_id": department_id,
                        "feature": {"type": "Point", "coordinates": list(point(i))},
                        "location_id": location_ids[i],
                        "min_x": point(i)[0],
                        "min_y": point(i)[1],
                        "max_x": point(i)[0],
                        "max_y": point(i)[1],
                    }
                    for i in range(count)
                ],
            )
            feature_of = dict(
                session.execute(select(FeatureOfInterest.location_id, FeatureOfInterest.id)).all()
            )
            session.execute(
                insert(Datastream),
                [
                    {
                        "name": f"{PROPERTIES[i % len(PROPERTIES)][0]} {i + 1:04d}",
                        "description": "每小时均值",
                        "observation_type": MEASUREMENT,
                        "unit_of_measurement": {
                            "name": PROPERTIES[i % len(PROPERTIES)][2],
                            "symbol": PROPERTIES[i % len(PROPERTIES)][2],
                            "definition": "",
                        },
                        "thing_id": thing_ids[i],
                        "sensor_id": sensor_id,
                        "observed_property_id": property_ids[i % len(property_ids)],
                        "department_id": department_id,
                        "is_open": True,
                    }
                    for i in range(count)
                ],
            )
            rows = session.execute(
                select(Datastream.id, Datastream.thing_id).order_by(Datastream.id)
            ).all()
        location_of = dict(zip(thing_ids, location_ids, strict=True))
        return Streams(
            department_id=department_id,
            ids=[stream_id for stream_id, _ in rows],
            features=[feature_of[location_of[thing_id]] for _, thing_id in rows],
        )
    finally:
        db.dispose()


# --- the observations ----------------------------------------------------------------------------


@dataclass
class Layout:
    """Where the observations fall: the first stream holds one a minute over the last 30 days,
    each of the others ``per_stream`` evenly over the last 90 days (each at its own phase), all
    ending before ``end`` (a UTC midnight)."""

    end: int  # epoch seconds
    per_stream: int
    streams: int = STREAMS
    dense_rows: int = DENSE_ROWS

    @classmethod
    def plan(cls, total: int, end: int) -> Layout:
        sparse = STREAMS - 1
        if total < DENSE_ROWS + sparse:
            raise BenchError(f"BENCH_OBSERVATIONS: at least {DENSE_ROWS + sparse:,}")
        return cls(end=end, per_stream=math.ceil((total - DENSE_ROWS) / sparse))

    @property
    def total(self) -> int:
        return self.dense_rows + (self.streams - 1) * self.per_stream

    @property
    def dense_start(self) -> int:
        return self.end - DENSE_DAYS * 86400


@dataclass
class Summary:
    """What the loader saw of each stream (by position): first and last time, and the id and
    value of the last observation; what the service keeps on the stream row."""

    first: dict[int, int] = field(default_factory=dict)
    last: dict[int, tuple[int, int, float]] = field(default_factory=dict)


def observations(layout: Layout, summary: Summary) -> Iterator[tuple[int, int, int, float]]:
    """``(id, stream position, epoch seconds, value)`` of every observation, in the order they
    would arrive (by time, streams interleaved), ids ascending; fills ``summary``."""
    rng = random.Random(SEED)
    span = SPAN_DAYS * 86400
    start = layout.end - span
    step = span / layout.per_stream
    phases = sorted(
        ((((position * 0.6180339887) % 1.0) * step, position) for position in range(1, STREAMS)),
    )
    dense_times = range(layout.dense_start, layout.end, 60)
    dense_next = 0
    ident = 0
    first, last = summary.first, summary.last
    for k in range(layout.per_stream):
        window_end = start + (k + 1) * step
        while dense_next < len(dense_times) and dense_times[dense_next] < window_end:
            ident += 1
            moment = dense_times[dense_next]
            value = int(rng.random() * 1500) / 10
            if dense_next == 0:
                first[0] = moment
            last[0] = (ident, moment, value)
            dense_next += 1
            yield ident, 0, moment, value
        base = start + k * step
        for phase, position in phases:
            ident += 1
            moment = int(base + phase)
            value = int(rng.random() * 1500) / 10
            if k == 0:
                first[position] = moment
            last[position] = (ident, moment, value)
            yield ident, position, moment, value
    for moment in dense_times[dense_next:]:
        ident += 1
        value = int(rng.random() * 1500) / 10
        last[0] = (ident, moment, value)
        yield ident, 0, moment, value


class TimeText:
    """Epoch seconds as database text, fast: a day part and a time-of-day part, each looked up."""

    def __init__(self, day_format: str, time_suffix: str) -> None:
        self._days: dict[int, str] = {}
        self._day_format = day_format
        self._times = [
            f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{time_suffix}" for s in range(86400)
        ]

    def __call__(self, moment: int) -> str:
        day, second = divmod(moment, 86400)
        text = self._days.get(day)
        if text is None:
            text = dt.datetime.fromtimestamp(day * 86400, dt.UTC).strftime(self._day_format)
            self._days[day] = text
        return text + self._times[second]


def sqlite_text(moment: int) -> str:
    """The text SQLAlchemy's DateTime stores on SQLite (as the observation service writes it)."""
    return dt.datetime.fromtimestamp(moment, dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def aware(moment: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(moment, dt.UTC)


def iso_z(moment: int) -> str:
    return aware(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Loaded:
    """A database loaded with the observations."""

    database_url: str
    observations: int
    end: int
    dense_stream: int
    dense_last: tuple[int, int, float]  # id, epoch seconds, value
    streams: int
    load_s: float
    size_mb: float | None = None

    @property
    def dense_start(self) -> int:
        return self.end - DENSE_DAYS * 86400


def _today_midnight() -> int:
    now = int(time.time())
    return now - now % 86400


def _latest_params(
    streams: Streams, summary: Summary, to_db: Callable[[int], Any]
) -> list[tuple[Any, ...]]:
    return [
        (
            to_db(summary.first[position]),
            to_db(moment),
            ident,
            to_db(moment),
            value,
            json.dumps(value),
            streams.ids[position],
        )
        for position, (ident, moment, value) in sorted(summary.last.items())
    ]


_SET_LATEST = (
    "UPDATE sensing_datastreams SET phenomenon_time_start = {p}, phenomenon_time_end = {p}, "
    "last_observation_id = {p}, last_phenomenon_time = {p}, last_result_number = {p}, "
    "last_result = {json} WHERE id = {p}"
)


def load_sqlite(path: Path) -> Loaded:
    """A new SQLite database at ``path``: migrated, the streams registered, the observations
    inserted with ``executemany`` in transactions of ``SQLITE_BATCH`` rows, the streams' latest
    values set, ANALYZE run."""
    started = time.perf_counter()
    streams = create_streams(f"sqlite:///{path}")
    layout = Layout.plan(OBSERVATIONS, _today_midnight())
    summary = Summary()
    text = TimeText("%Y-%m-%d ", ".000000")
    features, ids = streams.features, streams.ids
    rows = (
        (ident, ids[position], text(moment), value, features[position])
        for ident, position, moment, value in observations(layout, summary)
    )
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # A bulk load: no journal (a WAL would take every touched page once more per
        # transaction, and the unique index is touched all over), pages kept in memory.
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-2000000")
        insert = (
            "INSERT INTO sensing_observations "
            "(id, stream_id, phenomenon_time, result_number, feature_id) VALUES (?, ?, ?, ?, ?)"
        )
        done = 0
        while True:
            batch = [row for _, row in zip(range(SQLITE_BATCH), rows, strict=False)]
            if not batch:
                break
            conn.execute("BEGIN")
            conn.executemany(insert, batch)
            conn.execute("COMMIT")
            done += len(batch)
            _progress("SQLite", done, layout.total, started)
        conn.execute("BEGIN")
        conn.executemany(
            _SET_LATEST.format(p="?", json="?"),
            _latest_params(streams, summary, sqlite_text),
        )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode=WAL")  # as yiwang's engine keeps the file
        (count,) = conn.execute("SELECT count(*) FROM sensing_observations").fetchone()
    finally:
        conn.close()
    if count != layout.total:
        raise BenchError(f"SQLite holds {count:,} observations, not {layout.total:,}")
    return Loaded(
        database_url=f"sqlite:///{path}",
        observations=count,
        end=layout.end,
        dense_stream=streams.ids[0],
        dense_last=summary.last[0],
        streams=len(streams.ids),
        load_s=time.perf_counter() - started,
        size_mb=path.stat().st_size / 1e6,
    )


def _progress(label: str, done: int, total: int, started: float) -> None:
    if done % (2 * SQLITE_BATCH) == 0 or done == total:
        print(
            f"bench: {label}: {done:,} of {total:,} observations in "
            f"{time.perf_counter() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )


def _migration_head() -> str:
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    from yiwang.migrate import alembic_config  # noqa: PLC0415

    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())


def loaded_sqlite() -> Loaded:
    """The loaded SQLite database of this benchmark: the one kept by an earlier run (in
    ``BENCH_CACHE_DIR``, or earlier in this process), or a new load."""
    cache = os.environ.get("BENCH_CACHE_DIR")
    directory = Path(cache) if cache else shared_temp_dir("sensing-db")
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"sensing-{OBSERVATIONS}-{SEED}-{GENERATOR}-{_migration_head()}"
    path, meta = directory / f"{stem}.db", directory / f"{stem}.json"
    if path.exists() and meta.exists():
        data = json.loads(meta.read_text(encoding="utf-8"))
        data["dense_last"] = tuple(data["dense_last"])
        print(f"bench: reusing {path}", file=sys.stderr, flush=True)
        return Loaded(**{**data, "database_url": f"sqlite:///{path}"})
    partial = path.with_suffix(".part")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    loaded = load_sqlite(partial)
    partial.replace(path)
    loaded.database_url = f"sqlite:///{path}"
    meta.write_text(json.dumps(asdict(loaded)), encoding="utf-8")
    return loaded


# The two indexes that rows arriving in time order update all over: dropped for the COPY and
# made again afterwards with the migration's definitions (checked against pg_indexes).
_PG_INDEXES = (
    "SELECT tablename, indexname, indexdef FROM pg_indexes "
    "WHERE tablename LIKE 'sensing_observations%' ORDER BY 1, 2"
)
_PG_DROP = (
    "ALTER TABLE sensing_observations "
    "DROP CONSTRAINT uq_sensing_observations_stream_id_phenomenon_time",
    "DROP INDEX ix_sensing_observations_feature_id",
)
_PG_REMAKE = (
    "ALTER TABLE sensing_observations ADD CONSTRAINT "
    "uq_sensing_observations_stream_id_phenomenon_time UNIQUE (stream_id, phenomenon_time)",
    "CREATE INDEX ix_sensing_observations_feature_id ON sensing_observations (feature_id)",
)


def load_postgres(database_url: str) -> Loaded:
    """Migrate the (empty) PostgreSQL database, register the streams, create the monthly
    partitions the observations fall in (named and bounded as the observation service does),
    COPY the observations into the partitioned table (its unique and feature indexes made
    afterwards), set the streams' latest values and VACUUM ANALYZE."""
    import psycopg  # noqa: PLC0415

    started = time.perf_counter()
    streams = create_streams(database_url)
    layout = Layout.plan(OBSERVATIONS, _today_midnight())
    summary = Summary()
    text = TimeText("%Y-%m-%d ", "+00")
    features, ids = streams.features, streams.ids
    first_month = aware(layout.end - SPAN_DAYS * 86400).date().replace(day=1)
    last_month = aware(layout.end - 1).date().replace(day=1)
    with psycopg.connect(database_url, autocommit=True) as conn:
        month = first_month
        while month <= last_month:
            following = (month + dt.timedelta(days=32)).replace(day=1)
            name = f"sensing_observations_y{month.year:04d}m{month.month:02d}"
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF sensing_observations "
                f"FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}')"
            )
            month = following
        lines = (
            f"{ident}\t{ids[position]}\t{text(moment)}\t{value}\t{features[position]}\n"
            for ident, position, moment, value in observations(layout, summary)
        )
        done = 0
        indexes = conn.execute(_PG_INDEXES).fetchall()
        for statement in _PG_DROP:
            conn.execute(statement)
        with conn.cursor() as cursor:
            # Setup, not measured: the foreign keys' triggers are skipped, the rows are known
            # to reference existing streams and features.
            cursor.execute("SET session_replication_role = replica")
            with (
                conn.transaction(),
                cursor.copy(
                    "COPY sensing_observations "
                    "(id, stream_id, phenomenon_time, result_number, feature_id) FROM STDIN"
                ) as copy,
            ):
                while True:
                    chunk = "".join(line for _, line in zip(range(COPY_BATCH), lines, strict=False))
                    if not chunk:
                        break
                    copy.write(chunk.encode())
                    done += chunk.count("\n")
                    _progress("PostgreSQL", done, layout.total, started)
            cursor.execute("SET session_replication_role = origin")
            print("bench: PostgreSQL: indexes", file=sys.stderr, flush=True)
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for statement in _PG_REMAKE:
                cursor.execute(statement)
            if conn.execute(_PG_INDEXES).fetchall() != indexes:
                raise BenchError("the observations' indexes differ from the migration's")
            cursor.execute("SELECT setval('sensing_observations_id_seq', %s)", (layout.total,))
            cursor.executemany(
                _SET_LATEST.format(p="%s", json="CAST(%s AS jsonb)"),
                _latest_params(streams, summary, aware),
            )
        print("bench: PostgreSQL: VACUUM ANALYZE", file=sys.stderr, flush=True)
        conn.execute("VACUUM ANALYZE")
        count, stray = conn.execute(
            "SELECT (SELECT count(*) FROM sensing_observations), "
            "(SELECT count(*) FROM sensing_observations_default)"
        ).fetchone() or (0, 0)
    if count != layout.total or stray:
        raise BenchError(
            f"PostgreSQL holds {count:,} observations ({stray:,} in the default partition), "
            f"not {layout.total:,}"
        )
    return Loaded(
        database_url=database_url,
        observations=count,
        end=layout.end,
        dense_stream=streams.ids[0],
        dense_last=summary.last[0],
        streams=len(streams.ids),
        load_s=time.perf_counter() - started,
    )


# --- the requests --------------------------------------------------------------------------------


def yiwang_server(database_url: str, tmp: Path, label: str) -> Server:
    port = free_port()
    return Server(
        name=f"yiwang serve ({label})",
        args=[YIWANG, "serve", "--host", HOST, "--port", str(port), "--no-worker", "--no-migrate"],
        port=port,
        env=clean_env(
            YIWANG_DATABASE_URL=database_url,
            YIWANG_VAR_DIR=str(tmp / f"var-{label}"),
            YIWANG_LOG_LEVEL="WARNING",
        ),
        cwd=tmp,
        log_path=tmp / f"serve-{label}.log",
    )


def latest_path() -> str:
    return f"/api/v1/sensing/latest?limit={STREAMS}"


def aggregate_path(loaded: Loaded) -> str:
    query = urllib.parse.urlencode(
        {
            "start": iso_z(loaded.dense_start),
            "end": iso_z(loaded.end),
            "interval": "hour",
        }
    )
    return f"/api/v1/sensing/datastreams/{loaded.dense_stream}/aggregates?{query}"


def check_answers(base: str, loaded: Loaded) -> dict[str, int]:
    """Both answers, checked: every stream with its latest value (the dense stream's as loaded),
    and 720 hourly buckets of 60 observations; return the body sizes."""
    status, body, latest_size = get_json(base + latest_path())
    items = body.get("items") if isinstance(body, dict) else None
    if status != 200 or not isinstance(items, list) or len(items) != loaded.streams:
        raise BenchError(f"latest answered {status} {body!r:.500}")
    if any(item.get("result") is None for item in items):
        raise BenchError("latest: some stream has no latest value")
    dense = next(i for i in items if i["datastream_id"] == loaded.dense_stream)
    ident, moment, value = loaded.dense_last
    shown = (dense["observation_id"], dense["result"], dense["phenomenon_time"])
    if shown != (ident, value, iso_z(moment).replace("Z", ".000Z")):
        raise BenchError(f"latest: stream {loaded.dense_stream} shows {shown}, not {ident, value}")
    status, body, aggregate_size = get_json(base + aggregate_path(loaded))
    buckets = body.get("buckets") if isinstance(body, dict) else None
    hours = DENSE_DAYS * 24
    if status != 200 or not isinstance(buckets, list) or len(buckets) != hours:
        raise BenchError(f"aggregates answered {status} {body!r:.500}")
    if {b["count"] for b in buckets} != {60}:
        raise BenchError("aggregates: a bucket does not hold 60 observations")
    return {"latest": latest_size, "aggregates": aggregate_size}


@dataclass
class Latencies:
    p50_ms: float
    p95_ms: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Latencies:
        return cls(p50_ms=percentile(values, 50), p95_ms=percentile(values, 95))


def captured_sql(loaded: Loaded) -> dict[str, tuple[str, Any]]:
    """The statements (with their parameters, as handed to the driver) that the service runs for
    the two requests, captured by calling ``timeseries.latest`` and ``timeseries.aggregate`` as
    the API does for an anonymous caller."""
    from sqlalchemy import event  # noqa: PLC0415

    from yiwang.core.db import Database  # noqa: PLC0415
    from yiwang.core.policy import ANONYMOUS  # noqa: PLC0415
    from yiwang.sensing import timeseries  # noqa: PLC0415

    seen: list[tuple[str, Any]] = []

    def capture(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        seen.append((statement, parameters))

    db = Database(loaded.database_url, pool_size=1)
    event.listen(db.engine, "before_cursor_execute", capture)
    captured: dict[str, tuple[str, Any]] = {}
    try:
        with db.session(write=False) as session:
            seen.clear()
            timeseries.latest(session, actor=ANONYMOUS, limit=STREAMS)
            captured["latest"] = next(s for s in seen if "FROM sensing_datastreams" in s[0])
            seen.clear()
            timeseries.aggregate(
                session,
                actor=ANONYMOUS,
                datastream_id=loaded.dense_stream,
                interval="hour",
                start=aware(loaded.dense_start),
                end=aware(loaded.end),
            )
            captured["aggregates"] = next(s for s in seen if "sensing_observations" in s[0])
    finally:
        db.dispose()
    return captured


class RawQueries:
    """One connection of the driver itself (``sqlite3`` read-only, or psycopg) that runs a
    statement and fetches every row, in a read transaction as the service does."""

    def __init__(self, loaded: Loaded) -> None:
        self.sqlite = loaded.database_url.startswith("sqlite")
        if self.sqlite:
            path = loaded.database_url.removeprefix("sqlite:///")
            self.conn: Any = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        else:
            import psycopg  # noqa: PLC0415

            self.conn = psycopg.connect(loaded.database_url)

    def run(self, statement: str, parameters: Any, count: int) -> tuple[list[float], int]:
        """Run the statement ``count`` times; return the latencies in ms and the row count."""
        timings: list[float] = []
        rows = 0
        for _ in range(count):
            started = time.perf_counter()
            if self.sqlite:
                self.conn.execute("BEGIN")
                rows = len(self.conn.execute(statement, parameters).fetchall())
                self.conn.execute("COMMIT")
            else:
                with self.conn.cursor() as cursor:
                    cursor.execute(statement, parameters)
                    rows = len(cursor.fetchall())
                self.conn.commit()
            timings.append((time.perf_counter() - started) * 1000)
        return timings, rows

    def close(self) -> None:
        self.conn.close()


@dataclass
class Measured:
    label: str
    loaded: Loaded
    http: dict[str, Latencies]
    raw: dict[str, Latencies]
    sizes: dict[str, int]
    raw_rows: dict[str, int]
    statements: dict[str, str]
    requests: int
    load_average: tuple[float, float]


def measure(loaded: Loaded, tmp: Path, label: str) -> Measured:
    """Both requests over HTTP and their statements through the driver, in ``ROUNDS``
    interleaved rounds (so that both sides see the same background load), after a warm-up."""
    captured = captured_sql(loaded)
    raw = RawQueries(loaded)
    http_ms: dict[str, list[float]] = {"latest": [], "aggregates": []}
    raw_ms: dict[str, list[float]] = {"latest": [], "aggregates": []}
    raw_rows: dict[str, int] = {}
    loads = [os.getloadavg()[0]]
    try:
        with running(yiwang_server(loaded.database_url, tmp, label)) as server:
            base = server.base_url
            sizes = check_answers(base, loaded)
            urls = {"latest": base + latest_path(), "aggregates": base + aggregate_path(loaded)}
            for name, url in urls.items():
                sequential_latencies(url, count=0, warmup=WARMUP)
                raw.run(*captured[name], WARMUP)
            per_round = max(1, REQUESTS // ROUNDS)
            for _ in range(ROUNDS):
                for name, url in urls.items():
                    http_ms[name] += sequential_latencies(url, count=per_round, warmup=0)
                    timings, raw_rows[name] = raw.run(*captured[name], per_round)
                    raw_ms[name] += timings
                loads.append(os.getloadavg()[0])
    finally:
        raw.close()
    if raw_rows != {"latest": loaded.streams, "aggregates": DENSE_DAYS * 24}:
        raise BenchError(f"the raw statements returned {raw_rows} rows")
    return Measured(
        label=label,
        loaded=loaded,
        http={name: Latencies.of(v) for name, v in http_ms.items()},
        raw={name: Latencies.of(v) for name, v in raw_ms.items()},
        sizes=sizes,
        raw_rows=raw_rows,
        statements={name: " ".join(s.split()) for name, (s, _) in captured.items()},
        requests=len(http_ms["latest"]),
        load_average=(min(loads), max(loads)),
    )


# --- rows ----------------------------------------------------------------------------------------


def _row(case: str, metric: str, ours: float, peer: float, aim: float | None) -> dict[str, Any]:
    ratio = round(peer / ours, 2) if ours else None
    return {
        "case": case,
        "metric": metric,
        "ours": round(ours, 2),
        "peer": round(peer, 2),
        "ratio": ratio,
        "aim": f"≥ {aim:g}" if aim is not None else "(context)",
        "met": (ratio is not None and ratio >= aim) if aim is not None else None,
    }


def rows_of(measured: Measured) -> list[dict[str, Any]]:
    loaded = measured.loaded
    driver = "`sqlite3`" if measured.label == "SQLite" else "psycopg"
    cases = (
        (
            "latest",
            f"Latest value of {loaded.streams:,} datastreams",
            LATEST_TARGET_MS,
        ),
        (
            "aggregates",
            f"Hourly aggregate of {DENSE_DAYS} days of one datastream ({DENSE_ROWS:,} rows)",
            AGGREGATE_TARGET_MS,
        ),
    )
    rows: list[dict[str, Any]] = []
    for name, what, target in cases:
        http, raw = measured.http[name], measured.raw[name]
        case = f"{what} ({measured.label}, {loaded.observations:,} observations)"
        sequential = f"({measured.requests} sequential requests)"
        rows += [
            {
                **_row(
                    f"{case} vs the {target:g} ms target",
                    f"p50 latency, ms {sequential}",
                    http.p50_ms,
                    target,
                    1,
                ),
                "body_bytes": measured.sizes[name],
            },
            _row(
                f"{case} vs the {target:g} ms target",
                f"p95 latency, ms {sequential}",
                http.p95_ms,
                target,
                1,
            ),
            {
                **_row(
                    f"{case} vs the same SQL through {driver}, no HTTP",
                    "p50 latency, ms",
                    http.p50_ms,
                    raw.p50_ms,
                    None,
                ),
                "raw_p95_ms": round(raw.p95_ms, 2),
            },
        ]
    return rows


def databases() -> list[str]:
    wanted = os.environ.get("BENCH_SENSING_DATABASES")
    chosen = [v.strip() for v in wanted.split(",") if v.strip()] if wanted else ALL_DATABASES
    unknown = [v for v in chosen if v not in ALL_DATABASES]
    if unknown:
        raise BenchError(f"BENCH_SENSING_DATABASES: unknown {unknown}; known: {ALL_DATABASES}")
    return list(chosen)


def run() -> dict[str, Any]:
    chosen = databases()
    missing = postgres_missing() if "postgresql" in chosen else None
    if missing:
        chosen = [c for c in chosen if c != "postgresql"]
    runs: list[Measured] = []
    with temp_dir("yiwang-bench-sensing-") as tmp:
        if "sqlite" in chosen:
            print("bench: sensing time series on SQLite", file=sys.stderr, flush=True)
            runs.append(measure(loaded_sqlite(), tmp, "SQLite"))
        if "postgresql" in chosen:
            print("bench: sensing time series on PostgreSQL", file=sys.stderr, flush=True)
            with throwaway_postgres("yiwang_bench_sensing") as url:
                runs.append(measure(load_postgres(url), tmp, "PostgreSQL"))
    rows = [row for measured in runs for row in rows_of(measured)]
    first = runs[0].loaded if runs else None
    notes = []
    if first is not None:
        notes.append(
            f"The data: {first.streams:,} open Datastreams of one department (one air station "
            f"Thing each, located, with its FeatureOfInterest), {first.observations:,} "
            f"observations: the first stream one a minute over the last {DENSE_DAYS} days "
            f"({DENSE_ROWS:,}), each other stream "
            f"{(first.observations - DENSE_ROWS) // (first.streams - 1):,} evenly over the last "
            f"{SPAN_DAYS} days, stored in the order they would arrive (by time, streams "
            "interleaved), so one stream's rows are scattered over the table as in service. "
            "Registered with the project's models after `upgrade_and_seed`; the observations "
            "loaded raw (setup, not measured): SQLite `executemany` in transactions of "
            f"{SQLITE_BATCH:,} rows (no journal during the load); PostgreSQL COPY into the "
            "partitioned table after creating the monthly partitions as the observation "
            "service does, the unique (stream_id, phenomenon_time) and the feature_id indexes "
            "dropped for the COPY and made again afterwards with the same definitions (so they "
            "are packed tighter than indexes grown row by row); then each stream's "
            "latest value and time range set on its row as the service keeps them, and "
            "ANALYZE (PostgreSQL: VACUUM ANALYZE, as autovacuum would after such inserts; this "
            "server runs without autovacuum). Setup took "
            + ", ".join(f"{m.label} {m.loaded.load_s:.0f} s" for m in runs)
            + (
                f" (the SQLite file is {first.size_mb:,.0f} MB; a cached file, when reused, "
                "reports the time of the run that loaded it)"
                if first.size_mb
                else ""
            )
            + "."
        )
        notes.append(
            f"Requests: `GET {latest_path()}` and `GET /api/v1/sensing/datastreams/<id>/"
            f"aggregates?start=<{DENSE_DAYS} days before the end>&end=<end>&interval=hour` "
            f"({DENSE_DAYS * 24} buckets of 60), anonymous, against `yiwang serve --no-worker "
            f"--no-migrate`, one request at a time on a keep-alive connection, request sent to "
            f"body read, after {WARMUP} of warm-up; answers checked first (every stream's "
            "latest value, the dense stream's as loaded; every bucket's count). Body sizes: "
            + "; ".join(
                f"{m.label}: latest {m.sizes['latest']:,} bytes, aggregates "
                f"{m.sizes['aggregates']:,} bytes"
                for m in runs
            )
            + "."
        )
        notes.append(
            "Ceiling: the very statements the service runs for the two requests (captured from "
            "`timeseries.latest` and `timeseries.aggregate` with their parameters), executed "
            "and every row fetched through `sqlite3` (read-only) and psycopg on one connection, "
            "in a transaction each; no HTTP, no conversion to JSON. The HTTP requests and the "
            f"statements alternate in {ROUNDS} rounds, so that both meet the same background "
            "load. The statements are in the JSON result."
        )
    notes.append(
        "The machine has 2 cores, shared by the server, the database and the client "
        "measuring it (one request at a time, so about one core busy). The 1-minute load "
        "average during the measurements was "
        + "; ".join(f"{m.label} {m.load_average[0]:.1f}–{m.load_average[1]:.1f}" for m in runs)
        + "; above 1 or so, other work shared the machine and the times are inflated by it "
        "(the ratios to the ceiling, measured alongside, less so)."
    )
    notes.append(
        "Where the time goes (py-spy of the server, and the statements and variants of them "
        "timed through the driver, 10,000,000 observations, quiet machine, 2026-11-29). "
        "Latest values (SQLite about 75 ms over HTTP for a 12 ms statement; PostgreSQL about "
        "90 ms for 47 ms): the rest is Python handling 5,000 rows: SQLAlchemy's ORM result "
        "layer for a column select, `json.loads` of `unit_of_measurement` and `last_result` on "
        "every row (the SQLite JSON type's result processor; psycopg's jsonb loader, which "
        "makes the PostgreSQL statement itself 47 ms against 31 ms with those columns as "
        "text), `UTCDateTime.process_result_value`, a `LatestValue` per row (about 10% of "
        "the samples), a dict per row in `api.latest_values` whose `format_instant` alone "
        "takes 15–20% of the samples, and pydantic's serialisation of 1.6 MB (about 5%). "
        "The same answer built by the database as one JSON text took 16 ms on SQLite "
        "(`json_group_array(json_object(...))`) and 33 ms on PostgreSQL (`json_agg`). "
        "Aggregates: on SQLite the statement is two thirds of the request (33 ms of 49): "
        "the bucket `strftime('%s', …)` costs 12 ms more than `unixepoch(…)` (21 ms for the "
        "whole statement), the GROUP BY sorter over 43,200 rows most of the rest, and the "
        "table look-up of `result_number` per row about 5 ms (a covering index on "
        "(stream_id, phenomenon_time, result_number) removes it). On PostgreSQL the "
        "statement is 24 ms of 43, and most of it is numeric arithmetic: `EXTRACT(epoch …)` "
        "returns numeric since version 14; the same buckets by `date_bin('1 hour', "
        "phenomenon_time, <a local midnight>)` took 10.5 ms, against 5 ms for scanning the "
        "rows at all."
    )
    if missing:
        notes.append(f"PostgreSQL rows skipped: {missing}.")
    return {
        "title": "Sensing time series: latest values and hourly aggregates",
        "intro": f"With {OBSERVATIONS:,} observations stored: the latest value of "
        f"{STREAMS:,} datastreams (target ≤ {LATEST_TARGET_MS:g} ms) and 30 days of one "
        f"datastream hourly (target ≤ {AGGREGATE_TARGET_MS:g} ms), over HTTP, against the same "
        "SQL run directly through the database driver.",
        "rows": rows,
        "notes": notes,
        "detail": {
            m.label: {
                "observations": m.loaded.observations,
                "load_s": round(m.loaded.load_s, 1),
                "size_mb": round(m.loaded.size_mb) if m.loaded.size_mb else None,
                "http_ms": {k: asdict(v) for k, v in m.http.items()},
                "raw_ms": {k: asdict(v) for k, v in m.raw.items()},
                "statements": m.statements,
                "load_average": m.load_average,
            }
            for m in runs
        },
    }
