"""Server-rendered pages: one Jinja2 environment with autoescaping, the page language, the
CSRF token and the signed-in actor available to every template, and the ``local_time`` filter
that shows a moment as people in Zhejiang read it (``{{ alert.time|local_time }}``:
``2025-11-17 08:00``, China Standard Time)."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from yiwang.core.clock import CHINA
from yiwang.core.i18n import translate
from yiwang.core.policy import ANONYMOUS, ROLE_LABELS
from yiwang.core.web.csrf import csrf_token, secure_cookies, set_csrf_cookie
from yiwang.core.web.deps import LANG_COOKIE, request_language

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
STATIC_DIR = Path(__file__).resolve().parents[2] / "static"


def local_time(value: dt.datetime | dt.date | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment (aware, naive UTC or ISO 8601 text) in China Standard Time, to the minute
    unless ``fmt`` says otherwise; empty for none. A date, or text that is no time, is shown
    as it is."""
    if not value:
        return ""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        moment = value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(CHINA).strftime(fmt)


_ISO_MOMENT = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?")


def cell_text(value: object) -> str:
    """A value of a published table as a reader reads it: empty for none, a time as
    ``2025-11-17 08:00`` (seconds only when there are some), as published: a table's times are
    its publisher's, in no time zone this page should convert."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    text = str(value)
    moment = _ISO_MOMENT.fullmatch(text)
    if moment is None:
        return text
    day, minutes, seconds = moment.groups()
    shown = seconds if seconds and seconds.strip(":0.") else ""
    return f"{day} {minutes}{shown}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["role_labels"] = ROLE_LABELS
    env.filters["local_time"] = local_time
    env.filters["cell_text"] = cell_text
    return env


# The large-text mode (大字版, GB/T 37668-2019 for older readers): ``?text=large`` or
# ``?text=standard`` chooses it, this cookie keeps the choice.
TEXT_COOKIE = "yiwang_text"
_TEXT_SIZES = ("large", "standard")


def large_text(request: Request) -> bool:
    """Whether the pages are shown in the large-text mode: ``?text=``, then the cookie."""
    chosen = request.query_params.get("text")
    if chosen not in _TEXT_SIZES:
        chosen = request.cookies.get(TEXT_COOKIE)
    return chosen == "large"


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
        "large_text": large_text(request),
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
    text = request.query_params.get("text")
    if text in _TEXT_SIZES and request.cookies.get(TEXT_COOKIE) != text:
        response.set_cookie(
            TEXT_COOKIE,
            text,
            samesite="lax",
            max_age=365 * 24 * 3600,
            secure=secure_cookies(request),
        )
    return response
