"""The portal's pages: home, the search across the network and the monitoring dashboard (and its
panels for htmx to refresh). The service hall is in ``hall``, complaints in ``complaints``.
Handlers parse, call the services and render; they hold no SQL."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from yiwang.catalog.public import package_dict
from yiwang.core.web.deps import CurrentActor, SessionDep
from yiwang.core.web.templating import render_page
from yiwang.portal import monitor, service
from yiwang.portal.common import is_zh
from yiwang.portal.dashboard import installed_panels

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, _actor: CurrentActor) -> Response:
    zh = is_zh(request)
    names = service.department_names(session, zh=zh)
    monitored = [panel.heading(zh) for panel in installed_panels(session)]
    return render_page(
        request,
        "portal/home.html",
        {
            "figures": service.figures(session),
            "departments": names,
            "monitored": monitored,
            "examples": service.search_examples(session, data=2, services=1),
        },
    )


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    q: Annotated[str, Query(max_length=service.MAX_QUERY)] = "",
) -> Response:
    results = service.search_network(session, actor=actor, q=q) if q.strip() else None
    base = str(request.base_url).rstrip("/")
    return render_page(
        request,
        "portal/search.html",
        {
            "q": q,
            "results": results,
            "packages": [
                package_dict(session, r, base_url=base)
                for r in (results.datasets if results else [])
            ],
            "departments": service.department_names(session, zh=is_zh(request)),
        },
    )


def _dashboard_context(session: SessionDep) -> dict[str, object]:
    return {"board": monitor.dashboard(session)}


@router.get("/monitor", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, _actor: CurrentActor) -> Response:
    return render_page(request, "portal/monitor.html", _dashboard_context(session))


@router.get("/monitor/panels", response_class=HTMLResponse)
def dashboard_panels(request: Request, session: SessionDep, _actor: CurrentActor) -> Response:
    """The dashboard's panels alone, for htmx to swap in every minute."""
    return render_page(request, "portal/_panels.html", _dashboard_context(session))
