"""Reading the datastore: a distribution's current (or an earlier ready) version as one actor
may read it (the fields shared with them, personal data masked for the public), queried with
filters, full-text, sorting and paging, answered from the coherent cache when it can be, and
audited unless it is open data."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from yiwang.catalog import personal, sharing
from yiwang.catalog.datastore_tables import local_time, physical_name, quote
from yiwang.catalog.datastore_versions import current_version, get_distribution, ready_version
from yiwang.catalog.models import Distribution, Resource, TableVersion
from yiwang.catalog.service import CATALOG
from yiwang.core import audit, cache
from yiwang.core.errors import InvalidInput
from yiwang.core.policy import Actor, DataAccess, require

MAX_LIMIT = 32000


@dataclass
class Access:
    level: DataAccess
    granted_fields: list[str] | None  # None: every field


@dataclass
class ColumnView:
    name: str
    type: str
    physical: str
    personal: str | None
    masked: bool


@dataclass
class TableView:
    """The columns of a version as one actor may read them."""

    version: TableVersion
    columns: list[ColumnView]
    access: Access

    def column(self, name: str) -> ColumnView:
        for column in self.columns:
            if column.name == name:
                return column
        raise InvalidInput("catalog.unknown_field", value=name)


def table_view(version: TableVersion, access: Access) -> TableView:
    columns = []
    for index, meta in enumerate(version.columns):
        name = str(meta["name"])
        if access.granted_fields is not None and name not in access.granted_fields:
            continue
        kind = meta.get("personal")
        columns.append(
            ColumnView(
                name=name,
                type=str(meta["type"]),
                physical=physical_name(index),
                personal=kind,
                masked=bool(kind) and access.level == DataAccess.OPEN,
            )
        )
    return TableView(version=version, columns=columns, access=access)


_BOOLEANS = {
    "true": True,
    "1": True,
    "t": True,
    "yes": True,
    "y": True,
    "是": True,
    "false": False,
    "0": False,
    "f": False,
    "no": False,
    "n": False,
    "否": False,
}


def convert_value(column: ColumnView, value: Any, dialect: str) -> Any:
    """Turn a filter value from the API into what the column holds."""
    if value is None:
        return None
    text_value = str(value).strip()
    try:
        if column.type == "integer":
            return int(text_value)
        if column.type == "decimal":
            return float(text_value) if dialect == "sqlite" else decimal.Decimal(text_value)
        if column.type == "boolean":
            flag = _BOOLEANS[text_value.lower()]
            return int(flag) if dialect == "sqlite" else flag
        if column.type == "date":
            day = dt.date.fromisoformat(text_value)
            return day.isoformat() if dialect == "sqlite" else day
        if column.type == "datetime":
            moment = local_time(dt.datetime.fromisoformat(text_value))
            return moment.isoformat() if dialect == "sqlite" else moment
    except (ValueError, KeyError, decimal.InvalidOperation):
        raise InvalidInput("catalog.bad_value", field=column.name, value=text_value) from None
    return text_value


@dataclass
class Query:
    filters: Mapping[str, Any] | None = None
    q: str | None = None
    fields: Sequence[str] | None = None
    sort: str | None = None
    limit: int = 100
    offset: int = 0
    distinct: bool = False
    include_total: bool = True


@dataclass
class Result:
    columns: list[ColumnView]
    records: list[tuple[Any, ...]]
    total: int | None
    include_id: bool


def where_clauses(view: TableView, query: Query, dialect: str) -> tuple[list[str], dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for position, (name, wanted) in enumerate((query.filters or {}).items()):
        if name == "_id":
            values = wanted if isinstance(wanted, list) else [wanted]
            keys = [f"f{position}_{i}" for i in range(len(values))]
            clauses.append(f'"_id" IN ({", ".join(":" + k for k in keys)})')
            params.update({k: int(v) for k, v in zip(keys, values, strict=True)})
            continue
        column = view.column(name)
        if column.masked:
            # Filtering on masked personal data would let the public test guesses against it.
            raise InvalidInput("catalog.unknown_field", value=name)
        values = wanted if isinstance(wanted, list) else [wanted]
        keys = [f"f{position}_{i}" for i in range(len(values))]
        params.update(
            {k: convert_value(column, v, dialect) for k, v in zip(keys, values, strict=True)}
        )
        if len(keys) == 1:
            clauses.append(f"{column.physical} = :{keys[0]}")
        else:
            clauses.append(f"{column.physical} IN ({', '.join(':' + k for k in keys)})")
    if query.q:
        texts = [c for c in view.columns if c.type == "text" and not c.masked]
        if texts:
            params["q"] = f"%{query.q}%"
            clauses.append("(" + " OR ".join(f"{c.physical} LIKE :q" for c in texts) + ")")
        else:
            clauses.append("1 = 0")
    return clauses, params


def _order(view: TableView, sort: str | None) -> str:
    if not sort:
        return '"_id"'
    parts = []
    for item in sort.split(","):
        words = item.strip().split()
        if not words:
            continue
        name, direction = words[0], (words[1].lower() if len(words) > 1 else "asc")
        if direction not in ("asc", "desc") or len(words) > 2:
            raise InvalidInput("catalog.bad_sort", value=item.strip())
        if name == "_id":
            parts.append(f'"_id" {direction}')
            continue
        column = view.column(name.strip('"'))
        if column.masked:
            raise InvalidInput("catalog.bad_sort", value=name)
        parts.append(f"{column.physical} {direction}")
    return ", ".join([*parts, '"_id"']) if parts else '"_id"'


def _as_bool(value: Any) -> Any:
    return None if value is None else bool(value)


def _outputs(columns: Sequence[ColumnView], dialect: str) -> list[Callable[[Any], Any] | None]:
    """Per column, what a stored value goes through on its way out: masking for personal data
    the reader may not see, and booleans restored on SQLite (which stores 0 and 1)."""
    outputs: list[Callable[[Any], Any] | None] = []
    for column in columns:
        if column.masked and column.personal:
            outputs.append(personal.masker(personal.PersonalKind(column.personal)))
        elif column.type == "boolean" and dialect == "sqlite":
            outputs.append(_as_bool)
        else:
            outputs.append(None)
    return outputs


def select_rows(session: Session, view: TableView, query: Query) -> Result:
    """Run a datastore query against a version (no access check: see :func:`read`)."""
    dialect = session.get_bind().dialect.name
    columns = view.columns
    if query.fields:
        wanted = [f.strip() for f in query.fields if f.strip()]
        columns = [view.column(name) for name in wanted if name != "_id"]
    include_id = not query.distinct and (not query.fields or "_id" in query.fields)
    if query.distinct and any(c.masked for c in columns):
        # DISTINCT sorts and counts the stored (clear) values: it would tell apart, order and
        # count what the masks hide. Refused, as filters and sorts on masked columns are.
        masked = next(c.name for c in columns if c.masked)
        raise InvalidInput("catalog.distinct_masked", value=masked)
    clauses, params = where_clauses(view, query, dialect)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    select_list = ", ".join(([] if not include_id else ['"_id"']) + [c.physical for c in columns])
    table = quote(view.version.table_name)
    limit = max(0, min(int(query.limit), MAX_LIMIT))
    if query.distinct:
        order = ", ".join(c.physical for c in columns) or "1"
        sql = f"SELECT DISTINCT {select_list} FROM {table}{where} ORDER BY {order}"
    else:
        sql = f"SELECT {select_list} FROM {table}{where} ORDER BY {_order(view, query.sort)}"
    sql += f" LIMIT {limit} OFFSET {max(0, int(query.offset))}"
    rows = session.execute(text(sql), params).all()
    outputs = _outputs(columns, dialect)
    offset = 1 if include_id else 0
    records = []
    for row in rows:
        values = list(row)
        for i, output in enumerate(outputs):
            if output is not None:
                values[i + offset] = output(values[i + offset])
        records.append(tuple(values))
    total = None
    if query.include_total:
        if query.distinct:
            total = session.execute(
                text(
                    f"SELECT count(*) FROM (SELECT DISTINCT {select_list} FROM {table}{where}) AS d"
                ),
                params,
            ).scalar_one()
        elif not clauses:
            total = view.version.row_count
        else:
            total = session.execute(
                text(f"SELECT count(*) FROM {table}{where}"), params
            ).scalar_one()
    return Result(columns=columns, records=records, total=total, include_id=include_id)


def access_view(
    session: Session, *, actor: Actor, distribution_id: str, version_number: int | None = None
) -> tuple[TableView, Resource, Distribution]:
    """The table of a distribution as ``actor`` may read it, or PermissionDenied."""
    distribution, resource = get_distribution(session, actor=actor, ref=distribution_id)
    level, fields = sharing.access_for(session, actor=actor, resource=resource)
    require(
        level != DataAccess.NONE,
        "datastore.read",
        object_type="distribution",
        object_id=distribution.id,
    )
    if version_number is None:
        version = current_version(session, distribution)
    else:
        version = ready_version(session, distribution, version_number)
    return table_view(version, Access(level, fields)), resource, distribution


def audit_needed(view: TableView, resource: Resource) -> bool:
    """A read is audited unless it is of open data: shared data, data not open without
    conditions, or personal data shown unmasked."""
    return (
        view.access.level == DataAccess.SHARED
        or resource.open_class != "unconditional"
        or any(c.personal and not c.masked for c in view.columns)
    )


_CACHED_ROWS = 500  # larger answers are not kept


def _cached_rows(session: Session, view: TableView, query: Query) -> Result:
    """:func:`select_rows`, answered from this process's coherent cache when the same query
    was asked of the same version at the same access level (any change to the data bumps the
    ``catalog`` namespace)."""
    store = cache.of(session)
    if store is None:
        return select_rows(session, view, query)
    key = (
        "rows",
        view.version.id,
        view.access.level.value,
        tuple(view.access.granted_fields) if view.access.granted_fields is not None else None,
        json.dumps(query.filters or {}, sort_keys=True, ensure_ascii=False, default=str),
        query.q,
        tuple(query.fields or ()),
        query.sort,
        query.limit,
        query.offset,
        query.distinct,
        query.include_total,
    )
    hit = store.get(session, CATALOG, key)
    if hit is not cache.MISSING:
        return hit  # type: ignore[no-any-return]
    generation = store.begin_load(session, CATALOG)
    result = select_rows(session, view, query)
    if len(result.records) <= _CACHED_ROWS:
        store.put(CATALOG, key, result, generation=generation)
    return result


def read(
    session: Session,
    *,
    actor: Actor,
    distribution_id: str,
    query: Query,
    version_number: int | None = None,
) -> tuple[Result, TableView]:
    """Query a distribution's data as ``actor`` may see it; audited unless it is open data."""
    view, resource, distribution = access_view(
        session, actor=actor, distribution_id=distribution_id, version_number=version_number
    )
    result = _cached_rows(session, view, query)
    if audit_needed(view, resource):
        audit.record_read(
            session,
            actor=actor,
            action="datastore.read",
            object_type="distribution",
            object_id=distribution.id,
            details={
                "access": view.access.level.value,
                "version": view.version.number,
                "rows": len(result.records),
                "filters": dict(query.filters or {}),
                "fields": [c.name for c in result.columns],
            },
        )
    return result, view


def iter_rows(session: Session, view: TableView, *, batch: int = 5000) -> Iterator[tuple[Any, ...]]:
    """Every row of a version in ``_id`` order, masked as ``view`` says, in batches (constant
    memory: keyset pagination, no server-side cursor to hold open)."""
    columns = view.columns
    names = ", ".join(c.physical for c in columns)
    outputs = _outputs(columns, session.get_bind().dialect.name)
    table = quote(view.version.table_name)
    last = 0
    while True:
        rows = session.execute(
            text(
                f'SELECT "_id", {names} FROM {table} '
                f'WHERE "_id" > :last ORDER BY "_id" LIMIT {batch}'
            ),
            {"last": last},
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        for row in rows:
            values = row[1:]
            if any(outputs):
                values = tuple(f(v) if f else v for f, v in zip(outputs, values, strict=True))
            yield tuple(values)
