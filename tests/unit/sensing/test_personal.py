"""Personal data in Things' properties as the packs declare it: which paths are masked, how a
value at a path is masked, and who reads it clear."""

from __future__ import annotations

from typing import Any

from yiwang.catalog.personal import PersonalKind
from yiwang.core.policy import ANONYMOUS, Actor, Role
from yiwang.sensing import personal
from yiwang.sensing.personal import PersonalField

RIVER = "water.river_section"
PHONE = PersonalField(("river_chief", "phone"), PersonalKind.MOBILE)
CHIEF = {"code": "RIV-1", "river_chief": {"name": "王建国", "phone": "13805710001"}}


def test_the_water_pack_masks_the_river_chiefs_mobile_and_not_the_name_public_by_law() -> None:
    declared = personal.declared()
    assert declared[RIVER] == (PHONE,)
    assert "environment.air_station" not in declared


def test_a_value_is_masked_in_a_copy_and_the_rest_is_left_as_it_is() -> None:
    masked = personal.mask_properties(CHIEF, [PHONE])
    assert masked == {"code": "RIV-1", "river_chief": {"name": "王建国", "phone": "138****0001"}}
    assert CHIEF["river_chief"]["phone"] == "13805710001"  # type: ignore[index]


def test_every_value_under_a_personal_path_is_masked() -> None:
    phones: dict[str, Any] = {
        "river_chief": {"phone": ["13805710001", {"office": 13905740002, "none": None}]}
    }
    assert personal.mask_properties(phones, [PHONE]) == {
        "river_chief": {"phone": ["138****0001", {"office": "139****0002", "none": None}]}
    }
    listed = PersonalField(("chiefs", "1", "phone"), PersonalKind.MOBILE)
    chiefs = {"chiefs": [{"phone": "13805710001"}, {"phone": "13905740002"}]}
    assert personal.mask_properties(chiefs, [listed]) == {
        "chiefs": [{"phone": "13805710001"}, {"phone": "139****0002"}]
    }


def test_properties_without_the_path_come_back_unchanged() -> None:
    for properties in (None, {}, {"river_chief": None}, {"river_chief": {"phone": None}}, [1]):
        assert personal.mask_properties(properties, [PHONE]) is properties
        assert not personal.holds_any(properties, [PHONE])
    assert personal.holds_any(CHIEF, [PHONE])


def test_a_path_reaches_personal_data_at_it_inside_it_or_around_it() -> None:
    for path in ((), ("river_chief",), ("river_chief", "phone"), ("river_chief", "phone", "0")):
        assert personal.kinds_reaching(path) == {RIVER}, path
    for path in (("river_chief", "name"), ("code",), ("phone",)):
        assert personal.kinds_reaching(path) == frozenset(), path


def test_the_owning_department_and_sysadmins_read_clear() -> None:
    row = {"id": 7, "pack": RIVER, "department_id": 3, "properties": CHIEF}
    staff = Actor(user_id=1, role=Role.MEMBER, department_id=3, via="token")
    other = Actor(user_id=2, role=Role.EDITOR, department_id=4, via="token")
    root = Actor(user_id=3, role=Role.SYSADMIN, via="token")
    for who in (staff, root):
        reader = personal.Reader(who)
        assert reader.properties(row) is CHIEF
        assert reader.shown_clear([row]) == [7]
    for who in (other, ANONYMOUS):
        reader = personal.Reader(who)
        assert reader.properties(row)["river_chief"]["phone"] == "138****0001"
        assert reader.shown_clear([row]) == []
    unpacked = {**row, "pack": None}
    assert personal.Reader(ANONYMOUS).properties(unpacked) is CHIEF
    assert personal.Reader(staff).shown_clear([unpacked]) == []
