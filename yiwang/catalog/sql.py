"""CKAN's ``datastore_search_sql``: read-only SQL over the datastore, off unless an operator
turns it on (``YIWANG_DATASTORE_SQL_ENABLED``).

What a caller may send: exactly one SELECT (CTEs, subqueries, joins, UNION / INTERSECT /
EXCEPT included) whose tables are datastore resources named by their ids in double quotes, or
CTEs of the statement itself, and whose functions and cast types are on the lists below. Every
resource is checked with the policy ``datastore_search`` uses, and the statement sees it only as
that search would show it: the fields the caller may read, personal data masked.

The rule is enforced twice:

1. :func:`check` parses the statement with sqlglot in the database's dialect. Every node of the
   tree must be of a listed type with listed parts, every function on the list, every table a
   CTE in scope or a resource id. The SQL that runs is generated from the checked tree, never
   the text as sent, so what was checked is what runs.
2. :func:`run` replaces each resource by a temporary view made for this statement alone, which
   yields the readable columns under their names, masked values in place of personal data. The
   statement then runs where the database itself refuses everything else: on SQLite under an
   authorizer callback that lets the statement read only those views (and the views only their
   own table), and call only listed functions; on PostgreSQL as the role
   ``yiwang_datastore_reader``, which holds no privilege but SELECT on those views.

Everything happens inside a savepoint that is rolled back, whatever the outcome: the views, the
grants, the role, the read-only mode and the time limit last for the statement alone.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import sqlglot
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.scope import traverse_scope

from yiwang.catalog import datastore, datastore_tables, personal
from yiwang.core import audit
from yiwang.core.config import Settings
from yiwang.core.errors import AppError, InvalidInput
from yiwang.core.policy import Actor

log = logging.getLogger(__name__)

READER_ROLE = "yiwang_datastore_reader"
"""The PostgreSQL role statements run as: NOLOGIN, no privileges of its own (migration 0009)."""

MAX_ROWS = datastore.MAX_LIMIT
MAX_STATEMENT = 20_000
"""Characters; longer statements are refused before they are parsed."""

_MAX_VALUE_BYTES = 16 * 1024 * 1024
"""SQLite: no string or blob the statement builds may be longer (a doubling recursive CTE)."""

_MASK_FUNCTION = "yiwang_mask"
_MASK_BATCH = 5000
_RESOURCE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_GLOT_DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres"}

# --- what a statement may contain ---------------------------------------------------------------

_BINARY = frozenset({"this", "expression"})
_NEGATABLE = frozenset({"this", "expression", "negate"})  # IS NOT, NOT LIKE
_SET_OPERATION = frozenset({"with_", "this", "expression", "distinct", "order", "limit", "offset"})

NODES: Mapping[type[exp.Expr], frozenset[str]] = {
    # Statements and their clauses.
    exp.Select: frozenset(
        {
            "with_",
            "expressions",
            "distinct",
            "from_",
            "joins",
            "where",
            "group",
            "having",
            "windows",
            "order",
            "limit",
            "offset",
        }
    ),
    exp.Union: _SET_OPERATION,
    exp.Intersect: _SET_OPERATION,
    exp.Except: _SET_OPERATION,
    exp.Subquery: frozenset({"this", "alias", "order", "limit", "offset"}),
    exp.With: frozenset({"expressions", "recursive"}),
    exp.CTE: frozenset({"this", "alias", "materialized"}),
    exp.TableAlias: frozenset({"this", "columns"}),
    exp.From: frozenset({"this"}),
    exp.Join: frozenset({"this", "on", "side", "kind", "using", "method"}),
    exp.Table: frozenset({"this", "alias", "db", "catalog"}),  # further checked: _tables
    exp.Values: frozenset({"expressions", "alias"}),
    exp.Where: frozenset({"this"}),
    exp.Group: frozenset({"expressions"}),
    exp.Having: frozenset({"this"}),
    exp.Order: frozenset({"expressions"}),
    exp.Ordered: frozenset({"this", "desc", "nulls_first"}),
    exp.Limit: frozenset({"expression", "offset"}),
    exp.Offset: frozenset({"expression"}),
    exp.Distinct: frozenset({"expressions", "on"}),
    exp.Window: frozenset({"this", "partition_by", "order", "spec", "alias", "over"}),
    exp.WindowSpec: frozenset({"kind", "start", "start_side", "end", "end_side"}),
    exp.Filter: frozenset({"this", "expression"}),
    # Names and values.
    exp.Alias: frozenset({"this", "alias"}),
    exp.Column: frozenset({"this", "table"}),
    exp.Identifier: frozenset({"this", "quoted"}),
    exp.Star: frozenset(),
    exp.Literal: frozenset({"this", "is_string"}),
    exp.Null: frozenset(),
    exp.Boolean: frozenset({"this"}),
    exp.Interval: frozenset({"this", "unit"}),
    exp.Var: frozenset({"this"}),  # further checked: only as a unit of time
    exp.DataType: frozenset({"this", "expressions"}),  # further checked: CAST_TYPES
    exp.DataTypeParam: frozenset({"this"}),
    exp.Paren: frozenset({"this"}),
    exp.Tuple: frozenset({"expressions"}),
    # Operators.
    exp.And: _BINARY,
    exp.Or: _BINARY,
    exp.Not: frozenset({"this"}),
    exp.Neg: frozenset({"this"}),
    exp.EQ: _BINARY,
    exp.NEQ: _BINARY,
    exp.GT: _BINARY,
    exp.GTE: _BINARY,
    exp.LT: _BINARY,
    exp.LTE: _BINARY,
    exp.NullSafeEQ: _BINARY,
    exp.NullSafeNEQ: _BINARY,
    exp.Is: _NEGATABLE,
    exp.Like: _NEGATABLE,
    exp.ILike: _NEGATABLE,
    exp.Escape: _BINARY,
    exp.Between: frozenset({"this", "low", "high", "symmetric"}),
    exp.In: frozenset({"this", "expressions", "query"}),
    exp.Exists: frozenset({"this"}),
    exp.Any: frozenset({"this"}),
    exp.All: frozenset({"this"}),
    exp.Case: frozenset({"this", "ifs", "default"}),
    exp.Add: _BINARY,
    exp.Sub: _BINARY,
    exp.Mul: _BINARY,
    exp.Div: frozenset({"this", "expression", "typed", "safe"}),
    exp.Mod: frozenset({"this", "expression", "safe"}),
    exp.DPipe: frozenset({"this", "expression", "safe"}),
}
"""The node types a statement may be built of, each with the parts it may have. Anything else
(INTO, FOR UPDATE, placeholders, LATERAL, TABLESAMPLE, arrays, JSON operators, schema-qualified
columns, ...) is refused."""

FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(
    {
        # aggregates
        exp.Count,
        exp.Sum,
        exp.Avg,
        exp.Min,
        exp.Max,
        exp.GroupConcat,  # group_concat, string_agg
        exp.Stddev,
        exp.StddevPop,
        exp.StddevSamp,
        exp.Variance,
        exp.VariancePop,
        # numbers
        exp.Round,
        exp.Abs,
        exp.Ceil,
        exp.Floor,
        exp.Sign,
        exp.Sqrt,
        exp.Pow,
        # text
        exp.Lower,
        exp.Upper,
        exp.Length,  # length, char_length
        exp.Substring,  # substr, substring
        exp.Trim,  # trim, ltrim, rtrim
        exp.Replace,
        exp.StrPosition,  # instr, position, strpos
        exp.Concat,
        exp.Left,
        exp.Right,
        # conditions and conversions
        exp.Coalesce,  # coalesce, ifnull
        exp.Nullif,
        exp.If,  # iif
        exp.Greatest,
        exp.Least,
        exp.Cast,  # further checked: CAST_TYPES
        # dates and times
        exp.Date,
        exp.Time,
        exp.Datetime,
        exp.TimeToStr,  # strftime (SQLite), to_char (PostgreSQL)
        exp.TsOrDsToTimestamp,  # how sqlglot wraps strftime's argument
        exp.ToChar,
        exp.DateTrunc,
        exp.TimestampTrunc,  # date_trunc
        exp.Extract,  # extract, date_part
        exp.CurrentDate,
        exp.CurrentTime,
        exp.CurrentTimestamp,  # current_timestamp, now()
        # windows
        exp.RowNumber,
        exp.Rank,
        exp.DenseRank,
        exp.PercentRank,
        exp.CumeDist,
        exp.Ntile,
        exp.Lag,
        exp.Lead,
        exp.FirstValue,
        exp.LastValue,
        exp.NthValue,
    }
)
"""The functions a statement may call, as sqlglot knows them (one entry may stand for several
spellings). Only the exact types: a subclass is another function."""

NAMED_FUNCTIONS = frozenset(
    {"total", "julianday", "date", "time", "datetime", "strftime", "date_part", "age", "to_date"}
)
"""Functions sqlglot does not know by type, allowed by their names."""

_T = exp.DataType.Type
CAST_TYPES = frozenset(
    {
        _T.TEXT,
        _T.VARCHAR,
        _T.CHAR,
        _T.NCHAR,
        _T.NVARCHAR,
        _T.BPCHAR,
        _T.INT,
        _T.BIGINT,
        _T.SMALLINT,
        _T.TINYINT,
        _T.DECIMAL,
        _T.DOUBLE,
        _T.FLOAT,
        _T.BOOLEAN,
        _T.DATE,
        _T.TIME,
        _T.DATETIME,
        _T.TIMESTAMP,
        _T.TIMESTAMPTZ,
        _T.INTERVAL,
    }
)
"""Types a value may be cast to (not regclass, oid, arrays, JSON, ...)."""

_UNIT_OF = (exp.Extract, exp.Interval, exp.DateTrunc, exp.TimestampTrunc)
_UNIT = re.compile(r"[A-Za-z_]{1,20}")

SQLITE_FUNCTIONS = frozenset(
    {
        "count",
        "sum",
        "total",
        "avg",
        "min",
        "max",
        "group_concat",
        "round",
        "abs",
        "ceil",
        "ceiling",
        "floor",
        "sign",
        "sqrt",
        "pow",
        "power",
        "lower",
        "upper",
        "length",
        "substr",
        "substring",
        "trim",
        "ltrim",
        "rtrim",
        "replace",
        "instr",
        "concat",
        "coalesce",
        "ifnull",
        "nullif",
        "iif",
        "like",  # the LIKE operator
        "date",
        "time",
        "datetime",
        "julianday",
        "strftime",
        "current_date",
        "current_time",
        "current_timestamp",
        "row_number",
        "rank",
        "dense_rank",
        "percent_rank",
        "cume_dist",
        "ntile",
        "lag",
        "lead",
        "first_value",
        "last_value",
        "nth_value",
    }
)
"""SQLite's names for the functions above, as its authorizer reports the calls of the SQL that
sqlglot generates (the second layer on SQLite)."""


# --- the first layer: the parser ----------------------------------------------------------------


def _refused(code: str, **params: Any) -> AppError:
    return InvalidInput(f"catalog.sql_{code}", **params)


@dataclass
class Checked:
    """A statement that passed :func:`check`: its tree, and the references to each resource."""

    tree: exp.Expression
    dialect: str
    resources: dict[str, list[exp.Table]]

    def sql(self) -> str:
        """The SQL that runs: generated from the tree, every identifier quoted on PostgreSQL
        (so no column name can turn into a keyword such as ``user``), comments left out, under
        the row limit."""
        wrapped = (
            exp.Select(expressions=[exp.Star()])
            .from_(
                exp.Subquery(
                    this=self.tree,
                    alias=exp.TableAlias(this=exp.to_identifier("yiwang_sql_result", quoted=True)),
                )
            )
            .limit(MAX_ROWS)
        )
        glot = _GLOT_DIALECTS[self.dialect]
        try:
            return wrapped.sql(
                dialect=glot,
                identify=glot == "postgres",
                comments=False,
                unsupported_level=ErrorLevel.RAISE,
            )
        except SqlglotError as exc:
            raise _refused("construct_refused", name=_first_line(str(exc))) from None
        except RecursionError:
            raise _refused("too_deep") from None


def _first_line(message: str, limit: int = 200) -> str:
    lines = message.strip().splitlines()
    return (lines[0] if lines else message)[:limit]


def _function_name(node: exp.Func, glot: str) -> str:
    """The function as the caller would recognise it: its name, or the operator's SQL."""
    if isinstance(node, exp.Anonymous):
        return str(node.name)[:100]
    return (node.sql(dialect=glot).split("(", 1)[0].strip() or node.sql_name())[:100]


def _check_node(node: exp.Expr, glot: str) -> None:
    if type(node) in FUNCTIONS:
        if isinstance(node, exp.Cast) and node.args.get("format"):
            raise _refused("construct_refused", name="CAST FORMAT")
        return
    if isinstance(node, exp.Anonymous):
        if str(node.name).lower() not in NAMED_FUNCTIONS:
            raise _refused("function_refused", name=_function_name(node, glot))
        return
    if isinstance(node, exp.Func) and type(node) not in NODES:
        raise _refused("function_refused", name=_function_name(node, glot))
    allowed = NODES.get(type(node))
    if allowed is None:
        raise _refused("construct_refused", name=node.key.upper())
    if isinstance(node, exp.DataType) and node.this not in CAST_TYPES:
        raise _refused("type_refused", name=node.sql(dialect=glot))
    for key, value in node.args.items():
        if value not in (None, False, []) and key not in allowed:
            raise _refused("construct_refused", name=f"{node.key.upper()} {key.upper()}")
    if isinstance(node, exp.Column) and (node.args.get("db") or node.args.get("catalog")):
        raise _refused("construct_refused", name=node.sql(dialect=glot))
    if isinstance(node, exp.Var) and (
        not isinstance(node.parent, _UNIT_OF) or not _UNIT.fullmatch(str(node.this))
    ):
        raise _refused("construct_refused", name=str(node.this)[:60])


def _parse(statement: str, glot: str) -> exp.Expression:
    try:
        trees = [tree for tree in sqlglot.parse(statement, read=glot) if tree is not None]
    except SqlglotError as exc:
        raise _refused("syntax", reason=_first_line(str(exc))) from None
    if len(trees) != 1:
        raise _refused("one_select")
    tree = trees[0]
    if not isinstance(tree, exp.Select | exp.SetOperation | exp.Subquery):
        raise _refused("one_select")
    return tree


def _tables(tree: exp.Expression, glot: str) -> dict[str, list[exp.Table]]:
    """Each resource the statement reads, with its references; refuse any other table.

    A name is a CTE only where sqlglot's scopes say so (a CTE defined inside a subquery does
    not hide a real table outside it); every other table name must be a resource id."""
    try:
        ctes = {
            id(table)
            for scope in traverse_scope(tree)
            for table in scope.tables
            if not table.args.get("db") and table.name in scope.cte_sources
        }
    except SqlglotError as exc:
        raise _refused("syntax", reason=_first_line(str(exc))) from None
    resources: dict[str, list[exp.Table]] = {}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise _refused("table_refused", name=table.this.sql(dialect=glot)[:100])
        if table.args.get("db") or table.args.get("catalog"):
            refused = table.copy()
            refused.set("alias", None)
            raise _refused("table_refused", name=refused.sql(dialect=glot)[:100])
        if id(table) in ctes:
            continue
        if not _RESOURCE_ID.fullmatch(table.name):
            raise _refused("table_refused", name=table.name[:100])
        resources.setdefault(table.name, []).append(table)
    if not resources:
        raise _refused("no_table")
    return resources


def check(statement: str, dialect: str) -> Checked:
    """Parse ``statement`` for ``dialect`` (``sqlite`` or ``postgresql``) and check it: one
    SELECT of listed node types, functions and cast types, whose tables are CTEs in scope or
    resource ids. Return the checked statement, or raise :class:`InvalidInput` (422) naming
    what is refused. Access to the resources is not checked here: see :func:`run`."""
    glot = _GLOT_DIALECTS[dialect]
    if len(statement) > MAX_STATEMENT:
        raise _refused("too_long", limit=MAX_STATEMENT)
    try:
        tree = _parse(statement, glot)
        for node in tree.walk():
            _check_node(node, glot)
        if glot == "postgres":
            # Unquoted names are folded as PostgreSQL folds them, then every name is quoted.
            tree = normalize_identifiers(tree, dialect=glot)
        return Checked(tree=tree, dialect=dialect, resources=_tables(tree, glot))
    except RecursionError:
        raise _refused("too_deep") from None


# --- the views a statement reads ----------------------------------------------------------------


@dataclass
class ResourceView:
    """A resource as one statement sees it: a temporary view over its current table."""

    name: str
    table: datastore.TableView

    @property
    def physical(self) -> str:
        return self.table.version.table_name

    @property
    def masked(self) -> list[datastore.ColumnView]:
        return [c for c in self.table.columns if c.masked and c.personal]


def _mask_value(kind: str, value: object) -> str | None:
    return personal.mask(personal.PersonalKind(kind), value)


def _sqlite_view(view: ResourceView) -> str:
    q = datastore_tables.quote
    columns = ['"_id" AS "_id"']
    for c in view.table.columns:
        if c.masked and c.personal:
            columns.append(f"{_MASK_FUNCTION}('{c.personal}', {c.physical}) AS {q(c.name)}")
        else:
            columns.append(f"{c.physical} AS {q(c.name)}")
    return (
        f"CREATE TEMP VIEW {q(view.name)} AS SELECT {', '.join(columns)} "
        f'FROM "main".{q(view.physical)}'
    )


def _postgresql_view(view: ResourceView, masked_table: str | None) -> str:
    q = datastore_tables.quote
    columns = ['t."_id" AS "_id"']
    for c in view.table.columns:
        source = "m" if c.masked and c.personal else "t"
        columns.append(f"{source}.{c.physical} AS {q(c.name)}")
    join = f' JOIN pg_temp.{q(masked_table)} AS m ON m."_id" = t."_id"' if masked_table else ""
    return (
        f"CREATE TEMP VIEW {q(view.name)} AS SELECT {', '.join(columns)} "
        f"FROM {q(view.physical)} AS t{join}"
    )


# --- the second layer: SQLite --------------------------------------------------------------------


def sqlite_authorizer(
    views: Mapping[str, str],
) -> Callable[[int, str | None, str | None, str | None, str | None], int]:
    """SQLite's authorizer for one statement over ``views`` (view name → its datastore table).

    SQLite names, with each access, the innermost view or CTE it comes from (None: the
    statement itself). The statement, its CTEs and subqueries may read the views and the
    results of CTEs and subqueries, and call :data:`SQLITE_FUNCTIONS`. A datastore table may be
    read only by its own view, which alone may call the masking function; elsewhere only as a
    count (SQLite reports ``count(*)`` over a view as a read of the table with no column).
    Everything else (another table, ``sqlite_master``, PRAGMA, ATTACH, a write) is denied.
    The view names must be unguessable: a CTE named like a view would pass for it."""
    tables = set(views.values())

    def authorize(
        action: int, arg1: str | None, arg2: str | None, database: str | None, source: str | None
    ) -> int:
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            if database is None:  # the rows of a CTE or subquery, no stored table
                allowed = True
            elif database == "temp":
                allowed = arg1 in views
            else:
                allowed = database == "main" and (
                    (source is not None and views.get(source) == arg1)
                    or (arg2 == "" and arg1 in tables)
                )
            return sqlite3.SQLITE_OK if allowed else sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION:
            name = (arg2 or "").lower()
            # The masking function is the views' alone: nothing else has a reason to call it.
            allowed = source in views if name == _MASK_FUNCTION else name in SQLITE_FUNCTIONS
            return sqlite3.SQLITE_OK if allowed else sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_DENY

    return authorize


def run_sqlite(
    connection: Connection, views: Sequence[ResourceView], sql: str, deadline: float
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Create the views, then run ``sql`` under the authorizer, a deadline and a length limit.
    The caller holds a savepoint and rolls it back (which drops the views)."""
    pooled = connection.connection
    raw: sqlite3.Connection = pooled.driver_connection  # type: ignore[assignment]
    if not pooled.info.get(_MASK_FUNCTION):
        # Once per connection: redefining a function while a statement is active fails.
        raw.create_function(_MASK_FUNCTION, 2, _mask_value, deterministic=True)
        pooled.info[_MASK_FUNCTION] = True
    cursor = raw.cursor()
    try:
        for view in views:
            cursor.execute(_sqlite_view(view))
        length = raw.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, _MAX_VALUE_BYTES)
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10000)
        raw.set_authorizer(sqlite_authorizer({v.name: v.physical for v in views}))
        try:
            cursor.execute(sql)
            rows = cursor.fetchall()
            names = [d[0] for d in cursor.description or ()]
        finally:
            raw.set_authorizer(None)
            raw.set_progress_handler(None, 0)
            raw.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, length)
    finally:
        cursor.close()
    return names, rows


# --- the second layer: PostgreSQL ----------------------------------------------------------------


def _remaining_ms(deadline: float) -> int:
    return max(1, int((deadline - time.monotonic()) * 1000))


def _fill_masked(
    cursor: Any, view: ResourceView, table: str, deadline: float, timeout_ms: int
) -> None:
    """Copy the masked values of ``view``'s personal columns into the temporary ``table``,
    masked here by :mod:`yiwang.catalog.personal` as every other read masks them."""
    q = datastore_tables.quote
    masked = view.masked
    maskers = [personal.masker(personal.PersonalKind(c.personal or "")) for c in masked]
    names = ", ".join(c.physical for c in masked)
    cursor.execute(
        f'CREATE TEMP TABLE {q(table)} ("_id" bigint, '
        + ", ".join(f"{c.physical} text" for c in masked)
        + ")"
    )
    last: int | None = None
    while True:
        if time.monotonic() > deadline:
            raise _refused("timeout", ms=timeout_ms)
        after = "" if last is None else f' WHERE "_id" > {int(last)}'
        cursor.execute(
            f'SELECT "_id", {names} FROM {q(view.physical)}{after} '
            f'ORDER BY "_id" LIMIT {_MASK_BATCH}'
        )
        rows = cursor.fetchall()
        if not rows:
            return
        last = rows[-1][0]
        with cursor.copy(f"COPY pg_temp.{q(table)} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (row[0], *(mask(value) for mask, value in zip(maskers, row[1:], strict=True)))
                )


def run_postgresql(
    connection: Connection,
    views: Sequence[ResourceView],
    sql: str,
    deadline: float,
    timeout_ms: int,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Create the views and grant SELECT on them alone to :data:`READER_ROLE`, then run ``sql``
    as that role, read-only, under the time limit, with only ``pg_catalog`` and ``pg_temp`` on
    the search path. The caller holds a savepoint and rolls it back (which drops the views and
    the grants and ends the role, the read-only mode and the limit)."""
    raw: Any = connection.connection.driver_connection
    q = datastore_tables.quote
    with raw.cursor() as cursor:
        cursor.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
        cursor.execute(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s) "
            "THEN pg_catalog.pg_has_role(current_user, %s, 'MEMBER') ELSE false END",
            (READER_ROLE, READER_ROLE),
        )
        if not cursor.fetchone()[0]:
            raise InvalidInput("catalog.sql_reader_missing", status_code=503, role=READER_ROLE)
        for view in views:
            masked_table = f"{view.name}_masked" if view.masked else None
            if masked_table:
                _fill_masked(cursor, view, masked_table, deadline, timeout_ms)
            cursor.execute(_postgresql_view(view, masked_table))
            cursor.execute(f"GRANT SELECT ON pg_temp.{q(view.name)} TO {q(READER_ROLE)}")
        cursor.execute("SET LOCAL search_path = pg_catalog, pg_temp")
        cursor.execute(f"SET LOCAL statement_timeout = {_remaining_ms(deadline)}")
        try:
            cursor.execute(f"SET LOCAL ROLE {q(READER_ROLE)}")
        except psycopg.Error:
            # A member that may not switch to it (PostgreSQL 16's SET option).
            raise InvalidInput(
                "catalog.sql_reader_missing", status_code=503, role=READER_ROLE
            ) from None
        cursor.execute("SET TRANSACTION READ ONLY")
        cursor.execute(sql)
        rows = cursor.fetchall()
        names = [d.name for d in cursor.description or ()]
    return names, rows


# --- running a statement -------------------------------------------------------------------------


_SQLITE_DENIED = re.compile(r"not authorized|access to .* is prohibited")


def _database_error(exc: Exception, timeout_ms: int) -> AppError:
    message = _first_line(str(exc)) or type(exc).__name__
    if getattr(exc, "sqlstate", None) == "57014" or message == "interrupted":
        return _refused("timeout", ms=timeout_ms)
    if getattr(exc, "sqlstate", None) == "42501" or _SQLITE_DENIED.match(message):
        # The database refused what the parser let through: a gap in the first layer.
        log.warning("datastore_search_sql refused by the database: %s", message)
        return _refused("denied")
    return _refused("failed", reason=message)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def run(session: Session, *, actor: Actor, statement: str, settings: Settings) -> dict[str, Any]:
    """Run one checked SELECT over the datastore as ``actor`` may read it; CKAN's answer
    (``sql``, ``records``, ``fields``), at most :data:`MAX_ROWS` records.

    Refusals are 4xx in the caller's language: 403 when the endpoint is off or a resource may
    not be read, 404 for an unknown resource, 409 (CKAN's Validation Error) for everything the
    checks refuse, a failure of the statement and the time limit; 503 when PostgreSQL lacks the
    reader role. Reads of data that is not open are audited, as ``datastore_search`` audits."""
    if not settings.datastore_sql_enabled:
        raise InvalidInput("catalog.sql_disabled", status_code=403)
    connection = session.connection()
    dialect = connection.dialect.name
    checked = check(statement, dialect)
    views: list[ResourceView] = []
    prefix = secrets.token_hex(6)  # unguessable view names: see sqlite_authorizer
    audited = []
    for number, (resource_id, references) in enumerate(sorted(checked.resources.items()), 1):
        table, resource, _ = datastore.access_view(
            session, actor=actor, distribution_id=resource_id
        )
        if datastore.audit_needed(table, resource):
            audited.append((resource_id, table))
        view = ResourceView(name=f"yiwang_sql_{prefix}_{number}", table=table)
        views.append(view)
        schema = "pg_temp" if dialect == "postgresql" else "temp"
        for reference in references:
            alias = reference.args.get("alias") or exp.TableAlias(
                this=exp.to_identifier(resource_id, quoted=True)
            )
            reference.replace(
                exp.Table(
                    this=exp.to_identifier(view.name, quoted=True),
                    db=exp.to_identifier(schema, quoted=True),
                    alias=alias,
                )
            )
    sql = checked.sql()
    timeout_ms = int(settings.datastore_sql_timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    dbapi_error: type[Exception] = connection.dialect.loaded_dbapi.Error
    savepoint = session.begin_nested()
    try:
        # Asking for the connection again emits the SAVEPOINT before anything below runs.
        connection = session.connection()
        if dialect == "postgresql":
            names, rows = run_postgresql(connection, views, sql, deadline, timeout_ms)
        else:
            names, rows = run_sqlite(connection, views, sql, deadline)
    except dbapi_error as exc:
        raise _database_error(exc, timeout_ms) from None
    finally:
        savepoint.rollback()
    for resource_id, table in audited:
        audit.record_read(
            session,
            actor=actor,
            action="datastore.sql",
            object_type="distribution",
            object_id=resource_id,
            details={"sql": statement[:2000], "access": table.access.level.value},
        )
    records = [dict(zip(names, (_plain(v) for v in row), strict=True)) for row in rows]
    return {
        "sql": statement,
        "records": records,
        "fields": [{"id": name, "type": "text"} for name in names],
    }
