"""What a resource's page shows of its data: for each active table, its first rows as the reader
may read them (masked, audited unless open) and what a chart of its numeric columns needs. The
portal's open-data page renders them (:mod:`yiwang.portal.opendata`); the queries are here."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from yiwang.catalog import datastore, sharing
from yiwang.catalog.models import Distribution, Resource
from yiwang.catalog.service import CATALOG
from yiwang.core import cache
from yiwang.core.errors import AppError
from yiwang.core.policy import Actor, DataAccess

PREVIEW_ROWS = 20
"""The rows a table's preview shows."""
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


@dataclass(frozen=True)
class TablePreview:
    """One active distribution of a resource as its page shows it. ``error`` is ``no_access``
    (the reader may not read the data), ``no_data`` (nothing loaded yet) or the code of the
    error met reading it; otherwise the preview's columns, rows (without ``_id``), the table's
    row count and version, its numeric columns, and ``chart``: what the chart needs (the data
    under ``data``, to embed as JSON), or None when there is nothing to chart."""

    distribution: Distribution
    error: str | None = None
    columns: Sequence[datastore.ColumnView] = ()
    rows: Sequence[Sequence[Any]] = ()
    total: int | None = None
    version: int | None = None
    numeric: Sequence[str] = ()
    chart: dict[str, Any] | None = field(default=None)


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
        "data": {
            "columns": [{"name": c.name, "type": c.type} for c in result.columns],
            "rows": rows,
        },
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
    hit = store.get(session, CATALOG, key)
    if hit is not cache.MISSING:
        return hit  # type: ignore[no-any-return]
    generation = store.begin_load(session, CATALOG)
    chart = _chart(session, actor=actor, distribution_id=distribution_id, columns=columns)
    store.put(CATALOG, key, chart, generation=generation)
    return chart


def _preview(
    session: Session, *, actor: Actor, resource: Resource, distribution: Distribution, rows: int
) -> TablePreview:
    try:
        result, view = datastore.read(
            session,
            actor=actor,
            distribution_id=distribution.id,
            query=datastore.Query(limit=rows),
        )
        chart = _chart_for(
            session, actor=actor, resource=resource, view=view, columns=result.columns
        )
    except AppError as exc:
        return TablePreview(distribution, error=exc.code)
    return TablePreview(
        distribution,
        columns=result.columns,
        rows=[r[1:] for r in result.records],
        total=result.total,
        version=view.version.number,
        numeric=[c.name for c in result.columns if c.type in _NUMERIC_TYPES],
        chart=chart,
    )


def dataset_previews(
    session: Session, *, actor: Actor, resource: Resource, rows: int = PREVIEW_ROWS
) -> list[TablePreview]:
    """The preview of each active distribution of ``resource`` (a resource ``actor`` has been
    allowed to see, by :func:`~yiwang.catalog.service.get_resource`): its first ``rows`` rows
    and its chart, read through the datastore as ``actor`` may read them."""
    level, _ = sharing.access_for(session, actor=actor, resource=resource)
    previews = []
    for distribution in resource.distributions:
        if distribution.state != "active":
            continue
        if level == DataAccess.NONE:
            previews.append(TablePreview(distribution, error="no_access"))
        elif distribution.current_version_id is None:
            previews.append(TablePreview(distribution, error="no_data"))
        else:
            previews.append(
                _preview(
                    session, actor=actor, resource=resource, distribution=distribution, rows=rows
                )
            )
    return previews
