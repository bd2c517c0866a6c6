"""The open-data pages: search with facets, and a resource's page with its metadata, a preview
of its data, a chart of its numeric columns, downloads and API examples. They call the same
services as the APIs."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2.utils import htmlsafe_json_dumps
from sqlalchemy.orm import Session

from yiwang.catalog import datastore, service, sharing
from yiwang.catalog.models import Resource
from yiwang.catalog.packages import package_dict
from yiwang.catalog.params import SearchFilters
from yiwang.catalog.vocab import CATEGORIES, LABELS, label
from yiwang.core import cache, identity
from yiwang.core.codes import division_name
from yiwang.core.errors import AppError
from yiwang.core.policy import Actor, DataAccess
from yiwang.core.web.deps import CurrentActor, SessionDep, request_language
from yiwang.core.web.templating import render_page

router = APIRouter(include_in_schema=False)

_PAGE = 20
_PREVIEW_ROWS = 20
CHART_ROWS = 500
"""The most rows a dataset page's chart embeds: the table's first rows, as the preview shows."""
_FILTER_VALUES = 30
"""A text column with at most this many distinct values can filter the chart."""
_NUMERIC_TYPES = ("integer", "decimal")
_TIME_TYPES = ("datetime", "date")
# Columns that name or place things rather than measure or describe them make poor defaults
# for the chart's axes.
_IDENTIFIER_ENDINGS = ("编号", "编码", "代码", "序号", "id", "ID", "Id")
_COORDINATE_ENDINGS = ("经度", "纬度")
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


def _json_value(value: Any) -> Any:
    """A datastore value as JSON holds it (PostgreSQL hands back Decimal, date and datetime
    objects where SQLite has floats and ISO text)."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.date):  # datetime too: both as ISO 8601, without a zone
        return value.isoformat()
    return value


def _default_y(numeric: Sequence[str]) -> str:
    """The numeric column the chart starts with: the first that measures something."""
    for name in numeric:
        if not name.endswith(_IDENTIFIER_ENDINGS + _COORDINATE_ENDINGS):
            return name
    return numeric[0]


def _axis_order(column: datastore.ColumnView) -> tuple[bool, bool]:
    """Dates and times first, then text, codes last (a stable sort keeps the table's order)."""
    return column.type not in _TIME_TYPES, column.name.endswith(_IDENTIFIER_ENDINGS)


def _filters(
    session: Session, *, actor: Actor, distribution_id: str, columns: Sequence[datastore.ColumnView]
) -> list[dict[str, Any]]:
    """The text columns that can filter the chart, each with its distinct values: those with
    two to ``_FILTER_VALUES`` of them (a table in long form, one row per place, measure and
    hour, charts well only filtered)."""
    found = []
    for column in columns:
        result, _ = datastore.read(
            session,
            actor=actor,
            distribution_id=distribution_id,
            query=datastore.Query(
                fields=[column.name],
                distinct=True,
                limit=_FILTER_VALUES + 1,
                include_total=False,
            ),
        )
        if len(result.records) > _FILTER_VALUES:
            continue
        values = [str(r[0]) for r in result.records if r[0] not in (None, "")]
        if len(values) >= 2:
            found.append({"name": column.name, "values": values})
    return found


def _chart(
    session: Session,
    *,
    actor: Actor,
    distribution_id: str,
    columns: Sequence[datastore.ColumnView],
) -> dict[str, Any] | None:
    """What the chart of a table needs: its numeric columns (the y choices), its date, time and
    text columns (the x choices; personal data is never charted), the text columns that can
    filter it, and the table's first rows, all read through the datastore as ``actor`` may
    read them. None when there is nothing to chart."""
    numeric = [c.name for c in columns if c.type in _NUMERIC_TYPES and not c.personal]
    if not numeric:
        return None
    axes = [c for c in columns if c.type in (*_TIME_TYPES, "text") and not c.personal]
    axes.sort(key=_axis_order)
    wanted = [c for c in columns if c.name in numeric or c in axes]
    result, _ = datastore.read(
        session,
        actor=actor,
        distribution_id=distribution_id,
        query=datastore.Query(
            fields=[c.name for c in wanted], limit=CHART_ROWS, include_total=False
        ),
    )
    rows = [[_json_value(v) for v in record] for record in result.records]
    data = {
        "columns": [{"name": c.name, "type": c.type} for c in result.columns],
        "rows": rows,
    }
    return {
        "numeric": numeric,
        "axes": [{"name": c.name, "time": c.type in _TIME_TYPES} for c in axes],
        "timed": any(c.type in _TIME_TYPES for c in axes),
        "filters": _filters(
            session,
            actor=actor,
            distribution_id=distribution_id,
            columns=[c for c in axes if c.type == "text"],
        ),
        "y": _default_y(numeric),
        "x": axes[0].name if axes else "",
        "shown": len(rows),
        "limit": CHART_ROWS,
        # Escaped for a <script> element as the tojson filter does (<, >, & and ' as \u
        # escapes), but keeping Chinese as it is: a third of the bytes.
        "json": htmlsafe_json_dumps(data, ensure_ascii=False),
    }


def _chart_for(
    session: Session,
    *,
    actor: Actor,
    resource: Resource,
    view: datastore.TableView,
    columns: Sequence[datastore.ColumnView],
) -> dict[str, Any] | None:
    """:func:`_chart` for the table ``view`` that ``actor`` has just been allowed to read.
    Reads of open data (not audited) are kept in the process's coherent cache under the same
    terms as the datastore's own (the version, the access level, the fields granted; any
    change to the data bumps the ``catalog`` namespace), so that a popular page does not
    repeat them; every other read goes through the datastore, and its audit, each time."""
    store = cache.of(session)
    distribution_id = view.version.distribution_id
    if store is None or datastore.audit_needed(view, resource):
        return _chart(session, actor=actor, distribution_id=distribution_id, columns=columns)
    granted = view.access.granted_fields
    key = (
        "dataset-page-chart",
        view.version.id,
        view.access.level.value,
        tuple(granted) if granted is not None else None,
    )
    hit = store.get(session, service.CATALOG, key)
    if hit is not cache.MISSING:
        return hit  # type: ignore[no-any-return]
    generation = store.begin_load(session, service.CATALOG)
    chart = _chart(session, actor=actor, distribution_id=distribution_id, columns=columns)
    store.put(service.CATALOG, key, chart, generation=generation)
    return chart


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
            "chart": None,
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
                    query=datastore.Query(limit=_PREVIEW_ROWS),
                )
                preview.update(
                    columns=result.columns,
                    rows=[r[1:] for r in result.records],
                    total=result.total,
                    version=view.version.number,
                    numeric=[c.name for c in result.columns if c.type in _NUMERIC_TYPES],
                    chart=_chart_for(
                        session,
                        actor=actor,
                        resource=resource,
                        view=view,
                        columns=result.columns,
                    ),
                )
            except AppError as exc:
                preview["error"] = exc.code
        previews.append(preview)
    versions = service.current_versions(session, resource)
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
            "charted": any(p["chart"] for p in previews),
        },
    )
