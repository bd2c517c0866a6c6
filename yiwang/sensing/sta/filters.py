"""``$filter`` and ``$orderby`` trees turned into SQLAlchemy expressions on an entity's table,
for SQLite and PostgreSQL alike. Paths across relations (``Datastream/ObservedProperty/name``)
become correlated ``EXISTS`` subqueries holding the whole comparison, so they work across
to-many relations too; JSON paths (``properties/owner``) are read with the database's JSON
functions, typed by what they are compared with."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from yiwang.core.db import UTCDateTime, utcnow
from yiwang.core.errors import AppError
from yiwang.core.policy import Actor
from yiwang.sensing import personal
from yiwang.sensing.sta import spatial
from yiwang.sensing.sta.entities import TYPES, EntityType, relation, visibility
from yiwang.sensing.sta.errors import bad_request, not_implemented
from yiwang.sensing.sta.query import Binary, Call, Literal, Node, OrderItem, Path, Unary, chain

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
}
_SCALAR_KINDS = frozenset({"number", "string", "boolean", "datetime", "date"})
_DATE_PARTS = {
    "year": "year",
    "month": "month",
    "day": "day",
    "hour": "hour",
    "minute": "minute",
    "second": "second",
}
_MIN_DATETIME = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
_MAX_DATETIME = dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)
# Recognised functions of OData and STA that this server does not evaluate.
_UNSUPPORTED = frozenset({"totalseconds", "cast", "isof", "geo.length_sphere"})
# Past this magnitude every double is a whole number (2**52): floor and ceiling leave it be.
_WHOLE = float(2**52)


@dataclass
class Operand:
    """A compiled value. ``kind`` is number, string, boolean, datetime, date, time, json,
    result, geometry or null. JSON values keep their column and path so that they can be read
    as the type they are compared with; geometries keep what their SQL needs."""

    sql: Any
    kind: str
    json_column: Any = None
    json_path: tuple[str, ...] = ()
    result_columns: tuple[Any, Any] | None = None
    geometry_source: sa.FromClause | None = None  # the table whose bbox columns describe it
    wkt: str | None = None
    literal: bool = False


@dataclass
class _Scope:
    """The tables a comparison reaches through navigation paths, and how they are joined."""

    conditions: list[ColumnElement[bool]] = field(default_factory=list)
    used: bool = False


class Compiler:
    """Compiles expressions about ``entity`` rows in ``table`` for ``actor``."""

    def __init__(
        self, session: Session, actor: Actor, entity: EntityType, table: sa.FromClause
    ) -> None:
        self.session = session
        self.actor = actor
        self.entity = entity
        self.table = table
        self.dialect = session.get_bind().dialect.name
        self.scope = _Scope()

    # --- booleans ---------------------------------------------------------------------------

    def condition(self, node: Node) -> ColumnElement[bool]:
        """The SQL condition for a ``$filter`` tree. A run of ``and`` or of ``or`` becomes one
        list, however long (the parser has bounded how deep anything else nests)."""
        if isinstance(node, Binary) and node.op in ("and", "or"):
            combine = sa.and_ if node.op == "and" else sa.or_
            return combine(*[self.condition(operand) for operand in chain(node)])
        if isinstance(node, Unary) and node.op == "not":
            return sa.not_(self.condition(node.operand))
        outer, self.scope = self.scope, _Scope()
        try:
            value = self.boolean(self.value(node))
            if self.scope.used:
                return sa.exists().where(*self.scope.conditions, value)
            return value
        finally:
            self.scope = outer

    def boolean(self, operand: Operand) -> ColumnElement[bool]:
        if operand.kind == "boolean":
            if operand.literal:
                return sa.true() if operand.sql.value else sa.false()
            return operand.sql  # type: ignore[no-any-return]
        if operand.kind in ("json", "result"):
            return self.coerce(operand, "boolean").sql == sa.true()  # type: ignore[no-any-return]
        raise bad_request("sta.type_mismatch", name="$filter")

    def order(self, items: Sequence[OrderItem]) -> list[Any]:
        """ORDER BY terms for ``$orderby``."""
        terms: list[Any] = []
        for item in items:
            self.scope = _Scope()
            operand = self.value(item.expr)
            if operand.kind == "geometry":
                raise bad_request("sta.type_mismatch", name="$orderby")
            expr = self.sortable(operand)
            if self.scope.used:
                expr = sa.select(expr).where(*self.scope.conditions).limit(1).scalar_subquery()
            terms.append(expr.desc() if item.descending else expr.asc())
        self.scope = _Scope()
        return terms

    def sortable(self, operand: Operand) -> Any:
        if operand.kind == "result":
            return operand.result_columns[0]  # type: ignore[index]
        if operand.kind == "json":
            if self.dialect == "postgresql":
                if not operand.json_path:
                    return operand.json_column
                return sa.func.jsonb_extract_path(
                    operand.json_column, *[sa.literal(k, sa.Text()) for k in operand.json_path]
                )
            return sa.func.json_extract(operand.json_column, _sqlite_path(operand.json_path))
        return operand.sql

    # --- values ------------------------------------------------------------------------------

    def value(self, node: Node) -> Operand:
        if isinstance(node, Literal):
            return self.literal(node)
        if isinstance(node, Path):
            return self.path(node.parts)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Unary):
            if node.op == "not":
                return Operand(sa.not_(self.boolean(self.value(node.operand))), "boolean")
            return Operand(-self.number(self.value(node.operand)), "number")
        if node.op in _COMPARE:
            return Operand(self.compare(node.op, node.left, node.right), "boolean")
        if node.op in ("and", "or"):
            combine = sa.and_ if node.op == "and" else sa.or_
            operands = [self.boolean(self.value(operand)) for operand in chain(node)]
            return Operand(combine(*operands), "boolean")
        left, right = self.number(self.value(node.left)), self.number(self.value(node.right))
        if node.op in ("div", "mod"):
            # Nothing divided by zero: no value (SQLite's answer; PostgreSQL would fail).
            right = sa.func.nullif(right, 0)
        if node.op == "mod":
            if self.dialect == "postgresql":
                return Operand(sa.cast(left, sa.Numeric()) % sa.cast(right, sa.Numeric()), "number")
            return Operand(sa.func.mod(left, right), "number")
        return Operand(_ARITHMETIC[node.op](left, right), "number")

    def literal(self, node: Literal) -> Operand:
        if node.kind == "datetime":
            return Operand(sa.literal(node.value, UTCDateTime()), "datetime", literal=True)
        if node.kind == "date":
            return Operand(sa.literal(node.value, sa.Date()), "date", literal=True)
        if node.kind == "geometry":
            spatial.literal_geometry(node.value)  # refuses malformed WKT now
            return Operand(None, "geometry", wkt=node.value, literal=True)
        if node.kind == "null":
            return Operand(sa.null(), "null", literal=True)
        if node.kind == "string":
            return Operand(sa.literal(node.value, sa.String()), "string", literal=True)
        if node.kind == "boolean":
            return Operand(sa.literal(node.value, sa.Boolean()), "boolean", literal=True)
        if isinstance(node.value, float):
            return Operand(sa.literal(node.value, sa.Float()), "number", literal=True)
        return Operand(sa.literal(node.value, sa.BigInteger()), "number", literal=True)

    def path(self, parts: tuple[str, ...]) -> Operand:
        entity, source = self.entity, self.table
        for index, name in enumerate(parts):
            nav = entity.navs.get(name)
            if nav is not None:
                target = TYPES[nav.target]
                alias = target.table.alias()
                self.scope.conditions.extend(relation(nav, source, alias))
                visible = visibility(target, alias, self.actor)
                if visible is not None:
                    self.scope.conditions.append(visible)
                self.scope.used = True
                entity, source = target, alias
                continue
            prop = entity.prop(name)
            if prop is None:
                raise bad_request("sta.unknown_property", entity=entity.name, name=name)
            rest = tuple(parts[index + 1 :])
            if prop.kind == "result":
                if rest:
                    return Operand(None, "json", json_column=source.c.result_json, json_path=rest)
                return Operand(
                    None,
                    "result",
                    result_columns=(source.c.result_number, source.c.result_json),
                )
            column = source.c[prop.column]  # type: ignore[index]
            if entity.name == "Thing" and prop.name == "properties":
                column = self.personal_guard(source, column, rest, "/".join(parts))
            if prop.kind == "json":
                return Operand(None, "json", json_column=column, json_path=rest)
            if rest:
                raise bad_request("sta.unknown_property", entity=entity.name, name="/".join(parts))
            if prop.kind == "geometry":
                bbox = source if "min_x" in source.c else None
                return Operand(column, "geometry", geometry_source=bbox)
            return Operand(column, prop.kind)
        raise bad_request("sta.unknown_property", entity=entity.name, name="/".join(parts))

    def personal_guard(
        self, things: sa.FromClause, column: Any, path: tuple[str, ...], name: str
    ) -> Any:
        """A Thing's properties as ``$filter`` and ``$orderby`` may read them at ``path``: where
        the path reaches personal data its pack masks for the caller, the value reads as null,
        so that nothing compares or sorts by the clear value; refused outright (400) to a caller
        who reads no such value clear."""
        kinds = personal.kinds_reaching(path)
        if not kinds:
            return column
        if not personal.may_read_clear_anywhere(self.actor):
            raise bad_request("sta.personal_property", entity="Thing", name=name)
        clear = personal.clear_condition(
            self.actor, pack=things.c.pack, department_id=things.c.department_id, kinds=kinds
        )
        return column if clear is None else sa.case((clear, column))

    # --- typing ------------------------------------------------------------------------------

    def coerce(self, operand: Operand, kind: str) -> Operand:
        """Read a JSON value or an observation's result as ``kind``."""
        if operand.kind == "result":
            number, document = operand.result_columns  # type: ignore[misc]
            if kind == "number":
                return Operand(number, "number")
            return self.coerce(Operand(None, "json", json_column=document), kind)
        if operand.kind != "json":
            if kind == "datetime" and operand.kind == "string" and operand.literal:
                from yiwang.sensing.sta.query import parse_datetime  # noqa: PLC0415

                text = operand.sql.value
                return Operand(sa.literal(parse_datetime(text), UTCDateTime()), "datetime")
            return operand
        column, path = operand.json_column, operand.json_path
        if self.dialect == "postgresql":
            keys = [sa.literal(k, sa.Text()) for k in path]
            node = sa.func.jsonb_extract_path(column, *keys) if keys else column
            text = (
                sa.func.jsonb_extract_path_text(column, *keys)
                if keys
                else column.op("#>>")(sa.literal_column("'{}'"))
            )
            kind_of = sa.func.jsonb_typeof(node)
            if kind == "number":
                return Operand(sa.case((kind_of == "number", sa.cast(text, sa.Float()))), kind)
            if kind == "boolean":
                return Operand(sa.case((kind_of == "boolean", sa.cast(text, sa.Boolean()))), kind)
            return Operand(text, "string")
        json_path = _sqlite_path(path)
        value = sa.func.json_extract(column, json_path)
        kind_of = sa.func.json_type(column, json_path)
        if kind == "number":
            return Operand(sa.case((kind_of.in_(["integer", "real"]), value)), kind)
        if kind == "boolean":
            return Operand(sa.case((kind_of.in_(["true", "false"]), value)), kind)
        return Operand(sa.case((kind_of == "text", value)), "string")

    def number(self, operand: Operand) -> Any:
        operand = self.coerce(operand, "number")
        if operand.kind != "number":
            raise bad_request("sta.type_mismatch", name="number")
        return operand.sql

    def string(self, operand: Operand) -> Any:
        operand = self.coerce(operand, "string")
        if operand.kind != "string":
            raise bad_request("sta.type_mismatch", name="string")
        return operand.sql

    def datetime(self, operand: Operand) -> Any:
        if operand.kind != "datetime":
            raise bad_request("sta.type_mismatch", name="datetime")
        if self.dialect == "postgresql":
            return sa.func.timezone("UTC", operand.sql)
        return operand.sql

    def compare(self, op: str, left_node: Node, right_node: Node) -> ColumnElement[bool]:
        left, right = self.value(left_node), self.value(right_node)
        if "null" in (left.kind, right.kind):
            other = right if left.kind == "null" else left
            if op not in ("eq", "ne"):
                raise bad_request("sta.type_mismatch", name=op)
            if other.kind == "result":
                number, document = other.result_columns  # type: ignore[misc]
                empty = sa.and_(number.is_(None), document.is_(None))
            elif other.kind == "json":
                empty = self.coerce(other, "string").sql.is_(None)
            else:
                empty = other.sql.is_(None)
            return empty if op == "eq" else sa.not_(empty)
        if left.kind in _SCALAR_KINDS and right.kind in ("json", "result"):
            right = self.coerce(right, left.kind)
        elif right.kind in _SCALAR_KINDS and left.kind in ("json", "result"):
            left = self.coerce(left, right.kind)
        elif left.kind in ("json", "result") and right.kind in ("json", "result"):
            left, right = self.coerce(left, "string"), self.coerce(right, "string")
        if left.kind == "datetime" and right.kind == "string":
            right = self.coerce(right, "datetime")
        elif right.kind == "datetime" and left.kind == "string":
            left = self.coerce(left, "datetime")
        if "geometry" in (left.kind, right.kind):
            raise bad_request("sta.type_mismatch", name=op)
        if (left.kind == "number" and right.kind == "boolean") or (
            left.kind == "boolean" and right.kind == "number"
        ):
            raise bad_request("sta.type_mismatch", name=op)
        return _COMPARE[op](left.sql, right.sql)  # type: ignore[no-any-return]

    # --- functions ---------------------------------------------------------------------------

    def call(self, node: Call) -> Operand:
        name = node.name
        if name in _UNSUPPORTED:
            raise not_implemented(f"$filter: {name}")
        handler = _FUNCTIONS.get(name)
        if handler is None:
            if name in spatial.PREDICATES:
                return self.spatial_predicate(name, node.args)
            if name == "st_relate":
                return self.relate(node.args)
            raise bad_request("sta.unknown_function", name=name)
        arity, function = handler
        if len(node.args) not in arity:
            expected = "/".join(str(n) for n in arity)
            raise bad_request("sta.wrong_arguments", name=name, expected=expected)
        return function(self, [self.value(arg) for arg in node.args])

    def _spatial_ready(self) -> None:
        if self.dialect == "postgresql":
            if not spatial.has_postgis(self.session):
                raise AppError("sta.spatial_unavailable", status_code=501)
        else:
            spatial.ensure_sqlite_functions(self.session)

    def geometry(self, operand: Operand) -> Any:
        if operand.kind != "geometry":
            raise bad_request("sta.type_mismatch", name="geometry")
        if self.dialect == "postgresql":
            if operand.wkt is not None:
                return spatial.pg_geometry_of_wkt(operand.wkt)
            return spatial.pg_geometry_of_column(operand.sql)
        if operand.wkt is not None:
            return sa.literal(operand.wkt, sa.Text())
        return operand.sql

    def spatial_predicate(self, name: str, args: Sequence[Node]) -> Operand:
        if len(args) != 2:
            raise bad_request("sta.wrong_arguments", name=name, expected="2")
        left, right = self.value(args[0]), self.value(args[1])
        self._spatial_ready()
        predicate = spatial.PREDICATES[name]
        if self.dialect == "postgresql":
            test = spatial.pg_predicate(predicate, self.geometry(left), self.geometry(right))
        else:
            test = sa.func.sta_predicate(predicate, self.geometry(left), self.geometry(right)) == 1
        first_pass = _bbox_pass(predicate, left, right)
        if first_pass is not None:
            test = sa.and_(first_pass, test)
        return Operand(test, "boolean")

    def relate(self, args: Sequence[Node]) -> Operand:
        """``st_relate(g1, g2, 'T*F**F***')``: whether the DE-9IM intersection matrix of the two
        geometries matches the pattern, by PostGIS's ``ST_Relate`` or shapely's
        ``relate_pattern``. The pattern must be a text literal of nine T, F, 0, 1, 2 or *."""
        if len(args) != 3:
            raise bad_request("sta.wrong_arguments", name="st_relate", expected="3")
        pattern_node = args[2]
        if not (isinstance(pattern_node, Literal) and pattern_node.kind == "string"):
            raise bad_request("sta.type_mismatch", name="st_relate")
        pattern = spatial.relate_pattern(pattern_node.value)
        left, right = self.value(args[0]), self.value(args[1])
        self._spatial_ready()
        first, second = self.geometry(left), self.geometry(right)
        if self.dialect == "postgresql":
            return Operand(spatial.pg_relate(first, second, pattern), "boolean")
        return Operand(sa.func.sta_relate(first, second, pattern) == 1, "boolean")


def _sqlite_path(path: tuple[str, ...]) -> str:
    out = "$"
    for key in path:
        if key.isdigit():
            out += f"[{key}]"
        else:
            out += '."' + key.replace('"', '\\"') + '"'
    return out


def _bbox_pass(predicate: str, left: Operand, right: Operand) -> ColumnElement[bool] | None:
    """A first test on the bounding-box columns, which indexes can serve, before the exact
    test; only for a stored geometry against a literal."""
    if left.wkt is not None and right.geometry_source is not None:
        flipped = {"within": "contains", "contains": "within"}.get(predicate, predicate)
        return _bbox_pass(flipped, right, left)
    if left.geometry_source is None or right.wkt is None or predicate == "disjoint":
        return None
    table = left.geometry_source
    min_x, min_y, max_x, max_y = spatial.literal_geometry(right.wkt).bounds
    if predicate == "within":
        return sa.and_(
            table.c.min_x >= min_x,
            table.c.max_x <= max_x,
            table.c.min_y >= min_y,
            table.c.max_y <= max_y,
        )
    if predicate == "contains":
        return sa.and_(
            table.c.min_x <= min_x,
            table.c.max_x >= max_x,
            table.c.min_y <= min_y,
            table.c.max_y >= max_y,
        )
    return sa.and_(
        table.c.min_x <= max_x,
        table.c.max_x >= min_x,
        table.c.min_y <= max_y,
        table.c.max_y >= min_y,
    )


# --- the function table -------------------------------------------------------------------------

Function = Callable[[Compiler, list[Operand]], Operand]


def _contains(c: Compiler, haystack: Operand, needle: Operand) -> Operand:
    text = c.string(haystack)
    if needle.literal and needle.kind == "string":
        return Operand(text.contains(needle.sql.value, autoescape=True), "boolean")
    return Operand(_position(c, text, c.string(needle)) > 0, "boolean")


def _position(c: Compiler, text: Any, needle: Any) -> Any:
    if c.dialect == "postgresql":
        return sa.func.strpos(text, needle)
    return sa.func.instr(text, needle)


def _startswith(c: Compiler, args: list[Operand]) -> Operand:
    text, prefix = c.string(args[0]), args[1]
    if prefix.literal and prefix.kind == "string":
        return Operand(text.startswith(prefix.sql.value, autoescape=True), "boolean")
    prefix_sql = c.string(prefix)
    return Operand(sa.func.substr(text, 1, sa.func.length(prefix_sql)) == prefix_sql, "boolean")


def _endswith(c: Compiler, args: list[Operand]) -> Operand:
    text, suffix = c.string(args[0]), args[1]
    if suffix.literal and suffix.kind == "string":
        return Operand(text.endswith(suffix.sql.value, autoescape=True), "boolean")
    suffix_sql = c.string(suffix)
    start = sa.cast(sa.func.length(text) - sa.func.length(suffix_sql) + 1, sa.Integer())
    return Operand(sa.func.substr(text, start) == suffix_sql, "boolean")


def _substring(c: Compiler, args: list[Operand]) -> Operand:
    text, start = c.string(args[0]), sa.cast(c.number(args[1]) + 1, sa.Integer())
    if len(args) == 3:
        length = sa.cast(c.number(args[2]), sa.Integer())
        return Operand(sa.func.substr(text, start, length), "string")
    return Operand(sa.func.substr(text, start), "string")


def _date_part(part: str) -> Function:
    def extract(c: Compiler, args: list[Operand]) -> Operand:
        value = sa.extract(part, c.datetime(args[0]))
        if part == "second" and c.dialect == "postgresql":
            return Operand(sa.func.floor(value), "number")
        return Operand(value, "number")

    return extract


def _date(c: Compiler, args: list[Operand]) -> Operand:
    return Operand(sa.func.date(c.datetime(args[0])), "date")


def _time(c: Compiler, args: list[Operand]) -> Operand:
    if c.dialect == "postgresql":
        return Operand(sa.cast(c.datetime(args[0]), sa.Time()), "time")
    return Operand(sa.func.time(c.datetime(args[0])), "time")


def _fractional_seconds(c: Compiler, args: list[Operand]) -> Operand:
    value = c.datetime(args[0])
    if c.dialect == "postgresql":
        micros = sa.cast(sa.extract("microseconds", value), sa.Numeric())
        return Operand((micros % 1000000) / 1000000.0, "number")
    seconds = sa.cast(sa.func.strftime("%f", value), sa.Float())
    whole = sa.cast(sa.func.strftime("%S", value), sa.Integer())
    return Operand(seconds - whole, "number")


def _constant_time(value: Callable[[], dt.datetime]) -> Function:
    return lambda _c, _args: Operand(sa.literal(value(), UTCDateTime()), "datetime", literal=True)


def _distance(c: Compiler, args: list[Operand]) -> Operand:
    c._spatial_ready()
    left, right = c.geometry(args[0]), c.geometry(args[1])
    if c.dialect == "postgresql":
        return Operand(sa.func.ST_Distance(left, right), "number")
    return Operand(sa.func.sta_distance(left, right), "number")


def _length(c: Compiler, args: list[Operand]) -> Operand:
    c._spatial_ready()
    value = c.geometry(args[0])
    if c.dialect == "postgresql":
        return Operand(sa.func.ST_Length(value), "number")
    return Operand(sa.func.sta_length(value), "number")


def _string_function(name: str) -> Function:
    return lambda c, args: Operand(getattr(sa.func, name)(c.string(args[0])), "string")


def _number_function(name: str) -> Function:
    return lambda c, args: Operand(getattr(sa.func, name)(c.number(args[0])), "number")


def _whole(upward: bool) -> Function:
    """floor (``upward`` False) or ceiling. On SQLite they are computed in SQL: SQLAlchemy
    installs Python's ``math.floor`` as SQLite's floor, which fails on a missing value (a
    result that is not a number) and past 2**63, and SQLite has ceiling only when built with
    its math functions. A missing value gives no value, as on PostgreSQL."""

    def compute(c: Compiler, args: list[Operand]) -> Operand:
        value = c.number(args[0])
        if c.dialect == "postgresql":
            return Operand(getattr(sa.func, "ceiling" if upward else "floor")(value), "number")
        truncated = sa.cast(value, sa.Integer())
        step = (value > truncated, truncated + 1) if upward else (value < truncated, truncated - 1)
        whole = sa.case((sa.func.abs(value) >= _WHOLE, value), step, else_=truncated)
        return Operand(sa.cast(whole, sa.Float()), "number")

    return compute


_FUNCTIONS: dict[str, tuple[tuple[int, ...], Function]] = {
    "substringof": ((2,), lambda c, a: _contains(c, a[1], a[0])),
    "contains": ((2,), lambda c, a: _contains(c, a[0], a[1])),
    "startswith": ((2,), _startswith),
    "endswith": ((2,), _endswith),
    "length": ((1,), lambda c, a: Operand(sa.func.length(c.string(a[0])), "number")),
    "indexof": (
        (2,),
        lambda c, a: Operand(_position(c, c.string(a[0]), c.string(a[1])) - 1, "number"),
    ),
    "substring": ((2, 3), _substring),
    "tolower": ((1,), _string_function("lower")),
    "toupper": ((1,), _string_function("upper")),
    "trim": ((1,), _string_function("trim")),
    "concat": ((2,), lambda c, a: Operand(c.string(a[0]).concat(c.string(a[1])), "string")),
    **{name: ((1,), _date_part(part)) for name, part in _DATE_PARTS.items()},
    "date": ((1,), _date),
    "time": ((1,), _time),
    "fractionalseconds": ((1,), _fractional_seconds),
    "totaloffsetminutes": ((1,), lambda _c, _a: Operand(sa.literal(0), "number")),
    "now": ((0,), _constant_time(utcnow)),
    "mindatetime": ((0,), _constant_time(lambda: _MIN_DATETIME)),
    "maxdatetime": ((0,), _constant_time(lambda: _MAX_DATETIME)),
    "round": ((1,), _number_function("round")),
    "floor": ((1,), _whole(upward=False)),
    "ceiling": ((1,), _whole(upward=True)),
    "geo.distance": ((2,), _distance),
    "geo.length": ((1,), _length),
}


def filter_condition(
    session: Session, actor: Actor, entity: EntityType, table: sa.FromClause, node: Node
) -> ColumnElement[bool]:
    """The SQL condition for a parsed ``$filter`` on ``entity`` rows of ``table``."""
    return Compiler(session, actor, entity, table).condition(node)


def order_terms(
    session: Session,
    actor: Actor,
    entity: EntityType,
    table: sa.FromClause,
    items: Sequence[OrderItem],
) -> list[Any]:
    """ORDER BY terms for a parsed ``$orderby``."""
    return Compiler(session, actor, entity, table).order(items)


__all__ = ["Compiler", "Operand", "filter_condition", "order_terms"]
