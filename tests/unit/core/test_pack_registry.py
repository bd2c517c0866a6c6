"""The pack registry's own rules: where a key is in a pack's file, the order sections install
in whatever order the engines were imported, and how a pack is found by name and path."""

from __future__ import annotations

from pathlib import Path

import pytest

from yiwang import engines
from yiwang.core import packs
from yiwang.core.packs.manifest import KeyLines, render_key
from yiwang.core.packs.registry import Section

TEXT = """# a comment
[pack]
name = "x"
version = "1.0"

[properties.a]
name = "甲"
unit = { name = "米" }

[[rules]]
name = "one"

[[rules]]
name = "two"
levels = [{ label = "高", value = 1 }]

[[cases.items]]
code = "A"
description = \"\"\"
name = "not a key: inside a string"
\"\"\"

[[cases.items]]
code = "B"
materials = [{ key = "m" }]
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("pack", "version"), 4),
        (("properties", "a"), 6),
        (("properties", "a", "unit", "name"), 8),  # inside an inline table: its key's line
        (("rules", 0, "name"), 11),
        (("rules", 1, "name"), 14),
        (("rules", 1, "levels", 0, "label"), 15),
        (("cases",), 17),
        (("cases", "items", 0, "code"), 18),
        (("cases", "items", 1, "materials", 0, "key"), 25),
        (("cases", "items", 1, "name"), 23),  # not written: the entry's header
        (("nowhere",), None),
    ],
)
def test_a_key_is_placed_on_its_line(path: tuple[str | int, ...], line: int | None) -> None:
    assert KeyLines(TEXT).line_of(path) == line


def test_keys_are_rendered_as_a_pack_author_writes_them() -> None:
    assert render_key(("cases", "items", 2, "materials", 0, "key")) == (
        "cases.items[2].materials[0].key"
    )


def test_sections_install_after_those_they_need_whatever_the_import_order() -> None:
    engines.load()
    order = [s.engine for s in packs.sections()]
    assert order.index("catalog") < order.index("cases") < order.index("sensing")
    saved = dict(packs.registry._SECTIONS)
    try:
        packs.registry._SECTIONS.clear()
        for engine in ("sensing", "cases", "catalog"):  # registered the wrong way round
            packs.register_section(saved[engine])
        assert [s.engine for s in packs.sections()] == ["catalog", "cases", "sensing"]
        reads = saved["cases"]  # any section's functions: never called here
        late = Section(engine="late", keys=(), read=reads.read, install=reads.install)
        packs.register_section(late)
        assert packs.sections()[-1] is late
    finally:
        packs.registry._SECTIONS.clear()
        packs.registry._SECTIONS.update(saved)


def test_packs_are_found_in_the_software_then_the_pack_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, title in (("water", "冒名的水利"), ("inland", "内河")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pack.toml").write_text(
            f'[pack]\nversion = "1"\ntitle = "{title}"\n', encoding="utf-8"
        )
    monkeypatch.setenv(packs.PATH_VARIABLE, str(tmp_path))
    found = packs.found()
    assert found["water"].origin == "builtin"  # the shipped pack wins over a namesake
    assert (found["inland"].origin, found["inland"].title) == ("path", "内河")
    monkeypatch.delenv(packs.PATH_VARIABLE)
    assert "inland" not in packs.found()
