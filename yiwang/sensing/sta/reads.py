"""Reading SensorThings resources: resource paths (``Things(1)/Datastreams``,
``.../$ref``, ``.../name/$value``), collections with ``$filter``, ``$orderby``, paging and
``$count``, ``$expand`` with its own options at every level, ``$select``, and the dataArray
result format. Every query is limited to what the caller may see.

Every response is bounded: the entities of one response (those expanded included) take at
most :attr:`Context.budget` bytes of JSON, as FROST-Server's ``maxDataSize``. A collection
whose next member would pass it is cut short there and given its navigation link
(``@iot.nextLink``, or ``Datastreams@iot.nextLink`` inside an expanded entity); only the first
entity of the response and the single entities expanded into a kept one are given whole
whatever their size. Expansions are read a bounded number of parents at a time, so that a cut
response also stops the reading."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from yiwang.core import audit
from yiwang.core.errors import AppError, NotFound
from yiwang.core.policy import Actor
from yiwang.sensing import limits, personal
from yiwang.sensing.sta.entities import (
    BY_PLURAL,
    DATASTREAMS,
    TYPES,
    EntityType,
    Nav,
    Row,
    StreamInfo,
    getter,
    observation_result,
    related_to,
    self_link,
    visibility,
)
from yiwang.sensing.sta.errors import bad_request
from yiwang.sensing.sta.filters import filter_condition, order_terms
from yiwang.sensing.sta.query import Query

# FROST-Server's default maxDataSize: the JSON of a response's entities stays below it.
MAX_DATA_BYTES = 25_000_000
# Expansions are read for at most this many parents, and about this many rows, per query.
_PARENTS_PER_QUERY = 100
_ROWS_PER_QUERY = 10_000

DATA_ARRAY_COMPONENTS = (
    "id",
    "phenomenonTime",
    "result",
    "resultTime",
    "resultQuality",
    "validTime",
    "parameters",
)


@dataclass
class Context:
    """One request: who asks, on which session, where the service is, and what was read."""

    session: Session
    actor: Actor
    base_url: str  # the service root, e.g. https://host/sta/v1.1
    streams: dict[int, StreamInfo] = field(default_factory=dict)
    closed_reads: list[tuple[str, int]] = field(default_factory=list)
    clear_personal: list[int] = field(default_factory=list)  # Things shown with personal data
    budget: int = MAX_DATA_BYTES  # bytes of JSON the response's entities may still take
    full: bool = False  # the budget is spent: every collection is cut from here on

    def fits(self, document: Any, *, forced: bool = False) -> bool:
        """Charge the JSON size of one entity (without what is expanded into it, which is
        charged as it is made) and say whether it fits. Once one does not, the response is
        full and nothing more fits; a ``forced`` one is charged and kept all the same."""
        if self.full and not forced:
            return False
        size = json_size(document)
        if size > self.budget and not forced:
            self.full = True
            return False
        self.charge(size)
        return True

    def take(self, documents: Sequence[Any], *, keep: int = 0) -> int:
        """How many of the leading ``documents`` fit, at least ``keep`` of them; those are
        charged. All of them are measured at once when they all fit (the usual case), one by
        one only when they do not."""
        if not documents:
            return 0
        if not self.full:
            # The list's brackets and commas are not the documents'.
            size = json_size(documents) - len(documents) - 1
            if size <= self.budget:
                self.charge(size)
                return len(documents)
        count = 0
        for document in documents:
            if not self.fits(document, forced=count < keep):
                break
            count += 1
        return count

    def charge(self, size: int) -> None:
        """Count ``size`` bytes given in the response whether they fit or not."""
        self.budget -= size
        if self.budget <= 0:
            self.full = True

    def stream_info(self, ids: Iterable[int]) -> None:
        """Load what serializing observations of these streams needs, once per stream."""
        missing = {i for i in ids if i not in self.streams}
        if not missing:
            return
        rows = self.session.execute(
            sa.select(
                DATASTREAMS.c.id,
                DATASTREAMS.c.kind,
                DATASTREAMS.c.observation_type,
                DATASTREAMS.c.is_open,
            ).where(DATASTREAMS.c.id.in_(missing))
        )
        for row in rows:
            self.streams[row.id] = StreamInfo(row.kind, row.observation_type, row.is_open)

    def note_reads(self, entity: EntityType, rows: Sequence[Row]) -> None:
        """Remember rows read that are not open, for the audit log."""
        if not entity.audited or self.actor.is_anonymous:
            return
        if entity.name == "Observation":
            self.stream_info(row["stream_id"] for row in rows)
            closed = {
                row["stream_id"] for row in rows if not self.streams[row["stream_id"]].is_open
            }
            self.closed_reads.extend(("Datastream", stream) for stream in sorted(closed))
            return
        self.closed_reads.extend((entity.name, row["id"]) for row in rows if not row["is_open"])

    def audit_reads(self, path: str) -> None:
        """One audit entry per request that read data that is not open (personal data shown
        clear is not)."""
        if not self.closed_reads and not self.clear_personal:
            return
        objects = sorted({*self.closed_reads, *(("Thing", i) for i in self.clear_personal)})
        details: dict[str, Any] = {"path": path, "objects": [f"{t}({i})" for t, i in objects[:50]]}
        if self.clear_personal:
            details["personal"] = [f"Thing({i})" for i in sorted(set(self.clear_personal))[:50]]
        audit.record_read(
            self.session,
            actor=self.actor,
            action="sensing.sta.read",
            object_type=objects[0][0],
            object_id=objects[0][1],
            details=details,
        )


# --- resource paths -----------------------------------------------------------------------------

_SEGMENT = re.compile(r"^([A-Za-z$][A-Za-z0-9_]*)(?:\((?:'([^']*)'|(-?\d+))\))?$")


@dataclass
class Target:
    """Where a resource path leads: rows of ``entity`` meeting ``where``; ``single`` when the
    path names one entity; ``prop`` and ``value`` for ``.../name`` and ``.../name/$value``;
    ``ref`` for ``.../$ref``. ``parent`` and ``nav`` say how it was reached."""

    entity: EntityType
    where: list[ColumnElement[bool]]
    single: bool
    path: str
    entity_id: int | None = None
    prop: str | None = None
    value: bool = False
    ref: bool = False
    parent: tuple[EntityType, Row] | None = None
    nav: Nav | None = None


def unknown_path(path: str) -> AppError:
    """A resource path that leads nowhere: 404, as for an entity that does not exist."""
    return AppError("sta.bad_path", status_code=404, path=path)


def _segments(path: str) -> list[tuple[str, int | None]]:
    out: list[tuple[str, int | None]] = []
    for part in path.strip("/").split("/"):
        match = _SEGMENT.match(part)
        if match is None:
            raise unknown_path(path)
        key = match.group(2) if match.group(2) is not None else match.group(3)
        if key is not None:
            try:
                number = int(key)
            except ValueError:
                raise NotFound(match.group(1), key) from None
            if abs(number) > limits.LARGEST_ID:  # no id is that large
                raise NotFound(match.group(1), key[:40])
            out.append((match.group(1), number))
        else:
            out.append((match.group(1), None))
    return out


def fetch_one(ctx: Context, entity: EntityType, where: Sequence[ColumnElement[bool]]) -> Row | None:
    conditions = list(where)
    visible = visibility(entity, entity.table, ctx.actor)
    if visible is not None:
        conditions.append(visible)
    base = entity.base_condition()
    if base is not None:
        conditions.append(base)
    row = ctx.session.execute(sa.select(entity.table).where(*conditions).limit(1)).first()
    return None if row is None else row._mapping


def resolve(ctx: Context, path: str) -> Target:  # noqa: PLR0912  (one case per segment kind)
    """Follow a resource path; 404 when an entity on the way is missing or not visible, or
    when a segment names no entity set, navigation property or property."""
    segments = _segments(path)
    name, key = segments[0]
    entity = BY_PLURAL.get(name)
    if entity is None:
        raise unknown_path(path)
    table = entity.table
    target = Target(entity, [], single=False, path=path)
    if key is not None:
        target.where, target.single, target.entity_id = [table.c.id == key], True, key
    for name, key in segments[1:]:
        if target.prop is not None:
            if name == "$value" and key is None and not target.value:
                target.value = True
                continue
            raise unknown_path(path)
        if name == "$ref" and key is None and not target.ref:
            target.ref = True
            continue
        if target.ref:
            raise unknown_path(path)
        if not target.single:
            raise unknown_path(path)
        parent = fetch_one(ctx, target.entity, target.where)
        if parent is None:
            raise NotFound(target.entity.name, target.entity_id)
        nav = target.entity.navs.get(name)
        if nav is None:
            if target.entity.prop(name) is None or key is not None:
                raise unknown_path(path)
            target.prop = name
            target.where = [target.entity.table.c.id == parent["id"]]
            continue
        child = TYPES[nav.target]
        where = related_to(nav, parent, child.table)
        single = not nav.many
        child_id = None
        if key is not None:
            if not nav.many:
                raise unknown_path(path)
            where.append(child.table.c.id == key)
            single, child_id = True, key
        target = Target(
            child,
            where,
            single=single,
            path=path,
            entity_id=child_id,
            parent=(target.entity, parent),
            nav=nav,
        )
    return target


# --- collections --------------------------------------------------------------------------------


def _conditions(
    ctx: Context,
    entity: EntityType,
    where: Sequence[ColumnElement[bool]],
    query: Query,
    *,
    parent_checked: bool = False,
) -> list[ColumnElement[bool]]:
    conditions = list(where)
    base = entity.base_condition()
    if base is not None:
        conditions.append(base)
    # The observations of one stream are visible when the stream is, and it was checked.
    skip = parent_checked and entity.name == "Observation"
    visible = None if skip else visibility(entity, entity.table, ctx.actor)
    if visible is not None:
        conditions.append(visible)
    if query.filter is not None:
        conditions.append(
            filter_condition(ctx.session, ctx.actor, entity, entity.table, query.filter)
        )
    return conditions


def _ordering(ctx: Context, entity: EntityType, query: Query, *, one_stream: bool) -> list[Any]:
    terms = order_terms(ctx.session, ctx.actor, entity, entity.table, query.orderby)
    # Within one stream, phenomenon times are unique: ordering by them alone lets the database
    # read the (stream_id, phenomenon_time) index in order instead of sorting.
    unique_time = (
        one_stream
        and entity.name == "Observation"
        and bool(query.orderby)
        and _is_phenomenon_time(query)
    )
    if not unique_time:
        terms.append(entity.table.c.id.asc())
    return terms


def _is_phenomenon_time(query: Query) -> bool:
    from yiwang.sensing.sta.query import Path  # noqa: PLC0415

    last = query.orderby[-1].expr
    return isinstance(last, Path) and last.parts == ("phenomenonTime",)


def collection_statement(
    ctx: Context,
    entity: EntityType,
    where: Sequence[ColumnElement[bool]],
    query: Query,
    *,
    one_stream: bool = False,
) -> sa.Select[Any]:
    """The SELECT for one page of a collection (one row more than the page, to know whether
    another page follows)."""
    top = query.top_or_default()
    return (
        sa.select(entity.table)
        .where(*_conditions(ctx, entity, where, query, parent_checked=one_stream))
        .order_by(*_ordering(ctx, entity, query, one_stream=one_stream))
        .offset(query.skip)
        .limit(top + 1)
    )


def _count(
    ctx: Context,
    entity: EntityType,
    where: Sequence[ColumnElement[bool]],
    query: Query,
    *,
    one_stream: bool,
) -> int:
    conditions = _conditions(ctx, entity, where, query, parent_checked=one_stream)
    statement = sa.select(sa.func.count()).select_from(entity.table).where(*conditions)
    return int(ctx.session.execute(statement).scalar_one())


_SAFE = "$,()'/:@"


def next_link(
    url: str, params: Mapping[str, str], query: Query, returned: int | None = None
) -> str:
    """The URL of the next page: the same request with ``$skip`` moved past the ``returned``
    entities (a whole page when not given)."""
    top = query.top_or_default()
    kept = {k: v for k, v in params.items() if k.lower() not in ("$skip", "$top")}
    kept["$top"] = str(top)
    kept["$skip"] = str(query.skip + (top if returned is None else returned))
    return f"{url}?{urlencode(kept, quote_via=quote, safe=_SAFE)}"


def read_collection(
    ctx: Context, target: Target, query: Query, *, url: str, params: Mapping[str, str]
) -> dict[str, Any]:
    """A collection response: ``value``, and ``@iot.count`` and ``@iot.nextLink`` when due.
    The page is cut short, with ``@iot.nextLink``, where its entities would pass the size
    limit (never before its first)."""
    entity = target.entity
    one_stream = target.parent is not None and target.parent[0].name in (
        "Datastream",
        "MultiDatastream",
    )
    statement = collection_statement(ctx, entity, target.where, query, one_stream=one_stream)
    rows = [row._mapping for row in ctx.session.execute(statement)]
    top = query.top_or_default()
    more = len(rows) > top
    rows = rows[:top]
    value: list[dict[str, Any]]
    if target.ref:
        ctx.note_reads(entity, rows)
        value = [{"@iot.selfLink": self_link(ctx.base_url, entity, r["id"])} for r in rows]
        returned = len(rows)
    elif query.result_format == "dataArray":
        if entity.name != "Observation":
            raise bad_request("sta.bad_option", option="$resultFormat", value="dataArray")
        value, returned = data_arrays(ctx, rows, query, keep=1)
    else:
        value = serialize_rows(ctx, entity, rows, query, keep=1)
        returned = len(value)
    out: dict[str, Any] = {}
    if query.count:
        out["@iot.count"] = _count(ctx, entity, target.where, query, one_stream=one_stream)
    if more or returned < len(rows):
        out["@iot.nextLink"] = next_link(url, params, query, returned)
    out["value"] = value
    return out


def read_entity(ctx: Context, target: Target, query: Query) -> Any:
    """One entity (or one of its properties, None when that is null, or its ``$ref``); 404
    when there is none."""
    row = fetch_one(ctx, target.entity, target.where)
    if row is None:
        if target.parent is not None and target.entity_id is None:
            raise NotFound(target.entity.name, "-")
        raise NotFound(target.entity.name, target.entity_id)
    if target.ref:
        ctx.note_reads(target.entity, [row])
        return {"@iot.selfLink": self_link(ctx.base_url, target.entity, row["id"])}
    if target.prop is not None:
        document = serialize_rows(ctx, target.entity, [row], Query(select=[target.prop]))[0]
        value = document.get(target.prop if target.prop != "id" else "@iot.id")
        # A property that is null answers 204 No Content, as its $value does (OGC 18-088 9.2.4).
        return value if target.value or value is None else {target.prop: value}
    if query.result_format == "dataArray":
        raise bad_request("sta.bad_option", option="$resultFormat", value="dataArray")
    return serialize_rows(ctx, target.entity, [row], query)[0]


# --- serialization and $expand ------------------------------------------------------------------


def json_size(value: Any) -> int:
    """The bytes ``value`` takes in the response (JSON in UTF-8, as it is sent)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return len(text.encode())


def _chunk_size(entity: EntityType, rows: Sequence[Row], query: Query) -> int:
    """How many rows are serialized, and have their expansions read, at a time: all of them
    when nothing is expanded; otherwise few enough that one query reads at most
    ``_PARENTS_PER_QUERY`` parents and about ``_ROWS_PER_QUERY`` rows."""
    if not query.expand:
        return max(len(rows), 1)
    size = _PARENTS_PER_QUERY
    for expand in query.expand:
        nav = entity.navs.get(expand.name)
        if nav is not None and nav.many:
            size = min(size, max(1, _ROWS_PER_QUERY // (expand.query.top_or_default() + 1)))
    return size


def serialize_rows(
    ctx: Context,
    entity: EntityType,
    rows: Sequence[Row],
    query: Query,
    *,
    keep: int | None = None,
) -> list[dict[str, Any]]:
    """STA JSON for rows of ``entity``, with ``$select`` applied and ``$expand`` filled in.

    With ``keep`` the documents are those of the leading rows that fit the response's size
    limit, at least ``keep`` of them; the caller links to the rest. Without it (the default,
    for the server's own use) every row is given."""
    selected = set(query.select) if query.select is not None else None
    if selected is not None:
        unknown = selected - set(entity.props) - set(entity.navs) - {"id", "@iot.selfLink"}
        if unknown:
            raise bad_request("sta.unknown_property", entity=entity.name, name=min(unknown))
    expands: list[tuple[Nav, Query]] = []
    for expand in query.expand:
        nav = entity.navs.get(expand.name)
        if nav is None:
            raise bad_request("sta.bad_expand", entity=entity.name, name=expand.name)
        expands.append((nav, expand.query))
    props = [
        (name, getter(entity, prop))
        for name, prop in entity.props.items()
        if selected is None or name in selected
    ]
    navs = [name for name in entity.navs if selected is None or name in selected]
    if entity.name == "Observation":
        ctx.stream_info(row["stream_id"] for row in rows)
        streams = ctx.streams
        props = [
            (name, _result_getter(streams) if name == "result" else read) for name, read in props
        ]
        # An observation belongs to a Datastream or to a MultiDatastream, never both.
        navs = [n for n in navs if n != "MultiDatastream"]
    reader, props = _personal_reader(ctx, entity, props)
    with_id = selected is None or "id" in selected
    with_link = selected is None or "@iot.selfLink" in selected or "id" in selected
    minimum = len(rows) if keep is None else keep

    def document_of(row: Row) -> dict[str, Any]:
        link = self_link(ctx.base_url, entity, row["id"])
        document: dict[str, Any] = {}
        if with_id:
            document["@iot.id"] = row["id"]
        if with_link:
            document["@iot.selfLink"] = link
        for name, read in props:
            document[name] = read(row)
        for name in navs:
            nav_name = name
            if entity.name == "Observation" and name == "Datastream":
                info = ctx.streams.get(row["stream_id"])
                if info is not None and info.kind == "multi":
                    nav_name = "MultiDatastream"
            document[f"{nav_name}@iot.navigationLink"] = f"{link}/{nav_name}"
        return document

    documents: list[dict[str, Any]] = []
    step = _chunk_size(entity, rows, query)
    for start in range(0, len(rows), step):
        part = rows[start : start + step]
        chunk = [document_of(row) for row in part]
        count = ctx.take(chunk, keep=minimum - len(documents))
        kept, chunk = part[:count], chunk[:count]
        ctx.note_reads(entity, kept)
        if reader is not None:
            ctx.clear_personal.extend(reader.shown_clear(kept))
        for nav, inner in expands:
            _expand(ctx, entity, nav, kept, chunk, inner)
        documents.extend(chunk)
        if len(kept) < len(part):
            break
    return documents


def _personal_reader(
    ctx: Context, entity: EntityType, props: list[tuple[str, Any]]
) -> tuple[personal.Reader | None, list[tuple[str, Any]]]:
    """For Things whose properties are shown: the reader that masks the personal data their
    packs declare (unless the caller may read it clear), and ``props`` reading through it."""
    if entity.name != "Thing" or all(name != "properties" for name, _ in props):
        return None, props
    reader = personal.Reader(ctx.actor)
    return reader, [
        (name, reader.properties if name == "properties" else read) for name, read in props
    ]


def _result_getter(streams: Mapping[int, StreamInfo]) -> Any:
    return lambda row: observation_result(row, streams.get(row["stream_id"]))


def _expand(
    ctx: Context,
    entity: EntityType,
    nav: Nav,
    rows: Sequence[Row],
    documents: list[dict[str, Any]],
    query: Query,
) -> None:
    if not rows:
        return
    if nav.many:
        _expand_collection(ctx, entity, nav, rows, documents, query)
        return
    child = TYPES[nav.target]
    table = child.table
    keys = {row[nav.source_key] for row in rows if row[nav.source_key] is not None}
    found: dict[Any, Row] = {}
    if keys:
        where = [table.c[nav.target_key].in_(keys)]
        statement = sa.select(table).where(*_conditions(ctx, child, where, query))
        found = {
            r._mapping[nav.target_key]: dict(r._mapping) for r in ctx.session.execute(statement)
        }
    # A kept entity is given with its single related entities whatever the size (there is no
    # link to give instead); each is charged once for every entity it is shown in.
    children = serialize_rows(ctx, child, list(found.values()), query)
    by_key = {row[nav.target_key]: doc for row, doc in zip(found.values(), children, strict=True)}
    shown: dict[Any, int] = defaultdict(int)
    for row, document in zip(rows, documents, strict=True):
        value = by_key.get(row[nav.source_key])
        if value is not None:
            shown[row[nav.source_key]] += 1
        # An observation of a MultiDatastream has no Datastream, and the reverse.
        if value is not None or entity.name != "Observation":
            document[nav.name] = value
    for key, times in shown.items():
        if times > 1:
            ctx.charge(json_size(by_key[key]) * (times - 1))


def _expand_collection(
    ctx: Context,
    entity: EntityType,
    nav: Nav,
    rows: Sequence[Row],
    documents: list[dict[str, Any]],
    query: Query,
) -> None:
    """Fill one to-many navigation property of each row with its own page (``$top``,
    ``$skip``, ``$count``), cut where the response is full; a page with more to read gets its
    ``…@iot.nextLink``."""
    child = TYPES[nav.target]
    table = child.table
    parent_ids = [row[nav.source_key] if nav.link is None else row["id"] for row in rows]
    if nav.link is None:
        key = table.c[nav.target_key]
        base = sa.select(table, key.label("sta_parent")).where(key.in_(parent_ids))
    else:
        link = nav.link
        key = link.c[nav.link_source]
        base = (
            sa.select(table, key.label("sta_parent"))
            .join(link, link.c[nav.link_target] == table.c.id)
            .where(key.in_(parent_ids))
        )
    top, skip = query.top_or_default(), query.skip
    # Once the response is full, only whether there is anything to link to is read.
    full = ctx.full
    conditions = _conditions(ctx, child, [], query)
    one_stream = child.name == "Observation" and len(parent_ids) == 1
    order = _ordering(ctx, child, query, one_stream=one_stream)
    numbered = (
        base.where(*conditions)
        .add_columns(sa.func.row_number().over(partition_by=key, order_by=order).label("sta_rn"))
        .subquery()
    )
    statement = (
        sa.select(numbered)
        .where(numbered.c.sta_rn > skip, numbered.c.sta_rn <= skip + (1 if full else top + 1))
        .order_by(numbered.c.sta_parent, numbered.c.sta_rn)
    )
    grouped: dict[Any, list[Row]] = defaultdict(list)
    for result in ctx.session.execute(statement):
        grouped[result._mapping["sta_parent"]].append(result._mapping)
    counts: dict[Any, int] = {}
    if query.count:
        members_of = base.where(*conditions).subquery()
        counted = sa.select(members_of.c.sta_parent, sa.func.count()).group_by(
            members_of.c.sta_parent
        )
        counts = {parent: int(n) for parent, n in ctx.session.execute(counted)}
    # Every parent's page in the order of the parents, so that a cut keeps whole pages first.
    pages: list[tuple[int, int, bool]] = []
    members: list[Row] = []
    for parent_key in parent_ids:
        found = grouped.get(parent_key, [])
        page = [] if full else found[:top]
        pages.append((len(members), len(page), len(found) > len(page)))
        members.extend(page)
    children = serialize_rows(ctx, child, members, query, keep=0)
    for row, document, parent_key, (start, size, more) in zip(
        rows, documents, parent_ids, pages, strict=True
    ):
        given = children[start : start + size]
        document[nav.name] = given
        if query.count:
            document[f"{nav.name}@iot.count"] = counts.get(parent_key, 0)
        if more or len(given) < size:
            url = f"{self_link(ctx.base_url, entity, row['id'])}/{nav.name}"
            document[f"{nav.name}@iot.nextLink"] = next_link(url, query.raw, query, len(given))


# --- dataArray ----------------------------------------------------------------------------------


def data_arrays(
    ctx: Context, rows: Sequence[Row], query: Query, *, keep: int = 1
) -> tuple[list[dict[str, Any]], int]:
    """Observations grouped by stream, each group as ``components`` and ``dataArray``, and
    how many rows are in them: those that fit the response's size limit (at least ``keep``)."""
    if query.select is None:
        components = list(DATA_ARRAY_COMPONENTS)
    else:
        components = [c for c in DATA_ARRAY_COMPONENTS if c in query.select]
        if not components:
            raise bad_request("sta.bad_option", option="$select", value=",".join(query.select))
    ctx.stream_info(row["stream_id"] for row in rows)
    entity = TYPES["Observation"]
    readers = [
        (lambda row: row["id"])
        if name == "id"
        else _result_getter(ctx.streams)
        if name == "result"
        else getter(entity, entity.props[name])
        for name in components
    ]
    table = [[read(row) for read in readers] for row in rows]
    returned = ctx.take(table, keep=keep)
    groups: dict[int, list[list[Any]]] = {}
    for row, row_values in zip(rows[:returned], table, strict=False):
        groups.setdefault(row["stream_id"], []).append(row_values)
    ctx.note_reads(entity, rows[:returned])
    out = []
    for stream_id, values in groups.items():
        info = ctx.streams.get(stream_id)
        multi = info is not None and info.kind == "multi"
        kind = "MultiDatastream" if multi else "Datastream"
        plural = "MultiDatastreams" if multi else "Datastreams"
        out.append(
            {
                f"{kind}@iot.navigationLink": f"{ctx.base_url}/{plural}({stream_id})",
                "components": components,
                "dataArray@iot.count": len(values),
                "dataArray": values,
            }
        )
    return out, returned


__all__ = [
    "MAX_DATA_BYTES",
    "Context",
    "Target",
    "collection_statement",
    "data_arrays",
    "fetch_one",
    "json_size",
    "next_link",
    "read_collection",
    "read_entity",
    "resolve",
    "serialize_rows",
    "unknown_path",
]
