"""Pure ASGI middleware: each request gets an id (``X-Request-ID``), one log line and its time;
request bodies are limited in size."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yiwang.core.requestctx import (
    reset_client_address,
    reset_request_id,
    set_client_address,
    set_request_id,
)

log = logging.getLogger("yiwang.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if incoming and _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = set_request_id(request_id)
        client = scope.get("client")
        address_token = set_client_address(client[0] if client else None)
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status["code"],
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status["code"],
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            reset_client_address(address_token)
            reset_request_id(token)


class BodyTooLarge(HTTPException):
    """A request body over the limit; answered as ``upload.too_large`` (413) in the user's
    language by ``yiwang.core.web.errors``. An HTTP exception, so that FastAPI's body parsing
    passes it on instead of calling the body malformed."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413)
        self.limit = limit


class BodyLimit:
    """Refuse a request body larger than ``max_bytes`` (the largest upload and a margin for
    the form around it) while it is read, so that no route spools an unbounded body to disk.
    The refusal is raised from ``receive``: a route that catches errors to show them on its
    form shows this one too."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = int(value) if value.isdigit() else None
                break
        seen = 0
        limit = self.max_bytes

        async def counted() -> Message:
            nonlocal seen
            if declared is not None and declared > limit:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, receive if declared == 0 else counted, send)


# Scripts only from our own files (no inline script, no eval); styles may be inline because the
# charts and the dashboard's bars set colours and widths in style attributes, and htmx adds its
# indicator style. Data blocks (<script type="application/json">) are not run, so they pass.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
_SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    """Add the security headers to every response: the content security policy, no MIME
    sniffing, no framing, a referrer policy, and HSTS when the request came over HTTPS (the
    scheme is the proxy's ``X-Forwarded-Proto`` only when the proxy is a trusted one: the
    server's ``forwarded_allow_ips``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [h for h in _SECURITY_HEADERS if h[0] not in present]
                if https:
                    extra.append(_HSTS)
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)
