"""Pure formulas of the tourism pack: the carrying capacity of a scenic spot (LB/T 034-2014),
the visitors present from gate counts, and saturation with its warning levels. No I/O; invalid
arguments raise :class:`ValueError`."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

__all__ = [
    "DEFAULT_THRESHOLDS",
    "SATURATION_LEVELS",
    "SaturationLevel",
    "daily_capacity",
    "instantaneous_capacity",
    "saturation",
    "saturation_level",
    "visitors_present",
]

# Capacities are rounded down after rounding to this many decimals, so that float error
# (3999.9999999) does not cost a visitor.
_DECIMALS = 6

# Local practice: yellow at 80 %, orange at 90 %, red (stop ticket sales) at 100 % of the
# maximum capacity. Departments configure their own.
DEFAULT_THRESHOLDS: tuple[float, float, float] = (0.8, 0.9, 1.0)


@dataclass(frozen=True)
class SaturationLevel:
    """A warning level of visitor saturation: 0 normal, 1 yellow, 2 orange, 3 red."""

    level: int
    label_zh: str
    label_en: str

    @property
    def stop_ticket_sales(self) -> bool:
        """True at the red level, when the scenic spot stops selling tickets."""
        return self.level == 3


SATURATION_LEVELS: tuple[SaturationLevel, ...] = (
    SaturationLevel(0, "正常", "Normal"),
    SaturationLevel(1, "黄色预警", "Yellow warning"),
    SaturationLevel(2, "橙色预警", "Orange warning"),
    SaturationLevel(3, "红色预警", "Red warning: stop ticket sales"),
)


def instantaneous_capacity(*, usable_area_m2: float, per_capita_area_m2: float) -> int:
    """Return the instantaneous capacity (瞬时承载量) of one area of a scenic spot: its usable
    area ÷ the area each visitor needs, rounded down to whole visitors (LB/T 034-2014). A spot's
    capacity is the sum over its areas.

    Raise ValueError unless the usable area is a finite number >= 0 and the per-capita area a
    finite number > 0.
    """
    _check(usable_area_m2, "usable_area_m2", minimum=0.0)
    _check(per_capita_area_m2, "per_capita_area_m2", minimum=0.0, inclusive=False)
    return _whole(usable_area_m2 / per_capita_area_m2)


def daily_capacity(*, instantaneous: int, opening_hours: float, average_visit_hours: float) -> int:
    """Return the daily capacity (日承载量): instantaneous capacity × opening hours ÷ average
    visit time, rounded down to whole visitors (LB/T 034-2014).

    Raise ValueError unless the instantaneous capacity is >= 0, the opening hours are above 0
    and at most 24, and the average visit is above 0 and no longer than the opening hours (a
    longer one would give a daily capacity below the instantaneous one).
    """
    _check(instantaneous, "instantaneous", minimum=0.0)
    _check(opening_hours, "opening_hours", minimum=0.0, inclusive=False)
    _check(average_visit_hours, "average_visit_hours", minimum=0.0, inclusive=False)
    if opening_hours > 24:
        raise ValueError(f"opening_hours is at most 24, not {opening_hours!r}")
    if average_visit_hours > opening_hours:
        raise ValueError(
            f"average_visit_hours ({average_visit_hours!r}) is longer than "
            f"opening_hours ({opening_hours!r})"
        )
    return _whole(instantaneous * opening_hours / average_visit_hours)


def visitors_present(*, entries_total: int, exits_total: int) -> int:
    """Return the visitors in the scenic spot now: entries so far minus exits so far, never
    below 0 (exit gates can count people who entered before the counters were reset, or
    without passing an entry gate). Raise ValueError for a negative count."""
    if entries_total < 0 or exits_total < 0:
        raise ValueError(
            f"gate counts are >= 0, not entries={entries_total!r}, exits={exits_total!r}"
        )
    return max(0, entries_total - exits_total)


def saturation(*, present: int, max_capacity: int) -> float:
    """Return the saturation (饱和度): visitors present ÷ the maximum capacity, as a fraction
    (0.85 is 85 %); it exceeds 1 when the spot is over capacity. Raise ValueError unless the
    visitors present are >= 0 and the capacity is above 0."""
    _check(present, "present", minimum=0.0)
    _check(max_capacity, "max_capacity", minimum=0.0, inclusive=False)
    return present / max_capacity


def saturation_level(
    saturation: float, *, thresholds: tuple[float, float, float] = DEFAULT_THRESHOLDS
) -> SaturationLevel:
    """Return the warning level of a saturation (a fraction, 0.85 for 85 %).

    ``thresholds`` are the saturations at which the yellow, orange and red levels begin; a
    saturation equal to a threshold is at that level. Raise ValueError unless there are three
    thresholds, above 0 and strictly ascending, and the saturation is a finite number >= 0.
    """
    _check_thresholds(thresholds)
    _check(saturation, "saturation", minimum=0.0)
    level = sum(1 for threshold in thresholds if saturation >= threshold)
    return SATURATION_LEVELS[level]


def _check_thresholds(thresholds: tuple[float, ...]) -> None:
    if len(thresholds) != 3:
        raise ValueError(f"three thresholds (yellow, orange, red), not {thresholds!r}")
    if not all(math.isfinite(t) and t > 0 for t in thresholds):
        raise ValueError(f"thresholds are finite numbers above 0, not {thresholds!r}")
    if not all(low < high for low, high in itertools.pairwise(thresholds)):
        raise ValueError(f"thresholds are strictly ascending, not {thresholds!r}")


def _check(value: float, name: str, *, minimum: float, inclusive: bool = True) -> None:
    ok = math.isfinite(value) and (value >= minimum if inclusive else value > minimum)
    if not ok:
        relation = ">=" if inclusive else ">"
        raise ValueError(f"{name} is a finite number {relation} {minimum:g}, not {value!r}")


def _whole(value: float) -> int:
    return math.floor(round(value, _DECIMALS))
