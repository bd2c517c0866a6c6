"""A flood of requests never locks the server up: requests beyond what the database pool can
serve are refused at once with 503 and Retry-After, and the server answers normally as soon as
the flood ends. (Before admission control, more requests than connections left every thread
waiting for a connection held by a request that waited for a thread to commit.)"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.processes import live_server
from yiwang.core.db import Database

pytestmark = pytest.mark.slow

ROUTE = "/api/v1/departments?limit=5"
CLIENTS = 120
REQUESTS_EACH = 3


@dataclass
class Flood:
    statuses: dict[int, int] = field(default_factory=dict)
    timeouts: int = 0
    busy_without_retry_after: int = 0
    slowest_busy: float = 0.0


async def _client(http: httpx.AsyncClient, flood: Flood) -> None:
    for _ in range(REQUESTS_EACH):
        started = time.monotonic()
        try:
            answer = await http.get(ROUTE)
        except httpx.TimeoutException:
            flood.timeouts += 1
            continue
        flood.statuses[answer.status_code] = flood.statuses.get(answer.status_code, 0) + 1
        if answer.status_code == 503:
            flood.slowest_busy = max(flood.slowest_busy, time.monotonic() - started)
            if answer.headers.get("retry-after") != "1":
                flood.busy_without_retry_after += 1


async def _flood(url: str) -> Flood:
    flood = Flood()
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, timeout=10.0, limits=limits) as http:
        await asyncio.gather(*(_client(http, flood) for _ in range(CLIENTS)))
    return flood


def test_a_flood_never_locks_the_server_up(committed_database: Database, tmp_path: Path) -> None:
    # A pool of 2 (4 with its overflow) against 120 clients at once: far beyond it.
    env = {
        "YIWANG_DB_POOL_SIZE": "2",
        "YIWANG_DB_ADMISSION_QUEUE": "8",
        "YIWANG_DB_ADMISSION_WAIT_MS": "300",
        "YIWANG_LOG_LEVEL": "WARNING",
    }
    with live_server(committed_database, tmp_path, "--no-worker", env=env) as url:
        # In a thread of its own: a test before may have left an event loop on this one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            flood = pool.submit(lambda: asyncio.run(_flood(url))).result(timeout=120)
        assert flood.timeouts == 0, flood
        assert set(flood.statuses) <= {200, 503}, flood
        assert flood.statuses.get(200, 0) > 0, flood
        assert flood.statuses.get(503, 0) > 0, flood  # the flood did pass what the pool holds
        assert flood.busy_without_retry_after == 0
        # Refused at once, or after the short wait in the queue: never held for long.
        assert flood.slowest_busy < 5.0, flood
        # The flood is over: the next requests are answered normally, straight away.
        with httpx.Client(base_url=url, timeout=5.0) as http:
            started = time.monotonic()
            answers = [http.get(ROUTE).status_code for _ in range(20)]
        assert answers == [200] * 20
        assert time.monotonic() - started < 5.0
        busy = httpx.get(url + ROUTE, headers={"Accept-Language": "en"}, timeout=5.0)
        assert busy.status_code == 200
