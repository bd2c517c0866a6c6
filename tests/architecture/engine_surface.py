"""An import-linter contract of our own: outside an engine, only its public surface is imported.

Every engine named in ``yiwang.engines.ENGINES`` (so every engine to come, the day it is added)
is a package whose modules only the engine itself and the listed importers (the migrations) may
import; everyone else imports the package (its ``__init__``) or its public module(s). What an
engine offers the rest is therefore written in one place, and a reach into its models or
internals fails ``make lint`` with the line that does it.

Imports that broke the rule before it was enforced are listed in ``ignore_imports`` (as
``importer -> imported``); the list only shrinks, and one that no longer happens is an error, so
a fixed reach cannot come back unnoticed.
"""

from __future__ import annotations

import importlib
from typing import Any

import grimp
from importlinter import Contract, ContractCheck, fields, output


class EngineSurfaceContract(Contract):
    type_name = "engine_surface"

    engines_module = fields.StringField()
    public_modules = fields.ListField(subfield=fields.StringField())
    allowed_importers = fields.ListField(subfield=fields.StringField())
    ignore_imports = fields.ListField(subfield=fields.StringField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:  # noqa: ARG002
        engines: tuple[str, ...] = importlib.import_module(str(self.engines_module)).ENGINES
        allowed = [str(a) for a in self.allowed_importers]  # type: ignore[attr-defined]
        public = {str(p) for p in self.public_modules}  # type: ignore[attr-defined]
        ignored = {
            tuple(part.strip() for part in str(line).split("->"))
            for line in (self.ignore_imports or [])  # type: ignore[attr-defined]
        }
        broken: list[dict[str, Any]] = []
        seen: set[tuple[str, ...]] = set()
        for engine in engines:
            package = f"yiwang.{engine}"
            surface = {package} | {f"{package}.{name}" for name in public}
            for module in sorted(graph.find_descendants(package)):
                if module in surface:
                    continue
                for importer in sorted(graph.find_modules_that_directly_import(module)):
                    if importer == package or importer.startswith(package + "."):
                        continue
                    if any(importer == a or importer.startswith(a + ".") for a in allowed):
                        continue
                    if (importer, module) in ignored:
                        seen.add((importer, module))
                        continue
                    broken.extend(
                        {
                            "engine": engine,
                            "importer": importer,
                            "imported": module,
                            "line": detail["line_number"],
                        }
                        for detail in graph.get_import_details(importer=importer, imported=module)
                    )
        stale = sorted(ignored - seen)
        return ContractCheck(
            kept=not broken and not stale, metadata={"broken": broken, "stale": stale}
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            output.print_error(
                f"{item['importer']}:{item['line']} imports {item['imported']}, inside the "
                f"{item['engine']} engine: use what yiwang.{item['engine']} offers instead"
            )
        for importer, imported in check.metadata["stale"]:
            output.print_error(
                f"{importer} -> {imported} is listed in ignore_imports but no longer happens: "
                "take it off the list"
            )
        output.new_line()
