"""OGC SensorThings API 1.1 (OGC 18-088) over HTTP at ``/sta/v1.1``."""

from __future__ import annotations

from fastapi import FastAPI

from yiwang.core.web.deps import register_csrf_header
from yiwang.core.web.errors import register_renderer
from yiwang.sensing.sta import api
from yiwang.sensing.sta.errors import PREFIX, render_error


def install(app: FastAPI) -> None:
    """Serve SensorThings API 1.1 on ``app``, with errors in FROST-Server's shape. Writes
    authenticated by the web login's cookie must carry the CSRF token in ``X-CSRF-Token``, as
    under ``/api/``; those with a token or HTTP Basic need none."""
    app.include_router(api.router)
    register_renderer(PREFIX, render_error)
    register_csrf_header(PREFIX)


__all__ = ["install"]
