"""The cases engine's section of a pack: ``[[cases.items]]``, the service items (服务事项),
complaint categories (投诉分类) and task items (处置事项) of a sector, with their powers.

Each entry holds the keys of an item as the API takes them (:class:`ItemCreate`: ``name``,
``legal_basis``, ``legal_limit_days``, ``promised_limit_days``, ``materials``, ``form_fields``,
``fees``, ``steps``, ``routing``, ``themes``, ``life_events``, ...), with departments named by
slug, and three of its own:

- ``department``: the slug of the department that serves it (default: the pack's);
- ``power``: ``{category, legal_basis, code}``, the power (职权) it exercises; registered as
  ``QL-<item code>`` unless ``code`` says otherwise, named like the item;
- ``demo``: ``{weight, texts}``, how often the demo's applicants use it and, for complaint
  categories, what complainants write; not stored with the item.

Installing creates what is missing and turns an item whose content changed into a new version
of it (cases filed earlier keep theirs): nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from yiwang.cases import items
from yiwang.cases.schemas import ItemCreate, ItemVersionSpec, PowerCreate
from yiwang.cases.vocab import ItemKind, PowerCategory
from yiwang.core import identity
from yiwang.core import packs as registry
from yiwang.core.codes import division_name
from yiwang.core.errors import NotFound
from yiwang.core.packs import InstallOptions, InstallReport, KeyPath, Manifest
from yiwang.core.policy import Actor

_OWN_KEYS = frozenset({"department", "power", "demo"})
_POWER_KEYS = frozenset({"category", "legal_basis", "code"})
_DEMO_KEYS = frozenset({"weight", "texts"})


@dataclass(frozen=True)
class PackItem:
    """One ``[[cases.items]]`` entry, read."""

    index: int
    data: ItemCreate  # department_id is 0 until installed
    department: str
    power: Mapping[str, Any] | None
    weight: int = 10
    texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class CasesContent:
    items: tuple[PackItem, ...] = field(default_factory=tuple)

    def of_kind(self, kind: str) -> list[PackItem]:
        return [item for item in self.items if item.data.kind == kind]


def _problems_of(manifest: Manifest, path: KeyPath, error: ValidationError) -> None:
    for detail in error.errors():
        location = tuple(part for part in detail["loc"] if part != "__root__")
        manifest.problem((*path, *location), str(detail["msg"]))


def _read_item(manifest: Manifest, index: int, raw: Any) -> PackItem | None:
    path: KeyPath = ("cases", "items", index)
    if not isinstance(raw, dict):
        manifest.problem(path, "a table is expected")
        return None
    department = raw.get("department", manifest.department)
    if not isinstance(department, str):
        manifest.problem((*path, "department"), "the slug of the serving department is required")
        return None
    power = raw.get("power")
    if power is not None:
        if not isinstance(power, dict) or set(power) - _POWER_KEYS or "category" not in power:
            manifest.problem(
                (*path, "power"), "{category, legal_basis, code}, category being required"
            )
            return None
        if power["category"] not in {c.value for c in PowerCategory}:
            manifest.problem(
                (*path, "power", "category"),
                f"one of {', '.join(c.value for c in PowerCategory)}",
            )
            return None
    demo = raw.get("demo", {})
    if not isinstance(demo, dict) or set(demo) - _DEMO_KEYS:
        manifest.problem((*path, "demo"), "{weight, texts}")
        return None
    fields = {k: v for k, v in raw.items() if k not in _OWN_KEYS}
    unknown = set(fields) - set(ItemCreate.model_fields) - {"department_id"}
    for key in sorted(unknown):
        manifest.problem((*path, key), "not a key of a service item")
    if "department_id" in fields:
        manifest.problem((*path, "department_id"), "name the department by slug: department")
    if unknown or "department_id" in fields:
        return None
    try:
        data = ItemCreate.model_validate({**fields, "department_id": 0})
    except ValidationError as exc:
        _problems_of(manifest, path, exc)
        return None
    if power is not None and not (power.get("legal_basis") or data.legal_basis):
        manifest.problem((*path, "power", "legal_basis"), "the power's legal basis is required")
        return None
    return PackItem(
        index=index,
        data=data,
        department=department,
        power=power,
        weight=int(demo.get("weight", 10)),
        texts=tuple(str(t) for t in demo.get("texts", ())),
    )


def read_section(manifest: Manifest) -> CasesContent | None:
    section = manifest.data.get("cases")
    if section is None:
        return None
    if not isinstance(section, dict) or set(section) - {"items"}:
        manifest.problem(("cases",), "[cases] holds [[cases.items]] only")
        return None
    raw = section.get("items", [])
    if not isinstance(raw, list):
        manifest.problem(("cases", "items"), "an array of tables: [[cases.items]]")
        return None
    read = [_read_item(manifest, index, entry) for index, entry in enumerate(raw)]
    found = [item for item in read if item is not None]
    seen: set[str] = set()
    for item in found:
        if item.data.code in seen:
            manifest.problem(("cases", "items", item.index, "code"), "the code repeats")
        seen.add(item.data.code)
    return CasesContent(tuple(found))


def _departments_named(item: PackItem) -> list[tuple[KeyPath, str]]:
    path: KeyPath = ("cases", "items", item.index)
    named = [((*path, "department"), item.department)]
    named += [
        ((*path, "steps", s_index, "departments"), slug)
        for s_index, step in enumerate(item.data.steps)
        for slug in step.departments
    ]
    for key, slug in item.data.routing.items():
        named.append(((*path, "routing", key), slug))
    return named


def check_section(
    session: Session | None,
    manifest: Manifest,
    content: CasesContent,
    _provided: Mapping[str, frozenset[str]],
) -> None:
    for item in content.items:
        for key in item.data.routing:
            if key != "default" and division_name(key) is None:
                manifest.problem(
                    ("cases", "items", item.index, "routing", key), "not a division code"
                )
        if session is None:
            continue
        for path, slug in _departments_named(item):
            if not registry.department_known(session, slug):
                manifest.problem(path, f"no department {slug!r}")
        try:
            existing = items.get_item(session, code=item.data.code)
        except NotFound:
            continue
        if existing.kind != item.data.kind:
            manifest.problem(
                ("cases", "items", item.index, "kind"),
                f"the item {item.data.code} exists as {existing.kind}",
            )


def _spec(data: ItemVersionSpec) -> dict[str, Any]:
    return data.model_dump(mode="json", include=set(ItemVersionSpec.model_fields))


def install_section(
    session: Session,
    actor: Actor,
    _manifest: Manifest,
    content: CasesContent,
    report: InstallReport,
    _options: InstallOptions,
) -> None:
    for item in content.items:
        department = identity.find_department(session, item.department)
        data = item.data.model_copy(update={"department_id": department.id})
        try:
            existing = items.get_item(session, code=data.code)
        except NotFound:
            existing = None
        if existing is None:
            if item.power is not None:
                code = str(item.power.get("code") or f"QL-{data.code}")
                if code not in {p.code for p in items.list_powers(session)}:
                    items.create_power(
                        session,
                        actor=actor,
                        data=PowerCreate(
                            code=code,
                            department_id=department.id,
                            name=data.name,
                            category=PowerCategory(item.power["category"]),
                            legal_basis=str(item.power.get("legal_basis") or data.legal_basis),
                        ),
                    )
                    report.count("powers", created=True)
                data = data.model_copy(update={"power_code": code})
            items.create_item(session, actor=actor, data=data)
            report.count("items", created=True)
            continue
        version = items.current_version(session, existing)
        current = ItemVersionSpec.model_validate(version, from_attributes=True)
        wanted = ItemVersionSpec.model_validate(_spec(data))
        if _spec(current) != _spec(wanted):
            items.revise_item(session, actor=actor, code=data.code, data=wanted)
            report.count("item_versions", created=True)


def summary(content: CasesContent) -> dict[str, int]:
    return {kind.value: len(content.of_kind(kind.value)) for kind in ItemKind}


def provides(content: CasesContent) -> dict[str, set[str]]:
    """The task items a rule may open cases of (``cases.item``), and the searchable text of
    the items the public finds (``cases.search_text``: each name and search word, lower
    case), which the portal's search examples are checked against."""
    searched = [i.data for i in content.items if i.data.kind != ItemKind.TASK]
    return {
        "cases.item": {i.data.code for i in content.items if i.data.kind == ItemKind.TASK},
        "cases.search_text": {w.lower() for d in searched for w in (d.name, *d.keywords)},
    }


def demo_items() -> list[tuple[str, PackItem]]:
    """Every item of every pack found, with its pack's name (the demo's applications and
    complaints are drawn from them by weight)."""
    found = []
    for manifest in registry.found().values():
        if manifest.problems or "cases" not in manifest.data:
            continue
        content = read_section(manifest)
        problems, manifest.problems[:] = list(manifest.problems), []
        if content is not None and not problems:
            found += [(manifest.name, item) for item in content.items]
    return found


registry.register_section(
    registry.Section(
        engine="cases",
        keys=("cases",),
        read=read_section,
        check=check_section,
        install=install_section,
        summary=summary,
        provides=provides,
        title="政务服务",
        after=("catalog",),
    )
)
