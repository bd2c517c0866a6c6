"""The domain packs' declarations: every pack shipped is valid, names a demo department, covers
Zhejiang's 11 cities with its demo things, and has formulas that resolve; a pack with a
mistake is refused with a message naming it."""

from __future__ import annotations

import pytest

from yiwang.core.codes import division_name
from yiwang.demo import DEPARTMENTS
from yiwang.sensing import packs

CITIES = {f"33{n:02d}00" for n in range(1, 12)}

MINIMAL = """
[pack]
name = "sample"
title = "示例"
department = "zjdata"

[properties.a]
name = "甲"
definition = "urn:test:a"

[properties.b]
name = "乙"
definition = "urn:test:b"
type = "count"

[kinds.box]
name = "箱"
streams = ["a"]

[[kinds.box.computed]]
key = "double"
formula = "yiwang.packs.water.hooks:water_level_status"
period = "instant"
inputs = ["a"]
outputs = ["b"]
"""


def test_every_shipped_pack_is_found_and_valid() -> None:
    found = packs.discover()
    assert set(found) >= {"environment", "tourism", "transport", "water", "energy"}
    slugs = {d[0] for d in DEPARTMENTS}
    for pack in found.values():
        assert pack.department in slugs
        for kind in pack.kinds.values():
            for spec in kind.computed:
                assert callable(spec.formula), spec.formula_name
        for rule in pack.rules:
            assert rule.property in pack.kind(rule.kind).all_streams


def test_every_pack_has_demo_things_in_all_eleven_cities() -> None:
    for pack in packs.discover().values():
        cities = {t.division_code[:4] + "00" for t in pack.demo_things}
        assert cities == CITIES, pack.name
        for thing in pack.demo_things:
            assert division_name(thing.division_code), thing.code
            assert 118 < thing.longitude < 123, thing.code
            assert 27 < thing.latitude < 31.5, thing.code
        codes = [t.code for t in pack.demo_things]
        assert len(codes) == len(set(codes))


def test_the_energy_pack_belongs_to_the_data_bureau_when_no_development_department_exists() -> None:
    assert packs.get_pack("energy").department == "zjdata"
    assert packs.get_pack("environment").department == "zjenv"


def test_a_minimal_pack_reads() -> None:
    pack = packs.parse_pack("sample", MINIMAL)
    kind = pack.kind("box")
    assert kind.full_name == "sample.box"
    assert kind.all_streams == ("a", "b")
    assert kind.computed[0].period_minutes is None
    assert pack.properties["b"].observation_type.endswith("OM_CountObservation")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('inputs = ["a"]', 'inputs = ["c"]'), "unknown property 'c'"),
        (('period = "instant"', 'period = "PT7M"'), "period"),
        (('formula = "yiwang.packs.water.hooks:water_level_status"', 'formula = "x"'), "formula"),
        (('definition = "urn:test:b"', 'definition = "urn:test:a"'), "share a definition"),
        (('department = "zjdata"', ""), "department is required"),
        (('streams = ["a"]', 'streams = ["z"]'), "unknown property 'z'"),
    ],
)
def test_a_pack_with_a_mistake_is_refused_with_a_message_naming_it(
    change: tuple[str, str], message: str
) -> None:
    text = MINIMAL.replace(*change)
    with pytest.raises(packs.PackError, match=message) as refused:
        packs.parse_pack("sample", text)
    assert "sample" in str(refused.value)


def test_a_moving_average_needs_an_hourly_period() -> None:
    text = MINIMAL.replace(
        'outputs = ["b"]', 'outputs = ["b"]\nmoving_average = { a = { hours = 24 } }'
    )
    with pytest.raises(packs.PackError, match="PT1H"):
        packs.parse_pack("sample", text)
