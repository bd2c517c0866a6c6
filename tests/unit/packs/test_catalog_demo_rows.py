"""``demo_rows`` of [[catalog.datasets]] named as a generator (``.demo:rows``): resolved when the
pack is read (a name that does not resolve is a problem with file, line and key), called only
when the demo is installed, with a generator seeded by the pack's and the dataset's names, and
its rows checked against the dataset's fields."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from yiwang.catalog import packs as catalog_packs
from yiwang.core import packs as registry
from yiwang.core.errors import InvalidInput

PACK = """
[pack]
name = "tidal"
version = "1.0.0"
title = "潮汐"
department = "tstocean"
category = "ocean"

[[catalog.datasets]]
name = "tidal-levels"
title = "潮位日报"
summary = "沿海潮位站的每日最高潮位（测试数据）。"
fields = [
    { name = "station", type = "text" },
    { name = "level_m", type = "decimal" },
]
demo_rows = ".demo:levels"
"""

DEMO = """
CALLS = []

def levels(rng):
    CALLS.append(rng)
    return [{"station": f"站{i}", "level_m": round(rng.uniform(1, 5), 2)} for i in range(3)]

def wrong_keys(rng):
    return [{"station": "站1", "level": 2.0}]
"""


def _pack(root: Path, text: str = PACK) -> registry.Manifest:
    folder = root / "tidal"
    folder.mkdir(exist_ok=True)
    (folder / "pack.toml").write_text(text, encoding="utf-8")
    (folder / "demo.py").write_text(DEMO, encoding="utf-8")
    return registry.read_folder(folder)


def _dataset(manifest: registry.Manifest) -> catalog_packs.PackDataset:
    content: catalog_packs.CatalogContent = registry.validate(manifest).content["catalog"]
    (dataset,) = content.datasets
    return dataset


def test_a_generator_is_resolved_on_reading_and_called_only_for_the_demo(tmp_path: Path) -> None:
    manifest = _pack(tmp_path)
    dataset = _dataset(manifest)
    calls = manifest.resolve(".demo:CALLS")
    generator = dataset.demo_rows
    assert isinstance(generator, catalog_packs.DemoGenerator)
    assert (generator.name, generator.seed) == (".demo:levels", "tidal:tidal-levels")
    assert calls == []  # validating the pack drew nothing
    rows = dataset.demo_records()
    assert len(calls) == 1
    rng = random.Random("tidal:tidal-levels")  # noqa: S311  (the same seed, the same rows)
    assert rows == tuple(
        {"station": f"站{i}", "level_m": round(rng.uniform(1, 5), 2)} for i in range(3)
    )
    assert dataset.demo_records() == rows  # deterministic
    assert catalog_packs.summary(registry.validate(manifest).content["catalog"]) == {
        "datasets": 1,
        "demo_only": 0,
        "rows": 0,  # the pack's own rows; demo rows are drawn only for the demo
        "demo_rows": 0,  # none written in the pack
        "generated": 1,  # one dataset whose demo rows the generator draws
    }


def test_rows_that_are_not_the_fields_are_refused_when_drawn(tmp_path: Path) -> None:
    text = PACK.replace(".demo:levels", ".demo:wrong_keys")
    manifest = _pack(tmp_path, text)
    dataset = _dataset(manifest)
    with pytest.raises(ValueError, match=r"\.demo:wrong_keys: row 1 has \['level', 'station'\]"):
        dataset.demo_records()
    # Installing with the demo stops there, naming the key (and leaves the pack valid).
    line = next(n for n, t in enumerate(text.splitlines(), start=1) if t.startswith("demo_rows"))
    with pytest.raises(InvalidInput) as refused:
        catalog_packs._demo_rows(manifest, dataset)
    assert refused.value.code == "pack.invalid"
    assert str(refused.value.params["problems"]).startswith(
        f"tidal/pack.toml:{line}: catalog.datasets[0].demo_rows: .demo:wrong_keys: row 1 has"
    )
    assert manifest.problems == []


@pytest.mark.parametrize(
    ("name", "says"),
    [
        (".demo:missing", "cannot resolve .demo:missing"),
        (".nowhere:levels", "cannot resolve .nowhere:levels"),
        (".demo:", "a generator is named module:function"),
        (".demo:CALLS", ".demo:CALLS is not a function"),
    ],
)
def test_a_generator_that_does_not_resolve_is_a_problem_with_its_line(
    tmp_path: Path, name: str, says: str
) -> None:
    text = PACK.replace(".demo:levels", name)
    line = next(n for n, t in enumerate(text.splitlines(), start=1) if t.startswith("demo_rows"))
    with pytest.raises(registry.PackInvalid) as refused:
        registry.validate(_pack(tmp_path, text))
    problems = [str(p) for p in refused.value.problems]
    assert any(
        p.startswith(f"tidal/pack.toml:{line}: catalog.datasets[0].demo_rows:") and says in p
        for p in problems
    ), problems
