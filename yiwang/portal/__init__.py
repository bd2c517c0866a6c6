"""The public portal: the home page with a search across the network and live figures, the
monitoring dashboard, the open-data pages (search and a resource's page), the service hall,
complaints and the staff console.

It is an entry point, like the JSON API: it reads the engines' public services and renders
them for citizens; it holds no data of its own.

Importing the portal registers its sections of domain packs, ``[[dashboard.panels]]`` (the
monitoring page's panels, :mod:`yiwang.portal.dashboard`) and ``[search]`` (the examples under
the search boxes, :mod:`yiwang.portal.searchwords`), as importing an engine registers the
engine's: whatever validates or installs packs imports the portal as well as the engines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yiwang.portal import dashboard, searchwords  # noqa: F401  (the portal's sections of packs)

if TYPE_CHECKING:
    from fastapi import FastAPI


def mount_assets(app: FastAPI) -> None:
    """Serve the vendored front-end assets (precompressed). Call it before the general
    ``/static`` mount, which it takes precedence over."""
    from yiwang.portal import assets  # noqa: PLC0415

    assets.mount(app)


def register(app: FastAPI) -> None:
    """Serve the portal's pages. Call it after the engines have registered their routes, whose
    precise patterns must win over the pages' broader ones (the catalog's DCAT export
    ``/dataset/{ref}.{fmt}`` over the open-data page ``/dataset/{ref}``: a ``{ref}`` matches
    dots), and before the core pages, which it takes precedence over."""
    from yiwang.portal import complaints, console, hall, opendata, pages, receipts  # noqa: PLC0415

    app.include_router(pages.router)
    app.include_router(opendata.router)
    app.include_router(hall.router)
    app.include_router(complaints.router)
    app.include_router(receipts.router)
    app.include_router(console.router)


__all__ = ["mount_assets", "register"]
