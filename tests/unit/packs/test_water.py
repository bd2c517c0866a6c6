"""River-section water levels against their warning and guaranteed levels."""

from __future__ import annotations

import math

import pytest

from yiwang.packs.water.formulas import WaterLevelState, water_level_status

# A section with its warning level at 12.00 m and its guaranteed level at 13.50 m.
WARNING = 12.0
GUARANTEE = 13.5


def test_below_the_warning_level_is_normal() -> None:
    status = water_level_status(11.8, warning_m=WARNING, guarantee_m=GUARANTEE)
    assert status.state is WaterLevelState.NORMAL
    assert status.label_zh == "正常"
    assert (status.above_warning_m, status.above_guarantee_m, status.excess_m) == (0, 0, 0)


def test_at_the_warning_level_has_not_exceeded_it() -> None:
    status = water_level_status(12.0, warning_m=WARNING, guarantee_m=GUARANTEE)
    assert status.state is WaterLevelState.NORMAL


def test_above_the_warning_level() -> None:
    # 12.35 − 12.00 = 0.35 m above warning (12.35 - 12.0 is 0.3499999... in floating point).
    status = water_level_status(12.35, warning_m=WARNING, guarantee_m=GUARANTEE)
    assert status.state is WaterLevelState.ABOVE_WARNING
    assert status.label_zh == "超警戒"
    assert status.label_en == "Above warning level"
    assert status.above_warning_m == 0.35
    assert status.above_guarantee_m == 0
    assert status.excess_m == 0.35


def test_at_the_guaranteed_level_is_above_warning_only() -> None:
    status = water_level_status(13.5, warning_m=WARNING, guarantee_m=GUARANTEE)
    assert status.state is WaterLevelState.ABOVE_WARNING
    assert status.above_warning_m == 1.5


def test_above_the_guaranteed_level() -> None:
    # 13.62 − 13.50 = 0.12 m above guarantee, 13.62 − 12.00 = 1.62 m above warning.
    status = water_level_status(13.62, warning_m=WARNING, guarantee_m=GUARANTEE)
    assert status.state is WaterLevelState.ABOVE_GUARANTEE
    assert status.label_zh == "超保证"
    assert status.above_warning_m == 1.62
    assert status.above_guarantee_m == 0.12
    assert status.excess_m == 0.12


def test_equal_thresholds_are_allowed() -> None:
    status = water_level_status(5.2, warning_m=5.0, guarantee_m=5.0)
    assert status.state is WaterLevelState.ABOVE_GUARANTEE
    assert status.excess_m == 0.2


def test_negative_levels_in_a_local_datum_are_fine() -> None:
    status = water_level_status(-0.4, warning_m=-1.0, guarantee_m=0.5)
    assert status.state is WaterLevelState.ABOVE_WARNING
    assert status.above_warning_m == 0.6


def test_guarantee_below_warning_is_refused() -> None:
    with pytest.raises(ValueError, match="below the warning level"):
        water_level_status(10.0, warning_m=12.0, guarantee_m=11.0)


@pytest.mark.parametrize("name", ["level_m", "warning_m", "guarantee_m"])
def test_non_finite_values_are_refused(name: str) -> None:
    values = {"level_m": 1.0, "warning_m": 2.0, "guarantee_m": 3.0, name: math.nan}
    with pytest.raises(ValueError, match=name):
        water_level_status(
            values["level_m"], warning_m=values["warning_m"], guarantee_m=values["guarantee_m"]
        )
