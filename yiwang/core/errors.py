"""One error type for everything a user can get wrong; rendered as one envelope
``{"error": {"code", "message", "details"}}`` in the caller's language."""

from __future__ import annotations

from typing import Any

from yiwang.core.i18n import translate


class AppError(Exception):
    """An error a user can act on. ``code`` names a message in :mod:`yiwang.core.i18n`."""

    status_code = 400
    headers: dict[str, str] | None = None  # sent with the error's response (Retry-After, ...)

    def __init__(
        self,
        code: str,
        *,
        status_code: int | None = None,
        details: Any = None,
        **params: Any,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
        self.details = details
        if status_code is not None:
            self.status_code = status_code

    def message(self, language: str) -> str:
        return translate(self.code, language, self.params)

    def envelope(self, language: str) -> dict[str, Any]:
        return {
            "error": {"code": self.code, "message": self.message(language), "details": self.details}
        }

    def __str__(self) -> str:
        return self.message("en")


class Busy(AppError):
    """Too much at once: nothing was done; try again after ``Retry-After`` seconds."""

    status_code = 503

    def __init__(self, retry_after: int) -> None:
        super().__init__("server_busy", seconds=retry_after)
        self.headers = {"Retry-After": str(retry_after)}


class InvalidInput(AppError):
    status_code = 422


class NotFound(AppError):
    status_code = 404

    def __init__(self, object_name: str, object_id: Any) -> None:
        super().__init__("object_not_found", object=object_name, id=object_id)


class Conflict(AppError):
    status_code = 409


class Unauthenticated(AppError):
    status_code = 401


class PermissionDenied(AppError):
    """Raised by the policy; the web layer records the refusal in the audit log."""

    status_code = 403

    def __init__(
        self, action: str, *, object_type: str | None = None, object_id: Any = None
    ) -> None:
        super().__init__("policy.denied", action=action)
        self.action = action
        self.object_type = object_type
        self.object_id = object_id
