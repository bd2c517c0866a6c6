"""Portal render: the server-side render of the home page, a dataset page (metadata, preview,
chart) and a service item's page with the demo data loaded, served by ``yiwang serve`` on SQLite
and on PostgreSQL, against the 50 ms p50 target and the same server's ``/healthz``; and the
dashboard's transfer as a browser that accepts gzip receives it, against 1.5 MB.

Set ``BENCH_REQUESTS`` (sequential requests per page, default 200) for a quicker run.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from bench.bench_core_http import prepare, yiwang_server
from bench.support import (
    HOST,
    BenchError,
    Server,
    get_json,
    latencies_of,
    percentile,
    postgres_missing,
    running,
    temp_dir,
    throwaway_postgres,
)

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))
WARMUP = 20
TARGET_P50_MS = 50.0
DASHBOARD_BUDGET = 1_500_000  # bytes over the wire
DATASET = "sensing-environment-air-hourly"  # the demo's air quality: the largest chart
HTML = {"Accept": "text/html", "Accept-Language": "zh-CN"}


@dataclass
class Page:
    """One page measured on one server, or why it was not."""

    label: str
    path: str
    status: int
    body_bytes: int
    latencies: list[float] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        return bool(self.latencies)

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 95)

    @property
    def requests_per_s(self) -> float:
        """On one connection, one request after another: 1,000 ÷ the mean latency in ms."""
        return 1000 * len(self.latencies) / sum(self.latencies)


@dataclass
class Asset:
    path: str
    status: int
    wire_bytes: int
    encoding: str | None


@dataclass
class Run:
    """What one database's ``yiwang serve`` measured."""

    label: str
    healthz: Page
    pages: list[Page]
    transfer: list[Asset] = field(default_factory=list)


# --- one GET, counted ---------------------------------------------------------------------------


@contextlib.contextmanager
def connection(server: Server) -> Iterator[http.client.HTTPConnection]:
    conn = http.client.HTTPConnection(HOST, server.port, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def fetch(
    conn: http.client.HTTPConnection, path: str, headers: dict[str, str]
) -> tuple[int, bytes, int, str | None]:
    """GET ``path``; return the status, the body as it came over the wire (http.client does not
    decompress), the bytes on the wire (status line, headers and body) and the encoding."""
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n".encode())
    head += sum(len(f"{k}: {v}\r\n".encode()) for k, v in response.getheaders()) + 2
    return response.status, body, head + len(body), response.getheader("Content-Encoding")


def measure_page(server: Server, label: str, path: str, *, must_hold: str | None = None) -> Page:
    """GET ``path`` once to check it, then ``REQUESTS`` times after a warm-up, one after the
    other on one keep-alive connection. A page that does not answer 200 is not measured."""
    with connection(server) as conn:
        status, body, _, _ = fetch(conn, path, HTML)
    page = Page(label=label, path=path, status=status, body_bytes=len(body))
    if status != 200:
        return page
    if must_hold is not None and must_hold.encode() not in body:
        raise BenchError(f"{path} does not hold {must_hold!r}; not measuring that")
    page.latencies = latencies_of(
        [server.base_url + path] * (WARMUP + REQUESTS), warmup=WARMUP, headers=HTML
    )
    return page


# --- the dashboard's transfer -------------------------------------------------------------------


class _Loads(HTMLParser):
    """What a browser fetches for a page: scripts, stylesheets, images, and what the page's own
    scripts fetch (the map named by ``data-map-url``, the htmx fragment of ``hx-get``)."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        wanted = []
        if tag in ("script", "img"):
            wanted.append(found.get("src"))
        if tag == "link" and "stylesheet" in (found.get("rel") or "").split():
            wanted.append(found.get("href"))
        wanted += [found.get("data-map-url"), found.get("hx-get")]
        for path in wanted:
            if path and path.startswith("/") and path not in self.paths:
                self.paths.append(path)


def dashboard_transfer(server: Server) -> list[Asset]:
    """``/monitor`` and everything it loads, fetched with ``Accept-Encoding: gzip`` on one
    connection: the bytes a browser with a cold cache receives (the live alert stream aside)."""
    gzip = {"Accept-Encoding": "gzip, deflate", "Accept-Language": "zh-CN"}
    assets = []
    with connection(server) as conn:
        status, body, wire, encoding = fetch(conn, "/monitor", {**gzip, "Accept": "text/html"})
        if status != 200:
            raise BenchError(f"/monitor answered {status}")
        assets.append(Asset("/monitor", status, wire, encoding))
        loads = _Loads()
        loads.feed(body.decode("utf-8"))
        for path in loads.paths:
            status, _, wire, encoding = fetch(conn, path, {**gzip, "Accept": "*/*"})
            if status != 200:
                raise BenchError(f"{path}, loaded by /monitor, answered {status}")
            assets.append(Asset(path, status, wire, encoding))
    return assets


# --- one database -------------------------------------------------------------------------------


def item_code(server: Server) -> str | None:
    """The code of the demo's first service item (办事事项), or None if the cases API does
    not give one."""
    status, body, _ = get_json(server.base_url + "/api/v1/cases/items?kind=service")
    if status != 200 or not isinstance(body, list) or not body:
        return None
    return str(body[0]["code"])


def measure(env: dict[str, str], tmp: Path, label: str, *, transfer: bool) -> Run:
    with running(yiwang_server(env, tmp, label)) as server:
        code = item_code(server)
        healthz = measure_page(server, "`/healthz`", "/healthz")
        pages = [
            measure_page(server, "home", "/"),
            measure_page(server, "dataset", f"/dataset/{DATASET}", must_hold='id="chart-1"'),
            measure_page(server, "service item", f"/services/{urllib.parse.quote(code)}")
            if code is not None
            else Page(label="service item", path="/services/{code}", status=0, body_bytes=0),
        ]
        assets = dashboard_transfer(server) if transfer else []
    for page in pages[:2]:
        if not page.measured:
            raise BenchError(f"{page.path} answered {page.status}; not measuring that")
    return Run(label=label, healthz=healthz, pages=pages, transfer=assets)


# --- rows ---------------------------------------------------------------------------------------

COLUMNS = [
    ["case", "Case"],
    ["p50_ms", "p50, ms"],
    ["p95_ms", "p95, ms"],
    ["requests_per_s", "Requests/s"],
    ["bytes", "Bytes"],
    ["ceiling_p50_ms", "`/healthz` p50, ms"],
    ["ceiling_ratio", "`/healthz` ÷ ours"],
    ["peer", "Target"],
    ["ratio", "Ratio"],
    ["aim", "Aim"],
    ["met", "Met"],
]


def page_row(run: Run, page: Page) -> dict[str, Any]:
    case = f"`GET {page.path}` ({page.label}, {run.label})"
    if not page.measured:
        why = f"answered {page.status}" if page.status else "no item to ask for"
        return {
            "case": f"{case}: not available ({why})",
            "peer": TARGET_P50_MS,
            "aim": "≥ 1",
            "met": None,
            "status": page.status,
        }
    ratio = round(TARGET_P50_MS / page.p50, 2)
    return {
        "case": case,
        "p50_ms": round(page.p50, 2),
        "p95_ms": round(page.p95, 2),
        "requests_per_s": round(page.requests_per_s, 1),
        "bytes": page.body_bytes,
        "ceiling_p50_ms": round(run.healthz.p50, 2),
        "ceiling_ratio": round(run.healthz.p50 / page.p50, 3),
        "peer": TARGET_P50_MS,
        "ratio": ratio,
        "aim": "≥ 1",
        "met": ratio >= 1,
        "p99_ms": round(percentile(page.latencies, 99), 2),
        "requests": len(page.latencies),
    }


def healthz_row(run: Run) -> dict[str, Any]:
    return {
        "case": f"`GET /healthz` ({run.label}): the raw ceiling",
        "p50_ms": round(run.healthz.p50, 2),
        "p95_ms": round(run.healthz.p95, 2),
        "requests_per_s": round(run.healthz.requests_per_s, 1),
        "bytes": run.healthz.body_bytes,
        "aim": "(context)",
        "met": None,
    }


def transfer_row(run: Run) -> dict[str, Any]:
    total = sum(a.wire_bytes for a in run.transfer)
    ratio = round(DASHBOARD_BUDGET / total, 2)
    return {
        "case": f"Dashboard transfer ({run.label}): `/monitor` and the {len(run.transfer) - 1} "
        "files and fragments it loads, gzip accepted",
        "bytes": total,
        "peer": f"{DASHBOARD_BUDGET:,} bytes",
        "ratio": ratio,
        "aim": "≥ 1",
        "met": ratio >= 1,
        "assets": [
            {"path": a.path, "wire_bytes": a.wire_bytes, "encoding": a.encoding}
            for a in run.transfer
        ],
    }


def run() -> dict[str, Any]:
    missing = postgres_missing()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(temp_dir("yiwang-bench-portal-"))
        urls = {"SQLite": f"sqlite:///{tmp}/portal.db"}
        if not missing:
            urls["PostgreSQL"] = stack.enter_context(throwaway_postgres("yiwang_bench_portal"))
        places = {label: tmp / label.lower() for label in urls}
        for place in places.values():
            place.mkdir()
        # The demo loads are the slow part: both at once, before anything is measured.
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(urls)) as pool:
            loading = {
                label: pool.submit(prepare, url, places[label]) for label, url in urls.items()
            }
            envs = {label: future.result()[0] for label, future in loading.items()}
        loaded_s = time.monotonic() - started
        load_before = os.getloadavg()[0]
        runs = [
            measure(envs[label], places[label], label, transfer=label == "SQLite") for label in urls
        ]
        load_after = os.getloadavg()[0]

    rows: list[dict[str, Any]] = []
    for one in runs:
        rows += [page_row(one, page) for page in one.pages]
        rows.append(healthz_row(one))
    rows.append(transfer_row(runs[0]))

    dataset = runs[0].pages[1]
    item = runs[0].pages[2]
    notes = [
        f"Each page: one GET to check it answers 200 (the dataset page must hold its chart), "
        f"then {WARMUP} warm-up and {REQUESTS} measured requests one after the other on one "
        "keep-alive connection (`http.client`), as an anonymous visitor in Chinese; the "
        "latency runs from sending the request to reading the whole body. Requests/s is "
        "1,000 ÷ the mean latency: one connection, no concurrency.",
        "`yiwang serve --no-worker` (one uvicorn worker, `YIWANG_LOG_LEVEL=WARNING`) on a "
        "database loaded by the real `yiwang demo`; the two loads run side by side before "
        "anything is measured. The same URL is asked again and again, so the engines' "
        "coherent caches answer the repeated reads: this is a popular page's cost, the first "
        "visitor after a change pays more.",
        f"The dataset page is `/dataset/{DATASET}` (浙江省环境空气质量自动监测小时数据, "
        f"{dataset.body_bytes:,} bytes of HTML): metadata, a 20-row preview, the chart's "
        "first 500 rows embedded as JSON and its filter values (one distinct query per text "
        "column; for open data the chart is kept in the coherent cache until the data "
        "changes), downloads and API examples.",
        '`/healthz` is the ceiling: the same server\'s cheapest route. "`/healthz` ÷ ours" is '
        "its p50 over the page's: the share of a page's time that is the server's fixed cost.",
        "Dashboard transfer: `/monitor`'s HTML, then every script, stylesheet and image it "
        "names, the map JSON its script fetches (`data-map-url`) and the htmx fragment "
        "(`hx-get`, `/monitor/panels`), each fetched with `Accept-Encoding: gzip`; bytes on "
        "the wire are the status line, headers and body as sent (the vendored files travel "
        "as their `.gz` copies; HTML is not compressed). The live alert stream is not counted.",
    ]
    notes.append(
        f"The demo loads took {loaded_s:.0f} s. The machine's load average (1 min) was "
        f"{load_before:.1f} before the measurements and {load_after:.1f} after them, on "
        f"{os.cpu_count()} CPUs: anything else running on it shows in these latencies."
    )
    if not item.measured and item.status:
        notes.append(
            f"The service item page `{item.path}` answered {item.status}: it is not built yet, "
            "so it was not measured."
        )
    elif not item.measured:
        notes.append(
            "The service item page was not measured: `/api/v1/cases/items?kind=service` gave "
            "no item code."
        )
    if missing:
        notes.append(f"PostgreSQL rows skipped: {missing}.")
    else:
        notes.append(
            f"PostgreSQL: a throw-away database on {HOST}:5432, loaded with the same demo and "
            "dropped afterwards."
        )
    return {
        "title": "Portal: render of the home, dataset and item pages; dashboard transfer",
        "intro": f"p50 of each page against the {TARGET_P50_MS:g} ms target (ratio: target ÷ "
        "p50) and against the same server's `/healthz`, and the bytes a browser receives for "
        "the dashboard against 1.5 MB.",
        "columns": COLUMNS,
        "rows": rows,
        "notes": notes,
        "requests": REQUESTS,
        "warmup": WARMUP,
        "demo_load_s": round(loaded_s, 1),
        "load_average": [round(load_before, 2), round(load_after, 2)],
    }
