"""CKAN's DataStore actions (``datastore_*``), registered with the Action API in
:mod:`yiwang.catalog.ckan`."""

from __future__ import annotations

import csv
import decimal
import io
from typing import Any

from yiwang.catalog import datastore, datastore_edits, loader
from yiwang.catalog.ckan import Call, CkanValidation, action
from yiwang.catalog.packages import ckan_type


def _fields(columns: list[datastore.ColumnView], include_id: bool) -> list[dict[str, Any]]:
    fields = [{"id": "_id", "type": "int"}] if include_id else []
    return fields + [
        {
            "id": c.name,
            "type": ckan_type(c.type),
            "info": {"personal": c.personal, "masked": c.masked},
        }
        for c in columns
    ]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@action("datastore_search")
def datastore_search(call: Call) -> dict[str, Any]:
    resource_id = str(call.require("resource_id"))
    filters = call.json_value("filters", {}) or {}
    if not isinstance(filters, dict):
        raise CkanValidation({"filters": ["Not a JSON object"]})
    fields = call.json_value("fields")
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",")]
    q = call.get("q") or None
    if q is not None and not isinstance(q, str):
        # CKAN also takes {field: text}; ours searches the whole row: say so, never a 500.
        raise CkanValidation(
            {
                "q": [
                    "Must be text (a search per field is not offered; use filters for exact values)"
                ]
            }
        )
    query = datastore.Query(
        filters=filters,
        q=q,
        fields=fields,
        sort=call.get("sort"),
        limit=call.integer("limit", 100, high=datastore.MAX_LIMIT),
        offset=call.integer("offset", 0),
        distinct=str(call.get("distinct", "")).lower() in ("true", "1"),
        include_total=str(call.get("include_total", "true")).lower() not in ("false", "0"),
    )
    result, _ = datastore.read(
        call.session, actor=call.actor, distribution_id=resource_id, query=query
    )
    field_list = _fields(result.columns, result.include_id)
    names = [f["id"] for f in field_list]
    records_format = call.get("records_format") or "objects"
    records: Any
    if records_format == "objects":
        records = [dict(zip(names, map(_plain, row), strict=True)) for row in result.records]
    elif records_format == "lists":
        records = [[_plain(v) for v in row] for row in result.records]
    elif records_format in ("csv", "tsv"):
        out = io.StringIO()
        writer = csv.writer(
            out, delimiter="," if records_format == "csv" else "\t", lineterminator="\n"
        )
        writer.writerows([[_plain(v) for v in row] for row in result.records])
        records = out.getvalue()
    else:
        raise CkanValidation({"records_format": [f"Unknown format: {records_format}"]})
    base = f"/api/3/action/datastore_search?resource_id={resource_id}"
    data: dict[str, Any] = {
        "resource_id": resource_id,
        "fields": field_list,
        "records": records,
        "records_format": records_format,
        "limit": query.limit,
        "offset": query.offset,
        "_links": {"start": base, "next": f"{base}&offset={query.offset + query.limit}"},
    }
    if query.filters:
        data["filters"] = query.filters
    if query.q:
        data["q"] = query.q
    if query.sort:
        data["sort"] = query.sort
    if result.total is not None:
        data["total"] = result.total
        data["total_was_estimated"] = False
    return data


@action("datastore_search_sql")
def datastore_search_sql(call: Call) -> dict[str, Any]:
    from yiwang.catalog import sql  # noqa: PLC0415

    return sql.run(
        call.session, actor=call.actor, statement=str(call.require("sql")), settings=call.settings
    )


@action("datastore_create")
def datastore_create(call: Call) -> dict[str, Any]:
    resource_id = call.get("resource_id")
    if not resource_id:
        spec = call.json_value("resource") or {}
        if not isinstance(spec, dict) or not spec.get("package_id"):
            raise CkanValidation({"resource_id": ["Missing value"]})
        distribution = loader.add_distribution(
            call.session,
            actor=call.actor,
            resource_ref=str(spec["package_id"]),
            name=str(spec.get("name") or "datastore"),
            description=spec.get("description"),
            format=spec.get("format"),
        )
        resource_id = distribution.id
    fields = call.json_value("fields", []) or []
    records = call.json_value("records", []) or []
    if not fields and records and isinstance(records[0], dict):
        fields = [{"id": key, "type": "text"} for key in records[0]]
    if not fields:
        raise CkanValidation({"fields": ["Missing value"]})
    primary_key = call.json_value("primary_key", []) or []
    if isinstance(primary_key, str):
        primary_key = [k.strip() for k in primary_key.split(",") if k.strip()]
    version = loader.create_from_records(
        call.session,
        actor=call.actor,
        distribution_id=str(resource_id),
        fields=fields,
        records=records,
        primary_key=primary_key,
    )
    indexes = call.json_value("indexes", []) or []
    if isinstance(indexes, str):
        indexes = [k.strip() for k in indexes.split(",") if k.strip()]
    if indexes:
        datastore_edits.add_indexes(
            call.session, actor=call.actor, distribution_id=str(resource_id), fields=indexes
        )
    return {
        "resource_id": resource_id,
        "fields": [{"id": c["name"], "type": ckan_type(c["type"])} for c in version.columns],
        "method": "insert",
    }


@action("datastore_upsert")
def datastore_upsert(call: Call) -> dict[str, Any]:
    records = call.json_value("records", []) or []
    method = str(call.get("method") or "upsert")
    if method not in ("upsert", "insert", "update"):
        raise CkanValidation({"method": [f"Unknown method: {method}"]})
    resource_id = str(call.require("resource_id"))
    datastore_edits.upsert(
        call.session, actor=call.actor, distribution_id=resource_id, records=records, method=method
    )
    return {"resource_id": resource_id, "method": method, "records": records}


@action("datastore_delete")
def datastore_delete(call: Call) -> dict[str, Any]:
    resource_id = str(call.require("resource_id"))
    filters = call.json_value("filters", {}) or {}
    if not isinstance(filters, dict):
        raise CkanValidation({"filters": ["Not a JSON object"]})
    datastore_edits.delete_rows(
        call.session, actor=call.actor, distribution_id=resource_id, filters=filters
    )
    return {"resource_id": resource_id, "filters": filters}


@action("datastore_info")
def datastore_info(call: Call) -> dict[str, Any]:
    view, _, _ = datastore.access_view(
        call.session, actor=call.actor, distribution_id=str(call.require("id"))
    )
    return {
        "meta": {"count": view.version.row_count, "version": view.version.number},
        "fields": _fields(view.columns, False),
    }
