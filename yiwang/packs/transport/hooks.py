"""Formula hooks of the transport pack for the sensing engine's computed indices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yiwang.packs.transport import formulas


def congestion(values: Mapping[str, float], params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The congestion index (0-10) and level (1-5) of a highway section from its average
    ``speed`` and its ``free_flow_kmh``."""
    index = formulas.congestion_index(values["speed"], float(params["free_flow_kmh"]))
    return {"congestion_index": index, "congestion_level": formulas.congestion_level(index).level}
