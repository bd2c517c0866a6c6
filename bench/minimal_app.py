"""The ceiling for the HTTP benchmarks: the least a FastAPI route can do, served by uvicorn
the way ``yiwang serve`` serves the platform (one worker, no access log, uvloop and httptools).

    .venv/bin/python -m uvicorn bench.minimal_app:app --host 127.0.0.1 --port 8001 \\
        --no-access-log --log-level warning
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/min")
async def minimal() -> dict[str, str]:
    """A small JSON object: the cheapest route FastAPI has (no thread pool, no validation)."""
    return {"status": "ok"}


@app.get("/min-sync")
def minimal_sync() -> dict[str, str]:
    """The same object from a plain ``def`` route, which FastAPI runs in its thread pool, as it
    does every route of ours that uses the (synchronous) database session."""
    return {"status": "ok"}


@app.get("/min-list")
def minimal_list() -> dict[str, Any]:
    """A page of 20 small objects built per request, from a ``def`` route like ours: the peer of
    a list endpoint without its database, authentication and response model."""
    return {
        "items": [
            {"id": i, "name": f"item {i}", "code": f"{330000 + i}", "flag": i % 2 == 0}
            for i in range(20)
        ],
        "total": 20,
    }
