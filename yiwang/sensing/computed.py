"""Computed indices: Datastreams whose observations are computed from other Datastreams of the
same Thing by a domain pack's formula (AQI from six pollutants, saturation from gate counters,
congestion from speed ...). They are ordinary Datastreams: SensorThings clients read them and
alert rules apply to them.

An ingest hook runs in every transaction that stores observations. It asks the database once
which of the batch's Things belong to a pack kind with computed indices; a batch that feeds no
index costs that one query. For the indices a batch does feed, it reads the inputs (and the
outputs already computed) in one query and stores the new results through
:func:`yiwang.sensing.service.create_observations` as :data:`COMPUTE_ACTOR`, so the results
run through the same checks and hooks (alert rules) as measured values.

When a result is computed ("computed once, from complete inputs"):

- A periodic index (``period = "PT1H"``) has one result per period, stamped with the period as
  its phenomenon time interval (``10:00/11:00``). It is computed as soon as every input has at
  least one observation in that period, from each input's mean over the observations stored
  in the period so far; an input with a moving average (PM2.5's 24 hours) takes the mean of
  its hourly means over the window, and needs ``min_hours`` of them. Observations of the period
  arriving after the result was computed do not change it.
- An instant index (``period = "instant"``) has one result per instant at which every input
  has an observation (the gates' entry and exit counters read at 10:05 give the visitors
  present at 10:05); it is computed when the last of them arrives.

A result already stored is never computed again (stored results are kept, the duplicates
"skipped"), so a redelivered batch changes nothing. A formula that refuses its inputs (a
negative concentration) gives no result, and the refusal is logged."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.core.packs import found_key
from yiwang.core.policy import Actor, Role
from yiwang.sensing import packs
from yiwang.sensing.models import Datastream, Observation, ObservedProperty, Thing
from yiwang.sensing.parsing import CATEGORY, COUNT, TRUTH, NewObservation
from yiwang.sensing.service import StoredObservation, create_observations, register_ingest_hook

log = logging.getLogger(__name__)

COMPUTE_ACTOR = Actor(username="system:computed", role=Role.SYSADMIN, via="system")
"""Who writes computed results (the audit log and the data name it)."""

_DEPTH_KEY = "yiwang.sensing.computed.depth"
_MAX_DEPTH = 3  # an index computed from an index computed from ...: enough, and no loops
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class _KindIndex:
    kind: packs.KindSpec
    keys_by_definition: Mapping[str, str]
    types: Mapping[str, str]  # observation type by property key
    digits: Mapping[str, int | None]


def _computing_kinds() -> dict[str, _KindIndex]:
    return _computing_kinds_of(found_key())


@functools.cache
def _computing_kinds_of(_key: str) -> dict[str, _KindIndex]:  # cached per pack path
    result: dict[str, _KindIndex] = {}
    for pack in packs.discover().values():
        for kind in pack.kinds.values():
            if kind.computed:
                result[kind.full_name] = _KindIndex(
                    kind=kind,
                    keys_by_definition=pack.property_by_definition(),
                    types={k: p.observation_type for k, p in pack.properties.items()},
                    digits={k: p.digits for k, p in pack.properties.items()},
                )
    return result


@dataclass
class _Thing:
    index: _KindIndex
    streams: dict[str, int] = field(default_factory=dict)


def floor_time(value: dt.datetime, minutes: int) -> dt.datetime:
    """The start of the period of ``minutes`` that holds ``value`` (periods counted from the
    epoch, so hours align in UTC and in Beijing time alike)."""
    step = minutes * 60
    seconds = int((value - _EPOCH).total_seconds()) // step * step
    return _EPOCH + dt.timedelta(seconds=seconds)


def _convert(value: Any, observation_type: str, digits: int | None) -> Any:
    if observation_type == COUNT:
        return round(float(value))
    if observation_type == CATEGORY:
        return str(value)
    if observation_type == TRUTH:
        return bool(value)
    number = float(value)
    return round(number, digits) if digits is not None else number


def on_stored(session: Session, stored: Sequence[StoredObservation]) -> None:
    """The ingest hook: compute what ``stored`` completes."""
    compute(session, stored)


def compute(session: Session, stored: Sequence[StoredObservation]) -> int:
    """Compute the indices that ``stored`` completes and store them; return how many results
    were stored."""
    kinds = _computing_kinds()
    depth = int(session.info.get(_DEPTH_KEY, 0))
    if not kinds or not stored or depth >= _MAX_DEPTH:
        return 0
    thing_ids = {s.thing_id for s in stored if s.observed_property_id is not None}
    if not thing_ids:
        return 0
    rows = session.execute(
        select(Datastream.id, Datastream.thing_id, Thing.pack, ObservedProperty.definition)
        .join(Thing, Thing.id == Datastream.thing_id)
        .join(ObservedProperty, ObservedProperty.id == Datastream.observed_property_id)
        .where(Datastream.thing_id.in_(thing_ids), Thing.pack.in_(list(kinds)))
        .order_by(Datastream.id)
    ).all()
    if not rows:
        return 0
    things: dict[int, _Thing] = {}
    role: dict[int, tuple[int, str]] = {}
    for stream_id, thing_id, pack_kind, definition in rows:
        index = kinds[str(pack_kind)]
        key = index.keys_by_definition.get(definition)
        if key is None:
            continue
        thing = things.setdefault(thing_id, _Thing(index))
        if key not in thing.streams:
            thing.streams[key] = stream_id
            role[stream_id] = (thing_id, key)
    triggers = _triggers(stored, things, role)
    if not triggers:
        return 0
    results = _results(session, things, triggers)
    if not results:
        return 0
    session.info[_DEPTH_KEY] = depth + 1
    try:
        outcomes = create_observations(
            session, actor=COMPUTE_ACTOR, observations=results, duplicates="skip"
        )
    finally:
        session.info[_DEPTH_KEY] = depth
    for outcome, item in zip(outcomes, results, strict=True):
        if outcome.error is not None:
            log.warning(
                "computed result refused",
                extra={"stream": item.stream_id, "code": outcome.error.code},
            )
    return sum(1 for o in outcomes if o.id is not None)


_Trigger = tuple[int, int]  # (thing id, position of the index in its kind)


def _triggers(
    stored: Sequence[StoredObservation],
    things: Mapping[int, _Thing],
    role: Mapping[int, tuple[int, str]],
) -> dict[_Trigger, set[dt.datetime]]:
    """The periods or instants for which each index of each Thing got a new input."""
    triggers: dict[_Trigger, set[dt.datetime]] = {}
    for item in stored:
        found = role.get(item.stream_id)
        if found is None or item.result_number is None:
            continue
        thing_id, key = found
        thing = things[thing_id]
        for position, spec in enumerate(thing.index.kind.computed):
            if key not in spec.inputs:
                continue
            if not all(k in thing.streams for k in (*spec.inputs, *spec.outputs)):
                continue
            when = item.phenomenon_time
            if spec.period_minutes is not None:
                when = floor_time(when, spec.period_minutes)
            triggers.setdefault((thing_id, position), set()).add(when)
    return triggers


def _results(
    session: Session, things: Mapping[int, _Thing], triggers: Mapping[_Trigger, set[dt.datetime]]
) -> list[NewObservation]:
    stream_ids: set[int] = set()
    starts: list[dt.datetime] = []
    ends: list[dt.datetime] = []
    for (thing_id, position), times in triggers.items():
        thing = things[thing_id]
        spec = thing.index.kind.computed[position]
        stream_ids.update(thing.streams[k] for k in (*spec.inputs, *spec.outputs))
        if spec.period_minutes is None:
            starts.append(min(times))
            ends.append(max(times) + dt.timedelta(microseconds=1))
        else:
            starts.append(min(times) - (spec.window_hours - 1) * _HOUR)
            ends.append(max(times) + dt.timedelta(minutes=spec.period_minutes))
    low, high = min(starts), max(ends)
    values: dict[int, list[tuple[dt.datetime, float | None]]] = {}
    for stream_id, when, number in session.execute(
        select(Observation.stream_id, Observation.phenomenon_time, Observation.result_number)
        .where(
            Observation.stream_id.in_(stream_ids),
            Observation.phenomenon_time >= low,
            Observation.phenomenon_time < high,
        )
        .order_by(Observation.phenomenon_time)
    ):
        values.setdefault(stream_id, []).append((when, number))
    properties: dict[int, dict[str, Any] | None] = dict(
        session.execute(
            select(Thing.id, Thing.properties).where(Thing.id.in_({t for t, _ in triggers}))
        ).all()
    )
    data = _Data(values)
    results: list[NewObservation] = []
    for (thing_id, position), times in triggers.items():
        thing = things[thing_id]
        spec = thing.index.kind.computed[position]
        params = {**spec.params, **(properties.get(thing_id) or {})}
        for when in sorted(times):
            results += _compute_one(data, thing, spec, when, params)
    return results


class _Data:
    """The observations read, with per-period means computed on demand."""

    def __init__(self, values: dict[int, list[tuple[dt.datetime, float | None]]]) -> None:
        self.values = values
        self._times = {sid: {when for when, _ in rows} for sid, rows in values.items()}
        self._exact = {
            (sid, when): number
            for sid, rows in values.items()
            for when, number in rows
            if number is not None
        }
        self._means: dict[tuple[int, int], dict[dt.datetime, float]] = {}

    def has(self, stream_id: int, when: dt.datetime) -> bool:
        return when in self._times.get(stream_id, ())

    def at(self, stream_id: int, when: dt.datetime) -> float | None:
        return self._exact.get((stream_id, when))

    def means(self, stream_id: int, minutes: int) -> dict[dt.datetime, float]:
        key = (stream_id, minutes)
        if key not in self._means:
            sums: dict[dt.datetime, list[float]] = {}
            for when, number in self.values.get(stream_id, ()):
                if number is not None:
                    sums.setdefault(floor_time(when, minutes), []).append(number)
            self._means[key] = {k: sum(v) / len(v) for k, v in sums.items()}
        return self._means[key]


def _compute_one(
    data: _Data,
    thing: _Thing,
    spec: packs.ComputedSpec,
    when: dt.datetime,
    params: Mapping[str, Any],
) -> list[NewObservation]:
    outputs = {key: thing.streams[key] for key in spec.outputs}
    if all(data.has(stream_id, when) for stream_id in outputs.values()):
        return []  # computed already
    inputs: dict[str, float] = {}
    for key in spec.inputs:
        stream_id = thing.streams[key]
        value: float | None
        if spec.period_minutes is None:
            value = data.at(stream_id, when)
        else:
            means = data.means(stream_id, spec.period_minutes)
            value = means.get(when)
            average = spec.moving_average.get(key)
            if value is not None and average is not None:
                window = [means.get(when - i * _HOUR) for i in range(average.hours)]
                present = [v for v in window if v is not None]
                value = sum(present) / len(present) if len(present) >= average.min_hours else None
        if value is None:
            return []  # not complete yet
        inputs[key] = value
    try:
        computed = spec.formula(inputs, params)
    except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
        log.warning(
            "formula refused its inputs",
            extra={"index": spec.key, "formula": spec.formula_name, "error": str(exc)},
        )
        return []
    if not computed:
        return []
    end = None if spec.period_minutes is None else when + dt.timedelta(minutes=spec.period_minutes)
    index = thing.index
    return [
        NewObservation(
            stream_id=stream_id,
            phenomenon_time=when,
            phenomenon_time_end=end,
            result=_convert(computed[key], index.types[key], index.digits[key]),
        )
        for key, stream_id in outputs.items()
        if computed.get(key) is not None and not data.has(stream_id, when)
    ]


register_ingest_hook(on_stored)


__all__ = ["COMPUTE_ACTOR", "compute", "floor_time"]
