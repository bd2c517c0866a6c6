"""Formula hooks of the environment pack for the sensing engine's computed indices. Each takes
the input values by property key and the parameters (the pack's defaults overridden by the
Thing's properties) and returns the outputs by property key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yiwang.packs.environment import formulas

# Short names of the pollutants as Chinese bulletins print them.
_POLLUTANT_NAMES = {
    "so2_1h": "SO2",
    "so2_24h": "SO2",
    "no2_1h": "NO2",
    "co_1h": "CO",
    "o3_1h": "O3",
    "pm10_24h": "PM10",
    "pm25_24h": "PM2.5",
}
NO_PRIMARY_POLLUTANT = "无"


def hourly_aqi(values: Mapping[str, float], _params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The real-time AQI (HJ 633-2012) with its category and primary pollutant(s), from
    ``so2``, ``no2``, ``co``, ``o3`` (1-hour) and ``pm10``, ``pm25`` (24-hour moving averages)."""
    keys = ("so2", "no2", "co", "o3", "pm10", "pm25")
    result = formulas.hourly_aqi({key: values.get(key) for key in keys})
    if result is None:
        return None
    primary = "、".join(dict.fromkeys(_POLLUTANT_NAMES[k] for k in result.primary_pollutants))
    return {
        "aqi": result.aqi,
        "aqi_category": result.category.label_zh,
        "primary_pollutant": primary or NO_PRIMARY_POLLUTANT,
    }


def water_class(values: Mapping[str, float], params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The GB 3838-2002 class (1..5 for I..V, 6 for 劣V) of a section's sample; the section's
    ``waterbody`` is ``river`` or ``lake``."""
    waterbody: formulas.Waterbody = "lake" if params.get("waterbody") == "lake" else "river"
    keys = ("ph", "do", "codmn", "cod", "bod5", "nh3n", "tp", "tn")
    result = formulas.water_class(
        {key: values[key] for key in keys if key in values}, waterbody=waterbody
    )
    return None if result is None else {"water_class": result.water_class}


def discharge_max_ratio(
    values: Mapping[str, float], params: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The largest ratio of a measured concentration to its permitted limit (``limits``, by
    property key, from the outlet's permit); above 1 the discharge exceeds its permit."""
    limits = {str(k): float(v) for k, v in dict(params.get("limits") or {}).items()}
    check = formulas.check_discharge(dict(values), limits)
    if not check.items:
        return None
    return {"discharge_max_ratio": max(item.ratio for item in check.items)}
