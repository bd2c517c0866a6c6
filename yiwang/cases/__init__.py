"""The cases engine: the power list and service items, applications and complaints handled
through one state machine, deadlines in working days, electronic supervision (yellow and red
cards), 好差评 ratings and statistics. Filing is in :mod:`yiwang.cases.filing`, who may see a
case in :mod:`yiwang.cases.access`, finding and listing cases in :mod:`yiwang.cases.queries` and
the state machine in :mod:`yiwang.cases.workflow`. The portal and the command line call only
what :mod:`yiwang.cases.public` offers.

Other engines never import this package. They reach it through :mod:`yiwang.core.contracts`:
they ask for cases (``case.requested``, answered by :mod:`yiwang.cases.intake`), check
applicants when a case is filed (filing checks), offer documents in place of uploads (material
providers), look items up (the case-item directory), and hear of decisions
(``case.decided``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from yiwang.cases import (
    intake,  # noqa: F401  (answers other engines' requests: cases, notes, the item directory)
    models,  # noqa: F401  (registers the tables)
    packs,  # noqa: F401  (the [[cases.items]] section of domain packs)
    tasks,  # noqa: F401  (registers the jobs)
)

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.orm import Session


def register(app: FastAPI) -> None:
    """Serve the cases engine's native API under /api/v1/cases and Open311 GeoReport v2 under
    /open311/v2."""
    from yiwang.cases import api, open311  # noqa: PLC0415

    app.include_router(api.router)
    open311.install(app)


def load_demo(session: Session) -> None:
    """Add the demo's historical cases on the items the domain packs installed."""
    from yiwang.cases import demo  # noqa: PLC0415

    demo.load(session)


__all__ = ["load_demo", "register"]
