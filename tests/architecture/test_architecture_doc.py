"""docs/architecture.md draws the code as it is: its layer diagram is the layers contract that
`make lint` enforces, and its paragraph on each engine names every module of that engine."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from yiwang.engines import ENGINES

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _layers_contract() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [
        c for c in config["tool"]["importlinter"]["contracts"] if c.get("type") == "layers"
    ]
    return [str(layer) for layer in contract["layers"]]


def test_the_layer_diagram_is_the_layers_contract() -> None:
    block = DOC.split("```", 2)[1]
    drawn = [line for line in block.splitlines() if line.startswith("yiwang.")]
    enforced = _layers_contract()
    assert len(drawn) == len(enforced)
    for picture, layer in zip(drawn, enforced, strict=True):
        for name in re.split(r"[|:]", layer):
            present = name.strip()
            optional = present.startswith("(")  # an engine to come: the picture may elide it
            assert present.strip("()") in picture or (optional and "…" in picture), picture


def _engine_paragraph(engine: str) -> str:
    match = re.search(rf"The {engine} engine \(`yiwang/{engine}/`.*?\n\n", DOC, re.DOTALL)
    assert match, f"docs/architecture.md has no paragraph on the {engine} engine"
    return match.group(0)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_paragraph_on_each_engine_names_every_module(engine: str) -> None:
    paragraph = _engine_paragraph(engine)
    named = set(re.findall(r"`([a-z_0-9]+)/?`", paragraph))
    package = ROOT / "yiwang" / engine
    modules = {p.stem for p in package.glob("*.py") if p.stem != "__init__"} | {
        p.name for p in package.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    }
    assert modules - named == set(), f"docs/architecture.md does not name these {engine} modules"
