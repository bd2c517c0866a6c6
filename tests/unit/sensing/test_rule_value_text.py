"""What an alert's value means, as a pack's rule words it (``value_text``, ``value_labels``):
filled in for the page's language, and a mistake refused with its file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from yiwang.core import packs as registry
from yiwang.sensing import packs

PACK = """
[pack]
name = "tidal"
version = "1.0.0"
title = "潮汐"
department = "tstocean"

[properties.tide]
name = "潮位"
definition = "urn:test:def:tidal:tide"
unit = { name = "米", symbol = "m", definition = "http://unitsofmeasure.org/ucum.html#m" }

[properties.tide_status]
name = "潮位状态"
definition = "urn:test:def:tidal:tide-status"
type = "count"

[kinds.gauge]
name = "潮位站"
streams = ["tide", "tide_status"]

[[rules]]
name = "潮位超警戒"
property = "tide"
kind = "gauge"
levels = [{ label = "蓝色", value = 4.0 }]
value_text = "潮位 {value:.2f} {unit}"
value_text_en = "tide at {value:.2f} {unit}"

[[rules]]
name = "潮位状态预警"
property = "tide_status"
kind = "gauge"
levels = [{ label = "超警戒潮位", value = 0.5 }]
value_labels = [
    { value = 1, label = "超过警戒潮位", label_en = "above the warning level" },
    { value = 2, label = "超过保证潮位" },
]
"""


def _read(root: Path, text: str) -> registry.Manifest:
    folder = root / "tidal"
    folder.mkdir(exist_ok=True)
    (folder / "pack.toml").write_text(text, encoding="utf-8")
    return registry.read_folder(folder)


def test_a_rule_says_what_its_values_mean_in_both_languages() -> None:
    pack = packs.parse_pack("tidal", PACK)
    level, status = pack.rules
    assert level.describe(4.256, unit="m", zh=True) == "潮位 4.26 m"
    assert level.describe(4.256, unit="m", zh=False) == "tide at 4.26 m"
    assert status.describe(1, zh=True) == "超过警戒潮位"
    assert status.describe(1.0, zh=False) == "above the warning level"
    assert status.describe(2, zh=True) == "超过保证潮位"
    assert status.describe(2, zh=False) is None  # no English: the page shows the bare value
    assert status.describe(3, zh=True) is None


@pytest.mark.parametrize(
    ("old", "new", "key", "says"),
    [
        ('"潮位 {value:.2f} {unit}"', '"潮位偏高"', "value_text", "a text with {value}"),
        ('"潮位 {value:.2f} {unit}"', '"潮位 {level}"', "value_text", "a text with {value}"),
        ('"潮位 {value:.2f} {unit}"', '"潮位 {value} {where}"', "value_text", "{where}"),
        ('"潮位 {value:.2f} {unit}"', '"潮位 {value:.2q}"', "value_text", "not a template"),
        ('"tide at {value:.2f} {unit}"', "3", "value_text_en", "a text with {value}"),
        ("{ value = 2, label", '{ value = "二", label', "value_labels", "value: a number"),
        ('label = "超过保证潮位"', 'label = ""', "value_labels", "label: a text"),
        (
            'label = "超过保证潮位"',
            'label = "超过保证潮位", colour = "red"',
            "value_labels",
            "keys",
        ),
    ],
)
def test_a_mistake_in_a_rules_value_text_is_refused_with_its_line(
    tmp_path: Path, old: str, new: str, key: str, says: str
) -> None:
    assert old in PACK
    text = PACK.replace(old, new)
    line = next(n for n, t in enumerate(text.splitlines(), start=1) if t.startswith(f"{key} ="))
    with pytest.raises(registry.PackInvalid) as refused:
        registry.validate(_read(tmp_path, text))
    problems = [str(p) for p in refused.value.problems]
    assert any(p.startswith(f"tidal/pack.toml:{line}: rules[") and says in p for p in problems), (
        problems
    )
    assert any(f".{key}" in p or f"{key}:" in p for p in problems), problems
