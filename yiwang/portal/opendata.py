"""The open-data pages: search with facets, and a resource's page with its metadata, a preview
of its data, a chart of its numeric columns, downloads and API examples. They call the catalog's
public services (:mod:`yiwang.catalog.public`), as the APIs do, and hold no SQL."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2.utils import htmlsafe_json_dumps

from yiwang.catalog.public import (
    SearchFilters,
    TablePreview,
    dataset_previews,
    get_resource,
    label,
    package_dict,
    search,
)
from yiwang.core import identity
from yiwang.core.codes import division_name
from yiwang.core.web.deps import CurrentActor, SessionDep, request_language
from yiwang.core.web.templating import render_page
from yiwang.portal.service import search_examples

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
    result = search(
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
        for d in identity.departments_by(session)
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
        "portal/opendata/search.html",
        {
            "q": q or "",
            "examples": search_examples(session, data=3, services=0),
            "result": result,
            "facets": facets,
            "page": page,
            "pages": max(1, (result.count + _PAGE - 1) // _PAGE),
            "active": active,
            "packages": [package_dict(session, r, base_url=base) for r in result.resources],
            "departments": departments,
        },
    )


def _embedded(preview: TablePreview) -> TablePreview:
    """``preview`` with its chart's data as JSON for a <script> element, escaped as the tojson
    filter does (<, >, & and ' as \\u escapes) but keeping Chinese as it is: a third of the
    bytes. The chart itself may come from the catalog's cache: it is copied, not changed."""
    if preview.chart is None:
        return preview
    chart = {
        **preview.chart,
        "json": htmlsafe_json_dumps(preview.chart["data"], ensure_ascii=False),
    }
    return dataclasses.replace(preview, chart=chart)


@router.get("/dataset/{ref}", response_class=HTMLResponse)
def dataset_page(request: Request, ref: str, session: SessionDep, actor: CurrentActor) -> Response:
    resource = get_resource(session, actor=actor, ref=ref)
    base = str(request.base_url).rstrip("/")
    package = package_dict(session, resource, base_url=base)
    previews = [_embedded(p) for p in dataset_previews(session, actor=actor, resource=resource)]
    return render_page(
        request,
        "portal/opendata/dataset.html",
        {
            "package": package,
            "resource": resource,
            "previews": previews,
            "frequency": label("frequency", package["update_frequency"], request_language(request)),
            "base": base,
            "charted": any(p.chart for p in previews),
        },
    )
