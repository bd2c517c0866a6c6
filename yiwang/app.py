"""The ASGI application: core routes, every engine's routes, static files, offline API docs."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from yiwang import __version__, engines, portal
from yiwang.core import tasks  # noqa: F401  (registers the core's job handlers)
from yiwang.core.config import Settings, get_settings
from yiwang.core.db import Database
from yiwang.core.jobs import Worker
from yiwang.core.web import errors
from yiwang.core.web.admission import Admission, EarlyRefusal
from yiwang.core.web.api import health
from yiwang.core.web.api import router as core_api
from yiwang.core.web.deps import SESSION_COOKIE
from yiwang.core.web.middleware import BodyLimit, RequestContext, SecurityHeaders
from yiwang.core.web.pages import router as core_pages
from yiwang.core.web.templating import STATIC_DIR

log = logging.getLogger(__name__)

API_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>yiwang 一网 API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">
<style>
body { margin: 0; }
.portal-bar { padding: 8px 20px; background: #fff; border-bottom: 3px solid #c8102e;
  font: 15px/1.6 "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif; }
.portal-bar a { color: #1d2733; }
.portal-bar a:focus { outline: 3px solid #1a73e8; outline-offset: 1px; }
</style>
</head>
<body>
<nav class="portal-bar" aria-label="一网门户 · yiwang portal">
<a href="/"><span lang="zh-CN">← 返回一网门户</span> · Back to the yiwang portal</a>
</nav>
<div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/js/api-docs.js"></script>
</body>
</html>
"""

DESCRIPTION = """
一网（yiwang）的原生 JSON API。错误统一为 `{"error": {"code", "message", "details"}}`，
消息语言随 `Accept-Language`（中文默认，英文可选）。认证：`Authorization: Bearer <API 令牌>`，
或 HTTP Basic（用户名加密码，或用户名加 API 令牌）。

The native JSON API of yiwang. Errors share one envelope; messages follow `Accept-Language`.
Authenticate with `Authorization: Bearer <API token>` or HTTP Basic.
"""


def create_app(
    settings: Settings | None = None,
    db: Database | None = None,
    *,
    run_worker: bool = False,
) -> FastAPI:
    """Build the application. ``run_worker`` starts a job worker thread inside the process
    (what ``yiwang serve`` does unless told not to)."""
    settings = settings or get_settings()
    db = db or Database(settings.database_url, pool_size=settings.db_pool_size)
    settings.secret()  # generate the secret key now, not in the middle of a request

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if run_worker:
            worker = Worker(db, lease_seconds=settings.job_lease_seconds)
            threading.Thread(target=worker.run_forever, name="job-worker", daemon=True).start()
        yield
        if worker is not None:
            worker.stop()

    app = FastAPI(
        title="yiwang 一网",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    # At most db_pool_size requests hold the database at once, so each can take one more
    # connection for a side transaction and none ever waits for one (the pool holds twice).
    app.state.admission = Admission(
        limit=settings.db_pool_size,
        queue=settings.db_admission_queue,
        wait_seconds=settings.db_admission_wait_ms / 1000,
        priority_queue=settings.db_admission_priority_queue,
    )
    errors.install(app)
    # Bodies up to the largest upload and a megabyte for the form fields around it.
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes + 1024 * 1024)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestContext)
    # Outermost: a flood is refused before anything else runs.
    app.add_middleware(EarlyRefusal, session_cookie=SESSION_COOKIE)
    portal.mount_assets(app)  # the portal's precompressed assets before /static
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount(
        "/api/docs/assets",
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="swagger-assets",
    )

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        # Swagger UI started by a script file of ours (/static/js/api-docs.js), not an inline
        # one, so the page keeps to the content security policy; no call to the public
        # validator: the page must work, and stay, inside the network.
        return HTMLResponse(API_DOCS_PAGE)

    app.include_router(health)
    app.include_router(core_api)
    for engine in engines.load():
        engine.register(app)
    # The portal's pages after the engines' routes (the catalog's /dataset/{ref}.{fmt} before
    # the page /dataset/{ref}), before the core pages.
    portal.register(app)
    app.include_router(core_pages)
    return app


def serve_app() -> FastAPI:
    """The application as ``yiwang serve`` runs it (a factory, so each worker process builds
    its own)."""
    import os  # noqa: PLC0415

    from yiwang.core import logging as ylogging  # noqa: PLC0415

    settings = get_settings()
    ylogging.configure(settings.log_level, settings.log_format)
    embedded = os.environ.get("YIWANG_EMBEDDED_WORKER", "1") != "0"
    return create_app(settings, run_worker=embedded)
