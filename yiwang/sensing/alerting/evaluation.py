"""Rule evaluation as pure functions: what a rule measures in an observation, and which level
that puts the rule at, given where it stood.

Every kind is reduced to one *severity measure* that grows with danger, and each level to a
threshold on it, ascending:

- threshold ``above``: the value; ``below``: the value negated (levels 5, 3, 2 mg/L of
  dissolved oxygen become -5, -3, -2);
- rate ``rise``: the change per minute; ``fall``: its negation; ``any``: its magnitude;
- stale: the minutes since the last observation.

A level is entered when the measure reaches its threshold, and left only when the measure
falls below ``threshold - hysteresis`` on ``clear_after`` consecutive observations. So a value
hovering at a threshold enters the level once and stays there until it has clearly gone back.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from yiwang.sensing.alerting.models import RATE, STALE, THRESHOLD

ABOVE, BELOW = "above", "below"
RISE, FALL, ANY = "rise", "fall", "any"
DIRECTIONS = {THRESHOLD: (ABOVE, BELOW), RATE: (RISE, FALL, ANY), STALE: (ABOVE,)}


@dataclass(frozen=True, slots=True)
class Level:
    level: int
    label: str
    value: float


@dataclass(frozen=True, slots=True)
class OpenCase:
    """A rule's action: reaching ``level`` opens a case of the task item ``item`` for the
    department ``department`` names ("owner", "properties.<path>" or a department's slug)."""

    level: int
    item: str
    department: str = "owner"


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """What evaluation needs of a rule (kept in memory, shared between threads)."""

    id: int
    name: str
    department_id: int
    kind: str
    direction: str
    levels: tuple[Level, ...]
    hysteresis: float = 0.0
    clear_after: int = 1
    auto_resolve: bool = True
    window_minutes: float | None = None
    datastream_id: int | None = None
    observed_property_id: int | None = None
    property_definition: str | None = None
    scope_department_id: int | None = None
    scope_pack: str | None = None
    actions: tuple[OpenCase, ...] = ()

    def thresholds(self) -> tuple[float, ...]:
        """The levels' thresholds on the severity measure, ascending."""
        if self.kind == THRESHOLD and self.direction == BELOW:
            return tuple(-level.value for level in self.levels)
        return tuple(level.value for level in self.levels)

    def level(self, number: int) -> Level | None:
        return self.levels[number - 1] if 0 < number <= len(self.levels) else None


@dataclass(slots=True)
class RuleState:
    """Where a rule stands on one stream."""

    level: int = 0
    clear_count: int = 0
    alert_id: int | None = None
    last_time: dt.datetime | None = None
    last_value: float | None = None
    recent: list[tuple[dt.datetime, float]] = field(default_factory=list)

    def snapshot(self) -> tuple[Any, ...]:
        return (
            self.level,
            self.clear_count,
            self.alert_id,
            self.last_time,
            self.last_value,
            tuple(self.recent),
        )


def check_levels(kind: str, direction: str, values: list[float]) -> bool:
    """Whether ``values`` grow strictly more severe in order (descending for ``below``)."""
    if not values:
        return False
    if kind == THRESHOLD and direction == BELOW:
        values = [-v for v in values]
    if kind in (RATE, STALE) and values[0] <= 0:
        return False
    return all(a < b for a, b in itertools.pairwise(values))


def next_level(rule: RuleSpec, *, level: int, clear_count: int, measure: float) -> tuple[int, int]:
    """Return the rule's level and clear count after one measure, from ``level`` and
    ``clear_count``.

    Going up is immediate; going down needs the measure below the threshold of the held level
    minus the hysteresis, ``clear_after`` times in a row (then it goes to the level the last of
    them indicates)."""
    thresholds = rule.thresholds()
    entered = 0
    for number, threshold in enumerate(thresholds, start=1):
        if measure >= threshold:
            entered = number
    if entered >= level:
        return entered, 0
    held = 0
    for number, threshold in enumerate(thresholds[:level], start=1):
        if measure >= threshold - rule.hysteresis:
            held = number
    target = max(entered, held)
    if target >= level:
        return level, 0
    count = clear_count + 1
    if count >= max(1, rule.clear_after):
        return target, 0
    return level, count


def measure_of(rule: RuleSpec, state: RuleState, time: dt.datetime, value: float) -> float | None:
    """Return the severity measure of a value observed at ``time`` and update the history the
    rule keeps (previous value, window). None when there is nothing to measure yet (the first
    value of a rate rule)."""
    if rule.kind == THRESHOLD:
        return -value if rule.direction == BELOW else value
    if rule.kind != RATE:
        return None
    reference: tuple[dt.datetime, float] | None = None
    if rule.window_minutes:
        start = time - dt.timedelta(minutes=rule.window_minutes)
        state.recent = [(t, v) for t, v in state.recent if t >= start]
        if state.recent:
            reference = state.recent[0]
        state.recent.append((time, value))
    if reference is None and state.last_time is not None and state.last_value is not None:
        reference = (state.last_time, state.last_value)
    if reference is None or reference[0] >= time:
        return None
    minutes = (time - reference[0]).total_seconds() / 60
    rate = (value - reference[1]) / minutes
    if rule.direction == FALL:
        return -rate
    if rule.direction == ANY:
        return abs(rate)
    return rate


@dataclass(frozen=True, slots=True)
class Step:
    """A change of level made by one observation."""

    previous_level: int
    level: int
    measure: float


def observe(
    rule: RuleSpec, state: RuleState, time: dt.datetime, value: float | None
) -> Step | None:
    """Evaluate one observation against ``rule`` from ``state`` (which is updated). Return the
    change of level it makes, or None. Observations older than the last one evaluated are
    ignored: late data does not move an alert. For a stale rule any observation means the data
    is flowing again (measure 0)."""
    if state.last_time is not None and time <= state.last_time:
        return None
    if rule.kind == STALE:
        state.last_time = time
        if state.level == 0:
            return None
        previous = state.level
        state.level, state.clear_count = 0, 0
        return Step(previous, 0, 0.0)
    if value is None:
        return None
    measure = measure_of(rule, state, time, value)
    state.last_time, state.last_value = time, value
    if measure is None:
        return None
    previous = state.level
    state.level, state.clear_count = next_level(
        rule, level=state.level, clear_count=state.clear_count, measure=measure
    )
    if state.level == previous:
        return None
    return Step(previous, state.level, measure)


def staleness(rule: RuleSpec, state: RuleState, minutes: float) -> Step | None:
    """Evaluate a stale rule for a stream whose last data is ``minutes`` old."""
    previous = state.level
    state.level, state.clear_count = next_level(
        rule, level=state.level, clear_count=0, measure=minutes
    )
    if state.level == previous:
        return None
    return Step(previous, state.level, minutes)
