"""Server-rendered pages: one Jinja2 environment with autoescaping, the page language, the
CSRF token and the signed-in actor available to every template."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from yiwang.core.i18n import translate
from yiwang.core.policy import ANONYMOUS, ROLE_LABELS
from yiwang.core.web.csrf import csrf_token, secure_cookies, set_csrf_cookie
from yiwang.core.web.deps import LANG_COOKIE, request_language

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
STATIC_DIR = Path(__file__).resolve().parents[2] / "static"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["role_labels"] = ROLE_LABELS
    return env


def render_page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    language = request_language(request)
    values = {
        "request": request,
        "lang": language,
        "actor": getattr(request.state, "actor", ANONYMOUS),
        "csrf_token": lambda: csrf_token(request),
        "t": lambda code, **params: translate(code, language, params),
        "zh": language.startswith("zh"),
        **(context or {}),
    }
    html = environment().get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    set_csrf_cookie(request, response)
    chosen = request.query_params.get("lang")
    if chosen and request.cookies.get(LANG_COOKIE) != language:
        response.set_cookie(
            LANG_COOKIE,
            language,
            samesite="lax",
            max_age=365 * 24 * 3600,
            secure=secure_cookies(request),
        )
    return response
