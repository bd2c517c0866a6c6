"""The SensorThings API routes at ``/sta/v1.1``: the service root, every resource path for
GET, POST, PATCH, PUT and DELETE, and ``CreateObservations``. Handlers parse the request and
call :mod:`~yiwang.sensing.sta.reads` or :mod:`~yiwang.sensing.sta.store`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import DataError

from yiwang.core.config import Settings
from yiwang.core.errors import AppError, Unauthenticated
from yiwang.core.policy import Actor
from yiwang.core.web.deps import CurrentActor, SessionDep
from yiwang.sensing import limits
from yiwang.sensing.sta import arrays, reads, store
from yiwang.sensing.sta.entities import TYPES, self_link
from yiwang.sensing.sta.errors import bad_request
from yiwang.sensing.sta.query import Limits, Query, parse_options

PREFIX = "/sta/v1.1"
router = APIRouter(prefix=PREFIX, tags=["SensorThings API 1.1"])

_SPEC = "http://www.opengis.net/spec/iot_sensing/1.1/req/"
CONFORMANCE = [
    _SPEC + "datamodel",
    _SPEC + "resource-path/resource-path-to-entities",
    _SPEC + "request-data",
    _SPEC + "create-update-delete",
    _SPEC + "multi-datastream",
    _SPEC + "data-array/data-array",
    _SPEC + "create-observations-via-data-array",
]
MQTT_CREATE = _SPEC + "create-observations-via-mqtt/observations-creation"
MQTT_RECEIVE = _SPEC + "receive-updates-via-mqtt/receive-updates"
_JSON_PATCH = "application/json-patch+json"
T = TypeVar("T")
# A number that may be out of range (19 digits, or an exponent of three): only a body with one
# is parsed with the slower checks of every number.
_SUSPECT_NUMBER = re.compile(rb"\d{19}|[eE]\+?\d{3}")


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _context(request: Request, session: Any, actor: Actor) -> reads.Context:
    base = str(request.base_url).rstrip("/") + PREFIX
    budget = _settings(request).sta_max_data_bytes
    return reads.Context(session=session, actor=actor, base_url=base, budget=budget)


def _limits(request: Request) -> Limits:
    settings = _settings(request)
    return Limits(max_expand_depth=settings.sta_max_expand_depth, max_top=settings.sta_max_top)


def _bad_number(text: str) -> NoReturn:
    raise bad_request("sta.bad_number", value=text[:40])


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > 19:
        _bad_number(text)
    value = int(text)
    if abs(value) > limits.LARGEST_ID:
        _bad_number(text)
    return value


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        _bad_number(text)
    return value


async def _body(request: Request) -> Any:
    """The JSON body of a write: a 400 when it is not JSON in UTF-8, nests more than
    :data:`~yiwang.sensing.limits.MAX_BODY_DEPTH` levels (found before it is parsed) or
    holds a number no column can keep (NaN, Infinity, a float past a double's range, an
    integer past 64 bits)."""
    raw = await request.body()
    malformed = AppError("malformed_json", status_code=400)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise malformed from None
    too_deep = bad_request("sta.body_too_deep", limit=limits.MAX_BODY_DEPTH)
    if limits.nesting_exceeds(raw, limits.MAX_BODY_DEPTH):
        raise too_deep
    checks: dict[str, Any] = {"parse_constant": _bad_number}
    if _SUSPECT_NUMBER.search(raw):
        checks.update(parse_int=_integer, parse_float=_float)
    try:
        return json.loads(text, **checks)
    except RecursionError:
        raise too_deep from None
    except ValueError:  # JSONDecodeError, or more digits than Python converts
        raise malformed from None


def _writer(actor: Actor, ctx: reads.Context) -> store.Writer:
    if actor.is_anonymous:
        raise Unauthenticated("auth.required")
    return store.Writer(ctx)


async def _run(function: Callable[..., T], *args: Any) -> T:
    return await run_in_threadpool(function, *args)


@router.get("", include_in_schema=True, summary="The service root and its conformance classes")
@router.get("/", include_in_schema=False)
def service_root(request: Request) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/") + PREFIX
    # The broker clients publish to and subscribe at, without any credentials in its address.
    broker = urlsplit(request.app.state.settings.mqtt_url)
    port = f":{broker.port}" if broker.port else ""
    mqtt = {"endpoints": [f"{broker.scheme}://{broker.hostname}{port}"]}
    return {
        "value": [
            {"name": entity.plural, "url": f"{base}/{entity.plural}"} for entity in TYPES.values()
        ],
        "serverSettings": {
            "conformance": [*CONFORMANCE, MQTT_CREATE, MQTT_RECEIVE],
            MQTT_CREATE: mqtt,
            MQTT_RECEIVE: mqtt,
        },
    }


@router.post("/CreateObservations", summary="Create observations sent as data arrays")
async def create_observations(
    request: Request, session: SessionDep, actor: CurrentActor
) -> Response:
    ctx = _context(request, session, actor)
    _writer(actor, ctx)
    body = await _body(request)
    answers, _ = await _run(arrays.create_from_arrays, ctx, body)
    return JSONResponse(answers, status_code=201)


def _read(ctx: reads.Context, path: str, request: Request) -> Any:
    params = dict(request.query_params)
    query = parse_options(params, _limits(request))
    target = reads.resolve(ctx, path)
    try:
        if target.single or target.prop is not None:
            result = reads.read_entity(ctx, target, query)
        else:
            url = f"{ctx.base_url}/{path.strip('/')}"
            result = reads.read_collection(ctx, target, query, url=url, params=params)
    except DataError:
        # PostgreSQL refusing to compute an expression on the stored values (a number out of
        # range, a negative substring length): the query's fault, not the server's.
        raise bad_request("sta.not_computable") from None
    ctx.audit_reads(request.url.path)
    return result


@router.get("/{path:path}", summary="Read entities, their properties and links")
def read(path: str, request: Request, session: SessionDep, actor: CurrentActor) -> Response:
    ctx = _context(request, session, actor)
    result = _read(ctx, path, request)
    if isinstance(result, dict | list):
        return JSONResponse(result)
    if result is None:
        return Response(status_code=204)
    if isinstance(result, str):
        return PlainTextResponse(result)
    return PlainTextResponse(json.dumps(result))


def _created(ctx: reads.Context, path: str, body: Any) -> tuple[str, dict[str, Any]]:
    writer = store.Writer(ctx)
    target = reads.resolve(ctx, path)
    if target.single or target.prop is not None or target.ref:
        raise bad_request("sta.not_a_collection", path=path)
    entity = target.entity
    if not isinstance(body, dict):
        raise bad_request("sta.body_not_object")
    if target.parent is not None and target.nav is not None:
        parent_entity, parent = target.parent
        body = _with_parent(entity, parent_entity.name, target.nav.name, parent["id"], body)
    ident = store.create(writer, entity, body)
    writer.announce()
    document = reads.read_entity(
        ctx, reads.Target(entity, [entity.table.c.id == ident], True, path, ident), Query()
    )
    return self_link(ctx.base_url, entity, ident), document


def _with_parent(
    entity: Any, parent_name: str, nav_name: str, parent_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    from yiwang.sensing.sta.entities import REVERSE  # noqa: PLC0415

    reverse = REVERSE[(parent_name, nav_name)]
    link = {"@iot.id": parent_id}
    if entity.navs[reverse].many:
        existing = body.get(reverse) or []
        return {**body, reverse: [*existing, link]}
    return {**body, reverse: link}


@router.post("/{path:path}", summary="Create an entity (deep insert)")
async def create(path: str, request: Request, session: SessionDep, actor: CurrentActor) -> Response:
    ctx = _context(request, session, actor)
    _writer(actor, ctx)
    body = await _body(request)
    location, document = await _run(_created, ctx, path, body)
    return JSONResponse(document, status_code=201, headers={"Location": location})


def _changed(ctx: reads.Context, path: str, body: Any, mode: str) -> dict[str, Any]:
    writer = store.Writer(ctx)
    target = reads.resolve(ctx, path)
    if mode == "json-patch":
        store.patch_json(writer, target, body)
    else:
        store.update(writer, target, body, replace=mode == "put")
    writer.announce()
    return dict(reads.read_entity(ctx, target, Query()))


@router.patch("/{path:path}", summary="Change an entity (merge, or JSON Patch)")
async def patch(path: str, request: Request, session: SessionDep, actor: CurrentActor) -> Response:
    ctx = _context(request, session, actor)
    _writer(actor, ctx)
    body = await _body(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    mode = "json-patch" if content_type == _JSON_PATCH else "merge"
    return JSONResponse(await _run(_changed, ctx, path, body, mode))


@router.put("/{path:path}", summary="Replace an entity")
async def put(path: str, request: Request, session: SessionDep, actor: CurrentActor) -> Response:
    ctx = _context(request, session, actor)
    _writer(actor, ctx)
    body = await _body(request)
    return JSONResponse(await _run(_changed, ctx, path, body, "put"))


def _deleted(ctx: reads.Context, path: str) -> None:
    store.delete(store.Writer(ctx), reads.resolve(ctx, path))


@router.delete("/{path:path}", summary="Delete an entity")
async def delete(path: str, request: Request, session: SessionDep, actor: CurrentActor) -> Response:
    ctx = _context(request, session, actor)
    _writer(actor, ctx)
    await _run(_deleted, ctx, path)
    return Response(status_code=200)


__all__ = ["CONFORMANCE", "PREFIX", "router"]
