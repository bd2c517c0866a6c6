"""Formula hooks of the energy pack for the sensing engine's computed indices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yiwang.packs.energy import formulas


def quota_ratio(values: Mapping[str, float], params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The share (%) of the unit's ``monthly_quota_tce`` consumed so far this month."""
    usage = formulas.quota_usage(
        consumed=values["energy_consumed"], quota=float(params["monthly_quota_tce"])
    )
    return {"quota_ratio": usage.ratio * 100}
