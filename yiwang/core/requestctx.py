"""The id of the request (or job) being served, for log lines and audit entries, and the
address it came from, for throttling guesses wherever they are checked."""

from __future__ import annotations

from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("yiwang_request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> object:
    return _request_id.set(value)


def reset_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


_client_address: ContextVar[str | None] = ContextVar("yiwang_client_address", default=None)


def current_client_address() -> str | None:
    """The address of the request being served (None outside a request)."""
    return _client_address.get()


def set_client_address(value: str | None) -> object:
    return _client_address.set(value)


def reset_client_address(token: object) -> None:
    _client_address.reset(token)  # type: ignore[arg-type]
