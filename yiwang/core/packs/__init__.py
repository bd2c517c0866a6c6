"""Domain packs: a sector's content for every engine, declared in ``pack.toml``, found in the
software, in folders (``YIWANG_PACK_PATH``) and in installed distributions (entry points
``yiwang.packs``), validated section by section and installed engine by engine, versioned.
The guide to writing one is ``docs/packs.md``."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any, TypeVar

from yiwang.core.packs import models  # noqa: F401  (registers the table)
from yiwang.core.packs.manifest import (
    ENTRY_POINT_GROUP,
    PACK_FILE,
    PATH_VARIABLE,
    THINGS_FILE,
    KeyPath,
    Manifest,
    PackInvalid,
    PackProblem,
    find_all,
    read_folder,
    render_key,
)
from yiwang.core.packs.models import InstalledPack
from yiwang.core.packs.registry import (
    InstallOptions,
    InstallReport,
    Section,
    ValidPack,
    department_known,
    find,
    install,
    installed,
    register_section,
    sections,
    validate,
)


def found_key() -> str:
    """What the set of packs found depends on (the pack path), for caches built on it."""
    return os.environ.get(PATH_VARIABLE, "")


@functools.cache
def _found(key: str) -> dict[str, Manifest]:
    return find_all(key)


def found() -> dict[str, Manifest]:
    """Every pack found (see :mod:`yiwang.core.packs.manifest`), read once per pack path."""
    return _found(found_key())


log = logging.getLogger(__name__)
T = TypeVar("T")
_DECLARED: dict[tuple[str, str], dict[str, Any]] = {}


def declared(key: str, read: Callable[[Manifest], T | None]) -> dict[str, T]:
    """What each pack found declares under its top-level ``key``, read by ``read`` (the
    section's reader), by pack name, read once per pack path. A pack with problems in that
    section is left out and logged (``yiwang pack validate`` says where), so that what the
    other packs declare still shows: for pages that draw what packs declare without storing
    it (the monitoring panels, the search examples)."""
    cache_key = (found_key(), key)
    if cache_key not in _DECLARED:
        content: dict[str, T] = {}
        for name, manifest in found().items():
            if manifest.problems or key not in manifest.data:
                continue
            parsed = read(manifest)
            problems, manifest.problems[:] = list(manifest.problems), []
            if problems:
                log.warning(
                    "a pack's section is not valid",
                    extra={"pack": name, "section": key, "problems": [str(p) for p in problems]},
                )
            elif parsed is not None:
                content[name] = parsed
        _DECLARED[cache_key] = content
    return _DECLARED[cache_key]


def refresh() -> None:
    """Forget the packs found (a pack's files changed while running)."""
    _found.cache_clear()
    _DECLARED.clear()


__all__ = [
    "ENTRY_POINT_GROUP",
    "PACK_FILE",
    "PATH_VARIABLE",
    "THINGS_FILE",
    "InstallOptions",
    "InstallReport",
    "InstalledPack",
    "KeyPath",
    "Manifest",
    "PackInvalid",
    "PackProblem",
    "Section",
    "ValidPack",
    "declared",
    "department_known",
    "find",
    "find_all",
    "found",
    "found_key",
    "install",
    "installed",
    "read_folder",
    "refresh",
    "register_section",
    "render_key",
    "sections",
    "validate",
]
