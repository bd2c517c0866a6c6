"""The pack registry: each engine registers the sections of ``pack.toml`` it understands; a pack
is validated section by section and installed engine by engine, in the engines' order.

A :class:`Section` reads its part of a pack (recording problems on the manifest, each with its
file, line and key), checks what needs the database (departments, items of other engines), says
what it declares for other sections to refer to (``provides``), installs idempotently, and
counts what it holds (``summary``). The core never names a section: ``[pack]`` is its own, and
a top-level key no registered section reads is a problem, so a typo is not silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.core import audit, identity
from yiwang.core.db import utcnow
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.i18n import EN, ZH, add_messages
from yiwang.core.packs.manifest import (
    PACK_FILE,
    Manifest,
    PackInvalid,
    find_all,
)
from yiwang.core.packs.models import InstalledPack
from yiwang.core.policy import Actor, can_manage_packs, require

add_messages(
    {
        "pack.unknown": {
            ZH: "没有名为“{name}”的领域包；现有：{known}。",
            EN: "There is no domain pack “{name}”; the packs are: {known}.",
        },
        "pack.invalid": {
            ZH: "领域包 {name} 有 {count} 处错误：{problems}",
            EN: "The pack {name} has {count} problem(s): {problems}",
        },
        "pack.other_version": {
            ZH: "领域包 {name} 已安装 {installed} 版；安装 {version} 版请用“升级”。",
            EN: "Version {installed} of the pack {name} is installed; upgrade to install "
            "{version}.",
        },
        "pack.downgrade": {
            ZH: "领域包 {name} 已安装 {installed} 版，不能降级到 {version} 版。",
            EN: "Version {installed} of the pack {name} is installed; it cannot go back to "
            "{version}.",
        },
        "pack.changed_same_version": {
            ZH: "领域包 {name} 的内容已改变，但版本号仍是 {version}；请在 [pack] 中提高版本号。",
            EN: "The content of the pack {name} changed but its version is still {version}; "
            "raise the version in [pack].",
        },
        "pack.not_installed": {
            ZH: "领域包 {name} 尚未安装；请先安装。",
            EN: "The pack {name} is not installed; install it first.",
        },
    }
)

_VERSION = re.compile(r"^\d+(\.\d+){0,3}$")
_HEAD_KEYS = frozenset(
    {"name", "version", "title", "title_en", "description", "department", "category"}
)


@dataclass
class InstallReport:
    """What an installation created and changed, by section and kind; ``notes`` are things the
    operator should know (a reference resolved later, a rule left as staff tuned it)."""

    pack: str
    version: str
    previous: str | None = None
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def count(self, what: str, *, created: bool, by: int = 1) -> None:
        target = self.created if created else self.updated
        target[what] = target.get(what, 0) + by


@dataclass(frozen=True)
class InstallOptions:
    """``demo``: also install the pack's demo content (demo things, synthetic rows);
    ``department``: the owning department (slug) instead of the pack's."""

    demo: bool = False
    department: str | None = None


Reader = Callable[[Manifest], Any]
Checker = Callable[[Session | None, Manifest, Any, Mapping[str, frozenset[str]]], None]
Installer = Callable[[Session, Actor, Manifest, Any, InstallReport, InstallOptions], None]


@dataclass(frozen=True)
class Section:
    """What one engine reads of a pack. ``keys`` are the top-level keys of ``pack.toml`` it
    owns; ``read`` parses them (recording problems with ``manifest.problem``) and returns the
    parsed content, or None when the pack has nothing for it; ``after`` names the engines whose
    sections must be installed first; ``provides`` names what the
    content declares for other sections (``{"cases.item": {codes}}``); ``check`` looks up
    references in what the pack's sections provide and, given a session (None when the
    database is not at hand, as in ``yiwang pack validate``), in the database."""

    engine: str
    keys: tuple[str, ...]
    read: Reader
    install: Installer
    check: Checker | None = None
    provides: Callable[[Any], Mapping[str, Iterable[str]]] | None = None
    summary: Callable[[Any], Mapping[str, int]] | None = None
    title: str = ""
    after: tuple[str, ...] = ()  # engines whose sections install first when both are present


_SECTIONS: dict[str, Section] = {}


def register_section(section: Section) -> None:
    """Register (or replace) an engine's section; engines do it when imported."""
    _SECTIONS[section.engine] = section


def sections() -> list[Section]:
    """The registered sections, each after those it names in ``after`` (a sensing rule's task
    item is installed before the rule), otherwise in the order they were registered."""
    ordered: list[Section] = []
    placing: set[str] = set()

    def place(section: Section) -> None:
        if section in ordered or section.engine in placing:
            return
        placing.add(section.engine)
        for engine in section.after:
            if engine in _SECTIONS:
                place(_SECTIONS[engine])
        ordered.append(section)

    for section in _SECTIONS.values():
        place(section)
    return ordered


@dataclass
class ValidPack:
    """A pack that passed validation: its manifest and each section's parsed content."""

    manifest: Manifest
    content: dict[str, Any]

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def version(self) -> str:
        return self.manifest.version

    def summary(self) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = {}
        for section in sections():
            parsed = self.content.get(section.engine)
            if parsed is not None and section.summary is not None:
                result[section.engine] = dict(section.summary(parsed))
        return result


def department_known(
    session: Session | None, slug: str, provided: Mapping[str, frozenset[str]] | None = None
) -> bool:
    """Whether the department ``slug`` exists (always, without a database to ask): the check
    every section makes of the departments it names."""
    if session is None or slug in (provided or {}).get("core.department", frozenset()):
        return True
    try:
        identity.find_department(session, slug)
    except (InvalidInput, NotFound):
        return False
    return True


def _check_head(manifest: Manifest, session: Session | None) -> None:
    head = manifest.head
    for key in sorted(set(head) - _HEAD_KEYS):
        manifest.problem(("pack", key), f"unknown key; [pack] has {', '.join(sorted(_HEAD_KEYS))}")
    if not _VERSION.match(str(head.get("version", ""))):
        manifest.problem(("pack", "version"), "a version like 1.0.0 is required")
    if not isinstance(head.get("title"), str) or not head.get("title"):
        manifest.problem(("pack", "title"), "the pack's Chinese title is required")
    department = head.get("department")
    if department is not None and not isinstance(department, str):
        manifest.problem(("pack", "department"), "the slug of the owning department")
    elif isinstance(department, str) and not department_known(session, department):
        manifest.problem(("pack", "department"), f"no department {department!r}")


def validate(manifest: Manifest, session: Session | None = None) -> ValidPack:
    """Read every section of ``manifest``; with a ``session``, also check the references that
    need the database. Raise :class:`PackInvalid` listing every problem found."""
    registered = sections()
    owned = {key: s for s in registered for key in s.keys}
    if manifest.problems:
        raise PackInvalid(manifest.name, manifest.problems)
    for key in manifest.data:
        if key != "pack" and key not in owned:
            engines = ", ".join(f"[{k}] ({s.engine})" for k, s in sorted(owned.items()))
            manifest.problem((key,), f"no engine of this build reads it; known: {engines}")
    _check_head(manifest, session)
    content: dict[str, Any] = {}
    for section in registered:
        parsed = section.read(manifest)
        if parsed is not None:
            content[section.engine] = parsed
    if not manifest.problems:
        provided: dict[str, set[str]] = {}
        for section in registered:
            parsed = content.get(section.engine)
            if parsed is not None and section.provides is not None:
                for kind, names in section.provides(parsed).items():
                    provided.setdefault(kind, set()).update(names)
        frozen = {kind: frozenset(names) for kind, names in provided.items()}
        for section in registered:
            parsed = content.get(section.engine)
            if parsed is not None and section.check is not None:
                section.check(session, manifest, parsed, frozen)
    problems = list(manifest.problems)
    manifest.problems.clear()  # a manifest is validated afresh each time
    if problems:
        raise PackInvalid(manifest.name, problems)
    return ValidPack(manifest, content)


def find(name: str) -> Manifest:
    """The pack of this name among those found; :class:`InvalidInput` if there is none."""
    found = find_all()
    if name not in found:
        raise InvalidInput("pack.unknown", name=name, known=", ".join(found) or "-")
    return found[name]


def _invalid(error: PackInvalid) -> InvalidInput:
    return InvalidInput(
        "pack.invalid",
        name=error.pack,
        count=len(error.problems),
        problems="; ".join(str(p) for p in error.problems),
    )


def _older(a: str, b: str) -> bool:
    return tuple(int(x) for x in a.split(".")) < tuple(int(x) for x in b.split("."))


def install(
    session: Session,
    *,
    actor: Actor,
    manifest: Manifest,
    upgrade: bool = False,
    options: InstallOptions | None = None,
) -> InstallReport:
    """Install ``manifest`` (``upgrade``: bring an installed pack to a newer version), every
    section in the engines' order, in the caller's transaction. Installing an installed pack
    of the same version and content changes nothing; a different version needs ``upgrade``
    and must be newer; content changed under the same version is refused. What a section
    changed is kept as new versions where its engine versions things (service items), never
    by deleting what exists."""
    require(can_manage_packs(actor), "pack.install", object_type="pack", object_id=manifest.name)
    options = options or InstallOptions()
    try:
        valid = validate(manifest, session)
    except PackInvalid as exc:
        raise _invalid(exc) from None
    row = session.get(InstalledPack, manifest.name)
    report = InstallReport(pack=manifest.name, version=manifest.version)
    if row is not None:
        report.previous = row.version
        if row.version != manifest.version:
            if not upgrade:
                raise InvalidInput(
                    "pack.other_version",
                    name=manifest.name,
                    installed=row.version,
                    version=manifest.version,
                )
            if _older(manifest.version, row.version):
                raise InvalidInput(
                    "pack.downgrade",
                    name=manifest.name,
                    installed=row.version,
                    version=manifest.version,
                )
        elif row.digest != manifest.digest:
            raise InvalidInput(
                "pack.changed_same_version", name=manifest.name, version=manifest.version
            )
    elif upgrade:
        raise InvalidInput("pack.not_installed", name=manifest.name)
    for section in sections():
        parsed = valid.content.get(section.engine)
        if parsed is not None:
            section.install(session, actor, manifest, parsed, report, options)
    now = utcnow()
    if row is None:
        row = InstalledPack(name=manifest.name, installed_at=now)
        session.add(row)
    row.version, row.digest, row.origin = manifest.version, manifest.digest, manifest.origin
    row.title, row.sections, row.updated_at = manifest.title, valid.summary(), now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="pack.upgrade"
        if report.previous not in (None, manifest.version)
        else "pack.install",
        object_type="pack",
        object_id=manifest.name,
        details={
            "version": manifest.version,
            "previous": report.previous,
            "origin": manifest.origin,
            "digest": manifest.digest,
            "created": report.created,
            "updated": report.updated,
            "notes": report.notes,
        },
    )
    return report


def installed(session: Session) -> list[InstalledPack]:
    """The packs installed in this database, by name."""
    return list(session.scalars(select(InstalledPack).order_by(InstalledPack.name)))


def pack_file(manifest: Manifest) -> str:
    return f"{manifest.name}/{PACK_FILE}"
