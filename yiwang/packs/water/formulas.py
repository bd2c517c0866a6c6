"""Pure formulas of the water pack: the state of a river section's water level against its
warning and guaranteed levels (警戒水位, 保证水位). No I/O; invalid arguments raise
:class:`ValueError`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["WaterLevelState", "WaterLevelStatus", "water_level_status"]

# Differences of levels are rounded to millimetres, so 12.35 − 12.0 reads 0.35, not 0.3499999.
_DECIMALS = 3


class WaterLevelState(StrEnum):
    NORMAL = "normal"  # 正常
    ABOVE_WARNING = "above_warning"  # 超警戒
    ABOVE_GUARANTEE = "above_guarantee"  # 超保证


_LABELS = {
    WaterLevelState.NORMAL: ("正常", "Normal"),
    WaterLevelState.ABOVE_WARNING: ("超警戒", "Above warning level"),
    WaterLevelState.ABOVE_GUARANTEE: ("超保证", "Above guaranteed level"),
}


@dataclass(frozen=True)
class WaterLevelStatus:
    """A water level against its section's thresholds.

    ``above_warning_m`` and ``above_guarantee_m`` are how far (m) the level is above the warning
    and guaranteed levels, 0 when it is not above them; ``excess_m`` is the amount above the
    highest threshold exceeded (超警戒 0.35 米), 0 when normal.
    """

    state: WaterLevelState
    level_m: float
    above_warning_m: float
    above_guarantee_m: float

    @property
    def label_zh(self) -> str:
        return _LABELS[self.state][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self.state][1]

    @property
    def excess_m(self) -> float:
        if self.state is WaterLevelState.ABOVE_GUARANTEE:
            return self.above_guarantee_m
        return self.above_warning_m


def water_level_status(level_m: float, *, warning_m: float, guarantee_m: float) -> WaterLevelStatus:
    """Return the state of a water level (m, in the same datum as the thresholds): above the
    guaranteed level (超保证) when strictly above it, else above the warning level (超警戒) when
    strictly above that, else normal. A level equal to a threshold has not exceeded it.

    Raise ValueError for a non-finite value or a guaranteed level below the warning level.
    """
    for name, value in (
        ("level_m", level_m),
        ("warning_m", warning_m),
        ("guarantee_m", guarantee_m),
    ):
        if not math.isfinite(value):
            raise ValueError(f"{name} is a finite number, not {value!r}")
    if guarantee_m < warning_m:
        raise ValueError(
            f"the guaranteed level ({guarantee_m!r} m) is below the warning level ({warning_m!r} m)"
        )
    if level_m > guarantee_m:
        state = WaterLevelState.ABOVE_GUARANTEE
    elif level_m > warning_m:
        state = WaterLevelState.ABOVE_WARNING
    else:
        state = WaterLevelState.NORMAL
    return WaterLevelStatus(
        state=state,
        level_m=level_m,
        above_warning_m=round(max(0.0, level_m - warning_m), _DECIMALS),
        above_guarantee_m=round(max(0.0, level_m - guarantee_m), _DECIMALS),
    )
