"""Scenic-spot carrying capacity (LB/T 034-2014) and saturation warnings."""

from __future__ import annotations

import math

import pytest

from yiwang.packs.tourism.formulas import (
    daily_capacity,
    instantaneous_capacity,
    saturation,
    saturation_level,
    visitors_present,
)


@pytest.mark.parametrize(
    ("area", "per_capita", "expected"),
    [
        (10_000, 2.5, 4000),  # 10 000 m² ÷ 2.5 m² = 4000
        (1_000, 3, 333),  # 333.3 → 333: a visitor is whole
        (550, 1.1, 500),  # 500 exactly (499.99999999999994 in floating point)
        (0, 2.0, 0),
    ],
)
def test_instantaneous_capacity(area: float, per_capita: float, expected: int) -> None:
    assert instantaneous_capacity(usable_area_m2=area, per_capita_area_m2=per_capita) == expected


@pytest.mark.parametrize(("area", "per_capita"), [(-1, 2.0), (100, 0), (100, -2), (math.nan, 1)])
def test_instantaneous_capacity_refuses_bad_areas(area: float, per_capita: float) -> None:
    with pytest.raises(ValueError, match="area"):
        instantaneous_capacity(usable_area_m2=area, per_capita_area_m2=per_capita)


@pytest.mark.parametrize(
    ("instantaneous", "hours", "visit", "expected"),
    [
        (4000, 8, 2.5, 12_800),  # 4000 × 8 ÷ 2.5
        (333, 10, 3, 1110),  # 333 × 10 ÷ 3 = 1110
        (1000, 9, 4, 2250),  # 1000 × 9 ÷ 4
        (500, 8, 8, 500),  # one visit lasts the whole day
    ],
)
def test_daily_capacity(instantaneous: int, hours: float, visit: float, expected: int) -> None:
    assert (
        daily_capacity(instantaneous=instantaneous, opening_hours=hours, average_visit_hours=visit)
        == expected
    )


@pytest.mark.parametrize(
    ("instantaneous", "hours", "visit", "message"),
    [
        (-1, 8, 2, "instantaneous"),
        (100, 0, 2, "opening_hours"),
        (100, 25, 2, "opening_hours"),
        (100, 8, 0, "average_visit_hours"),
        (100, 8, 9, "longer"),
    ],
)
def test_daily_capacity_refuses_bad_values(
    instantaneous: int, hours: float, visit: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        daily_capacity(instantaneous=instantaneous, opening_hours=hours, average_visit_hours=visit)


def test_visitors_present_is_entries_minus_exits_never_below_zero() -> None:
    assert visitors_present(entries_total=5200, exits_total=1300) == 3900
    assert visitors_present(entries_total=100, exits_total=100) == 0
    assert visitors_present(entries_total=40, exits_total=55) == 0
    with pytest.raises(ValueError, match="gate counts"):
        visitors_present(entries_total=-1, exits_total=0)


def test_saturation_is_present_over_capacity() -> None:
    assert saturation(present=3900, max_capacity=4000) == 0.975
    assert saturation(present=4400, max_capacity=4000) == 1.1  # over capacity
    with pytest.raises(ValueError, match="max_capacity"):
        saturation(present=10, max_capacity=0)
    with pytest.raises(ValueError, match="present"):
        saturation(present=-1, max_capacity=10)


@pytest.mark.parametrize(
    ("value", "level", "label_zh"),
    [
        (0.0, 0, "正常"),
        (0.79, 0, "正常"),
        (0.8, 1, "黄色预警"),  # 3200 of 4000: the threshold itself warns
        (0.85, 1, "黄色预警"),
        (0.9, 2, "橙色预警"),
        (0.975, 2, "橙色预警"),
        (1.0, 3, "红色预警"),
        (1.2, 3, "红色预警"),
    ],
)
def test_saturation_levels_with_the_default_thresholds(
    value: float, level: int, label_zh: str
) -> None:
    result = saturation_level(value)
    assert (result.level, result.label_zh) == (level, label_zh)
    assert result.stop_ticket_sales is (level == 3)


def test_saturation_from_gate_counts_to_a_warning() -> None:
    # 3600 in a spot of 4000: 0.9 → orange.
    present = visitors_present(entries_total=5000, exits_total=1400)
    level = saturation_level(saturation(present=present, max_capacity=4000))
    assert level.level == 2
    assert level.label_en == "Orange warning"


def test_saturation_thresholds_are_configurable() -> None:
    thresholds = (0.7, 0.85, 0.95)
    assert saturation_level(0.75, thresholds=thresholds).level == 1
    assert saturation_level(0.9, thresholds=thresholds).level == 2
    assert saturation_level(0.95, thresholds=thresholds).stop_ticket_sales


@pytest.mark.parametrize(
    "thresholds",
    [
        (0.9, 0.8, 1.0),
        (0.8, 0.8, 1.0),
        (0.0, 0.5, 1.0),
        (-0.1, 0.5, 1.0),
        (0.8, 0.9),
        (0.8, math.nan, 1.0),
    ],
)
def test_saturation_thresholds_are_validated(thresholds: tuple[float, float, float]) -> None:
    with pytest.raises(ValueError, match="thresholds"):
        saturation_level(0.5, thresholds=thresholds)


def test_saturation_level_refuses_a_negative_saturation() -> None:
    with pytest.raises(ValueError, match="saturation"):
        saturation_level(-0.1)
