"""The vendored front-end assets (ECharts, the map of Zhejiang, htmx) served from
``static/vendor/`` with their gzip copies: a browser that accepts gzip gets the ``.gz`` file
made by ``scripts/vendor_assets.sh``, so the dashboard's megabyte of JavaScript travels as a
quarter of that, without compressing on every request. And the site's icon at
``/favicon.ico``, where browsers and feed readers look for it unasked."""

from __future__ import annotations

import mimetypes
import stat

import anyio.to_thread
from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

from yiwang.core.web.templating import STATIC_DIR

VENDOR_DIR = STATIC_DIR / "vendor"
# The icon is an SVG (the character 网 on the brand's red); every page links it, and
# /favicon.ico answers with the same file for those that ask there.
FAVICON = STATIC_DIR / "img" / "favicon.svg"
PREFIX = "/static/vendor"
# The URLs carry the vendored version (``?v=4.9.0``), so a day of caching is safe.
_CACHE = "public, max-age=86400"


def _accepts_gzip(headers: Headers) -> bool:
    return any(
        part.split(";")[0].strip().lower() == "gzip"
        for part in headers.get("accept-encoding", "").split(",")
    )


class PrecompressedFiles(StaticFiles):
    """Static files that answer with ``name.gz`` (``Content-Encoding: gzip``) when it exists
    and the client accepts gzip, and with ``name`` otherwise."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        request_headers = Headers(scope=scope)
        if scope["method"] in ("GET", "HEAD") and _accepts_gzip(request_headers):
            full_path, found = await anyio.to_thread.run_sync(self.lookup_path, path + ".gz")
            if found is not None and stat.S_ISREG(found.st_mode):
                media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
                response: Response = FileResponse(
                    full_path,
                    stat_result=found,
                    media_type=media_type,
                    headers={
                        "Content-Encoding": "gzip",
                        "Vary": "Accept-Encoding",
                        "Cache-Control": _CACHE,
                    },
                )
                if self.is_not_modified(response.headers, request_headers):
                    return NotModifiedResponse(response.headers)
                return response
        response = await super().get_response(path, scope)
        response.headers["Vary"] = "Accept-Encoding"
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = _CACHE
        return response


def _favicon() -> FileResponse:
    return FileResponse(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": _CACHE})


def mount(app: FastAPI) -> None:
    """Serve ``static/vendor/`` at ``/static/vendor`` (before the general ``/static`` mount,
    which would otherwise answer first), and the icon at ``/favicon.ico``."""
    app.mount(PREFIX, PrecompressedFiles(directory=VENDOR_DIR), name="vendor")
    app.add_api_route("/favicon.ico", _favicon, methods=["GET", "HEAD"], include_in_schema=False)
