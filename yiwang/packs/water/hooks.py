"""Formula hooks of the water pack for the sensing engine's computed indices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yiwang.packs.water import formulas
from yiwang.packs.water.formulas import WaterLevelState

STATUS = {
    WaterLevelState.NORMAL: 0,
    WaterLevelState.ABOVE_WARNING: 1,
    WaterLevelState.ABOVE_GUARANTEE: 2,
}


def water_level_status(
    values: Mapping[str, float], params: Mapping[str, Any]
) -> dict[str, Any] | None:
    """0 normal, 1 above the section's ``warning_level_m``, 2 above its
    ``guarantee_level_m``."""
    status = formulas.water_level_status(
        values["water_level"],
        warning_m=float(params["warning_level_m"]),
        guarantee_m=float(params["guarantee_level_m"]),
    )
    return {"water_level_status": STATUS[status.state]}
