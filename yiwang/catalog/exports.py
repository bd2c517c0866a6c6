"""Downloads and exports: the streaming datastore dump (CSV, JSON, XLSX in constant memory)
and the DCAT-AP catalogue (JSON-LD, Turtle, RDF/XML)."""

from __future__ import annotations

import csv
import decimal
import io
import json
import os
import tempfile
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from yiwang.catalog import datastore, dcat, service
from yiwang.catalog.packages import package_dict
from yiwang.core import audit
from yiwang.core.db import Database
from yiwang.core.policy import ANONYMOUS
from yiwang.core.web.deps import CurrentActor, SessionDep, get_database

router = APIRouter(tags=["catalog"])

_CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)  # the same JSON number on SQLite (REAL) and PostgreSQL (NUMERIC)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _csv_stream(db: Database, view: datastore.TableView, bom: bool) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in view.columns])
    prefix = "\ufeff" if bom else ""
    yield (prefix + buffer.getvalue()).encode()
    with db.sessionmaker() as session:
        for row in datastore.iter_rows(session, view):
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([_cell(v) for v in row])
            yield buffer.getvalue().encode()


def _json_stream(db: Database, view: datastore.TableView) -> Iterator[bytes]:
    names = [c.name for c in view.columns]
    yield b"["
    first = True
    with db.sessionmaker() as session:
        for row in datastore.iter_rows(session, view):
            item = json.dumps(
                dict(zip(names, map(_json_value, row), strict=True)), ensure_ascii=False
            )
            yield (item if first else "," + item).encode()
            first = False
    yield b"]"


def _xlsx_stream(db: Database, view: datastore.TableView) -> Iterator[bytes]:
    import xlsxwriter  # noqa: PLC0415  (only for this format)

    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False})
        sheet = workbook.add_worksheet("data")
        for col, column in enumerate(view.columns):
            sheet.write_string(0, col, column.name)
        with db.sessionmaker() as session:
            for number, row in enumerate(datastore.iter_rows(session, view), start=1):
                for col, value in enumerate(row):
                    if value is None:
                        continue
                    if isinstance(value, bool | int | float):
                        sheet.write(number, col, value)
                    else:
                        sheet.write_string(number, col, str(_cell(value)))
        workbook.close()
        with open(path, "rb") as handle_in:
            while chunk := handle_in.read(1 << 16):
                yield chunk
    finally:
        os.unlink(path)


@router.get("/datastore/dump/{distribution_id}", summary="Download the data (streamed)")
def dump(
    request: Request,
    distribution_id: str,
    session: SessionDep,
    actor: CurrentActor,
    format: Annotated[Literal["csv", "json", "xlsx"], Query()] = "csv",
    bom: Annotated[bool, Query(description="start the CSV with a BOM (for Excel)")] = False,
) -> Response:
    view, resource, distribution = datastore.access_view(
        session, actor=actor, distribution_id=distribution_id
    )
    if datastore.audit_needed(view, resource):
        audit.record_read(
            session,
            actor=actor,
            action="datastore.dump",
            object_type="distribution",
            object_id=distribution.id,
            details={
                "access": view.access.level.value,
                "format": format,
                "version": view.version.number,
            },
        )
    db = get_database(request)
    stream = {
        "csv": lambda: _csv_stream(db, view, bom),
        "json": lambda: _json_stream(db, view),
        "xlsx": lambda: _xlsx_stream(db, view),
    }[format]()
    filename = f"{resource.name}-{distribution.id[:8]}-v{view.version.number}.{format}"
    return StreamingResponse(
        stream,
        media_type=_CONTENT_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- DCAT-AP -------------------------------------------------------------------------------------

_PAGE_SIZE = 100


def _dcat_response(graph: Any, fmt: str) -> Response:
    return Response(dcat.serialize(graph, fmt), media_type=dcat.MEDIA_TYPES[fmt])  # type: ignore[arg-type]


_NEGOTIATED = (
    ("text/turtle", "ttl"),
    ("application/rdf+xml", "rdf"),
    ("application/ld+json", "jsonld"),
)


@router.get(
    "/catalog", summary="The open catalogue as DCAT-AP, in the format the Accept header asks"
)
def dcat_catalog_negotiated(
    request: Request, session: SessionDep, page: Annotated[int, Query(ge=1)] = 1
) -> Response:
    accept = request.headers.get("accept", "")
    fmt = next((f for media, f in _NEGOTIATED if media in accept), "jsonld")
    return dcat_catalog(request, fmt, session, page)  # type: ignore[arg-type]


@router.get("/catalog.{fmt}", summary="The open catalogue as DCAT-AP (jsonld, ttl, rdf), paged")
def dcat_catalog(
    request: Request,
    fmt: Literal["jsonld", "ttl", "rdf"],
    session: SessionDep,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    """The public catalogue: the same for every caller, whoever is signed in."""
    base = str(request.base_url).rstrip("/")
    result = service.search(
        session,
        actor=ANONYMOUS,
        filters={"open_class": ["unconditional", "conditional"], "state": ["active"]},
        limit=_PAGE_SIZE,
        offset=(page - 1) * _PAGE_SIZE,
    )
    packages = [package_dict(session, r, base_url=base) for r in result.resources]
    modified = max((p["metadata_modified"] for p in packages), default=None)
    graph = dcat.catalog_graph(
        packages=packages,
        base_url=base,
        title="浙江省公共数据开放目录",
        title_en="Zhejiang open government data catalogue",
        description="一网平台开放的政务数据资源目录。",
        publisher_name="浙江省数据局",
        page=page,
        page_size=_PAGE_SIZE,
        total=result.count,
        catalog_modified=modified,
    )
    return _dcat_response(graph, fmt)


@router.get("/dataset/{ref}.{fmt}", summary="One resource as DCAT-AP (jsonld, ttl, rdf)")
def dcat_dataset(
    request: Request,
    ref: str,
    fmt: Literal["jsonld", "ttl", "rdf"],
    session: SessionDep,
    actor: CurrentActor,
) -> Response:
    base = str(request.base_url).rstrip("/")
    resource = service.get_resource(session, actor=actor, ref=ref)
    return _dcat_response(
        dcat.dataset_graph(package_dict(session, resource, base_url=base), base_url=base), fmt
    )
