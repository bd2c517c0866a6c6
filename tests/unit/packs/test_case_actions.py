"""The shipped packs' alert rules open the cases the plan names, of task items the same packs
declare in their [[cases.items]], for departments the core demo has."""

from __future__ import annotations

from yiwang import engines
from yiwang.core import packs as registry
from yiwang.demo import DEPARTMENTS
from yiwang.sensing import packs


def test_the_packs_rules_open_cases_of_the_demos_task_items() -> None:
    actions = {
        (pack.name, rule.name): dict(action)
        for pack in packs.discover().values()
        for rule in pack.rules
        for action in rule.actions
    }
    assert {key: (a["level"], a["item"]) for key, a in actions.items()} == {
        ("water", "河段水位预警"): (2, "330000-SL-101"),  # above the guaranteed level
        ("environment", "排放口超标排放预警"): (1, "330000-STHJ-101"),  # over the permit
        ("tourism", "景区游客饱和度预警"): (3, "330000-WHLY-101"),  # red warning
    }
    engines.load()
    slugs = {department[0] for department in DEPARTMENTS}
    for (pack, _rule), action in actions.items():
        content = registry.validate(registry.find(pack)).content["cases"]
        (task,) = [i for i in content.items if i.data.code == action["item"]]
        assert task.data.kind == "task"
        assert task.department == packs.get_pack(pack).department
        assert task.department in slugs
    assert actions[("water", "河段水位预警")]["department"] == "properties.river_chief.office"


def test_the_river_chief_offices_named_by_reaches_are_demo_departments() -> None:
    slugs = {department[0] for department in DEPARTMENTS}
    offices = {
        thing.code: thing.properties["river_chief"]["office"]
        for thing in packs.get_pack("water").demo_things
        if "office" in thing.properties.get("river_chief", {})
    }
    assert offices == {"RIV-330800-01": "qzwater"}
    assert set(offices.values()) <= slugs
