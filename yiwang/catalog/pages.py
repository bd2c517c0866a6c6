"""The open-data pages: search with facets, and a resource's page with its metadata, a preview
of its data, downloads and API examples. They call the same services as the APIs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from yiwang.catalog import datastore, service, sharing
from yiwang.catalog.models import TableVersion
from yiwang.catalog.packages import package_dict
from yiwang.catalog.params import SearchFilters
from yiwang.catalog.vocab import CATEGORIES, LABELS, label
from yiwang.core.codes import division_name
from yiwang.core.errors import AppError
from yiwang.core.identity import Department
from yiwang.core.policy import DataAccess
from yiwang.core.web.deps import CurrentActor, SessionDep, request_language
from yiwang.core.web.templating import render_page

router = APIRouter(include_in_schema=False)

_PAGE = 20
_FACET_TITLES = {
    "organization": ("提供部门", "Department"),
    "groups": ("资源分类", "Category"),
    "city": ("地区", "City"),
    "res_format": ("格式", "Format"),
    "open_class": ("开放类型", "Open class"),
    "update_frequency": ("更新周期", "Update frequency"),
}


def _facet_label(name: str, key: str, language: str, departments: dict[str, str]) -> str:
    if name == "organization":
        return departments.get(key, key)
    if name == "groups":
        return label("category", key, language)
    if name == "city":
        return division_name(key) or key
    if name == "open_class":
        return label("open", key, language)
    if name == "update_frequency":
        return label("frequency", key, language)
    return key


@router.get("/dataset", response_class=HTMLResponse)
def search_page(
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    active: SearchFilters,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=10000)] = 1,
) -> Response:
    result = service.search(
        session,
        actor=actor,
        q=q,
        filters=active,
        limit=_PAGE,
        offset=(page - 1) * _PAGE,
        facet_fields=list(_FACET_TITLES),
    )
    language = request_language(request)
    departments = {
        d.slug: (d.name_zh if language.startswith("zh") else d.name_en or d.name_zh)
        for d in session.scalars(select(Department))
    }
    base = str(request.base_url).rstrip("/")
    facets = [
        {
            "name": name,
            "title": _FACET_TITLES[name],
            "items": [
                {
                    "key": key,
                    "count": n,
                    "label": _facet_label(name, key, language, departments),
                    "selected": key in (active.get(name) or []),
                }
                for key, n in counts.items()
            ],
        }
        for name, counts in result.facets.items()
    ]
    return render_page(
        request,
        "catalog/search.html",
        {
            "q": q or "",
            "result": result,
            "facets": facets,
            "page": page,
            "pages": max(1, (result.count + _PAGE - 1) // _PAGE),
            "active": active,
            "packages": [package_dict(session, r, base_url=base) for r in result.resources],
            "departments": departments,
        },
    )


@router.get("/dataset/{ref}", response_class=HTMLResponse)
def dataset_page(request: Request, ref: str, session: SessionDep, actor: CurrentActor) -> Response:
    resource = service.get_resource(session, actor=actor, ref=ref)
    base = str(request.base_url).rstrip("/")
    package = package_dict(session, resource, base_url=base)
    level, _ = sharing.access_for(session, actor=actor, resource=resource)
    previews = []
    for distribution in resource.distributions:
        if distribution.state != "active":
            continue
        preview: dict[str, Any] = {
            "distribution": distribution,
            "columns": [],
            "rows": [],
            "error": None,
            "total": None,
            "numeric": [],
        }
        if level == DataAccess.NONE:
            preview["error"] = "no_access"
        elif distribution.current_version_id is None:
            preview["error"] = "no_data"
        else:
            try:
                result, view = datastore.read(
                    session,
                    actor=actor,
                    distribution_id=distribution.id,
                    query=datastore.Query(limit=20),
                )
                preview.update(
                    columns=result.columns,
                    rows=[r[1:] for r in result.records],
                    total=result.total,
                    version=view.version.number,
                    numeric=[c.name for c in result.columns if c.type in ("integer", "decimal")],
                )
            except AppError as exc:
                preview["error"] = exc.code
        previews.append(preview)
    versions = {}
    for distribution in resource.distributions:
        if distribution.current_version_id:
            versions[distribution.id] = session.get(TableVersion, distribution.current_version_id)
    return render_page(
        request,
        "catalog/dataset.html",
        {
            "package": package,
            "resource": resource,
            "previews": previews,
            "access": level.value,
            "base": base,
            "labels": LABELS,
            "categories": CATEGORIES,
            "versions": versions,
        },
    )
