"""Exception handlers that turn every error into the one envelope, in the caller's language;
browsers asking for a page get the same message as a page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from yiwang.core.errors import AppError
from yiwang.core.i18n import EN, MESSAGES, ZH, translate
from yiwang.core.web.deps import PENDING_COOKIE, request_language
from yiwang.core.web.middleware import BodyTooLarge

log = logging.getLogger(__name__)

# Chinese for pydantic's most common complaints; others keep pydantic's English reason.
_REASONS_ZH = {
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符合要求",
    "string_type": "应为字符串",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为布尔值",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "datetime_parsing": "应为日期时间（ISO 8601）",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "greater_than": "必须大于 {gt}",
    "less_than": "必须小于 {lt}",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "extra_forbidden": "不允许的字段",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为列表",
}

_STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 401: "auth.required"}


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form", "cookie")]
    return ".".join(parts) or "-"


def validation_details(errors: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    details = []
    for error in errors:
        kind = error.get("type", "")
        field = _field(tuple(error.get("loc", ())))
        ctx = {
            k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, str | int | float)
        }
        if kind == "missing":
            message = translate("field_missing", language, {"field": field})
        elif kind == "json_invalid":
            message = translate("malformed_json", language)
        elif kind in MESSAGES:
            value = error.get("input")
            message = translate(kind, language, {"value": value, **ctx})
        else:
            reason = error.get("msg", "")
            if language == ZH and kind in _REASONS_ZH:
                try:
                    reason = _REASONS_ZH[kind].format(**ctx)
                except KeyError:
                    reason = _REASONS_ZH[kind]
            message = translate("field_invalid", language, {"field": field, "reason": reason})
        details.append({"field": field, "type": kind, "message": message})
    return details


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/healthz", "/readyz")):
        return False
    return "text/html" in request.headers.get("accept", "")


Renderer = Callable[[Request, int, dict[str, Any], dict[str, str] | None], Response]
_renderers: dict[str, Renderer] = {}


def register_renderer(path_prefix: str, renderer: Renderer) -> None:
    """Let a standard API render errors in its own envelope (CKAN's, Open311's, ...) for the
    paths under ``path_prefix``; it receives the status and our envelope."""
    _renderers[path_prefix] = renderer


def render(
    request: Request, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    for prefix, renderer in _renderers.items():
        if request.url.path.startswith(prefix):
            return renderer(request, status, body, headers)
    if _wants_html(request):
        if status == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            # A login waiting for its second step is led there, before anything else.
            step = "/login/second-factor" if request.cookies.get(PENDING_COOKIE) else "/login"
            return RedirectResponse(f"{step}?next={quote(target)}", status_code=303)
        from yiwang.core.web.templating import render_page  # noqa: PLC0415  (avoids a cycle)

        return render_page(
            request,
            "core/error.html",
            {"error": body["error"], "status": status},
            status_code=status,
            headers=headers,
        )
    return JSONResponse(body, status_code=status, headers=headers)


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)  # noqa: S101
    language = request_language(request)
    headers = {"WWW-Authenticate": 'Bearer realm="yiwang"'} if exc.status_code == 401 else None
    if exc.headers:
        headers = {**(headers or {}), **exc.headers}
    return render(request, exc.status_code, exc.envelope(language), headers)


async def _body_too_large(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BodyTooLarge)  # noqa: S101
    error = AppError("upload.too_large", status_code=413, limit=exc.limit)
    return render(request, 413, error.envelope(request_language(request)))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    language = request_language(request)
    errors = list(exc.errors())
    details = validation_details(errors, language)
    code = (
        "malformed_json"
        if any(e.get("type") == "json_invalid" for e in errors)
        else "validation_failed"
    )
    body = {"error": {"code": code, "message": translate(code, language), "details": details}}
    return render(request, 422, body)


_BODY_NOT_PARSED = "There was an error parsing the body"


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    language = request_language(request)
    code = _STATUS_CODES.get(exc.status_code)
    if exc.status_code == 400 and exc.detail == _BODY_NOT_PARSED:
        code = "malformed_json"  # FastAPI's words for a body json.loads gave up on
    message = translate(code, language) if code else str(exc.detail)
    body = {
        "error": {"code": code or f"http_{exc.status_code}", "message": message, "details": None}
    }
    return render(request, exc.status_code, body, getattr(exc, "headers", None))


def _database_busy(exc: Exception) -> bool:
    """SQLite's single writer lock not obtained within the busy timeout, or PostgreSQL's lock
    timeout or deadlock: the request may simply be tried again."""
    if not isinstance(exc, OperationalError | DBAPIError):
        return False
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "deadlock detected" in text or "lock timeout" in text


def _out_of_range(exc: Exception) -> bool:
    """A number too large for the database (SQLite's 64-bit integers, PostgreSQL's numeric
    types), or a value nested too deep to handle: the request's fault, whatever route it hit."""
    if isinstance(exc, OverflowError | RecursionError):
        return True
    if isinstance(exc, DBAPIError):
        orig = getattr(exc, "orig", None)
        if isinstance(orig, OverflowError):
            return True
        text = str(orig).lower()
        return "out of range" in text or "too large" in text
    return False


def _coded(
    request: Request, status: int, code: str, headers: dict[str, str] | None = None
) -> Response:
    """The envelope of message ``code`` in the request's language, with ``status``."""
    message = translate(code, request_language(request))
    body = {"error": {"code": code, "message": message, "details": None}}
    return render(request, status, body, headers)


async def _out_of_range_error(request: Request, exc: Exception) -> Response:
    log.warning("input out of range: %s", type(exc).__name__)
    return _coded(request, 422, "value_out_of_range")


async def _data_error(request: Request, exc: Exception) -> Response:
    """The database refused a value of the request (PostgreSQL's DataError: out of range, not
    of the column's type): the request's fault."""
    if _out_of_range(exc):
        return await _out_of_range_error(request, exc)
    log.warning("value refused by the database: %s", getattr(exc, "orig", exc))
    return _coded(request, 422, "validation_failed")


async def _integrity_error(request: Request, exc: Exception) -> Response:
    """A write the database's constraints refused (a name or number already taken, a value
    missing) that no check before it caught: nothing was stored; say so, not 500."""
    log.warning("write refused by a constraint: %s", getattr(exc, "orig", exc))
    return _coded(request, 409, "integrity_conflict")


async def _unexpected(request: Request, exc: Exception) -> Response:
    if _out_of_range(exc):
        return await _out_of_range_error(request, exc)
    if _database_busy(exc):
        log.warning("database busy: %s", exc)
        return _coded(request, 503, "database_busy", {"Retry-After": "1"})
    log.error("unhandled error", exc_info=exc)
    return _coded(request, 500, "internal_error")


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(BodyTooLarge, _body_too_large)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Handled where raised (not as a server error): a number the database cannot hold (SQLite's
    # driver raises OverflowError itself), a value nested deeper than a parser goes.
    app.add_exception_handler(OverflowError, _out_of_range_error)
    app.add_exception_handler(RecursionError, _out_of_range_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(Exception, _unexpected)


__all__ = ["EN", "install", "render", "validation_details"]
