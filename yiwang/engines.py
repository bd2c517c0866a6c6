"""The engines this build of yiwang serves, in start-up order. Each is a package with
``models``, ``register(app)`` and optionally ``load_demo(session)``; the core is always there.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# cases before sensing: the demo's task items exist before the packs' rules that name them.
ENGINES: tuple[str, ...] = ("catalog", "cases", "sensing")


def load() -> list[ModuleType]:
    """Import every engine package (and so its models, routes and job handlers)."""
    return [importlib.import_module(f"yiwang.{name}") for name in ENGINES]
