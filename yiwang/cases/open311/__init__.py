"""Open311 GeoReport v2 at ``/open311/v2``: citizens' complaints and suggestions as service
requests, through any GeoReport client, with the Service Discovery document at
``/open311/discovery.{xml,json}``. The cases engine's ``register(app)`` calls
:func:`install`; the layer reaches the engine only through :class:`ComplaintDesk`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yiwang.cases.open311.jurisdictions import Jurisdiction, Jurisdictions, Open311Settings
from yiwang.cases.open311.port import (
    Attribute,
    AttributeValue,
    Category,
    Complaint,
    ComplaintDesk,
    ComplaintQuery,
    Filed,
    Submission,
)

if TYPE_CHECKING:
    from fastapi import FastAPI

PATH_PREFIX = "/open311/"


def install(
    app: FastAPI,
    *,
    desk: ComplaintDesk | None = None,
    jurisdictions: Jurisdictions | None = None,
) -> None:
    """Serve GeoReport v2 on ``app`` with the cases engine's complaints (or ``desk``), for
    the jurisdictions configured by ``YIWANG_OPEN311_JURISDICTIONS`` (or ``jurisdictions``),
    and render every error under ``/open311/`` in the spec's form."""
    from yiwang.cases.open311 import api, errors  # noqa: PLC0415
    from yiwang.core.web.errors import register_renderer  # noqa: PLC0415

    if desk is None:
        from yiwang.cases.open311.adapter import CasesDesk  # noqa: PLC0415

        desk = CasesDesk()
    settings = Open311Settings()
    app.state.open311 = api.Open311(
        desk=desk,
        jurisdictions=jurisdictions or Jurisdictions.from_settings(settings),
        contact=settings.contact,
        key_service=settings.key_service,
    )
    app.include_router(api.router)
    app.include_router(api.discovery_router)
    register_renderer(PATH_PREFIX, errors.render_error)


__all__ = [
    "Attribute",
    "AttributeValue",
    "Category",
    "Complaint",
    "ComplaintDesk",
    "ComplaintQuery",
    "Filed",
    "Jurisdiction",
    "Jurisdictions",
    "Open311Settings",
    "Submission",
    "install",
]
