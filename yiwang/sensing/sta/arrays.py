"""``POST /CreateObservations``: observations sent as data arrays, many per request. Each row
becomes a plain dict for :func:`yiwang.sensing.parsing.observation_from_json` (no model per
row), the whole batch goes to :func:`yiwang.sensing.service.create_observations` in one call,
and the answer lists, in order, the selfLink of each stored observation or ``"error"``."""

from __future__ import annotations

from typing import Any

from yiwang.core import audit, policy
from yiwang.core.errors import AppError
from yiwang.sensing import limits, parsing, service
from yiwang.sensing.sta.entities import TYPES, self_link
from yiwang.sensing.sta.errors import bad_request
from yiwang.sensing.sta.reads import Context

_COMPONENTS = frozenset(
    {
        "phenomenonTime",
        "result",
        "resultTime",
        "resultQuality",
        "validTime",
        "parameters",
        "FeatureOfInterest/id",
    }
)
ERROR = "error"


def _stream_id(group: dict[str, Any]) -> int:
    link = group.get("Datastream", group.get("MultiDatastream"))
    ident = limits.entity_id(link.get("@iot.id")) if isinstance(link, dict) else None
    if ident is None:
        raise bad_request("sta.bad_data_array", reason="Datastream {@iot.id}")
    return ident


def _components(group: dict[str, Any]) -> list[str]:
    components = group.get("components")
    if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
        raise bad_request("sta.bad_data_array", reason="components")
    unknown = [c for c in components if c not in _COMPONENTS]
    if unknown or "result" not in components:
        raise bad_request("sta.bad_data_array", reason=f"components: {', '.join(unknown)}")
    return components


def create_from_arrays(ctx: Context, body: Any) -> tuple[list[str], int]:
    """Store the observations of a CreateObservations body; return the answer (a selfLink or
    ``"error"`` per row, in order) and how many were stored."""
    if not isinstance(body, list):
        raise bad_request("sta.bad_data_array", reason="[ ... ]")
    policy.require(
        policy.can_create_sensing(ctx.actor), "sensing.sta.create", object_type="Observation"
    )
    answers: list[str | None] = []
    parsed: list[parsing.NewObservation] = []
    positions: list[int] = []
    for group in body:
        if not isinstance(group, dict):
            raise bad_request("sta.bad_data_array", reason="{Datastream, components, dataArray}")
        stream_id = _stream_id(group)
        components = _components(group)
        rows = group.get("dataArray")
        if not isinstance(rows, list):
            raise bad_request("sta.bad_data_array", reason="dataArray")
        width = len(components)
        for row in rows:
            if not isinstance(row, list) or len(row) != width:
                answers.append(ERROR)
                continue
            data = dict(zip(components, row, strict=True))
            feature = data.pop("FeatureOfInterest/id", None)
            if feature is not None:
                data["FeatureOfInterest"] = {"@iot.id": feature}
            try:
                parsed.append(parsing.observation_from_json(data, stream_id=stream_id))
            except AppError:
                answers.append(ERROR)
                continue
            positions.append(len(answers))
            answers.append(None)
    outcomes = (
        service.create_observations(
            ctx.session, actor=ctx.actor, observations=parsed, duplicates="report"
        )
        if parsed
        else []
    )
    entity = TYPES["Observation"]
    stored = 0
    for position, outcome in zip(positions, outcomes, strict=True):
        if outcome.id is not None:
            answers[position] = self_link(ctx.base_url, entity, outcome.id)
            stored += 1
        else:
            answers[position] = ERROR
    if stored:
        streams = sorted({o.stream_id for o in parsed})
        audit.record(
            ctx.session,
            actor=ctx.actor,
            action="sensing.sta.create_observations",
            object_type="Datastream",
            object_id=streams[0],
            details={"stored": stored, "refused": len(answers) - stored, "streams": streams},
        )
    return [a if a is not None else ERROR for a in answers], stored


__all__ = ["ERROR", "create_from_arrays"]
