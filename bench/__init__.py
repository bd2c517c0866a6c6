"""yiwang's benchmark harness.

Every module ``bench/bench_<name>.py`` exposes ``run() -> dict``: a JSON-serialisable result
with a ``"title"``, a list of ``"rows"`` (each with the measured number, the ceiling or peer
number and their ratio), ``"notes"`` and, optionally, ``"columns"`` (``[[key, label], ...]``,
the table's columns in order) and ``"intro"`` (a sentence above the table).

``python -m bench [NAME ...]`` runs the benchmarks (all, or those whose name matches one of the
arguments) in this one process, writes ``bench/results/<name>.json`` for each with the date and
the machine's facts, then rewrites ``docs/performance.md`` from every result file present, so
that results of benchmarks not run this time stay in the document.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import math
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
DOC = REPO / "docs" / "performance.md"
PACKAGES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "pydantic",
    "uvloop",
    "httptools",
    "psycopg",
)
PREFIX = "bench_"


# --- discovery ---------------------------------------------------------------------------------


def discover() -> list[str]:
    """The benchmark names (``bench_core_http.py`` is ``core_http``), sorted."""
    return sorted(p.stem.removeprefix(PREFIX) for p in BENCH_DIR.glob(f"{PREFIX}*.py"))


def select(names: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """The benchmarks named exactly by ``wanted`` (with or without the prefix), or else whose
    name contains it."""
    if not wanted:
        return list(names)
    chosen: list[str] = []
    for arg in wanted:
        want = arg.removesuffix(".py").removeprefix("bench/").removeprefix(PREFIX)
        matches = [n for n in names if n == want] or [n for n in names if want in n]
        if not matches:
            raise SystemExit(
                f"bench: no benchmark matches {want!r}; there are: {', '.join(names) or '(none)'}"
            )
        chosen += [m for m in matches if m not in chosen]
    return chosen


# --- machine facts -----------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def nproc() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 0


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_revision() -> str | None:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}{' (with uncommitted changes)' if dirty.strip() else ''}" if head else None


def machine() -> dict[str, Any]:
    return {
        "nproc": nproc(),
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
    }


# --- running -----------------------------------------------------------------------------------


def run_one(name: str) -> dict[str, Any]:
    module = importlib.import_module(f"bench.{PREFIX}{name}")
    started = time.monotonic()
    result = module.run()
    for key in ("title", "rows", "notes"):
        if key not in result:
            raise TypeError(f"bench_{name}.run() returned no {key!r}")
    return {
        "name": name,
        "date": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "commit": git_revision(),
        "machine": machine(),
        "elapsed_s": round(time.monotonic() - started, 1),
        **result,
    }


def write_result(result: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{result['name']}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load_results() -> list[dict[str, Any]]:
    results = []
    for path in sorted(RESULTS_DIR.glob("*.json")):
        try:
            results.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            print(f"bench: skipping {path}: {exc}", file=sys.stderr)
    return results


# --- docs/performance.md -----------------------------------------------------------------------

INTRO = """\
# Performance

This file is written by `make bench` (that is `.venv/bin/python -m bench`): do not edit it by
hand. Each benchmark is a module `bench/bench_<name>.py`; `python -m bench core_http` runs only
the benchmarks whose name matches. Every run writes `bench/results/<name>.json` (the numbers,
the date, the commit and the machine) and rewrites this file from every result file present, so
a benchmark not run this time keeps its last table.

Every row compares what we measured with a **ceiling or peer**, measured in the same run on the
same machine (or, where there is no peer, with the target). The **ratio** is always arranged so
that **higher is better** and 1 means "as good as the ceiling":

- throughput (requests/s): ours ÷ ceiling;
- latency (p99) and times (cold start): ceiling ÷ ours, so a ratio of 0.5 means our latency is
  twice the ceiling's.

"Aim" is the ratio the benchmark should reach; "met" says whether this run reached it. The
numbers are only what the run measured, on the machine named under each table: compare runs on
the same kind of machine only.
"""

DEFAULT_COLUMNS = (
    ("case", "Case"),
    ("metric", "Metric"),
    ("ours", "Ours"),
    ("peer", "Ceiling / peer"),
    ("ratio", "Ratio"),
    ("aim", "Aim"),
    ("met", "Met"),
)


def fmt_number(value: float) -> str:
    if math.isnan(value):
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if value and abs(value) < 0.01:
        return f"{value:.2g}"
    return f"{value:.2f}"


def fmt(value: Any) -> str:
    """A table cell: numbers to a sensible precision, booleans as yes/no, None as a dash."""
    if value is None:
        text = "—"
    elif isinstance(value, bool):
        text = "yes" if value else "**no**"
    elif isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, float):
        text = fmt_number(value)
    else:
        text = str(value).replace("|", "\\|").replace("\n", " ")
    return text


def render_table(result: dict[str, Any]) -> list[str]:
    columns = [tuple(c) for c in result.get("columns") or DEFAULT_COLUMNS]
    rows = result.get("rows") or []
    if not rows:
        return ["(no rows)"]
    lines = [
        "| " + " | ".join(label for _, label in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    lines += ["| " + " | ".join(fmt(row.get(key)) for key, _ in columns) + " |" for row in rows]
    return lines


def machine_line(result: dict[str, Any]) -> str:
    m = result.get("machine", {})
    packages = m.get("packages", {})
    shown = ", ".join(
        f"{n} {packages[n]}" for n in ("fastapi", "uvicorn", "sqlalchemy") if n in packages
    )
    commit = f", commit {result['commit']}" if result.get("commit") else ""
    return (
        f"Measured {result.get('date', '?')}{commit}, on {m.get('nproc', '?')} × "
        f"{m.get('cpu_model', '?')}, Python {m.get('python', '?')}, {shown}."
    )


def render(results: Sequence[dict[str, Any]]) -> str:
    parts = [INTRO]
    if not results:
        parts.append("\nNo benchmark has been run yet.\n")
    for result in results:
        section = [f"## {result['title']}", ""]
        section += [f"`bench/bench_{result['name']}.py`. {result.get('intro', '')}".rstrip(), ""]
        section += render_table(result)
        section += ["", machine_line(result)]
        notes = result.get("notes") or []
        if notes:
            section += ["", "Notes:", ""] + [f"- {note}" for note in notes]
        parts.append("\n" + "\n".join(section) + "\n")
    return "".join(parts)


def write_doc(results: Sequence[dict[str, Any]]) -> Path:
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(render(results), encoding="utf-8")
    return DOC


# --- entry point -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in {"-h", "--help"}:
        print(
            "usage: python -m bench [NAME ...]   run the benchmarks (all, or those matching)\n"
            "       python -m bench --docs       only rewrite docs/performance.md\n\n"
            "benchmarks: " + ", ".join(discover())
        )
        return 0
    if args == ["--docs"]:
        print(f"bench: wrote {write_doc(load_results()).relative_to(REPO)}", file=sys.stderr)
        return 0
    names = select(discover(), args)
    failed = []
    for name in names:
        print(f"bench: running {name}", file=sys.stderr, flush=True)
        try:
            result = run_one(name)
        except Exception:  # noqa: BLE001 (one broken benchmark must not lose the others')
            traceback.print_exc()
            failed.append(name)
            continue
        path = write_result(result)
        print(
            f"bench: {name} done in {result['elapsed_s']} s -> {path.relative_to(REPO)}",
            file=sys.stderr,
        )
        print("\n".join(render_table(result)), flush=True)
    doc = write_doc(load_results())
    print(f"bench: wrote {doc.relative_to(REPO)}", file=sys.stderr)
    if failed:
        print(
            f"bench: FAILED: {', '.join(failed)} (their previous results, if any, are kept)",
            file=sys.stderr,
        )
        return 1
    return 0
