"""Putting data into the datastore: distributions, uploads loaded as jobs, and records given
directly (CKAN's ``datastore_create``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from yiwang.catalog import ingest, personal
from yiwang.catalog.datastore_tables import RowWriter, create_table, physical_name
from yiwang.catalog.datastore_versions import FAILED, get_distribution, make_current, new_version
from yiwang.catalog.models import Distribution, Resource, TableVersion
from yiwang.catalog.service import CATALOG, get_resource
from yiwang.core import audit, cache, jobs
from yiwang.core.db import Database, utcnow
from yiwang.core.errors import AppError, InvalidInput
from yiwang.core.jobs import Job, JobContext, handler
from yiwang.core.policy import Actor, can_edit_resource, require

LOAD_JOB = "catalog.load"
SAMPLE = 1000
PROGRESS_SECONDS = 1.0  # how often a load reports its progress
BATCH = 5000


def add_distribution(
    session: Session,
    *,
    actor: Actor,
    resource_ref: str,
    name: str,
    description: str | None = None,
    format: str | None = None,
    url: str | None = None,
) -> Distribution:
    resource = get_resource(session, actor=actor, ref=resource_ref)
    url = link_url(url)
    require(
        can_edit_resource(actor, department_id=resource.department_id),
        "distribution.create",
        object_type="resource",
        object_id=resource.id,
    )
    distribution = Distribution(
        id=str(uuid.uuid4()),
        resource_id=resource.id,
        name=name,
        description=description,
        format=(format or "").upper() or None,
        url=url,
        position=len(resource.distributions),
        modified_at=utcnow(),
    )
    session.add(distribution)
    resource.modified_at = utcnow()
    session.flush()
    cache.bump(session, CATALOG)
    audit.record(
        session,
        actor=actor,
        action="distribution.create",
        object_type="distribution",
        object_id=distribution.id,
        details={"resource": resource.code, "name": name},
    )
    return distribution


LINK_SCHEMES = ("http", "https", "ftp")


def link_url(url: str | None) -> str | None:
    """A distribution's link as given, if it is an http, https or ftp URL with a host; a
    ``javascript:``, ``data:`` or ``file:`` link (shown to every visitor of the dataset page)
    is refused with 422."""
    if url is None or not url.strip():
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        raise InvalidInput("catalog.bad_link", url=url[:200], schemes=", ".join(LINK_SCHEMES))
    return url


def update_distribution(
    session: Session, *, actor: Actor, distribution_id: str, changes: Mapping[str, Any]
) -> Distribution:
    distribution, resource = get_distribution(session, actor=actor, ref=distribution_id)
    require(
        can_edit_resource(actor, department_id=resource.department_id),
        "distribution.update",
        object_type="distribution",
        object_id=distribution.id,
    )
    for key in ("name", "description", "url"):
        if key in changes and changes[key] is not None:
            value = link_url(str(changes[key])) if key == "url" else changes[key]
            setattr(distribution, key, value)
    if changes.get("format"):
        distribution.format = str(changes["format"]).upper()
    distribution.modified_at = utcnow()
    cache.bump(session, CATALOG)
    audit.record(
        session,
        actor=actor,
        action="distribution.update",
        object_type="distribution",
        object_id=distribution.id,
        details={
            k: changes[k] for k in sorted(changes) if k in ("name", "description", "url", "format")
        },
    )
    return distribution


def store_upload(stream: BinaryIO, *, upload_dir: Path, max_bytes: int) -> tuple[Path, int]:
    """Copy an upload to ``upload_dir``; refuse it, keeping nothing, past ``max_bytes``."""
    upload_dir.mkdir(parents=True, exist_ok=True)
    path = upload_dir / uuid.uuid4().hex
    size = 0
    with path.open("wb") as out:
        while chunk := stream.read(1 << 20):
            size += len(chunk)
            if size > max_bytes:
                out.close()
                path.unlink(missing_ok=True)
                raise AppError("upload.too_large", status_code=413, limit=max_bytes)
            out.write(chunk)
    return path, size


def queue_load(
    session: Session,
    *,
    actor: Actor,
    distribution_id: str,
    path: Path,
    filename: str,
    size: int,
    declared: Sequence[Mapping[str, Any]] | None = None,
) -> tuple[TableVersion, Job]:
    """Open a new version for an uploaded file and queue the job that loads it. A declared
    schema is checked now, so that a mistake in it is answered at once."""
    for spec in declared or []:
        kind = str(spec.get("type") or "text")
        if kind not in {t.value for t in ingest.ColumnType}:
            raise InvalidInput("catalog.bad_value", field=f"{spec.get('name')}.type", value=kind)
        personal_kind = spec.get("personal")
        if personal_kind and personal_kind not in {k.value for k in personal.PersonalKind}:
            raise InvalidInput(
                "catalog.bad_value", field=f"{spec.get('name')}.personal", value=str(personal_kind)
            )
    distribution, resource = get_distribution(session, actor=actor, ref=distribution_id)
    version = new_version(
        session,
        actor=actor,
        distribution=distribution,
        resource=resource,
        filename=filename,
        size=size,
    )
    suffix = Path(filename).suffix.lstrip(".").upper()
    if suffix and not distribution.format:
        distribution.format = suffix
    job = jobs.enqueue(
        session,
        kind=LOAD_JOB,
        actor=actor,
        max_attempts=1,
        payload={
            "version_id": version.id,
            "path": str(path),
            "filename": filename,
            "declared": [dict(c) for c in declared] if declared else None,
        },
    )
    version.job_id = job.id
    audit.record(
        session,
        actor=actor,
        action="datastore.upload",
        object_type="distribution",
        object_id=distribution.id,
        details={"version": version.number, "file": filename, "bytes": size, "job": job.id},
    )
    return version, job


def _declared_columns(declared: Sequence[Mapping[str, Any]] | None) -> list[ingest.Column] | None:
    if not declared:
        return None
    return [
        ingest.Column(str(c["name"]), ingest.ColumnType(str(c.get("type") or "text")))
        for c in declared
    ]


def _personal_kinds(
    names: Sequence[str], sample: Sequence[tuple[Any, ...]], declared: Mapping[str, str | None]
) -> list[str | None]:
    """Each column's kind of personal data: as declared, else as detected from the sample
    (uploaded files and records given through the API are checked alike)."""
    kinds: list[str | None] = []
    for index, name in enumerate(names):
        if name in declared:
            kinds.append(declared[name] or None)
            continue
        values = [None if row[index] is None else str(row[index]) for row in sample[:SAMPLE]]
        kind = personal.detect(name, values)
        kinds.append(kind.value if kind else None)
    return kinds


def _personal_as_text(
    path: Path,
    *,
    filename: str,
    declared: Sequence[Mapping[str, Any]] | None,
    max_bytes: int | None,
) -> dict[str, ingest.ColumnType]:
    """Columns of personal data are identifiers, kept as text (a mobile number is not a
    quantity): look at the first rows, and return the columns to read as text."""
    if declared:
        return {}
    table = ingest.open_table(path, filename=filename, max_bytes=max_bytes)
    sample: list[tuple[Any, ...]] = []
    with contextlib.suppress(ingest.IngestError, ingest.WidenColumn):
        for batch in table.batches(SAMPLE):
            sample.extend(batch)
            break
    kinds = _personal_kinds([c.name for c in table.columns], sample, {})
    return {
        column.name: ingest.ColumnType.TEXT
        for column, kind in zip(table.columns, kinds, strict=True)
        if kind and column.type != ingest.ColumnType.TEXT
    }


def load_file(
    session: Session,
    *,
    actor: Actor,
    version: TableVersion,
    path: Path,
    filename: str,
    declared: Sequence[Mapping[str, Any]] | None,
    max_bytes: int | None,
    progress: JobContext | None = None,
) -> TableVersion:
    """Load ``path`` into ``version``'s table and make it current, in the caller's transaction
    (all or nothing). A column inferred too narrowly is widened and the load starts again."""
    overrides = _personal_as_text(path, filename=filename, declared=declared, max_bytes=max_bytes)
    connection = session.connection()
    while True:
        table = ingest.open_table(
            path,
            filename=filename,
            declared=_declared_columns(declared),
            overrides=overrides,
            max_bytes=max_bytes,
        )
        columns = [{"name": c.name, "type": c.type.value} for c in table.columns]
        savepoint = connection.begin_nested()
        try:
            create_table(connection, version.table_name, columns)
            writer = RowWriter(connection, version.table_name, columns)
            rows = 0
            next_report = time.monotonic() + PROGRESS_SECONDS
            sample: list[tuple[Any, ...]] = []
            for batch in table.batches(BATCH):
                if len(sample) < SAMPLE:
                    sample.extend(batch[: SAMPLE - len(sample)])
                writer.write(batch)
                rows += len(batch)
                if progress is not None and time.monotonic() >= next_report:
                    next_report = time.monotonic() + PROGRESS_SECONDS
                    done = table.bytes_read() * 100 // max(table.bytes_total, 1)
                    progress.progress(
                        min(99, int(done)), f"已载入 {rows:,} 行 / {rows:,} rows loaded"
                    )
        except ingest.WidenColumn as widen:
            savepoint.rollback()
            overrides.update(widen.changes)
            continue
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        break
    kinds = _personal_kinds(
        [c.name for c in table.columns],
        sample,
        {str(c["name"]): c.get("personal") for c in declared or []},
    )
    described = {str(c["name"]): c for c in declared or []}
    version.columns = [
        {**col, "personal": kind, "description": described.get(col["name"], {}).get("description")}
        for col, kind in zip(columns, kinds, strict=True)
    ]
    version.row_count = rows
    version.source_format = table.source_format
    version.source_encoding = table.encoding
    make_current(session, actor=actor, version=version)
    return version


def _fail(db: Database, version_id: int, error: AppError | Exception) -> None:
    """Record a failed load in a transaction of its own (the load's was rolled back)."""
    details = getattr(error, "details", None)
    message = error.message("zh-CN") if isinstance(error, AppError) else str(error)
    with db.session() as session:
        version = session.get(TableVersion, version_id)
        if version is not None:
            version.status = FAILED
            version.finished_at = utcnow()
            version.error = {
                "message": message,
                "message_en": error.message("en") if isinstance(error, AppError) else message,
                "problems": details if isinstance(details, list) else None,
            }


@handler(LOAD_JOB)
def run_load(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The job: load an uploaded file into its version; a bad file fails the version (and the
    job) with the problems found, leaving the current version as it was."""
    version_id = int(payload["version_id"])
    path = Path(str(payload["path"]))
    db = ctx.db
    ctx.progress(1, "开始载入 / starting")
    try:
        with db.session() as session:
            version = session.get(TableVersion, version_id)
            if version is None:
                return {"ok": False, "error": "version gone"}
            load_file(
                session,
                actor=ctx.actor,
                version=version,
                path=path,
                filename=str(payload["filename"]),
                declared=payload.get("declared"),
                max_bytes=None,
                progress=ctx,
            )
            rows = version.row_count
    except (AppError, ingest.IngestError) as exc:
        _fail(db, version_id, exc)
        raise
    ctx.progress(100, f"已载入 {rows:,} 行 / {rows:,} rows loaded")
    return {"ok": True, "rows": rows, "version_id": version_id}


_BOOLEANS = {
    "true": True,
    "1": True,
    "t": True,
    "yes": True,
    "是": True,
    "false": False,
    "0": False,
    "f": False,
    "no": False,
    "否": False,
}


def _from_json(kind: str, value: Any) -> Any:
    """A JSON value (from an API request) as a column of ``kind`` holds it."""
    if value is None or value == "":
        return None
    if kind == "integer":
        if isinstance(value, bool):
            raise ValueError(value)
        number = decimal.Decimal(str(value).strip())
        if number != number.to_integral_value():
            raise ValueError(value)
        return int(number)
    if kind == "decimal":
        if isinstance(value, bool):
            raise ValueError(value)
        return decimal.Decimal(str(value).strip())
    if kind == "boolean":
        return value if isinstance(value, bool) else _BOOLEANS[str(value).strip().lower()]
    if kind == "date":
        return dt.date.fromisoformat(str(value).strip()[:10])
    if kind == "datetime":
        return dt.datetime.fromisoformat(str(value).strip())
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _declared_personal(fields: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    """The kinds of personal data declared in fields' ``info`` (CKAN's place for them)."""
    declared: dict[str, str | None] = {}
    for spec in fields:
        info = spec.get("info")
        if isinstance(info, dict) and "personal" in info:
            kind = info["personal"]
            if kind is not None and kind not in {k.value for k in personal.PersonalKind}:
                raise InvalidInput(
                    "catalog.bad_value", field=f"{spec['id']}.info.personal", value=str(kind)
                )
            declared[str(spec["id"])] = kind
    return declared


def create_from_records(
    session: Session,
    *,
    actor: Actor,
    distribution_id: str,
    fields: Sequence[Mapping[str, Any]],
    records: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]],
    primary_key: Sequence[str] = (),
) -> TableVersion:
    """``datastore_create``: a new version from fields and records given in the request."""
    distribution, resource = get_distribution(session, actor=actor, ref=distribution_id)
    version = new_version(
        session, actor=actor, distribution=distribution, resource=resource, filename=None, size=None
    )
    columns = [
        {"name": str(f["id"]), "type": _ckan_type(str(f.get("type") or "text"))} for f in fields
    ]
    names = [c["name"] for c in columns]
    for key in primary_key:
        if key not in names:
            raise InvalidInput("catalog.unknown_field", value=key)
    kinds = [c["type"] for c in columns]
    rows = []
    for number, record in enumerate(records, start=1):
        values = [record.get(n) for n in names] if isinstance(record, Mapping) else list(record)
        if len(values) != len(kinds):
            raise InvalidInput(
                "catalog.bad_value", field=f"record {number}", value=str(values)[:200]
            )
        try:
            rows.append(tuple(_from_json(k, v) for k, v in zip(kinds, values, strict=True)))
        except (ValueError, KeyError, ArithmeticError):
            raise InvalidInput(
                "catalog.bad_value", field=f"record {number}", value=str(values)[:200]
            ) from None
    connection = session.connection()
    create_table(connection, version.table_name, columns)
    RowWriter(connection, version.table_name, columns).write(rows)
    if primary_key:
        physical = ", ".join(physical_name(names.index(k)) for k in primary_key)
        connection.exec_driver_sql(
            f'CREATE UNIQUE INDEX "{version.table_name}_pk" ON "{version.table_name}" ({physical})'
        )
    version.columns = [
        {**c, "personal": kind, "primary_key": c["name"] in primary_key}
        for c, kind in zip(
            columns, _personal_kinds(names, rows, _declared_personal(fields)), strict=True
        )
    ]
    version.row_count = len(rows)
    version.source_format = "api"
    make_current(session, actor=actor, version=version)
    return version


_CKAN_TYPES = {
    "int": "integer",
    "int4": "integer",
    "int8": "integer",
    "integer": "integer",
    "bigint": "integer",
    "numeric": "decimal",
    "float": "decimal",
    "float8": "decimal",
    "decimal": "decimal",
    "bool": "boolean",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "datetime",
    "datetime": "datetime",
    "text": "text",
    "string": "text",
}


def _ckan_type(name: str) -> str:
    try:
        return _CKAN_TYPES[name.lower()]
    except KeyError:
        raise InvalidInput("catalog.bad_value", field="type", value=name) from None


def resource_of(session: Session, distribution: Distribution) -> Resource:
    resource = session.get(Resource, distribution.resource_id)
    assert resource is not None  # noqa: S101  (foreign key)
    return resource
