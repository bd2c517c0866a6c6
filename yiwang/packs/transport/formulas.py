"""Pure formulas of the transport pack: the traffic congestion index (交通运行指数, 0-10) and its
five levels, the urban speed bands, and a highway index from a section's free-flow speed. No
I/O; invalid arguments raise :class:`ValueError`."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

__all__ = [
    "CONGESTION_LEVELS",
    "HIGHWAY_RATIO_BREAKS",
    "URBAN_SPEED_BANDS",
    "CongestionLevel",
    "RoadClass",
    "congestion_index",
    "congestion_level",
    "speed_band_level",
]

RoadClass = Literal["expressway", "arterial"]


@dataclass(frozen=True)
class CongestionLevel:
    """One of the five congestion levels, 1 (畅通) to 5 (严重拥堵)."""

    level: int
    label_zh: str
    label_en: str


CONGESTION_LEVELS: tuple[CongestionLevel, ...] = (
    CongestionLevel(1, "畅通", "Free flow"),
    CongestionLevel(2, "基本畅通", "Basically free flow"),
    CongestionLevel(3, "轻度拥堵", "Light congestion"),
    CongestionLevel(4, "中度拥堵", "Moderate congestion"),
    CongestionLevel(5, "严重拥堵", "Severe congestion"),
)

# The upper ends of the index ranges of levels 1-4 (0-2, 2-4, 4-6, 6-8; level 5 is 8-10).
_INDEX_BOUNDS = (2.0, 4.0, 6.0, 8.0)

# Urban speed bands (km/h): the lowest speed of levels 1-4 is above these values, so that a speed
# equal to a value belongs to the worse level (expressway: >65, 50-65, 35-50, 20-35, <=20).
URBAN_SPEED_BANDS: Mapping[str, tuple[float, float, float, float]] = MappingProxyType(
    {"expressway": (65.0, 50.0, 35.0, 20.0), "arterial": (40.0, 30.0, 20.0, 15.0)}
)

# Speed ÷ free-flow speed at index 2, 4, 6 and 8: the urban expressway bands (65, 50, 35 and
# 20 km/h) divided by 80 km/h, the usual design speed of an urban expressway.
HIGHWAY_RATIO_BREAKS: tuple[float, float, float, float] = (0.8125, 0.625, 0.4375, 0.25)

_DECIMALS = 6  # the index is rounded to this many decimals to drop float error at the knots


def congestion_level(index: float) -> CongestionLevel:
    """Return the level of a congestion index from 0 to 10: 0-2 畅通, 2-4 基本畅通, 4-6 轻度拥堵,
    6-8 中度拥堵, 8-10 严重拥堵. An index on a boundary (2, 4, 6, 8) belongs to the better
    level; 10 is 严重拥堵. Raise ValueError for an index outside 0-10."""
    if not math.isfinite(index) or not 0 <= index <= 10:
        raise ValueError(f"a congestion index is from 0 to 10, not {index!r}")
    return CONGESTION_LEVELS[sum(1 for bound in _INDEX_BOUNDS if index > bound)]


def speed_band_level(speed_kmh: float, *, road_class: RoadClass) -> CongestionLevel:
    """Return the congestion level of an urban road from its average speed (km/h).

    Expressway (快速路): above 65 畅通, 50-65 基本畅通, 35-50 轻度拥堵, 20-35 中度拥堵, 20 or
    less 严重拥堵. Arterial (主干路): above 40, 30-40, 20-30, 15-20, 15 or less. A speed on a
    band boundary belongs to the worse level (65 km/h on an expressway is 基本畅通). Raise
    ValueError for an unknown road class or a negative or non-finite speed.
    """
    try:
        bands = URBAN_SPEED_BANDS[road_class]
    except KeyError:
        raise ValueError(f"road_class is 'expressway' or 'arterial', not {road_class!r}") from None
    _check_speed(speed_kmh, "speed_kmh")
    return CONGESTION_LEVELS[sum(1 for lowest in bands if speed_kmh <= lowest)]


def congestion_index(
    speed_kmh: float,
    free_flow_kmh: float,
    *,
    ratio_breaks: tuple[float, float, float, float] = HIGHWAY_RATIO_BREAKS,
) -> float:
    """Return the congestion index (0-10) of a highway section from its average speed and its
    free-flow speed (both km/h).

    The index is piecewise linear in r = speed ÷ free-flow speed (capped at 1): r = 1 gives 0,
    r = 0 gives 10, and the ratios in ``ratio_breaks`` give 2, 4, 6 and 8, with straight lines
    between. The default breaks (0.8125, 0.625, 0.4375, 0.25) are the urban expressway bands
    (65, 50, 35, 20 km/h) over an 80 km/h free flow, so for such a section the index falls in
    the same level as :func:`speed_band_level` except exactly on a band boundary (the index puts
    boundaries in the better level). Scaling by the free-flow speed carries the bands to
    sections of any speed; the arterial bands over 50 km/h (0.8, 0.6, 0.4, 0.3) are close.

    Raise ValueError for a negative speed, a free-flow speed not above 0, or breaks that are
    not four strictly descending ratios between 0 and 1 (exclusive).
    """
    _check_speed(speed_kmh, "speed_kmh")
    _check_speed(free_flow_kmh, "free_flow_kmh")
    if free_flow_kmh == 0:
        raise ValueError("free_flow_kmh is above 0")
    _check_breaks(ratio_breaks)
    ratio = min(speed_kmh / free_flow_kmh, 1.0)
    knots = (1.0, *ratio_breaks, 0.0)  # the ratios at index 0, 2, 4, 6, 8 and 10
    segment = next(i for i in range(5) if ratio >= knots[i + 1])
    high, low = knots[segment], knots[segment + 1]
    index = 2.0 * segment + 2.0 * (high - ratio) / (high - low)
    return round(index, _DECIMALS)


def _check_speed(value: float, name: str) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} is a finite number >= 0, not {value!r}")


def _check_breaks(breaks: tuple[float, ...]) -> None:
    knots = (1.0, *breaks, 0.0)
    # ``>`` is False for NaN, so NaN breaks are refused too.
    if len(breaks) != 4 or not all(high > low for high, low in itertools.pairwise(knots)):
        raise ValueError(
            f"ratio_breaks are four strictly descending ratios between 0 and 1, not {breaks!r}"
        )
