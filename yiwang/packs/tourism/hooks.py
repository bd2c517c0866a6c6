"""Formula hooks of the tourism pack for the sensing engine's computed indices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yiwang.packs.tourism import formulas


def max_capacity(params: Mapping[str, Any]) -> int:
    """A spot's maximum (instantaneous) capacity: its ``max_capacity`` when given, else its
    ``usable_area_m2`` ÷ ``per_capita_area_m2`` (LB/T 034-2014)."""
    if params.get("max_capacity"):
        return int(params["max_capacity"])
    return formulas.instantaneous_capacity(
        usable_area_m2=float(params["usable_area_m2"]),
        per_capita_area_m2=float(params["per_capita_area_m2"]),
    )


def saturation(values: Mapping[str, float], params: Mapping[str, Any]) -> dict[str, Any] | None:
    """Visitors present from the entry and exit counters, the saturation (%) against the
    maximum capacity, and its warning level (0-3) at the spot's ``thresholds_percent``."""
    present = formulas.visitors_present(
        entries_total=int(values["entries_total"]), exits_total=int(values["exits_total"])
    )
    capacity = max_capacity(params)
    fraction = formulas.saturation(present=present, max_capacity=capacity)
    low, middle, high = (float(t) / 100 for t in params.get("thresholds_percent", (80, 90, 100)))
    level = formulas.saturation_level(fraction, thresholds=(low, middle, high))
    return {
        "visitors_present": present,
        "saturation": fraction * 100,
        "saturation_level": level.level,
    }
