"""The catalog engine's section of a pack: ``[[catalog.datasets]]``, the open and shared data
resources of a sector, with their fields, classes and rows.

Each entry holds the keys of a resource as the API takes them (:class:`ResourceCreate`:
``title``, ``title_en``, ``summary``, ``category``, ``fields`` = [{name, type, description,
personal}], ``share_class``, ``open_class``, ``update_frequency``, ``tags``, ``license_id``,
``spatial_division``, ...), with ``name`` (the CKAN name) required, and these of its own:

- ``department``: the slug of the department that publishes it (default: the pack's);
- ``primary_key``: the fields that identify a row;
- ``distribution``: the name of its table (default: the dataset's name);
- ``rows``: a UTF-8 CSV file of the pack (header = field names) published as the table's first
  version;
- ``demo_rows``: synthetic rows, published only when the demo is installed: a CSV file as for
  ``rows``, or a generator named ``module:function`` (``.demo:air_quality``, relative to the
  pack) called with a ``random.Random`` seeded with the pack's and the dataset's names, which
  returns the rows as dicts by field name. The generator is resolved when the pack is read, and
  called only when the demo is installed;
- ``demo``: ``true`` for a dataset that is demo content as a whole (synthetic, for the demo
  only): it is registered only when the demo is installed, so installing the pack for real
  brings none of it.

A resource is registered once: installing again, or upgrading, leaves a resource that exists
(even withdrawn) as its department keeps it, and says so in the report.
"""

from __future__ import annotations

import csv
import functools
import io
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from yiwang.catalog.publishing import publish_table, resource_exists
from yiwang.catalog.schemas import ResourceCreate
from yiwang.catalog.vocab import CATEGORIES, LICENSES, OpenClass
from yiwang.core import identity
from yiwang.core import packs as registry
from yiwang.core.errors import InvalidInput
from yiwang.core.packs import InstallOptions, InstallReport, KeyPath, Manifest
from yiwang.core.policy import Actor

_OWN_KEYS = frozenset({"department", "primary_key", "distribution", "rows", "demo_rows", "demo"})
_CKAN_TYPES = {
    "integer": "int",
    "decimal": "numeric",
    "boolean": "bool",
    "date": "date",
    "datetime": "timestamp",
    "text": "text",
}
_ROW_LIMIT = 100_000  # rows a pack may carry in one file; bigger data are loaded, not packed

Generator = Callable[[random.Random], Any]


@dataclass(frozen=True)
class DemoGenerator:
    """``demo_rows`` named as ``module:function``: the rows are drawn when the demo is
    installed, from a generator seeded with ``seed``."""

    name: str
    function: Generator
    seed: str

    def rows(self, fields: Mapping[str, str]) -> tuple[dict[str, Any], ...]:
        """The generator's rows, checked against the dataset's fields and the row limit."""
        drawn = self.function(random.Random(self.seed))  # noqa: S311  (synthetic data)
        if not isinstance(drawn, list | tuple):
            raise TypeError(f"{self.name} returned {type(drawn).__name__}, not a list of rows")
        if len(drawn) > _ROW_LIMIT:
            raise ValueError(f"{self.name}: more than {_ROW_LIMIT} rows; load them instead")
        expected = set(fields)
        for number, row in enumerate(drawn, start=1):
            if not isinstance(row, Mapping) or set(row) != expected:
                keys = sorted(row) if isinstance(row, Mapping) else type(row).__name__
                raise ValueError(
                    f"{self.name}: row {number} has {keys}, not the fields {sorted(expected)}"
                )
        return tuple(dict(row) for row in drawn)


@dataclass(frozen=True)
class PackDataset:
    index: int
    data: ResourceCreate  # department_id is 0 until installed
    department: str
    primary_key: tuple[str, ...]
    rows: tuple[dict[str, Any], ...] | None
    demo_rows: tuple[dict[str, Any], ...] | DemoGenerator | None
    distribution: str = ""
    demo_only: bool = False

    def demo_records(self) -> tuple[dict[str, Any], ...]:
        """The synthetic rows (drawn now, when a generator makes them)."""
        if isinstance(self.demo_rows, DemoGenerator):
            return self.demo_rows.rows({f.name: f.type for f in self.data.fields})
        return self.demo_rows or ()


def _value(kind: str, text: str) -> Any:
    if text == "":
        return None
    if kind == "integer":
        return int(text)
    if kind == "decimal":
        return float(text)
    if kind == "boolean":
        return text.strip().lower() in {"true", "1", "yes", "是"}
    return text


def _read_rows(
    manifest: Manifest, path: KeyPath, name: Any, fields: Mapping[str, str]
) -> tuple[dict[str, Any], ...] | None:
    if not isinstance(name, str) or name.startswith(("/", "..")) or ".." in name.split("/"):
        manifest.problem(path, "a CSV file inside the pack, by a relative path")
        return None
    entry = manifest.root
    for part in name.split("/"):
        entry = entry / part
    if not entry.is_file():
        manifest.problem(path, f"no file {name} in the pack")
        return None
    try:
        text = entry.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        manifest.problem(path, f"{name} is not UTF-8")
        return None
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if set(header) != set(fields):
        manifest.problem(
            path, f"{name}: the header {header} is not the dataset's fields {list(fields)}"
        )
        return None
    rows = []
    for number, record in enumerate(reader, start=2):
        if number > _ROW_LIMIT + 1:
            manifest.problem(path, f"{name}: more than {_ROW_LIMIT} rows; load it instead")
            return None
        try:
            rows.append({key: _value(fields[key], record[key] or "") for key in header})
        except ValueError as exc:
            manifest.problem(path, f"{name}, line {number}: {exc}")
            return None
    return tuple(rows)


def _resolve_generator(
    manifest: Manifest, path: KeyPath, name: str, seed: str
) -> DemoGenerator | None:
    module, _, function = name.partition(":")
    if not module or not function:
        manifest.problem(path, f"{name!r}: a generator is named module:function (.demo:rows)")
        return None
    try:
        found = manifest.resolve(name)
    except (ImportError, AttributeError, ValueError) as exc:
        manifest.problem(path, f"cannot resolve {name}: {exc}")
        return None
    if not callable(found):
        manifest.problem(path, f"{name} is not a function")
        return None
    return DemoGenerator(name, found, seed)


def _check_vocabularies(
    manifest: Manifest, path: KeyPath, data: ResourceCreate, *, inherited: bool
) -> None:
    if data.category is not None and data.category not in CATEGORIES:
        manifest.problem(
            ("pack", "category") if inherited else (*path, "category"),
            f"{data.category!r} is not a catalogue category ({', '.join(CATEGORIES)})",
        )
    if data.license_id not in LICENSES:
        manifest.problem((*path, "license_id"), f"one of {', '.join(LICENSES)}")


def _read_dataset(manifest: Manifest, index: int, raw: Any) -> PackDataset | None:
    path: KeyPath = ("catalog", "datasets", index)
    if not isinstance(raw, dict):
        manifest.problem(path, "a table is expected")
        return None
    department = raw.get("department", manifest.department)
    if not isinstance(department, str):
        manifest.problem((*path, "department"), "the slug of the publishing department")
        return None
    fields = {k: v for k, v in raw.items() if k not in _OWN_KEYS}
    if "name" not in fields:
        manifest.problem((*path, "name"), "the dataset's URL name is required")
        return None
    inherited = "category" not in fields
    fields.setdefault("category", manifest.head.get("category"))
    unknown = sorted(set(fields) - set(ResourceCreate.model_fields) - {"department_id"})
    for key in unknown:
        manifest.problem((*path, key), "not a key of a resource")
    if unknown:
        return None
    try:
        data = ResourceCreate.model_validate({"state": "active", **fields, "department_id": 0})
    except ValidationError as exc:
        for detail in exc.errors():
            manifest.problem((*path, *detail["loc"]), str(detail["msg"]))
        return None
    _check_vocabularies(manifest, path, data, inherited=inherited)
    types = {f.name: f.type for f in data.fields}
    key = tuple(raw.get("primary_key", ()))
    for name in key:
        if name not in types:
            manifest.problem((*path, "primary_key"), f"{name!r} is not a field")
    distribution = raw.get("distribution", data.name)
    if not isinstance(distribution, str) or not distribution.strip():
        manifest.problem((*path, "distribution"), "the name of the dataset's table")
        return None
    rows = None
    if "rows" in raw:
        rows = _read_rows(manifest, (*path, "rows"), raw["rows"], types)
    demo = _read_demo_rows(manifest, path, raw.get("demo_rows"), types, str(data.name))
    demo_only = raw.get("demo", False)
    if not isinstance(demo_only, bool):
        manifest.problem((*path, "demo"), "true or false")
        return None
    return PackDataset(index, data, department, key, rows, demo, distribution, demo_only)


def _read_demo_rows(
    manifest: Manifest, path: KeyPath, source: Any, types: Mapping[str, str], name: str
) -> tuple[dict[str, Any], ...] | DemoGenerator | None:
    """``demo_rows``: a generator when the name holds a ``:``, otherwise a CSV file."""
    if source is None:
        return None
    if isinstance(source, str) and ":" in source:
        seed = f"{manifest.name}:{name}"
        return _resolve_generator(manifest, (*path, "demo_rows"), source, seed)
    return _read_rows(manifest, (*path, "demo_rows"), source, types)


@dataclass(frozen=True)
class CatalogContent:
    datasets: tuple[PackDataset, ...]


def read_section(manifest: Manifest) -> CatalogContent | None:
    section = manifest.data.get("catalog")
    if section is None:
        return None
    if not isinstance(section, dict) or set(section) - {"datasets"}:
        manifest.problem(("catalog",), "[catalog] holds [[catalog.datasets]] only")
        return None
    raw = section.get("datasets", [])
    if not isinstance(raw, list):
        manifest.problem(("catalog", "datasets"), "an array of tables: [[catalog.datasets]]")
        return None
    found = [d for i, e in enumerate(raw) if (d := _read_dataset(manifest, i, e)) is not None]
    names: set[str] = set()
    for dataset in found:
        if dataset.data.name in names:
            manifest.problem(("catalog", "datasets", dataset.index, "name"), "the name repeats")
        names.add(str(dataset.data.name))
    return CatalogContent(tuple(found))


def check_section(
    session: Session | None,
    manifest: Manifest,
    content: CatalogContent,
    _provided: Mapping[str, frozenset[str]],
) -> None:
    for dataset in content.datasets:
        if not registry.department_known(session, dataset.department):
            manifest.problem(
                ("catalog", "datasets", dataset.index, "department"),
                f"no department {dataset.department!r}",
            )


def _same(data: ResourceCreate) -> ResourceCreate:
    return data


def _demo_rows(manifest: Manifest, dataset: PackDataset) -> tuple[dict[str, Any], ...]:
    """The dataset's demo rows; rows a generator draws that are not the dataset's fields stop
    the installation, naming the pack's file, line and key."""
    try:
        return dataset.demo_records()
    except (TypeError, ValueError) as exc:
        problem = manifest.problem(("catalog", "datasets", dataset.index, "demo_rows"), str(exc))
        manifest.problems.remove(problem)  # not a problem of the pack as read: of its rows
        raise InvalidInput(
            "pack.invalid", name=manifest.name, count=1, problems=str(problem)
        ) from None


def install_section(
    session: Session,
    actor: Actor,
    manifest: Manifest,
    content: CatalogContent,
    report: InstallReport,
    options: InstallOptions,
) -> None:
    for dataset in content.datasets:
        if dataset.demo_only and not options.demo:
            continue
        department = identity.find_department(session, dataset.department)
        data = dataset.data.model_copy(update={"department_id": department.id})
        name = str(data.name)
        fields = [
            {"id": f.name, "type": _CKAN_TYPES[f.type], "info": {"personal": f.personal}}
            for f in data.fields
        ]
        if resource_exists(session, ref=name):
            report.notes.append(f"{manifest.name}: the dataset {name} exists; left as it is")
            continue
        demo = _demo_rows(manifest, dataset) if options.demo else ()
        rows = [*(dataset.rows or ()), *demo]
        publish_table(  # no rows: an empty table the department loads later
            session,
            actor=actor,
            ref=name,
            data=functools.partial(_same, data),
            distribution=dataset.distribution,
            format=data.format or "CSV",
            fields=fields,
            records=rows,
            primary_key=dataset.primary_key,
        )
        report.count("datasets", created=True)


def summary(content: CatalogContent) -> dict[str, int]:
    """Datasets (and how many of them only the demo installs), their rows, and their demo
    rows: those written in the pack, and the datasets whose demo rows a generator draws when
    the demo is installed (counted as datasets: the rows do not exist before)."""
    listed = [d.demo_rows for d in content.datasets if isinstance(d.demo_rows, tuple)]
    return {
        "datasets": len(content.datasets),
        "demo_only": sum(d.demo_only for d in content.datasets),
        "rows": sum(len(d.rows or ()) for d in content.datasets),
        "demo_rows": sum(len(rows) for rows in listed),
        "generated": sum(isinstance(d.demo_rows, DemoGenerator) for d in content.datasets),
    }


def provides(content: CatalogContent) -> dict[str, set[str]]:
    """The searchable text of the datasets the pack opens to everyone, its demo's included
    (``catalog.search_text``: each title and tag, lower case), which the portal's search
    examples are checked against."""
    open_data = [d.data for d in content.datasets if d.data.open_class == OpenClass.UNCONDITIONAL]
    return {"catalog.search_text": {t.lower() for d in open_data for t in (d.title, *d.tags)}}


registry.register_section(
    registry.Section(
        engine="catalog",
        keys=("catalog",),
        read=read_section,
        check=check_section,
        provides=provides,
        install=install_section,
        summary=summary,
        title="数据目录",
    )
)
