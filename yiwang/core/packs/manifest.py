"""Finding packs and reading their files, with problems that name the file, the line and the key.

A pack is a folder holding ``pack.toml`` (and optionally ``things.toml`` of demo things and
Python modules of formulas). Packs are found, in this order, and the first of a name wins:

1. the sub-packages of :mod:`yiwang.packs` (the packs this software ships);
2. the folders named by ``YIWANG_PACK_PATH`` (separated like ``PATH``): each folder is a pack
   itself if it holds ``pack.toml``, otherwise every sub-folder holding one is;
3. the entry points of the group ``yiwang.packs`` of installed distributions: the entry point's
   value names the Python package that holds ``pack.toml``, so a province ships its own sector
   as a wheel (``[project.entry-points."yiwang.packs"] coastal = "zj_coastal_pack"``).

A pack found in a folder gets a Python package of its own, ``yiwang_pack_<name>``, whose path is
the folder: a formula written ``.hooks:aqi`` (relative to the pack) imports the pack's
``hooks.py`` wherever the pack lives.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.metadata
import importlib.resources
import os
import pkgutil
import re
import sys
import tomllib
import types
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

BUILTIN_PACKAGE = "yiwang.packs"
ENTRY_POINT_GROUP = "yiwang.packs"
PATH_VARIABLE = "YIWANG_PACK_PATH"
PACK_FILE = "pack.toml"
THINGS_FILE = "things.toml"
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")

KeyPath = tuple[str | int, ...]


def render_key(path: KeyPath) -> str:
    """``("cases", "items", 2, "materials", 0, "key")`` as ``cases.items[2].materials[0].key``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass(frozen=True)
class PackProblem:
    """One thing wrong with a pack: where (file, line, key) and what."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        return f"{place}: {self.key}: {self.message}" if self.key else f"{place}: {self.message}"


class PackInvalid(ValueError):
    """A pack that cannot be used; :attr:`problems` says every reason found."""

    def __init__(self, pack: str, problems: Sequence[PackProblem]) -> None:
        self.pack = pack
        self.problems = tuple(problems)
        super().__init__(
            f"pack {pack} is not valid:\n" + "\n".join(f"  {p}" for p in self.problems)
        )


class KeyLines:
    """Where each table and key of a TOML text starts, by key path (array-of-tables entries by
    index). A path not written on a line of its own (inside an inline table or array) is placed
    on the line of its nearest written ancestor."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    _KEY = re.compile(
        r"^\s*((?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*'))*)\s*="
    )

    def __init__(self, text: str) -> None:
        self.lines: dict[KeyPath, int] = {}
        counts: dict[KeyPath, int] = {}
        current: KeyPath = ()
        in_multiline = False
        for number, line in enumerate(text.splitlines(), start=1):
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline = not in_multiline
                if not in_multiline:
                    continue
            elif in_multiline:
                continue
            header = self._HEADER.match(line)
            if header and not line.lstrip().startswith('["') and "=" not in line.split("]")[0]:
                names = self._split(header.group(2))
                resolved: KeyPath = ()
                for name in names[:-1]:
                    resolved = (*resolved, name)
                    if resolved in counts:  # an array of tables: its latest entry
                        resolved = (*resolved, counts[resolved] - 1)
                resolved = (*resolved, names[-1])
                if header.group(1) == "[[":
                    index = counts.get(resolved, 0)
                    counts[resolved] = index + 1
                    self.lines.setdefault(resolved, number)
                    resolved = (*resolved, index)
                for end in range(1, len(resolved) + 1):  # [a.b] also places a table a
                    self.lines.setdefault(resolved[:end], number)
                current = resolved
                continue
            key = self._KEY.match(line)
            if key:
                self.lines.setdefault((*current, *self._split(key.group(1))), number)

    @staticmethod
    def _split(dotted: str) -> list[str]:
        parts = re.findall(r"\"[^\"]*\"|'[^']*'|[^.\s]+", dotted)
        return [p[1:-1] if p[:1] in "\"'" else p for p in parts]

    def line_of(self, path: KeyPath) -> int | None:
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


@dataclass
class PackFile:
    """One TOML file of a pack: its name (as a pack author sees it), text and parsed data."""

    name: str
    text: str
    data: dict[str, Any]

    @functools.cached_property
    def lines(self) -> KeyLines:
        return KeyLines(self.text)


@dataclass
class Manifest:
    """A pack as found: its ``[pack]`` head, its files, and where it came from."""

    name: str
    origin: str  # builtin, path or entry point
    location: str  # the package or folder, for messages
    module: str  # the Python package formulas relative to the pack resolve in
    files: dict[str, PackFile]
    root: Traversable
    problems: list[PackProblem] = field(default_factory=list)

    @property
    def data(self) -> dict[str, Any]:
        return self.files[PACK_FILE].data

    @property
    def head(self) -> Mapping[str, Any]:
        head = self.data.get("pack")
        return head if isinstance(head, dict) else {}

    @property
    def version(self) -> str:
        return str(self.head.get("version", "0"))

    @property
    def title(self) -> str:
        return str(self.head.get("title", self.name))

    @property
    def department(self) -> str | None:
        value = self.head.get("department")
        return value if isinstance(value, str) else None

    @functools.cached_property
    def digest(self) -> str:
        """SHA-256 over the pack's declarative files: what changed between two installs."""
        sha = hashlib.sha256()
        for name in sorted(self.files):
            sha.update(name.encode() + b"\0" + self.files[name].text.encode() + b"\0")
        return sha.hexdigest()

    def problem(self, path: KeyPath, message: str, *, file: str = PACK_FILE) -> PackProblem:
        """Record (and return) a problem at ``path`` of ``file``."""
        found = self.files.get(file)
        problem = PackProblem(
            file=f"{self.name}/{file}",
            line=found.lines.line_of(path) if found else None,
            key=render_key(path),
            message=message,
        )
        self.problems.append(problem)
        return problem

    def resolve(self, dotted: str) -> Any:
        """The object a ``package.module:attribute`` name points to; a name starting with a dot
        is relative to the pack (``.hooks:aqi``)."""
        module_name, _, attribute = dotted.partition(":")
        if module_name.startswith("."):
            module_name = self.module + module_name
        module = importlib.import_module(module_name)
        return getattr(module, attribute)


def _read(root: Traversable, name: str, *, origin: str, location: str, module: str) -> Manifest:
    files: dict[str, PackFile] = {}
    problems: list[PackProblem] = []
    for file_name in (PACK_FILE, THINGS_FILE):
        entry = root / file_name
        if not entry.is_file():
            continue
        try:
            text = entry.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(
                PackProblem(f"{name}/{file_name}", None, "", f"not UTF-8 (byte {exc.start})")
            )
            text = ""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None) or _line_in_message(str(exc))
            problems.append(PackProblem(f"{name}/{file_name}", line, "", f"not TOML: {exc}"))
            data = {}
        files[file_name] = PackFile(file_name, text, data)
    manifest = Manifest(name, origin, location, module, files, root, problems)
    head = manifest.data.get("pack")
    if not isinstance(head, dict):
        if not problems:
            manifest.problem(("pack",), "the [pack] table is required (name, version, title)")
    else:
        declared = head.get("name", name)
        if declared != name:
            manifest.problem(
                ("pack", "name"), f"is {declared!r}, but the pack is found as {name!r}"
            )
        if not _NAME.match(name):
            manifest.problem(
                ("pack", "name"),
                "a pack's name is 2 to 40 lower-case letters, digits or _, starting with a letter",
            )
    return manifest


def _line_in_message(text: str) -> int | None:
    match = re.search(r"line (\d+)", text)
    return int(match.group(1)) if match else None


def _folder_module(name: str, folder: Path) -> str:
    """A Python package for a pack found in a folder, so that its formulas import."""
    module_name = f"yiwang_pack_{name}"
    existing = sys.modules.get(module_name)
    if existing is None or list(getattr(existing, "__path__", [])) != [str(folder)]:
        package = types.ModuleType(module_name)
        package.__path__ = [str(folder)]
        package.__package__ = module_name
        sys.modules[module_name] = package
        for loaded in [m for m in sys.modules if m.startswith(module_name + ".")]:
            del sys.modules[loaded]
    return module_name


def _builtin() -> Iterator[Manifest]:
    root = importlib.import_module(BUILTIN_PACKAGE)
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda m: m.name):
        module = f"{BUILTIN_PACKAGE}.{info.name}"
        files = importlib.resources.files(module)
        if (files / PACK_FILE).is_file():
            yield _read(files, info.name, origin="builtin", location=module, module=module)


def _folders(value: str) -> Iterator[Path]:
    for part in value.split(os.pathsep):
        folder = Path(part.strip()).expanduser() if part.strip() else None
        if folder is None or not folder.is_dir():
            continue
        if (folder / PACK_FILE).is_file():
            yield folder
        else:
            yield from sorted(p for p in folder.iterdir() if (p / PACK_FILE).is_file())


def _from_path(value: str) -> Iterator[Manifest]:
    for folder in _folders(value):
        name = folder.name
        yield _read(
            folder,
            name,
            origin="path",
            location=str(folder),
            module=_folder_module(name, folder),
        )


def _from_entry_points() -> Iterator[Manifest]:
    for entry in sorted(
        importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name
    ):
        try:
            files = importlib.resources.files(entry.value)
        except (ImportError, TypeError) as exc:
            yield Manifest(
                entry.name,
                "entry point",
                entry.value,
                entry.value,
                {PACK_FILE: PackFile(PACK_FILE, "", {})},
                importlib.resources.files(BUILTIN_PACKAGE),
                [PackProblem(f"{entry.name}/{PACK_FILE}", None, "", f"cannot import: {exc}")],
            )
            continue
        yield _read(
            files, entry.name, origin="entry point", location=entry.value, module=entry.value
        )


def find_all(pack_path: str | None = None) -> dict[str, Manifest]:
    """Every pack that can be found, by name (see the module's docstring for where and in
    which order). ``pack_path`` stands for ``YIWANG_PACK_PATH``."""
    found: dict[str, Manifest] = {}
    path = os.environ.get(PATH_VARIABLE, "") if pack_path is None else pack_path
    for manifest in _chain(_builtin(), _from_path(path), _from_entry_points()):
        found.setdefault(manifest.name, manifest)
    return found


def read_folder(folder: Path) -> Manifest:
    """The pack in ``folder`` (for ``yiwang pack validate FOLDER``)."""
    return _read(
        folder,
        folder.name,
        origin="path",
        location=str(folder),
        module=_folder_module(folder.name, folder),
    )


def _chain(*sources: Iterable[Manifest]) -> Iterator[Manifest]:
    for source in sources:
        yield from source
