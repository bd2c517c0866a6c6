"""Sensing ingest over HTTP: SensorThings ``POST /sta/v1.1/CreateObservations`` (the dataArray
form of OGC 18-088, section 14.2) by a few concurrent clients, in batches of 1,000 and 5,000
observations, on SQLite and PostgreSQL, against the raw insert ceiling of the same rows into the
same table measured in the same run (``sqlite3`` executemany; PostgreSQL COPY into the
partitioned table); and, for context, one ``POST /sta/v1.1/Observations`` per observation.

Aims: at least half the raw ceiling, and at least 100,000 observations/s (FROST-Server's
maintainers cite about 5,000 inserts/s).

Set ``BENCH_HTTP_OBSERVATIONS`` (observations posted per case, default 500,000),
``BENCH_CLIENTS`` (concurrent clients, default 4), ``BENCH_SECONDS`` (the single-observation
wrk run, default 10) and ``BENCH_SENSING_DATABASES`` (a comma-separated subset of
``sqlite,postgresql``) for a quicker run.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import math
import os
import re
import shutil
import sqlite3
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.bench_sensing_timeseries import (
    STREAMS,
    Streams,
    aware,
    create_streams,
    databases,
    yiwang_server,
)
from bench.support import (
    HOST,
    VENV_BIN,
    BenchError,
    Load,
    Server,
    WrkResult,
    clean_env,
    ensure_wrk,
    postgres_missing,
    run_cli,
    running,
    temp_dir,
    throwaway_postgres,
    wrk,
    wrk_version,
)

POSTED = int(os.environ.get("BENCH_HTTP_OBSERVATIONS", "500000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
SINGLE_LOAD = Load(connections=CLIENTS, seconds=int(os.environ.get("BENCH_SECONDS", "10")))
# A batch is GROUP_ROWS observations (one a minute) of each of batch / GROUP_ROWS streams: a
# gateway posting what its stations measured since the last upload.
BATCHES = (1000, 5000)
GROUP_ROWS = 100
CEILING_AIM = 0.5
RETRIES = 3
RETRY_PAUSE_S = 0.5
RATE_AIM = 100_000.0
FROST_CITED = 5000.0
USERNAME = "gateway"
PREFIX = "/sta/v1.1"
YIWANG = str(VENV_BIN / "yiwang")
FROST_SOURCE = "https://github.com/FraunhoferIOSB/FROST-Server/issues/1576"
HOT_SPOTS = (
    "Where the time goes (py-spy of the server, 4 clients, quiet machine, 2026-11-29). "
    "CreateObservations on SQLite, batches of 1,000 (about 32,000 observations/s): the "
    "`executemany` itself is 15% of the samples; the rest is Python per observation: a "
    "frozen `StoredObservation` dataclass per row for the ingest hooks (`_announce`, 15%), "
    "`_sqlite_instant` (a `strftime` called three times per row: the duplicate look-up, the "
    "filter of fresh rows and the insert values, together about 15% with the loops around "
    "it), the duplicate look-up's rows fetched through SQLAlchemy (7%), the dataArray rows "
    "turned into dicts and parsed one by one by `observation_from_json` (`parse_time_value`, "
    "`fromisoformat`, although a gateway's batch repeats a few timestamps; about 15%), and "
    "`_result_columns` (`isinstance` against `int | float`). On PostgreSQL, batches of "
    "5,000: waiting for the database is 29% (COPY into a temporary table, then `INSERT ... "
    "SELECT ... ON CONFLICT DO NOTHING RETURNING id` into the partitioned table: every row "
    "written twice, where the ceiling is one COPY), `json.loads` of the request body 8% "
    "(on the event loop, so it holds up every other connection), `_announce` 10%, parsing "
    "about 15%. On SQLite all of it runs under the database's one write lock: `get_db` "
    "begins the write transaction (`BEGIN IMMEDIATE`) for any POST before the handler has "
    "read and parsed the body, and it lasts until the answer is built, so requests cannot "
    "overlap even in parsing; the others wait in SQLite's busy handler, which sleeps with a "
    "growing back-off (to 100 ms) and is not fair, so one request can lose the race "
    "repeatedly: 11% of the samples under load, and in a run with batches of 5,000 a "
    "request failed after the 10 s `busy_timeout` with `sqlite3.OperationalError: database "
    "is locked` (answered 500, the connection closed; the benchmark now sends such a body "
    "again and reports it). On PostgreSQL the first concurrent batches of a new month can "
    "deadlock: `_ensure_partitions` runs `CREATE TABLE IF NOT EXISTS ... PARTITION OF` inside "
    "each request's transaction, and two requests doing so at once may each wait for the "
    "other's AccessExclusiveLock (PostgreSQL's log: `deadlock detected`, both processes on "
    "that statement); in one run a batch of each size was answered 500 so. Single "
    "POSTs: per request the SQLAlchemy `visibility` subquery is built anew "
    "(`Column._make_proxy`, about 8%), an audit record advances the hash-chained head (a "
    "row every write transaction updates, so concurrent requests queue on it), the "
    "entity is read back to answer, and the commit waits for the disk."
)
# The observation service's columns, in its order.
COLUMNS = (
    "id", "stream_id", "phenomenon_time", "phenomenon_time_end", "result_time",
    "result_number", "result_json", "result_quality", "valid_time_start", "valid_time_end",
    "parameters", "feature_id",
)  # fmt: skip


# --- the rows and the bodies ---------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """The observations of one case, the same rows in the same order whatever the batch size:
    group ``g`` is ``GROUP_ROWS`` one-minute readings of stream ``g mod streams`` (minutes
    ``g div streams`` blocks later for later rounds), and a batch of ``n`` observations is
    ``n // GROUP_ROWS`` consecutive groups (a gateway posting what its stations measured since
    its last upload)."""

    total: int
    start: int  # epoch seconds of the first minute
    streams: int

    def group_rows(self, group: int) -> list[tuple[int, int, float]]:
        """``(stream position, epoch seconds, value)`` of group ``group``."""
        position, block = group % self.streams, group // self.streams
        rows = []
        for minute in range(GROUP_ROWS):
            moment = self.start + (block * GROUP_ROWS + minute) * 60
            rows.append((position, moment, ((position * 7919 + moment // 60) % 1500) / 10))
        return rows

    def rows(self) -> list[tuple[int, int, float]]:
        return [row for g in range(self.total // GROUP_ROWS) for row in self.group_rows(g)]

    def batches(self, batch: int) -> list[list[tuple[int, int, float]]]:
        per = batch // GROUP_ROWS
        groups = self.total // GROUP_ROWS
        return [
            [row for g in range(first, min(first + per, groups)) for row in self.group_rows(g)]
            for first in range(0, groups, per)
        ]


def _iso(moment: int) -> str:
    return aware(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def body_of(rows: Sequence[tuple[int, int, float]], streams: Streams) -> bytes:
    """Rows as a CreateObservations body: one group per stream, components ``phenomenonTime``
    and ``result``."""
    groups: dict[int, list[list[Any]]] = {}
    for position, moment, value in rows:
        groups.setdefault(position, []).append([_iso(moment), value])
    return json.dumps(
        [
            {
                "Datastream": {"@iot.id": streams.ids[position]},
                "components": ["phenomenonTime", "result"],
                "dataArray@iot.count": len(values),
                "dataArray": values,
            }
            for position, values in groups.items()
        ],
        separators=(",", ":"),
    ).encode()


# --- the raw ceilings ----------------------------------------------------------------------------


def _sqlite_text(moment: int) -> str:
    return aware(moment).strftime("%Y-%m-%d %H:%M:%S.%f")


class SqliteCeiling:
    """``executemany`` of the rows (every column the service writes, ids given) into the
    observations table of a fresh copy of the migrated database, in one transaction, with the
    pragmas yiwang's engine sets (WAL, synchronous=NORMAL, foreign keys on), commit included."""

    def __init__(
        self, template: Path, rows: Sequence[tuple[int, int, float]], streams: Streams, work: Path
    ) -> None:
        self.template, self.work = template, work
        self.values = [
            (
                ident,
                streams.ids[position],
                _sqlite_text(moment),
                None,
                None,
                value,
                None,
                None,
                None,
                None,
                None,
                streams.features[position],
            )
            for ident, (position, moment, value) in enumerate(rows, start=1)
        ]
        self.times: list[float] = []

    def run_once(self) -> float:
        path = self.work / f"ceiling-{len(self.times)}.db"
        shutil.copyfile(self.template, path)
        statement = (
            f"INSERT INTO sensing_observations ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(COLUMNS))})"
        )
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(statement, self.values)
            conn.execute("COMMIT")
            self.times.append(time.perf_counter() - started)
            (count,) = conn.execute("SELECT count(*) FROM sensing_observations").fetchone()
        finally:
            conn.close()
        if count != len(self.values):
            raise BenchError(f"the sqlite3 ceiling stored {count:,} rows, not {len(self.values):,}")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return self.times[-1]


def _months(rows: Sequence[tuple[int, int, float]]) -> list[dt.date]:
    first = aware(min(m for _, m, _ in rows)).date().replace(day=1)
    last = aware(max(m for _, m, _ in rows)).date().replace(day=1)
    months = [first]
    while months[-1] < last:
        months.append((months[-1] + dt.timedelta(days=32)).replace(day=1))
    return months


class PostgresCeiling:
    """COPY FROM STDIN of the rows (psycopg ``write_row`` of typed tuples, every column the
    service writes, ids given) into the partitioned observations table of a migrated database
    holding the same streams, its monthly partitions already made, in one transaction; the
    table emptied before each run."""

    def __init__(
        self, database_url: str, rows: Sequence[tuple[int, int, float]], streams: Streams
    ) -> None:
        import psycopg  # noqa: PLC0415

        self.values = [
            (
                ident,
                streams.ids[position],
                aware(moment),
                None,
                None,
                value,
                None,
                None,
                None,
                None,
                None,
                streams.features[position],
            )
            for ident, (position, moment, value) in enumerate(rows, start=1)
        ]
        self.times: list[float] = []
        self.conn = psycopg.connect(database_url, autocommit=True)
        for month in _months(rows):
            following = (month + dt.timedelta(days=32)).replace(day=1)
            name = f"sensing_observations_y{month.year:04d}m{month.month:02d}"
            self.conn.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF sensing_observations "
                f"FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}')"
            )

    def run_once(self) -> float:
        conn = self.conn
        conn.execute("TRUNCATE sensing_observations")
        started = time.perf_counter()
        with (
            conn.transaction(),
            conn.cursor() as cursor,
            cursor.copy(f"COPY sensing_observations ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for value in self.values:
                copy.write_row(value)
        self.times.append(time.perf_counter() - started)
        (count,) = conn.execute("SELECT count(*) FROM sensing_observations").fetchone() or (0,)
        if count != len(self.values):
            raise BenchError(f"the COPY ceiling stored {count:,} rows, not {len(self.values):,}")
        return self.times[-1]

    def close(self) -> None:
        self.conn.close()


# --- the database and the gateway's account -----------------------------------------------------


def prepare(database_url: str, tmp: Path) -> tuple[Streams, str]:
    """Migrate, register the streams, and make the gateway's account (an editor of their
    department) and API token with the command line; return the streams and the value of the
    Authorization header (HTTP Basic, the token as password)."""
    streams = create_streams(database_url)
    env = clean_env(YIWANG_DATABASE_URL=database_url, YIWANG_VAR_DIR=str(tmp / "var-cli"))
    department = str(streams.department_id)
    create = [YIWANG, "user", "create", USERNAME, "--role", "editor", "--department", department]
    run_cli(create, env=env, cwd=tmp)
    token = run_cli([YIWANG, "token", "create", USERNAME], env=env, cwd=tmp).strip()
    if not token:
        raise BenchError("yiwang token create printed no token")
    basic = base64.b64encode(f"{USERNAME}:{token}".encode()).decode()
    return streams, f"Basic {basic}"


def _checkpoint(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def observation_count(database_url: str) -> int:
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            (count,) = conn.execute("SELECT count(*) FROM sensing_observations").fetchone()
        finally:
            conn.close()
        return int(count)
    import psycopg  # noqa: PLC0415

    with psycopg.connect(database_url) as pg:
        (count,) = pg.execute("SELECT count(*) FROM sensing_observations").fetchone() or (0,)
    return int(count)


# --- the clients ---------------------------------------------------------------------------------


@dataclass
class Posted:
    seconds: float
    requests: int
    observations: int
    latencies_ms: list[float]
    retried: int = 0  # requests answered 5xx and sent again
    refusals: list[str] = field(default_factory=list)  # what those answers and the log said

    @property
    def rate(self) -> float:
        return self.observations / self.seconds


def post_all(port: int, bodies: Sequence[bytes], authorization: str, path: str) -> Posted:
    """POST every body once, ``CLIENTS`` keep-alive connections in threads taking the next body
    in turn; return the wall time from the first request sent to the last answer read. A body
    answered with a 5xx status (its transaction rolled back), or whose connection failed
    before an answer, is sent again on a new connection after ``RETRY_PAUSE_S``, as a gateway
    would, at most ``RETRIES`` times, and counted; any other status but 201 ends the run.
    Every answer must list a selfLink for each observation, once (checked after the clock: a
    body stored twice would show "error")."""
    headers = {"Content-Type": "application/json", "Authorization": authorization}
    answers: list[bytes | None] = [None] * len(bodies)
    latencies: list[float] = [0.0] * len(bodies)
    failures: list[str] = []
    refusals: list[str] = []
    lock = threading.Lock()
    cursor = iter(range(len(bodies)))

    def send(conn: http.client.HTTPConnection, number: int) -> tuple[int | None, bytes]:
        """One try: the status and body of the answer, or None and what went wrong if the
        connection failed first (it is then closed, and reopened by the next request)."""
        try:
            conn.request("POST", path, body=bodies[number], headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            return None, f"{type(exc).__name__}: {exc}".encode()

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=300)
        try:
            while not failures:
                with lock:
                    number = next(cursor, None)
                if number is None:
                    return
                for attempt in range(RETRIES + 1):
                    sent = time.perf_counter()
                    status, data = send(conn, number)
                    latencies[number] = (time.perf_counter() - sent) * 1000
                    if status == 201:
                        answers[number] = data
                        break
                    shown = data[:200].decode(errors="replace")
                    message = f"{status} after {latencies[number]:,.0f} ms: {shown}"
                    if (status is not None and status < 500) or attempt == RETRIES:
                        failures.append(f"{path} answered {message}")
                        return
                    refusals.append(message)
                    conn.close()  # the server may close it after an error
                    time.sleep(RETRY_PAUSE_S)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise BenchError(failures[0])
    return Posted(
        seconds=seconds,
        requests=len(bodies),
        observations=_stored(bodies, answers),
        latencies_ms=latencies,
        retried=len(refusals),
        refusals=refusals,
    )


def _stored(bodies: Sequence[bytes], answers: Sequence[bytes | None]) -> int:
    """The observations the answers report stored: each must list one selfLink per
    observation of its body, and no "error"."""
    stored = 0
    for number, data in enumerate(answers):
        links = json.loads(data or b"null")
        expected = sum(len(g["dataArray"]) for g in json.loads(bodies[number]))
        if not isinstance(links, list) or len(links) != expected or "error" in links:
            raise BenchError(
                f"batch {number}: the answer is not {expected} selfLinks: {data!r:.300}"
            )
        stored += len(links)
    return stored


# "sqlite3.OperationalError: database is locked", also inside a JSON log record's traceback
_ERROR_LINE = re.compile(r"(?:(?<=\\n)|(?<![\w\\]))([\w.]+(?:Error|Exception): [^\\\n\"]{1,200})")


def posted_to(server: Server, bodies: Sequence[bytes], authorization: str) -> Posted:
    """:func:`post_all` to ``CreateObservations``; with the server's errors added to what was
    refused, and the server's log in the error if the run fails."""
    try:
        posted = post_all(server.port, bodies, authorization, f"{PREFIX}/CreateObservations")
    except BenchError as exc:
        raise BenchError(f"{exc}\n{server.name} said:\n{server.log_tail(40)}") from exc
    if posted.retried:
        logged = {m.group(1).strip() for m in _ERROR_LINE.finditer(server.log_tail(2000))}
        posted.refusals += sorted(logged)[:3]
    return posted


_LUA_SINGLE = """
local counter = 0
local first, streams, start = {first}, {streams}, {start}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "{authorization}"
request = function()
  local stream = counter % streams
  local minute = math.floor(counter / streams)
  counter = counter + 1
  local body = string.format(
    '{{"phenomenonTime":"%s","result":%d.%d,"Datastream":{{"@iot.id":%d}}}}',
    os.date("!%Y-%m-%dT%H:%M:%SZ", start + minute * 60), counter % 150, counter % 10,
    first + stream)
  return wrk.format(nil, "{path}", nil, body)
end
"""


def single_script(directory: Path, streams: Streams, start: int, authorization: str) -> Path:
    """A wrk script that POSTs one new Observation per request (a new stream and minute each
    time, so none is a duplicate)."""
    first = streams.ids[0]
    if streams.ids != list(range(first, first + len(streams.ids))):
        raise BenchError("the streams' ids are not consecutive")
    path = directory / f"single-{start}.lua"
    path.write_text(
        _LUA_SINGLE.format(
            first=first,
            streams=len(streams.ids),
            start=start,
            authorization=authorization,
            path=f"{PREFIX}/Observations",
        ),
        encoding="utf-8",
    )
    return path


# --- one database --------------------------------------------------------------------------------


@dataclass
class Case:
    label: str
    batch: int
    posted: Posted


@dataclass
class Single:
    label: str
    result: WrkResult


@dataclass
class Dialect:
    """What one database measured: the cases, the single POSTs, the ceiling's runs."""

    label: str
    cases: list[Case]
    single: Single
    ceiling_times: list[float]
    ceiling_rows: int
    load_average: tuple[float, float]

    @property
    def ceiling_s(self) -> float:
        return min(self.ceiling_times)

    @property
    def ceiling_rate(self) -> float:
        return self.ceiling_rows / self.ceiling_s


def _yesterday() -> int:
    """00:00 UTC yesterday: where the batches' minutes start (the single POSTs use the day
    before, their warm-up the day before that)."""
    now = int(time.time())
    return now - now % 86400 - 86400


def _total() -> int:
    """``POSTED`` rounded up to whole batches of every size."""
    step = max(BATCHES)
    return math.ceil(POSTED / step) * step


def run_sqlite(tmp: Path, wrk_path: str) -> Dialect:
    """The ceiling's runs alternate with the cases (ceiling, 1,000, ceiling, 5,000, ceiling), so
    that both meet the same background load; each case on a fresh copy of the template."""
    work = tmp / "sqlite"
    work.mkdir()
    template = work / "template.db"
    streams, authorization = prepare(f"sqlite:///{template}", work)
    _checkpoint(template)
    start = _yesterday()
    plan = Plan(total=_total(), start=start, streams=len(streams.ids))
    ceiling = SqliteCeiling(template, plan.rows(), streams, work)
    loads = [os.getloadavg()[0]]
    ceiling.run_once()
    cases: list[Case] = []
    single: Single | None = None
    for batch in BATCHES:
        bodies = [body_of(rows, streams) for rows in plan.batches(batch)]
        database = work / f"ours-{batch}.db"
        shutil.copyfile(template, database)
        url = f"sqlite:///{database}"
        _say(f"CreateObservations, SQLite, batches of {batch:,}")
        with running(yiwang_server(url, work, f"sqlite-{batch}")) as server:
            posted = posted_to(server, bodies, authorization)
            if batch == BATCHES[-1]:
                single = measure_single(
                    "SQLite", server.base_url, wrk_path, work, streams, start, authorization
                )
        check_stored(url, posted.observations, single)
        cases.append(Case("SQLite", batch, posted))
        loads.append(os.getloadavg()[0])
        ceiling.run_once()
    if single is None:
        raise BenchError("no single-observation run")
    return Dialect(
        "SQLite", cases, single, ceiling.times, len(ceiling.values), (min(loads), max(loads))
    )


def run_postgres(tmp: Path, wrk_path: str) -> Dialect:
    """As :func:`run_sqlite`: the ceiling in a database of its own, each case in a new one."""
    work = tmp / "postgresql"
    work.mkdir()
    start = _yesterday()
    cases: list[Case] = []
    single: Single | None = None
    with throwaway_postgres("yiwang_bench_sensing_ceiling") as ceiling_url:
        streams = create_streams(ceiling_url)
        plan = Plan(total=_total(), start=start, streams=len(streams.ids))
        ceiling = PostgresCeiling(ceiling_url, plan.rows(), streams)
        loads = [os.getloadavg()[0]]
        try:
            ceiling.run_once()
            for batch in BATCHES:
                with throwaway_postgres("yiwang_bench_sensing_http") as url:
                    streams, authorization = prepare(url, work)
                    bodies = [body_of(rows, streams) for rows in plan.batches(batch)]
                    _say(f"CreateObservations, PostgreSQL, batches of {batch:,}")
                    with running(yiwang_server(url, work, f"postgresql-{batch}")) as server:
                        posted = posted_to(server, bodies, authorization)
                        if batch == BATCHES[-1]:
                            single = measure_single(
                                "PostgreSQL",
                                server.base_url,
                                wrk_path,
                                work,
                                streams,
                                start,
                                authorization,
                            )
                    check_stored(url, posted.observations, single)
                cases.append(Case("PostgreSQL", batch, posted))
                loads.append(os.getloadavg()[0])
                ceiling.run_once()
        finally:
            ceiling.close()
    if single is None:
        raise BenchError("no single-observation run")
    return Dialect(
        "PostgreSQL", cases, single, ceiling.times, len(ceiling.values), (min(loads), max(loads))
    )


def _say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def measure_single(
    label: str,
    base: str,
    wrk_path: str,
    work: Path,
    streams: Streams,
    start: int,
    authorization: str,
) -> Single:
    """One Observation per ``POST /Observations`` under wrk, on the day before the batches'
    data, after a warm-up on the day before that."""
    url = base + f"{PREFIX}/Observations"
    warm = single_script(work, streams, start - 2 * 86400, authorization)
    wrk(wrk_path, url, SINGLE_LOAD, seconds=SINGLE_LOAD.warmup_seconds, script=warm)
    script = single_script(work, streams, start - 86400, authorization)
    return Single(label, wrk(wrk_path, url, SINGLE_LOAD, script=script))


def check_stored(database_url: str, batches: int, single: Single | None) -> None:
    """The posted observations are all in the table, and no more (the single POSTs and their
    warm-up add at least as many as wrk counted)."""
    count = observation_count(database_url)
    least = batches + (single.result.requests if single else 0)
    if count < least or (single is None and count != batches):
        raise BenchError(f"the table holds {count:,} observations; {least:,} were posted")


# --- rows ----------------------------------------------------------------------------------------


def _rate_row(
    case: str, ours: float, peer: float, aim: float | None, **extra: Any
) -> dict[str, Any]:
    ratio = round(ours / peer, 2) if peer else None
    return {
        "case": case,
        "metric": "observations/s",
        "ours": round(ours),
        "peer": round(peer),
        "ratio": ratio,
        "aim": f"≥ {aim:g}" if aim is not None else "(context)",
        "met": (ratio is not None and ratio >= aim) if aim is not None else None,
        **extra,
    }


def dialect_rows(measured: Dialect) -> list[dict[str, Any]]:
    ceiling = (
        "raw `sqlite3` executemany" if measured.label == "SQLite" else "raw COPY (`write_row`)"
    )
    rows: list[dict[str, Any]] = []
    for case in measured.cases:
        what = (
            f"`CreateObservations`, {CLIENTS} clients, batches of {case.batch:,} "
            f"({case.label}, {case.posted.observations:,} observations)"
        )
        latencies = sorted(case.posted.latencies_ms)
        extra = {
            "seconds": round(case.posted.seconds, 2),
            "requests": case.posted.requests,
            "request_p50_ms": round(latencies[len(latencies) // 2], 1),
            "ceiling_s": round(measured.ceiling_s, 3),
            "ceiling_runs_s": [round(t, 3) for t in measured.ceiling_times],
            "retried": case.posted.retried,
        }
        rows += [
            _rate_row(
                f"{what} vs {ceiling} of the same rows",
                case.posted.rate,
                measured.ceiling_rate,
                CEILING_AIM,
                **extra,
            ),
            _rate_row(
                f"{what} vs the {RATE_AIM:,.0f} observations/s aim",
                case.posted.rate,
                RATE_AIM,
                1,
            ),
        ]
    single = measured.single
    rows.append(
        _rate_row(
            f"`POST /Observations`, one per request, {CLIENTS} connections ({single.label}) "
            f"vs FROST-Server's cited {FROST_CITED:,.0f} inserts/s",
            single.result.requests_per_s,
            FROST_CITED,
            None,
            wrk=single.result.as_dict(),
        )
    )
    return rows


def run() -> dict[str, Any]:
    chosen = databases()
    missing = postgres_missing() if "postgresql" in chosen else None
    if missing:
        chosen = [c for c in chosen if c != "postgresql"]
    wrk_path = ensure_wrk()
    measured: list[Dialect] = []
    with temp_dir("yiwang-bench-sensing-http-") as tmp:
        if "sqlite" in chosen:
            measured.append(run_sqlite(tmp, wrk_path))
        if "postgresql" in chosen:
            measured.append(run_postgres(tmp, wrk_path))
    rows = [row for m in measured for row in dialect_rows(m)]
    total = _total()
    notes = [
        f"Ours: `POST {PREFIX}/CreateObservations` with bodies in the dataArray form "
        '(OGC 18-088, 14.2): a list of `{"Datastream": {"@iot.id": n}, "components": '
        '["phenomenonTime", "result"], "dataArray": [[time, number], ...]}`, '
        f"{GROUP_ROWS} one-minute readings of each of batch ÷ {GROUP_ROWS} streams per body "
        f"(a gateway's upload), {total:,} observations per case (the same rows for every "
        f"batch size), prepared before the clock. {CLIENTS} clients (threads with one "
        "keep-alive connection each, in the benchmark's process) post them as fast as the "
        "answers come; the rate is the observations stored ÷ the wall time from the first "
        "request to the last answer. Every answer was checked (201, one selfLink per "
        'observation, no "error"), and the table\'s row count afterwards.',
        f"The server: `yiwang serve --no-worker --no-migrate` (one process) on a freshly "
        f"migrated database holding {STREAMS:,} open Datastreams of one department (located "
        "Things with their FeaturesOfInterest), the observation table empty; the gateway is "
        "an editor of that department (`yiwang user create --role editor`), authenticated "
        "with HTTP Basic and an API token from `yiwang token create` as password. The "
        "engine's ingest hooks (alert rules, the packs' computed indices) run on every batch, "
        "with no rules defined.",
        "Ceilings, same run, the same rows (every column the service writes, ids given), the "
        f"best of {len(BATCHES) + 1} runs alternating with the cases: SQLite: `sqlite3` "
        "`executemany` into the observations table of a fresh copy of the same migrated "
        "database, one transaction, with yiwang's pragmas (WAL, synchronous=NORMAL, foreign "
        "keys on); PostgreSQL: COPY FROM STDIN with psycopg's `write_row` of typed tuples into "
        "the partitioned observations table (its monthly partitions already made, foreign "
        "keys checked), one transaction. Each run's seconds are in the JSON result.",
        f'Single observations: `POST {PREFIX}/Observations` with `{{"phenomenonTime", '
        f'"result", "Datastream": {{"@iot.id"}}}}`, a new stream and minute per request '
        f"(wrk with a Lua script, {SINGLE_LOAD.describe()}), into the database of the "
        f"{BATCHES[-1]:,} batches. For context only: FROST-Server's maintainer expects "
        f'"easily ... 5000 inserts per second" on SSDs with Datastreams inserted in parallel '
        f"({FROST_SOURCE}); not measured here.",
        "The machine has 2 cores, shared by the server, the database and the clients, which "
        "keep both busy (a load average of about 2). The 1-minute load average during the "
        "measurements was "
        + "; ".join(f"{m.label} {m.load_average[0]:.1f}–{m.load_average[1]:.1f}" for m in measured)
        + "; above 2 or so, other work shared the machine and the rates are depressed by it "
        "(the ratios to the ceiling, measured alternately, less so).",
        HOT_SPOTS,
        f"wrk: {wrk_version(wrk_path)}.",
    ]
    notes += [
        f"**{case.posted.retried} of {case.posted.requests} requests answered with an "
        f"error** ({case.label}, batches of {case.batch:,}), sent again after "
        f"{RETRY_PAUSE_S:g} s (the time counts): " + "; ".join(dict.fromkeys(case.posted.refusals))
        for m in measured
        for case in m.cases
        if case.posted.retried
    ]
    if missing:
        notes.append(f"PostgreSQL rows skipped: {missing}.")
    return {
        "title": "Sensing ingest over HTTP: CreateObservations vs the raw insert ceiling",
        "intro": "SensorThings `CreateObservations` (dataArray) by concurrent clients, rows "
        "stored per second end to end, against `executemany`/COPY of the same rows in the "
        "same run; one Observation per request for context.",
        "rows": rows,
        "notes": notes,
        "clients": CLIENTS,
        "posted_per_case": total,
    }
