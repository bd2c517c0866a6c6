"""CSRF protection for forms and cookie-authenticated API calls.

The browser holds a random value in an HttpOnly cookie; pages embed an HMAC of it, signed
with the secret key. A forged request from another site can send the cookie but cannot know
the signature."""

from __future__ import annotations

import secrets

from fastapi import Request, Response

from yiwang.core.config import Settings
from yiwang.core.errors import AppError
from yiwang.core.security import sign, signature_matches

CSRF_COOKIE = "yiwang_csrf"
_PURPOSE = "csrf"


class CsrfFailed(AppError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__("auth.csrf_failed")


def csrf_token(request: Request) -> str:
    """Return the token to embed in a form, creating the cookie value when there is none."""
    settings: Settings = request.app.state.settings
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not value:
        value = secrets.token_urlsafe(24)
        request.state.new_csrf = value
    return sign(settings.secret(), _PURPOSE, value)


def secure_cookies(request: Request) -> bool:
    """Whether cookies go only over HTTPS: always when configured so, and whenever this request
    came over HTTPS (directly, or through a trusted proxy's X-Forwarded-Proto)."""
    settings: Settings = request.app.state.settings
    return settings.cookie_secure or request.url.scheme == "https"


def set_csrf_cookie(request: Request, response: Response) -> None:
    """Send the CSRF cookie if :func:`csrf_token` created a new one for this page."""
    value = getattr(request.state, "new_csrf", None)
    if value:
        response.set_cookie(
            CSRF_COOKIE, value, httponly=True, samesite="lax", secure=secure_cookies(request)
        )


def check_csrf(request: Request, submitted: str | None) -> None:
    settings: Settings = request.app.state.settings
    value = request.cookies.get(CSRF_COOKIE)
    if (
        not value
        or not submitted
        or not signature_matches(settings.secret(), _PURPOSE, value, submitted)
    ):
        raise CsrfFailed
