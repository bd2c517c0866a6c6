"""The catalog engine: the government data-resource catalogue, its datastore, sharing between
departments and open data, served through the native API, CKAN's Action API and DCAT-AP."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yiwang.catalog import (
    loader,  # noqa: F401  (registers the load job)
    packs,  # noqa: F401  (the [[catalog.datasets]] section of domain packs)
)

if TYPE_CHECKING:
    from fastapi import FastAPI


def register(app: FastAPI) -> None:
    """Serve the catalog's native API, CKAN's Action API, the dumps and DCAT-AP (the open-data
    pages are the portal's: :mod:`yiwang.portal.opendata`)."""
    from yiwang.catalog import (  # noqa: PLC0415
        api,
        ckan,
        ckan_datastore,  # noqa: F401  (registers datastore_*)
        exports,
    )
    from yiwang.core.web.deps import register_read_only  # noqa: PLC0415
    from yiwang.core.web.errors import register_renderer  # noqa: PLC0415

    app.include_router(api.router)
    app.include_router(ckan.router)
    app.include_router(exports.router)
    register_renderer("/api/3/action/", ckan.render_error)
    register_renderer("/api/action/", ckan.render_error)
    register_read_only(ckan.is_read_only)


# No load_demo: the demo's resources are the packs' [[catalog.datasets]] (their demo rows drawn
# by the packs' generators), installed with every pack by ``yiwang demo`` before the engines'
# own demo content.

__all__ = ["register"]
