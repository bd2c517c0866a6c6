"""Rule evaluation on its own: levels, hysteresis, rates and staleness."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from yiwang.sensing.alerting.evaluation import (
    Level,
    RuleSpec,
    RuleState,
    check_levels,
    observe,
    staleness,
)

T0 = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)
PM25_LEVELS = (Level(1, "黄色", 75.0), Level(2, "橙色", 115.0), Level(3, "红色", 150.0))


def rule(**fields: object) -> RuleSpec:
    values: dict[str, object] = {
        "id": 1,
        "name": "PM2.5",
        "department_id": 1,
        "kind": "threshold",
        "direction": "above",
        "levels": PM25_LEVELS,
        "datastream_id": 1,
    }
    values.update(fields)
    return RuleSpec(**values)  # type: ignore[arg-type]


def levels_after(
    spec: RuleSpec, values: Sequence[float | None], state: RuleState | None = None
) -> list[int]:
    state = state or RuleState()
    seen = []
    for minute, value in enumerate(values):
        observe(spec, state, T0 + dt.timedelta(minutes=minute), value)
        seen.append(state.level)
    return seen


def test_a_value_hovering_at_a_threshold_does_not_flap() -> None:
    spec = rule(hysteresis=5.0)
    values = [70, 75, 74, 76, 73.5, 75, 71, 69.9, 74, 75]
    assert levels_after(spec, values) == [0, 1, 1, 1, 1, 1, 1, 0, 0, 1]


def test_without_hysteresis_the_same_values_flap() -> None:
    values = [70, 75, 74, 76, 73.5, 75]
    assert levels_after(rule(), values) == [0, 1, 0, 1, 0, 1]


def test_levels_are_entered_at_once_and_left_one_band_at_a_time() -> None:
    spec = rule(hysteresis=5.0)
    values = [80, 160, 146, 144, 112, 109, 60]
    assert levels_after(spec, values) == [1, 3, 3, 2, 2, 1, 0]


def test_clear_after_needs_consecutive_observations_below() -> None:
    spec = rule(clear_after=3)
    values = [80, 70, 70, 80, 70, 70, 70]
    assert levels_after(spec, values) == [1, 1, 1, 1, 1, 1, 0]


def test_a_below_rule_watches_falling_values() -> None:
    oxygen = (Level(1, "III 类以下", 5.0), Level(2, "IV 类以下", 3.0), Level(3, "劣 V 类", 2.0))
    spec = rule(direction="below", levels=oxygen, hysteresis=0.5)
    values = [6, 4.9, 2.5, 1.9, 2.2, 3.4, 3.6, 5.2, 5.6]
    assert levels_after(spec, values) == [0, 1, 2, 3, 3, 2, 1, 1, 0]


def test_late_observations_do_not_move_the_level() -> None:
    spec = rule()
    state = RuleState()
    observe(spec, state, T0 + dt.timedelta(minutes=10), 120)
    assert observe(spec, state, T0, 20) is None
    assert state.level == 2


def test_non_numeric_results_are_ignored() -> None:
    assert levels_after(rule(), [None, 80, None]) == [0, 1, 1]


def test_rate_over_the_previous_observation() -> None:
    spec = rule(kind="rate", direction="rise", levels=(Level(1, "陡升", 10.0),))
    # +5/min, +15/min (level 1), +2/min, then a fall of 30/min does not count as a rise
    values = [100, 105, 120, 122, 92]
    assert levels_after(spec, values) == [0, 0, 1, 0, 0]


def test_rate_in_either_direction_over_a_window() -> None:
    spec = rule(kind="rate", direction="any", window_minutes=3, levels=(Level(1, "突变", 4.0),))
    # a jump of 10 stays inside the 3-minute window for three observations (12 in 3 minutes)
    values = [100, 101, 102, 103, 113, 114, 115, 116, 117]
    assert levels_after(spec, values) == [0, 0, 0, 0, 1, 1, 1, 0, 0]
    falling = [117, 116, 115, 114, 104, 103, 102]
    assert levels_after(spec, falling) == [0, 0, 0, 0, 1, 1, 1]


def test_the_first_value_of_a_rate_rule_measures_nothing() -> None:
    spec = rule(kind="rate", direction="rise", levels=(Level(1, "陡升", 10.0),))
    state = RuleState()
    assert observe(spec, state, T0, 1000) is None
    assert state.last_value == 1000


def test_staleness_escalates_with_the_minutes_and_data_ends_it() -> None:
    spec = rule(kind="stale", levels=(Level(1, "断线", 10.0), Level(2, "长时间断线", 60.0)))
    state = RuleState()
    assert staleness(spec, state, 5) is None
    first = staleness(spec, state, 12)
    assert first is not None
    assert (first.previous_level, first.level) == (0, 1)
    assert staleness(spec, state, 30) is None
    second = staleness(spec, state, 61)
    assert second is not None
    assert second.level == 2
    back = observe(spec, state, T0, 1.0)
    assert back is not None
    assert (back.previous_level, back.level) == (2, 0)


@pytest.mark.parametrize(
    ("kind", "direction", "values", "ok"),
    [
        ("threshold", "above", [75, 115, 150], True),
        ("threshold", "above", [75, 75], False),
        ("threshold", "above", [150, 115], False),
        ("threshold", "below", [5, 3, 2], True),
        ("threshold", "below", [2, 3], False),
        ("rate", "rise", [10, 20], True),
        ("rate", "rise", [0, 20], False),
        ("stale", "above", [10, 60], True),
        ("stale", "above", [-1], False),
        ("threshold", "above", [], False),
    ],
)
def test_levels_must_grow_more_severe(
    kind: str, direction: str, values: list[float], ok: bool
) -> None:
    assert check_levels(kind, direction, values) is ok
