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


DATASET = """
[[datasets]]
key = "boxes"
kinds = ["box"]
title = "箱"
summary = "箱"
thing_fields = [FIELD]
"""
FIELD = '{ name = "电话", property = "keeper.phone", personal = "mobile" }'


def _with_field(field: str) -> packs.Pack:
    return packs.parse_pack("sample", MINIMAL + DATASET.replace("FIELD", field))


def test_a_field_of_personal_data_is_masked_unless_public_by_law_with_its_basis() -> None:
    (masked,) = _with_field(FIELD).datasets[0].thing_fields
    assert masked.personal == "mobile"
    assert masked.is_masked()
    public = FIELD.replace(" }", ', public_by_law = true, legal_basis = " 《某条例》第五条 " }')
    (shown,) = _with_field(public).datasets[0].thing_fields
    assert not shown.is_masked()
    assert shown.legal_basis == "《某条例》第五条"


@pytest.mark.parametrize(
    ("field", "code", "zh"),
    [
        (FIELD.replace(" }", ", public_by_law = true }"), "public_without_basis", "法律依据"),
        (
            FIELD.replace(" }", ', public_by_law = true, legal_basis = " " }'),
            "public_without_basis",
            "法律依据",
        ),
        (FIELD.replace(" }", ', legal_basis = "《某条例》" }'), "public_not_personal", "同时"),
        (
            '{ name = "电话", property = "p", public_by_law = true, legal_basis = "《某条例》" }',
            "public_not_personal",
            "个人信息",
        ),
        (FIELD.replace('"mobile"', '"phone"'), "personal_kind", "mobile"),
    ],
)
def test_a_personal_data_declaration_with_a_mistake_is_refused_in_both_languages(
    field: str, code: str, zh: str
) -> None:
    with pytest.raises(packs.PackError) as refused:
        _with_field(field)
    assert refused.value.code == f"sensing.pack_{code}"
    assert "sample" in str(refused.value)
    assert "电话" in str(refused.value)
    assert zh in refused.value.message("zh-CN")


def test_a_thing_field_with_an_unknown_key_is_refused() -> None:
    with pytest.raises(packs.PackError, match="public_basis"):
        _with_field(FIELD.replace(" }", ', public_basis = "《某条例》" }'))


def test_a_moving_average_needs_an_hourly_period() -> None:
    text = MINIMAL.replace(
        'outputs = ["b"]', 'outputs = ["b"]\nmoving_average = { a = { hours = 24 } }'
    )
    with pytest.raises(packs.PackError, match="PT1H"):
        packs.parse_pack("sample", text)
