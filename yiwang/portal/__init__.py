"""The public portal: the home page with a search across the network and live figures, the
monitoring dashboard, and the entries to open data, services and complaints.

It is an entry point, like the JSON API: it reads the engines' public services and renders
them for citizens; it holds no data of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI


def register(app: FastAPI) -> None:
    """Serve the vendored front-end assets (precompressed) and the portal's pages. Call it
    before the general ``/static`` mount and the core pages, which it takes precedence over."""
    from yiwang.portal import assets, complaints, console, hall, pages  # noqa: PLC0415

    assets.mount(app)
    app.include_router(pages.router)
    app.include_router(hall.router)
    app.include_router(complaints.router)
    app.include_router(console.router)


__all__ = ["register"]
