"""Load beyond the comfortable: 200 and 1,000 clients at once for 60 s on a mix of the public
routes a busy Monday morning asks for (the home page, a CKAN search, SensorThings and Open311
listings), on SQLite and on PostgreSQL. What is recorded: requests served, 503s (refused at
once with Retry-After when the server is full), other errors and time-outs, p50 and p99 of the
answers, and how soon the server answers normally once the load ends. The ceiling is the same
server's ``/healthz`` under the same clients (it takes no database).

The clients are one bounded asyncio program (``httpx``): each client sends a request, waits for
its answer (10 s at most), and sends the next; a 503 is counted and the client goes on at once,
so the server is never given a rest it did not ask for.

``python -m bench.bench_load --driver wrk`` runs ``bench_load_wrk`` instead: the same mix from
wrk, which can hold 1,000 connections on this machine, with an upload during the load.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.bench_core_http import prepare, yiwang_server
from bench.support import (
    HOST,
    percentile,
    postgres_missing,
    running,
    temp_dir,
    throwaway_postgres,
)

CLIENTS = (200, 1000)
SECONDS = int(os.environ.get("YIWANG_BENCH_LOAD_SECONDS", "60"))
TIMEOUT = 10.0
MIX = (
    "/",
    "/api/3/action/package_search?q=%E7%A9%BA%E6%B0%94",
    "/sta/v1.1/Datastreams?$top=10",
    "/open311/v2/requests.json?jurisdiction_id=zj.gov.cn",
)


@dataclass
class Tally:
    ok: int = 0
    busy: int = 0  # 503
    errors: int = 0  # other statuses
    timeouts: int = 0  # no answer in TIMEOUT, or the connection failed
    latencies_ok: list[float] = field(default_factory=list)
    latencies_busy: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


async def _client(
    http: httpx.AsyncClient, paths: tuple[str, ...], until: float, tally: Tally
) -> None:
    rng = random.Random()
    while time.monotonic() < until:
        path = rng.choice(paths)
        started = time.perf_counter()
        try:
            response = await http.get(path)
        except (httpx.TimeoutException, httpx.TransportError):
            tally.timeouts += 1
            continue
        spent = (time.perf_counter() - started) * 1000
        tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
        if response.status_code == 200:
            tally.ok += 1
            tally.latencies_ok.append(spent)
        elif response.status_code == 503:
            tally.busy += 1
            tally.latencies_busy.append(spent)
        else:
            tally.errors += 1


async def _load(base_url: str, clients: int, seconds: int, paths: tuple[str, ...]) -> Tally:
    tally = Tally()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=TIMEOUT, limits=limits, headers={"Accept-Language": "zh-CN"}
    ) as http:
        until = time.monotonic() + seconds
        await asyncio.gather(*(_client(http, paths, until, tally) for _ in range(clients)))
    return tally


def recovery(base_url: str, path: str, limit: float = 120.0) -> float | None:
    """Seconds from the end of the load until ``path`` answers 200 within a second, or None."""
    started = time.monotonic()
    with httpx.Client(base_url=base_url, timeout=1.0) as http:
        while time.monotonic() - started < limit:
            with contextlib.suppress(httpx.HTTPError):
                if http.get(path).status_code == 200:
                    return time.monotonic() - started
            time.sleep(0.1)
    return None


def _row(
    label: str, clients: int, what: str, tally: Tally, seconds: int, recovery: Any
) -> dict[str, Any]:
    return {
        "database": label,
        "clients": clients,
        "routes": what,
        "served": tally.ok,
        "served_per_s": round(tally.ok / seconds, 1),
        "busy_503": tally.busy,
        "errors": tally.errors,
        "timeouts": tally.timeouts,
        "p50_ms": round(percentile(tally.latencies_ok, 50), 1) if tally.latencies_ok else None,
        "p99_ms": round(percentile(tally.latencies_ok, 99), 1) if tally.latencies_ok else None,
        "p99_503_ms": round(percentile(tally.latencies_busy, 99), 1)
        if tally.latencies_busy
        else None,
        "recovery_s": None if recovery is None else round(recovery, 2),
    }


def measure(env: dict[str, str], tmp: Path, label: str) -> list[dict[str, Any]]:
    rows = []
    with running(yiwang_server(env, tmp, label)) as server:
        for clients in CLIENTS:
            tally = asyncio.run(_load(server.base_url, clients, SECONDS, MIX))
            recovered = recovery(server.base_url, MIX[1])
            rows.append(_row(label, clients, "mix", tally, SECONDS, recovered))
            ceiling = asyncio.run(_load(server.base_url, clients, min(SECONDS, 20), ("/healthz",)))
            rows.append(
                _row(label, clients, "`/healthz` (ceiling)", ceiling, min(SECONDS, 20), None)
            )
    return rows


def run() -> dict[str, Any]:
    missing = postgres_missing()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(temp_dir("yiwang-bench-load-"))
        urls = {"SQLite": f"sqlite:///{tmp}/load.db"}
        if not missing:
            urls["PostgreSQL"] = stack.enter_context(throwaway_postgres("yiwang_bench_load"))
        places = {label: tmp / label.lower() for label in urls}
        for place in places.values():
            place.mkdir()
        with ThreadPoolExecutor(max_workers=len(urls)) as pool:
            loading = {
                label: pool.submit(prepare, url, places[label]) for label, url in urls.items()
            }
            envs = {label: future.result()[0] for label, future in loading.items()}
        rows: list[dict[str, Any]] = []
        for label in urls:
            rows += measure(envs[label], places[label], label)
    notes = [
        f"`yiwang serve --no-worker` (one uvicorn worker) on a database loaded by `yiwang demo`; "
        f"{SECONDS} s per run; the clients run in one asyncio process on the same 2-core "
        f"machine ({HOST} only), so they take CPU from the server too.",
        "The mix: " + ", ".join(f"`{p}`" for p in MIX) + ", chosen at random per request.",
        "served: 200 answers; busy_503: refused with 503 and Retry-After (the server was "
        "full); errors: any other status; timeouts: no answer within 10 s or a failed "
        "connection. p50/p99 are of the 200 answers; p99_503 how long a refusal took.",
        "recovery_s: from the end of the load until a CKAN search answers 200 within a second.",
        "At 1,000 clients the load program itself is the bottleneck (one Python process on the "
        "same 2 cores): compare the `/healthz` rows, which take no database. "
        "`bench_load_wrk.py` drives the same mix with wrk (C), which holds 1,000 connections.",
    ]
    if missing:
        notes.append(f"PostgreSQL not measured: {missing}.")
    return {
        "title": "Load: 200 and 1,000 clients at once",
        "intro": "No lock-up under load: the database-backed routes keep answering or refuse at "
        "once, and answer normally within seconds once the load ends.",
        "columns": [
            ["database", "database"],
            ["clients", "clients"],
            ["routes", "routes"],
            ["served", "served"],
            ["served_per_s", "served/s"],
            ["busy_503", "503"],
            ["errors", "errors"],
            ["timeouts", "time-outs"],
            ["p50_ms", "p50 ms"],
            ["p99_ms", "p99 ms"],
            ["p99_503_ms", "p99 of 503 ms"],
            ["recovery_s", "recovery s"],
        ],
        "rows": rows,
        "notes": notes,
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.bench_load [--driver python|wrk]``: this benchmark with its Python
    clients, or ``bench_load_wrk`` (wrk's connections, an upload meanwhile); either writes its
    result and rewrites docs/performance.md as ``python -m bench`` does."""
    import argparse  # noqa: PLC0415

    from bench import main as bench_main  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m bench.bench_load")
    parser.add_argument("--driver", choices=("python", "wrk"), default="python")
    args = parser.parse_args(argv)
    return bench_main(["load" if args.driver == "python" else "load_wrk"])


if __name__ == "__main__":
    raise SystemExit(main())
