"""Changing a distribution's current version in place, as CKAN's ``datastore_upsert``,
``datastore_delete`` and the indexes of ``datastore_create`` do: records inserted, updated or
upserted by primary key, rows deleted by filter (or the whole table taken out of service), and
indexes added for filtering and sorting. Only those who may edit the resource do so."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from yiwang.catalog.datastore import (
    Access,
    Query,
    TableView,
    convert_value,
    table_view,
    where_clauses,
)
from yiwang.catalog.datastore_tables import quote
from yiwang.catalog.datastore_versions import current_version, get_distribution, record_change
from yiwang.catalog.models import Distribution, Resource
from yiwang.core import audit
from yiwang.core.errors import InvalidInput
from yiwang.core.policy import Actor, DataAccess, can_edit_resource, require


def _editable(
    session: Session, *, actor: Actor, distribution_id: str, action: str
) -> tuple[Distribution, Resource, TableView]:
    distribution, resource = get_distribution(session, actor=actor, ref=distribution_id)
    require(
        can_edit_resource(actor, department_id=resource.department_id),
        action,
        object_type="distribution",
        object_id=distribution.id,
    )
    version = current_version(session, distribution)
    return distribution, resource, table_view(version, Access(DataAccess.FULL, None))


def upsert(
    session: Session,
    *,
    actor: Actor,
    distribution_id: str,
    records: Sequence[Mapping[str, Any]],
    method: str = "upsert",
) -> int:
    """Insert, update or upsert records in the current version (keyed by its primary key for
    update and upsert); return how many records were written. All or nothing."""
    distribution, _, view = _editable(
        session, actor=actor, distribution_id=distribution_id, action="datastore.upsert"
    )
    dialect = session.get_bind().dialect.name
    keys = [
        c
        for c, meta in zip(view.columns, view.version.columns, strict=True)
        if meta.get("primary_key")
    ]
    if method in ("upsert", "update") and not keys:
        raise InvalidInput(
            "catalog.bad_value", field="method", value=f"{method} needs a primary_key"
        )
    table = quote(view.version.table_name)
    written = 0
    for number, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            raise InvalidInput(
                "catalog.bad_value", field=f"record {number}", value=str(record)[:100]
            )
        values = {
            view.column(name).physical: convert_value(view.column(name), value, dialect)
            for name, value in record.items()
            if name != "_id"
        }
        params = {f"v_{k}": v for k, v in values.items()}
        updated = 0
        if method in ("upsert", "update"):
            missing = [k.name for k in keys if k.physical not in values]
            if missing:
                raise InvalidInput("catalog.bad_value", field=missing[0], value="(missing key)")
            sets = ", ".join(f"{p} = :v_{p}" for p in values if p not in {k.physical for k in keys})
            where = " AND ".join(f"{k.physical} = :v_{k.physical}" for k in keys)
            if sets:
                updated = session.execute(
                    text(f"UPDATE {table} SET {sets} WHERE {where}"), params
                ).rowcount  # type: ignore[attr-defined]
            else:
                updated = len(
                    session.execute(text(f"SELECT 1 FROM {table} WHERE {where}"), params).all()
                )
            if method == "update" and not updated:
                raise InvalidInput(
                    "catalog.bad_value", field=f"record {number}", value="key not found"
                )
        if method == "insert" or (method == "upsert" and not updated):
            names = ", ".join(values)
            marks = ", ".join(f":v_{p}" for p in values)
            session.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), params)
        written += 1
    view.version.row_count = session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    record_change(
        session,
        actor=actor,
        distribution=distribution,
        action="datastore.upsert",
        details={"method": method, "records": written, "version": view.version.number},
    )
    return written


def delete_rows(
    session: Session, *, actor: Actor, distribution_id: str, filters: Mapping[str, Any] | None
) -> int | None:
    """Delete the rows matching ``filters`` from the current version; with no filters, take
    the datastore table out of service (its versions stay, restorable). Return rows deleted."""
    distribution, _, view = _editable(
        session, actor=actor, distribution_id=distribution_id, action="datastore.delete"
    )
    if not filters:
        distribution.current_version_id = None
        record_change(
            session,
            actor=actor,
            distribution=distribution,
            action="datastore.delete",
            details={"version": view.version.number, "all": True},
        )
        return None
    clauses, params = where_clauses(view, Query(filters=filters), session.get_bind().dialect.name)
    table = quote(view.version.table_name)
    deleted = session.execute(
        text(f"DELETE FROM {table} WHERE {' AND '.join(clauses)}"), params
    ).rowcount  # type: ignore[attr-defined]
    view.version.row_count -= deleted
    record_change(
        session,
        actor=actor,
        distribution=distribution,
        action="datastore.delete",
        details={"filters": dict(filters), "rows": deleted},
    )
    return int(deleted)


def add_indexes(
    session: Session,
    *,
    actor: Actor,
    distribution_id: str,
    fields: Sequence[str | Sequence[str]],
) -> list[list[str]]:
    """Index the current version for filtering and sorting: each item is a field, or a list of
    fields for one composite index (filter on the first, sort on the next, as in
    ``[["城市", "金额"]]``). Return the indexes made. Indexes belong to the version: a new load
    starts without them."""
    distribution, _, view = _editable(
        session, actor=actor, distribution_id=distribution_id, action="datastore.index"
    )
    table = view.version.table_name
    done: list[list[str]] = []
    for item in fields:
        names = [item] if isinstance(item, str) else list(item)
        if not names:
            continue
        columns = [view.column(name) for name in names]
        physical = ", ".join(c.physical for c in columns)
        index_name = f"{table}_{'_'.join(c.physical for c in columns)}_idx"
        session.connection().exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS {quote(index_name)} ON {quote(table)} ({physical})"
        )
        done.append(names)
    view.version.columns = [
        {**m, "index": any(str(m["name"]) in names for names in done) or bool(m.get("index"))}
        for m in view.version.columns
    ]
    audit.record(
        session,
        actor=actor,
        action="datastore.index",
        object_type="distribution",
        object_id=distribution.id,
        details={"indexes": done, "version": view.version.number},
    )
    return done
