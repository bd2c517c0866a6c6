"""SensorThings query options: ``$filter``, ``$orderby``, ``$select``, ``$expand``, ``$top``,
``$skip``, ``$count`` and ``$resultFormat``, parsed into a small syntax tree. Nothing here knows
the database; :mod:`yiwang.sensing.sta.filters` turns the tree into SQL.

Every request is bounded before anything runs: expressions nest at most
:data:`MAX_FILTER_DEPTH` levels and hold at most :data:`MAX_FILTER_TOKENS` tokens, ``$expand``
nests at most :attr:`Limits.max_expand_depth` levels, and ``$top`` (of the request and of every
expanded collection) is capped at :attr:`Limits.max_top`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from yiwang.core.errors import AppError
from yiwang.sensing.sta.errors import bad_request, not_implemented

DEFAULT_TOP = 100
MAX_TOP = 10_000
MAX_EXPAND_DEPTH = 3
# Deeper or longer expressions are refused (400) before they reach the compiler or the
# database: a 1000-term chain is past SQLite's expression depth, deep nesting past Python's stack.
MAX_FILTER_DEPTH = 50
MAX_FILTER_TOKENS = 2000


@dataclass(frozen=True, slots=True)
class Limits:
    """How far one request may reach: ``$expand`` nests at most ``max_expand_depth`` levels
    (``Things?$expand=Datastreams($expand=Observations)`` is two) and any ``$top`` larger than
    ``max_top`` is read as ``max_top``."""

    max_expand_depth: int = MAX_EXPAND_DEPTH
    max_top: int = MAX_TOP


DEFAULT_LIMITS = Limits()

# --- syntax tree --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    """A constant. ``kind`` is number, string, boolean, null, datetime, date or geometry (the
    value of a geometry is its WKT text)."""

    value: Any
    kind: str


@dataclass(frozen=True, slots=True)
class Path:
    """A property path such as ``name``, ``Datastream/ObservedProperty/name`` or
    ``properties/owner``."""

    parts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Binary:
    """``op`` is one of eq ne gt ge lt le and or add sub mul div mod."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Unary:
    """``op`` is ``not`` or ``-``."""

    op: str
    operand: Node


Node = Literal | Path | Call | Binary | Unary


@dataclass(frozen=True, slots=True)
class OrderItem:
    expr: Node
    descending: bool


@dataclass
class Query:
    """The query options of one request, or of one level of ``$expand``."""

    filter: Node | None = None
    orderby: list[OrderItem] = field(default_factory=list)
    select: list[str] | None = None
    expand: list[Expand] = field(default_factory=list)
    top: int | None = None
    skip: int = 0
    count: bool = False
    result_format: str | None = None
    raw: dict[str, str] = field(default_factory=dict)

    def top_or_default(self) -> int:
        return DEFAULT_TOP if self.top is None else self.top


@dataclass
class Expand:
    """One navigation property to expand, with the options of its own level."""

    name: str
    query: Query


# --- tokens -------------------------------------------------------------------------------------

_DATETIME = (
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})"
    r"(?:/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))?"
)
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<geo>(?:geography|geometry)'(?:[^']|'')*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<datetime>"""
    + _DATETIME
    + r""")
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\dT]))
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[LlDdFfMm]?)
  | (?P<name>[A-Za-z_@$][A-Za-z0-9_.@$:]*)
  | (?P<punct>[(),/-])
    """,
    re.VERBOSE,
)

_COMPARISON = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
_ADDITIVE = frozenset({"add", "sub"})
_MULTIPLICATIVE = frozenset({"mul", "div", "mod"})


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokens(text: str, option: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise bad_request("sta.bad_filter", option=option, near=text[position : position + 20])
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    return tokens


def parse_datetime(text: str) -> dt.datetime:
    """An ISO 8601 instant with a time zone, as an aware datetime in UTC."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise bad_request("sta.bad_time", value=text) from None
    if value.tzinfo is None:
        raise bad_request("sta.bad_time", value=text)
    return value.astimezone(dt.UTC)


class _Parser:
    """A recursive-descent parser for OData expressions (precedence from OData 4 part 2)."""

    def __init__(self, text: str, option: str) -> None:
        self.text = text
        self.option = option
        self.tokens = _tokens(text, option)
        if len(self.tokens) > MAX_FILTER_TOKENS:
            raise bad_request("sta.filter_too_long", option=option, limit=MAX_FILTER_TOKENS)
        self.index = 0
        self.depth = 0  # parentheses, argument lists and prefix operators open here

    def enter(self) -> None:
        """Open one more level of nesting; a 400 past :data:`MAX_FILTER_DEPTH`."""
        self.depth += 1
        if self.depth > MAX_FILTER_DEPTH:
            raise bad_request("sta.filter_too_deep", option=self.option, limit=MAX_FILTER_DEPTH)

    def leave(self) -> None:
        self.depth -= 1

    def fail(self) -> AppError:
        token = self.peek()
        near = (
            self.text[token.position : token.position + 20]
            if token
            else self.text[-20:] or self.text
        )
        return bad_request("sta.bad_filter", option=self.option, near=near)

    def peek(self, offset: int = 0) -> _Token | None:
        at = self.index + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def word(self, offset: int = 0) -> str | None:
        token = self.peek(offset)
        return token.text.lower() if token and token.kind == "name" else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise self.fail()
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            self.index -= 1
            raise self.fail()

    def at_end(self) -> bool:
        return self.index >= len(self.tokens)

    # precedence climbing, lowest first
    def expression(self) -> Node:
        left = self.and_expression()
        while self.word() == "or":
            self.index += 1
            left = Binary("or", left, self.and_expression())
        return left

    def and_expression(self) -> Node:
        left = self.not_expression()
        while self.word() == "and":
            self.index += 1
            left = Binary("and", left, self.not_expression())
        return left

    def not_expression(self) -> Node:
        if self.word() == "not":
            self.index += 1
            self.enter()
            operand = self.not_expression()
            self.leave()
            return Unary("not", operand)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        word = self.word()
        if word in _COMPARISON:
            self.index += 1
            return Binary(word, left, self.additive())
        if word in ("has", "in"):
            raise not_implemented(f"{self.option}: {word}")
        return left

    def additive(self) -> Node:
        left = self.multiplicative()
        while (word := self.word()) in _ADDITIVE:
            self.index += 1
            left = Binary(word, left, self.multiplicative())
        return left

    def multiplicative(self) -> Node:
        left = self.unary()
        while (word := self.word()) in _MULTIPLICATIVE:
            self.index += 1
            left = Binary(word, left, self.unary())
        return left

    def unary(self) -> Node:
        token = self.peek()
        if token is not None and token.text == "-":
            self.index += 1
            self.enter()
            operand = self.unary()
            self.leave()
            if isinstance(operand, Literal) and operand.kind == "number":
                return Literal(-operand.value, "number")
            return Unary("-", operand)
        return self.primary()

    def primary(self) -> Node:  # noqa: PLR0912  (one case per kind of token)
        token = self.take()
        if token.text == "(":
            self.enter()
            inner = self.expression()
            self.expect(")")
            self.leave()
            return inner
        if token.kind == "string":
            return Literal(token.text[1:-1].replace("''", "'"), "string")
        if token.kind == "number":
            return Literal(_number(token.text), "number")
        if token.kind == "datetime":
            if "/" in token.text:
                raise not_implemented(f"{self.option}: time intervals as literals")
            return Literal(parse_datetime(token.text), "datetime")
        if token.kind == "date":
            return Literal(dt.date.fromisoformat(token.text), "date")
        if token.kind == "geo":
            body = token.text[token.text.index("'") + 1 : -1].replace("''", "'")
            return Literal(_strip_srid(body), "geometry")
        if token.kind != "name":
            self.index -= 1
            raise self.fail()
        lowered = token.text.lower()
        if self.peek() is not None and self.peek().text == "(":  # type: ignore[union-attr]
            return self.call(lowered)
        if lowered in ("true", "false"):
            return Literal(lowered == "true", "boolean")
        if lowered == "null":
            return Literal(None, "null")
        if lowered == "duration":
            raise not_implemented(f"{self.option}: durations")
        parts = [token.text]
        while self.peek() is not None and self.peek().text == "/":  # type: ignore[union-attr]
            self.index += 1
            part = self.take()
            if part.kind not in ("name", "number"):
                self.index -= 1
                raise self.fail()
            parts.append(part.text)
        if any(p.lower() in ("any", "all") for p in parts[1:]):
            raise not_implemented(f"{self.option}: lambda operators")
        return Path(tuple(parts))

    def call(self, name: str) -> Node:
        self.expect("(")
        args: list[Node] = []
        token = self.peek()
        if token is not None and token.text == ")":
            self.index += 1
            return Call(name, ())
        self.enter()
        while True:
            args.append(self.expression())
            token = self.take()
            if token.text == ")":
                self.leave()
                return Call(name, tuple(args))
            if token.text != ",":
                self.index -= 1
                raise self.fail()


def _number(text: str) -> int | float:
    """An integer while it fits 64 bits (OData's Int64), otherwise a double."""
    text = text.rstrip("LlDdFfMm")
    if re.fullmatch(r"\d{1,18}", text):
        return int(text)
    return float(text)


def _strip_srid(wkt: str) -> str:
    # geography'SRID=4326;POINT(1 2)' names the reference system; coordinates are WGS 84 here.
    if wkt.upper().startswith("SRID="):
        return wkt.split(";", 1)[1] if ";" in wkt else wkt
    return wkt


def chain(node: Node) -> list[Node]:
    """The operands of a run of one logical operator (``a or b or c`` gives a, b, c), found
    without recursion: such runs are as long as a client makes them."""
    if not (isinstance(node, Binary) and node.op in ("and", "or")):
        return [node]
    op = node.op
    operands: list[Node] = []
    stack: list[Node] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Binary) and item.op == op:
            stack.extend((item.right, item.left))
        else:
            operands.append(item)
    return operands


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    return ()


def _check_depth(node: Node, option: str) -> None:
    """Refuse a tree nested deeper than :data:`MAX_FILTER_DEPTH`, counting a run of one
    logical operator as one level (it is compiled as one list). Arithmetic is left-associative,
    so ``1 add 1 add ...`` nests one level per operator however it is written."""
    stack: list[tuple[Node, int]] = [(node, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_FILTER_DEPTH:
            raise bad_request("sta.filter_too_deep", option=option, limit=MAX_FILTER_DEPTH)
        children = chain(item) if isinstance(item, Binary) and item.op in ("and", "or") else None
        if children is not None and len(children) > 1:
            stack.extend((child, depth + 1) for child in children)
        else:
            stack.extend((child, depth + 1) for child in _children(item))


def parse_filter(text: str, option: str = "$filter") -> Node:
    """Parse a ``$filter`` expression; a 400 when it is malformed, nested deeper than
    :data:`MAX_FILTER_DEPTH` levels or longer than :data:`MAX_FILTER_TOKENS` tokens."""
    parser = _Parser(text, option)
    if parser.at_end():
        raise parser.fail()
    node = parser.expression()
    if not parser.at_end():
        raise parser.fail()
    _check_depth(node, option)
    return node


def parse_orderby(text: str) -> list[OrderItem]:
    """Parse ``$orderby``: expressions, each optionally followed by asc or desc (any case),
    within the same limits as ``$filter``."""
    parser = _Parser(text, "$orderby")
    items: list[OrderItem] = []
    while True:
        expr = parser.expression()
        _check_depth(expr, "$orderby")
        descending = False
        word = parser.word()
        if word in ("asc", "desc"):
            parser.index += 1
            descending = word == "desc"
        items.append(OrderItem(expr, descending))
        if parser.at_end():
            return items
        token = parser.take()
        if token.text != ",":
            parser.index -= 1
            raise parser.fail()


# --- options ------------------------------------------------------------------------------------

_SUPPORTED = frozenset(
    {"$filter", "$orderby", "$select", "$expand", "$top", "$skip", "$count", "$resultformat"}
)


def split_top_level(text: str, separator: str) -> list[str]:
    """Split at ``separator`` outside parentheses and quotes."""
    parts: list[str] = []
    depth = 0
    quoted = False
    current: list[str] = []
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        if char == separator and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0 or quoted:
        raise bad_request("sta.bad_option", option="$expand", value=text)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _integer(option: str, value: str, *, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise bad_request("sta.bad_option", option=option, value=value) from None
    if number < 0:
        raise bad_request("sta.bad_option", option=option, value=value)
    return min(number, high)


def _select(value: str) -> list[str]:
    names = [part.strip() for part in value.split(",") if part.strip()]
    if not names:
        raise bad_request("sta.bad_option", option="$select", value=value)
    for name in names:
        if name.lower().startswith("distinct:"):
            raise not_implemented("$select=distinct:")
        if "/" in name:
            raise not_implemented("$select of a path")
    return ["id" if name == "@iot.id" else name for name in names]


def _expand(value: str, limits: Limits, depth: int) -> list[Expand]:
    """The expansions of one ``$expand`` whose items stand ``depth`` levels down (1 for the
    request's own); a 400 before any deeper level is parsed when one would pass
    ``limits.max_expand_depth``."""
    expands: list[Expand] = []
    for item in split_top_level(value, ","):
        name, options = item, ""
        if "(" in item:
            if not item.endswith(")"):
                raise bad_request("sta.bad_option", option="$expand", value=item)
            name, options = item[: item.index("(")], item[item.index("(") + 1 : -1]
        parts = [p.strip() for p in name.split("/") if p.strip()]
        if not parts:
            raise bad_request("sta.bad_option", option="$expand", value=item)
        deepest = depth + len(parts) - 1
        if deepest > limits.max_expand_depth:
            raise bad_request("sta.expand_too_deep", limit=limits.max_expand_depth)
        inner: dict[str, str] = {}
        for option in split_top_level(options, ";"):
            key, sep, text = option.partition("=")
            if not sep:
                raise bad_request("sta.bad_option", option="$expand", value=option)
            inner[key.strip()] = text.strip()
        query = _options(inner, limits, deepest)
        # "Datastreams/Observations" expands Observations inside each Datastream.
        suffix = f"({options})" if options else ""
        for index in range(len(parts) - 1, 0, -1):
            rest = "/".join(parts[index:]) + suffix
            query = Query(expand=[Expand(parts[index], query)], raw={"$expand": rest})
        _add_expand(expands, Expand(parts[0], query))
    return expands


def _add_expand(expands: list[Expand], new: Expand) -> None:
    """Add ``new`` to one level's expansions, merging it with an expansion of the same
    property (``Datastreams/Sensor,Datastreams/ObservedProperty`` expands Datastreams once, with
    both inside). Two with different options of their own are a 400."""
    for index, old in enumerate(expands):
        if old.name != new.name:
            continue
        own_old = {k: v for k, v in old.query.raw.items() if k != "$expand"}
        own_new = {k: v for k, v in new.query.raw.items() if k != "$expand"}
        if own_old and own_new and own_old != own_new:
            raise bad_request("sta.expand_twice", name=new.name)
        merged = old.query if own_old else new.query
        inner = list(old.query.expand)
        for item in new.query.expand:
            _add_expand(inner, item)
        texts = [q.raw["$expand"] for q in (old.query, new.query) if q.raw.get("$expand")]
        raw = {**merged.raw}
        if texts:
            raw["$expand"] = ",".join(texts)
        expands[index] = Expand(new.name, replace(merged, expand=inner, raw=raw))
        return
    expands.append(new)


def parse_options(params: Mapping[str, str], limits: Limits = DEFAULT_LIMITS) -> Query:
    """Parse the query options of a request (other parameters, such as ``lang``, are left to
    others) within ``limits``. A malformed option, or one past the limits, answers 400; an
    option this server does not support answers 501."""
    return _options(params, limits, 0)


def _options(  # noqa: PLR0912  (one case per option)
    params: Mapping[str, str], limits: Limits, depth: int
) -> Query:
    """The options of the request (``depth`` 0) or of an expansion ``depth`` levels down."""
    query = Query()
    for key, value in params.items():
        if not key.startswith("$"):
            continue
        lowered = key.lower()
        if lowered not in _SUPPORTED:
            raise not_implemented(key)
        query.raw[lowered] = value
        if lowered == "$filter":
            query.filter = parse_filter(value)
        elif lowered == "$orderby":
            query.orderby = parse_orderby(value)
        elif lowered == "$select":
            query.select = _select(value)
        elif lowered == "$expand":
            query.expand = _expand(value, limits, depth + 1)
        elif lowered == "$top":
            query.top = _integer(key, value, high=limits.max_top)
        elif lowered == "$skip":
            query.skip = _integer(key, value, high=2**62)
        elif lowered == "$count":
            if value.lower() not in ("true", "false"):
                raise bad_request("sta.bad_option", option=key, value=value)
            query.count = value.lower() == "true"
        elif lowered == "$resultformat":
            if value.lower() != "dataarray":
                raise not_implemented(f"$resultFormat={value}")
            query.result_format = "dataArray"
    if query.top is None and limits.max_top < DEFAULT_TOP:
        query.top = limits.max_top
    return query


__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_TOP",
    "MAX_EXPAND_DEPTH",
    "MAX_FILTER_DEPTH",
    "MAX_FILTER_TOKENS",
    "MAX_TOP",
    "Binary",
    "Call",
    "Expand",
    "Limits",
    "Literal",
    "Node",
    "OrderItem",
    "Path",
    "Query",
    "Unary",
    "chain",
    "parse_datetime",
    "parse_filter",
    "parse_options",
    "parse_orderby",
    "split_top_level",
]
