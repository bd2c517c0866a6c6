"""The console's domain packs (read-only): the packs installed in this database, with the version
found in the software or on the pack path beside the one installed, what each engine holds of
them, and the packs found but not installed with the command that installs them. Installing and
upgrading stay with the command line (``yiwang pack install``, ``yiwang pack upgrade``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from yiwang.core import packs
from yiwang.core.errors import PermissionDenied
from yiwang.core.web.deps import SessionDep, SignedInActor
from yiwang.core.web.templating import render_page
from yiwang.portal.common import is_zh, local_time

router = APIRouter()

# What each engine calls its section and the kinds it counts, (zh, en); a name not listed here
# (an engine or kind added later) is shown as it is stored.
ENGINES: dict[str, tuple[str, str]] = {
    "catalog": ("数据目录", "Data catalogue"),
    "cases": ("政务服务", "Government services"),
    "sensing": ("物联感知", "Sensing"),
    "dashboard": ("监测预警", "Monitoring"),
    "search": ("搜索示例", "Search examples"),
}
KINDS: dict[str, tuple[str, str]] = {
    "datasets": ("数据集", "datasets"),
    "demo_only": ("其中仅演示", "demo only"),
    "rows": ("数据行", "rows"),
    "demo_rows": ("演示数据行", "demo rows"),
    "generated": ("演示数据由程序生成", "demo rows generated"),
    "service": ("办事事项", "services"),
    "complaint_category": ("投诉类别", "complaint categories"),
    "task": ("处置事项", "tasks"),
    "observed_properties": ("监测指标", "observed properties"),
    "kinds": ("监测类型", "kinds"),
    "rules": ("预警规则", "alert rules"),
    "demo_things": ("演示设备", "demo things"),
    "panels": ("监测面板", "dashboard panels"),
    "data_examples": ("数据示例", "data examples"),
    "service_examples": ("事项示例", "service examples"),
}
ORIGINS: dict[str, tuple[str, str]] = {
    "builtin": ("内置", "built in"),
    "path": ("目录", "folder"),
    "entry point": ("已安装的 Python 包", "Python distribution"),
}


@dataclass(frozen=True, slots=True)
class InstalledRow:
    name: str
    title: str
    version: str
    found_version: str | None  # None: the pack is not found any more
    upgradable: bool
    origin: str
    holds: str
    updated: str


@dataclass(frozen=True, slots=True)
class FoundRow:
    name: str
    title: str
    version: str
    origin: str
    location: str


def _label(labels: Mapping[str, tuple[str, str]], key: str, zh: bool) -> str:
    pair = labels.get(key)
    return key if pair is None else pair[0 if zh else 1]


def _version_key(version: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return None


def _newer(found: str, installed: str) -> bool:
    """Whether the version found is newer than the one installed (versions are dotted numbers;
    one that is not cannot be compared and is not offered as an upgrade)."""
    a, b = _version_key(found), _version_key(installed)
    return a is not None and b is not None and a > b


def _in_order(labels: Mapping[str, Any], found: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """``found``'s entries in the order of ``labels`` (unknown keys last): PostgreSQL's JSONB
    keeps a JSON object's keys in an order of its own."""
    rank = {key: index for index, key in enumerate(labels)}
    return sorted(found.items(), key=lambda entry: (rank.get(entry[0], len(rank)), entry[0]))


def holds(sections: Mapping[str, Any], zh: bool) -> str:
    """What each engine holds of a pack, readably: ``政务服务: 办事事项 1 · 物联感知: 监测类型 1,
    预警规则 1``; kinds counted zero are left out."""
    parts = []
    for engine, kinds in _in_order(ENGINES, sections):
        counts = [
            f"{_label(KINDS, kind, zh)} {count}"
            for kind, count in _in_order(KINDS, kinds or {})
            if isinstance(count, int) and count
        ]
        if counts:
            parts.append(f"{_label(ENGINES, engine, zh)}: {', '.join(counts)}")
    return " · ".join(parts)


@router.get("/console/packs", response_class=HTMLResponse)
def packs_page(request: Request, session: SessionDep, actor: SignedInActor) -> Response:
    if actor.role is None:  # the console's working pages are for staff
        raise PermissionDenied("pack.list", object_type="pack")
    zh = is_zh(request)
    found = packs.found()
    installed_rows = []
    for row in packs.installed(session):
        manifest = found.get(row.name)
        found_version = manifest.version if manifest is not None else None
        installed_rows.append(
            InstalledRow(
                name=row.name,
                title=row.title,
                version=row.version,
                found_version=found_version,
                upgradable=found_version is not None and _newer(found_version, row.version),
                origin=_label(ORIGINS, row.origin, zh),
                holds=holds(row.sections or {}, zh),
                updated=local_time(row.updated_at),
            )
        )
    installed_names = {r.name for r in installed_rows}
    not_installed = [
        FoundRow(
            name=m.name,
            title=m.title,
            version=m.version,
            origin=_label(ORIGINS, m.origin, zh),
            location=m.location,
        )
        for name, m in sorted(found.items())
        if name not in installed_names
    ]
    return render_page(
        request,
        "console/packs.html",
        {"installed": installed_rows, "not_installed": not_installed},
    )
