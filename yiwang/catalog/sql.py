"""CKAN's ``datastore_search_sql``: read-only SQL over the datastore, off unless an operator
turns it on. A statement is one SELECT; it names tables by their distribution ids and columns
by their names; only allow-listed functions may appear; it runs under a time limit in a
read-only transaction. Tables with personal data are refused unless the caller may read them
unmasked."""

from __future__ import annotations

import re
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from yiwang.catalog import datastore
from yiwang.core import audit
from yiwang.core.config import Settings
from yiwang.core.errors import AppError, InvalidInput
from yiwang.core.policy import Actor, DataAccess

ALLOWED_FUNCTIONS = frozenset(
    {
        "count",
        "sum",
        "avg",
        "min",
        "max",
        "round",
        "abs",
        "lower",
        "upper",
        "length",
        "substr",
        "substring",
        "coalesce",
        "nullif",
        "cast",
        "trim",
        "replace",
        "date",
        "strftime",
        "date_trunc",
        "extract",
        "to_char",
        "ceil",
        "floor",
        "distinct",
    }
)
_KEYWORDS_AS_CALLS = frozenset(
    {
        "in",
        "exists",
        "as",
        "and",
        "or",
        "not",
        "over",
        "from",
        "where",
        "values",
        "on",
        "using",
        "filter",
    }
)
_FORBIDDEN = re.compile(
    r"\b(insert|update|delete|drop|alter|create|grant|revoke|attach|detach|pragma|vacuum|copy|"
    r"truncate|set|reset|begin|commit|rollback|savepoint|release|lock|call|do|execute|load|"
    r"listen|notify|into)\b",
    re.IGNORECASE,
)
_TABLE_REF = re.compile(r'"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"')
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_\.]*)\s*\(")
_STRING = re.compile(r"'(?:[^']|'')*'")


def _reject(reason: str) -> AppError:
    return InvalidInput("catalog.sql_rejected", reason=reason)


def check(statement: str) -> str:
    """Return the statement without a trailing semicolon, or raise naming what is refused."""
    body = statement.strip().rstrip(";").strip()
    bare = _STRING.sub("''", body)
    if ";" in bare:
        raise _reject("one statement only")
    if "--" in bare or "/*" in bare:
        raise _reject("no comments")
    if not re.match(r"^(select|with)\b", bare, re.IGNORECASE):
        raise _reject("only SELECT")
    forbidden = _FORBIDDEN.search(bare)
    if forbidden:
        raise _reject(forbidden.group(0))
    for name in _CALL.findall(bare):
        if name.lower() not in ALLOWED_FUNCTIONS and name.lower() not in _KEYWORDS_AS_CALLS:
            raise _reject(f"function {name}")
    return body


def run(session: Session, *, actor: Actor, statement: str, settings: Settings) -> dict[str, Any]:
    if not settings.datastore_sql_enabled:
        raise InvalidInput("catalog.sql_disabled", status_code=403)
    body = check(statement)
    replacements: dict[str, str] = {}
    audited = []
    for distribution_id in set(_TABLE_REF.findall(body)):
        view, resource, _ = datastore.access_view(
            session, actor=actor, distribution_id=distribution_id
        )
        if datastore.audit_needed(view, resource):
            audited.append((distribution_id, view, resource))
        if any(c.personal for c in view.columns) and view.access.level == DataAccess.OPEN:
            raise _reject(f"{distribution_id} holds personal data")
        columns = ", ".join(
            ['"_id"'] + [f"{c.physical} AS {datastore.quote(c.name)}" for c in view.columns]
        )
        replacements[distribution_id] = (
            f"(SELECT {columns} FROM {datastore.quote(view.version.table_name)})"
        )
    if not replacements:
        raise _reject("name a table by its resource id in double quotes")
    rewritten = _TABLE_REF.sub(lambda m: f'{replacements[m.group(1)]} AS "{m.group(1)}"', body)
    query = text(f"SELECT * FROM ({rewritten}) AS q LIMIT 32000")
    # Read-only and time-limited inside a savepoint, whose rollback undoes both settings.
    savepoint = session.begin_nested()
    try:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            connection.exec_driver_sql(
                f"SET LOCAL statement_timeout = {int(settings.datastore_sql_timeout_ms)}"
            )
            rows = session.execute(query).mappings().all()
        else:
            raw = connection.connection.driver_connection
            deadline = time.monotonic() + settings.datastore_sql_timeout_ms / 1000
            raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10000)  # type: ignore[union-attr]
            try:
                rows = session.execute(query).mappings().all()
            finally:
                raw.set_progress_handler(None, 0)  # type: ignore[union-attr]
    except DBAPIError as exc:
        raise _reject(str(exc.orig).splitlines()[0][:200]) from None
    finally:
        savepoint.rollback()
    for distribution_id, view, _resource in audited:
        audit.record_read(
            session,
            actor=actor,
            action="datastore.sql",
            object_type="distribution",
            object_id=distribution_id,
            details={"sql": statement[:2000], "access": view.access.level.value},
        )
    records = [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        for row in rows
    ]
    fields = [{"id": key, "type": "text"} for key in (rows[0].keys() if rows else [])]
    return {"sql": statement, "records": records, "fields": fields}
