"""Core HTTP: ``/healthz`` and an authenticated ``GET /api/v1/departments`` against a minimal
FastAPI route served the same way, in one run; requests/s and p99 as a ratio to the minimal
route (aim: at least 0.6), and the cold start of ``yiwang serve``.

Set ``BENCH_SECONDS`` to shorten or lengthen each measurement (default 10 s).
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.support import (
    HOST,
    REPO,
    VENV_BIN,
    BenchError,
    Load,
    Server,
    WrkResult,
    clean_env,
    ensure_wrk,
    free_port,
    get_json,
    measure,
    run_cli,
    running,
    temp_dir,
    wrk_version,
)

AIM = 0.6
COLD_START_TARGET_S = 2.0
COLD_STARTS = 3
PG_ADMIN_URL = f"postgresql://postgres@{HOST}:5432/postgres"
LOAD = Load(seconds=int(os.environ.get("BENCH_SECONDS", "10")))
YIWANG = str(VENV_BIN / "yiwang")
DEPARTMENTS = "/api/v1/departments"


@dataclass
class Ours:
    """What one database's run of ``yiwang serve`` measured."""

    healthz: WrkResult | None
    departments: WrkResult
    items: int
    body_bytes: int
    cold_starts: list[float]


# --- the servers -------------------------------------------------------------------------------


def minimal_server(tmp: Path) -> Server:
    port = free_port()
    return Server(
        name="minimal FastAPI app",
        args=[
            str(VENV_BIN / "python"),
            "-m",
            "uvicorn",
            "bench.minimal_app:app",
            "--host",
            HOST,
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        port=port,
        env=clean_env(),
        cwd=REPO,
        log_path=tmp / "minimal.log",
    )


def yiwang_server(env: Mapping[str, str], tmp: Path, label: str) -> Server:
    port = free_port()
    return Server(
        name=f"yiwang serve ({label})",
        args=[YIWANG, "serve", "--host", HOST, "--port", str(port), "--no-worker"],
        port=port,
        env=dict(env),
        cwd=tmp,
        log_path=tmp / f"serve-{label}.log",
    )


def prepare(database_url: str, tmp: Path) -> tuple[dict[str, str], str]:
    """Migrate and load the demo into ``database_url``; return the environment to serve it
    with and an API token of the demo's ``admin``."""
    env = clean_env(
        YIWANG_DATABASE_URL=database_url,
        YIWANG_VAR_DIR=str(tmp / "var"),
        YIWANG_LOG_LEVEL="WARNING",
    )
    run_cli([YIWANG, "demo"], env=env, cwd=tmp, timeout=300)
    token = run_cli([YIWANG, "token", "create", "admin"], env=env, cwd=tmp).strip()
    if not token or len(token.split()) != 1:
        raise BenchError(f"yiwang token create printed no token: {token!r}")
    return env, token


def check_departments(server: Server, headers: Mapping[str, str]) -> tuple[int, int]:
    """Make sure the departments list answers 200 with items (a benchmark of a 401 is
    worthless); return how many items and how many bytes."""
    status, body, size = get_json(server.base_url + DEPARTMENTS, headers)
    items = body.get("items") if isinstance(body, dict) else None
    if status != 200 or not items:
        raise BenchError(f"{DEPARTMENTS} answered {status} {body!r:.300}; not measuring that")
    return len(items), size


def measure_ours(
    wrk_path: str, database_url: str, tmp: Path, label: str, *, healthz: bool, cold_starts: int
) -> Ours:
    env, token = prepare(database_url, tmp)
    headers = {"Authorization": f"Bearer {token}"}
    starts = []
    for _ in range(cold_starts):  # on the database migrated above: what a restart costs
        server = yiwang_server(env, tmp, label)
        try:
            server.start()
            starts.append(server.wait_ready("/healthz", timeout=60, interval=0.01))
        finally:
            server.stop()
    with running(yiwang_server(env, tmp, label)) as server:
        items, size = check_departments(server, headers)
        health = measure(wrk_path, server.base_url + "/healthz", LOAD) if healthz else None
        departments = measure(wrk_path, server.base_url + DEPARTMENTS, LOAD, headers)
    return Ours(
        healthz=health, departments=departments, items=items, body_bytes=size, cold_starts=starts
    )


def measure_minimal(wrk_path: str, tmp: Path) -> dict[str, WrkResult]:
    with running(minimal_server(tmp), ready_path="/min") as server:
        for path in ("/min", "/min-sync", "/min-list"):
            status, _, _ = get_json(server.base_url + path)
            if status != 200:
                raise BenchError(f"the minimal app answered {status} on {path}")
        return {
            path: measure(wrk_path, server.base_url + path, LOAD)
            for path in ("/min", "/min-sync", "/min-list")
        }


# --- PostgreSQL --------------------------------------------------------------------------------


def postgres_missing() -> str | None:
    """Why PostgreSQL cannot be used here, or None if it can."""
    try:
        import psycopg  # noqa: PLC0415
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({type(exc).__name__})"
    return None


def measure_postgres(wrk_path: str, tmp: Path) -> Ours:
    import psycopg  # noqa: PLC0415
    from psycopg import sql  # noqa: PLC0415

    name = f"yiwang_bench_{os.getpid()}"
    database = sql.Identifier(name)
    with psycopg.connect(PG_ADMIN_URL, connect_timeout=5, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(database))
    try:
        pg_tmp = tmp / "pg"
        pg_tmp.mkdir()
        return measure_ours(
            wrk_path,
            f"postgresql://postgres@{HOST}:5432/{name}",
            pg_tmp,
            "postgresql",
            healthz=False,
            cold_starts=0,
        )
    finally:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=5, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))


# --- rows --------------------------------------------------------------------------------------


def ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 2) if denominator else None


def http_rows(
    case: str, ours: WrkResult, peer: WrkResult, aim: float | None
) -> list[dict[str, Any]]:
    """Two rows: requests/s (ours ÷ peer) and p99 (peer ÷ ours), so higher is better in both."""
    rows = []
    for metric, mine, theirs, r in (
        (
            "requests/s",
            ours.requests_per_s,
            peer.requests_per_s,
            ratio(ours.requests_per_s, peer.requests_per_s),
        ),
        ("p99 latency, ms", ours.p99_ms, peer.p99_ms, ratio(peer.p99_ms, ours.p99_ms)),
    ):
        rows.append(
            {
                "case": case,
                "metric": metric,
                "ours": round(mine, 2),
                "peer": round(theirs, 2),
                "ratio": r,
                "aim": f"≥ {aim}" if aim is not None else "(context)",
                "met": (r is not None and r >= aim) if aim is not None else None,
                "ours_wrk": ours.as_dict(),
                "peer_wrk": peer.as_dict(),
            }
        )
    return rows


def run() -> dict[str, Any]:
    wrk_path = ensure_wrk()
    notes: list[str] = []
    with temp_dir("yiwang-bench-http-") as tmp:
        peer = measure_minimal(wrk_path, tmp)
        sqlite_tmp = tmp / "sqlite"
        sqlite_tmp.mkdir()
        sqlite = measure_ours(
            wrk_path,
            f"sqlite:///{sqlite_tmp}/bench.db",
            sqlite_tmp,
            "sqlite",
            healthz=True,
            cold_starts=COLD_STARTS,
        )
        missing = postgres_missing()
        postgres = None if missing else measure_postgres(wrk_path, tmp)

    if sqlite.healthz is None:  # measured above; this keeps the type checker informed
        raise BenchError("/healthz was not measured")
    rows = http_rows("`GET /healthz` vs `GET /min`", sqlite.healthz, peer["/min"], AIM)
    rows += http_rows(
        f"`GET {DEPARTMENTS}` (SQLite) vs `GET /min`", sqlite.departments, peer["/min"], AIM
    )
    if postgres is not None:
        rows += http_rows(
            f"`GET {DEPARTMENTS}` (PostgreSQL) vs `GET /min`",
            postgres.departments,
            peer["/min"],
            AIM,
        )
    rows += http_rows(
        f"`GET {DEPARTMENTS}` (SQLite) vs `GET /min-list`",
        sqlite.departments,
        peer["/min-list"],
        None,
    )
    if postgres is not None:
        rows += http_rows(
            f"`GET {DEPARTMENTS}` (PostgreSQL) vs `GET /min-list`",
            postgres.departments,
            peer["/min-list"],
            None,
        )
    cold = statistics.median(sqlite.cold_starts)
    cold_ratio = ratio(COLD_START_TARGET_S, cold)
    rows.append(
        {
            "case": f"`yiwang serve` cold start (SQLite) vs the {COLD_START_TARGET_S:g} s target",
            "metric": f"s to first 200 from /healthz, median of {COLD_STARTS}",
            "ours": round(cold, 2),
            "peer": COLD_START_TARGET_S,
            "ratio": cold_ratio,
            "aim": "≥ 1",
            "met": cold_ratio is not None and cold_ratio >= 1,
            "samples_s": [round(s, 3) for s in sqlite.cold_starts],
        }
    )

    notes += [
        f"Load: {LOAD.describe()}; {wrk_version(wrk_path)}. wrk and the server share the "
        "machine's cores, so the absolute numbers are lower than on a dedicated client.",
        "Both servers run alone, one after the other, in the same run: `yiwang serve --host "
        "127.0.0.1 --no-worker` (one uvicorn worker, no access log, `YIWANG_LOG_LEVEL=WARNING`) "
        "and `python -m uvicorn bench.minimal_app:app --no-access-log --log-level warning`; "
        "uvicorn picks uvloop and httptools for both.",
        '`/min` is an `async def` route returning `{"status": "ok"}` (the ceiling), like our '
        "`/healthz`; `/min-list` is a plain `def` route (run in the thread pool) returning 20 "
        "small objects built per request, the cheapest list a FastAPI app serves from a "
        'thread. Rows marked "(context)" have no aim: they show where the gap to the ceiling '
        "comes from.",
        f"`GET {DEPARTMENTS}` authenticates the bearer token and serves the page from the "
        "process's coherent cache (`yiwang.core.cache`): after the first request it reaches "
        "the database only to check, once a second, that no node changed the data. What is "
        "left of the gap to `/min` is FastAPI's own work per request (dependency solving, "
        "routing, exit stacks: about 60% of the server's profile).",
        f"`GET {DEPARTMENTS}` is the demo data's first page ({sqlite.items} items, "
        f"{sqlite.body_bytes:,} bytes) with `Authorization: Bearer <API token of admin>`; "
        "it was checked to answer 200 with items before it was measured, and every measured "
        "request answered 2xx.",
        f"Cold start samples (s): {', '.join(f'{s:.2f}' for s in sqlite.cold_starts)}; each "
        "is the time from spawning `yiwang serve` (which still checks the migrations) until "
        "`/healthz` first answers 200, polled every 10 ms.",
    ]
    if missing:
        notes.append(f"PostgreSQL rows skipped: {missing}.")
    else:
        notes.append(
            f"PostgreSQL: a throw-away database on {HOST}:5432, loaded with the same "
            "demo and dropped afterwards."
        )
    errors = [
        f"{row['case']} {side}: {row[f'{side}_wrk']['socket_errors']}"
        for row in rows
        if "ours_wrk" in row
        for side in ("ours", "peer")
        if any(row[f"{side}_wrk"]["socket_errors"].values())
    ]
    if errors:
        notes.append("wrk socket errors: " + "; ".join(dict.fromkeys(errors)) + ".")
    return {
        "title": "Core HTTP: health probe and department list vs a minimal FastAPI route",
        "intro": "Throughput and p99 of our routes as a ratio to a minimal FastAPI app served "
        "the same way, and the cold start of `yiwang serve`.",
        "rows": rows,
        "notes": notes,
        "wrk": wrk_version(wrk_path),
        "load": {
            "threads": LOAD.threads,
            "connections": LOAD.connections,
            "seconds": LOAD.seconds,
            "warmup_seconds": LOAD.warmup_seconds,
        },
    }
