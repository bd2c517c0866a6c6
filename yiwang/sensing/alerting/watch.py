"""Watching streams: the rules evaluated on stored observations and on silent streams, and the
state each rule keeps per stream (its level, the count towards clearing, the alert it raised,
the recent values of a rate rule).

Evaluation runs inside the transaction that stores the observations (an ingest hook of
:mod:`yiwang.sensing.service`, registered here), so an alert exists only if the observation
that raised it does. A batch whose streams no rule watches costs dictionary look-ups and no
query (the rules in memory: :func:`yiwang.sensing.alerting.service.rule_index`); a batch with
watched streams loads the states of those (rule, stream) pairs in one query and writes the
changed ones back in one statement each for updates and inserts. The changes of level go to
:func:`yiwang.sensing.alerting.alerts.apply`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from yiwang.core.db import utcnow
from yiwang.sensing import service as observations
from yiwang.sensing.alerting import alerts
from yiwang.sensing.alerting import service as rules_service
from yiwang.sensing.alerting.alerts import Cause, Transition
from yiwang.sensing.alerting.evaluation import RuleSpec, RuleState, observe, staleness
from yiwang.sensing.alerting.models import RATE, AlertRuleState
from yiwang.sensing.models import MULTI, Datastream, ObservedProperty, Thing
from yiwang.sensing.service import StoredObservation

# --- states --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Tracked:
    rule: RuleSpec
    stream_id: int
    state: RuleState
    existed: bool
    before: tuple[Any, ...]


def _load_states(
    session: Session, pairs: Iterable[tuple[RuleSpec, int]]
) -> dict[tuple[int, int], _Tracked]:
    """Load (and on PostgreSQL lock) the states of these (rule, stream) pairs in one query."""
    wanted = {(rule.id, stream_id): rule for rule, stream_id in pairs}
    tracked: dict[tuple[int, int], _Tracked] = {}
    if not wanted:
        return tracked
    rows = session.execute(
        select(
            AlertRuleState.rule_id,
            AlertRuleState.datastream_id,
            AlertRuleState.level,
            AlertRuleState.clear_count,
            AlertRuleState.alert_id,
            AlertRuleState.last_phenomenon_time,
            AlertRuleState.last_value,
            AlertRuleState.recent,
        )
        .where(
            AlertRuleState.datastream_id.in_({s for _, s in wanted}),
            AlertRuleState.rule_id.in_({r for r, _ in wanted}),
        )
        .with_for_update()
    )
    for rule_id, stream_id, level, count, alert_id, last_time, last_value, recent in rows:
        rule = wanted.get((rule_id, stream_id))
        if rule is None:
            continue
        state = RuleState(
            level=level,
            clear_count=count,
            alert_id=alert_id,
            last_time=last_time,
            last_value=last_value,
            recent=[(dt.datetime.fromisoformat(t), float(v)) for t, v in recent or []],
        )
        tracked[(rule_id, stream_id)] = _Tracked(rule, stream_id, state, True, state.snapshot())
    for (rule_id, stream_id), rule in wanted.items():
        if (rule_id, stream_id) not in tracked:
            state = RuleState()
            entry = _Tracked(rule, stream_id, state, False, state.snapshot())
            tracked[(rule_id, stream_id)] = entry
    return tracked


def _save_states(session: Session, tracked: Iterable[_Tracked]) -> None:
    """Write back the states that changed: updates and inserts, one statement each. A pair
    that never left normal keeps no row (except for rate rules, which need the last value)."""
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    now = utcnow()
    for item in tracked:
        state = item.state
        if state.snapshot() == item.before:
            continue
        row = {
            "rule_id": item.rule.id,
            "datastream_id": item.stream_id,
            "level": state.level,
            "clear_count": state.clear_count,
            "alert_id": state.alert_id,
            "last_phenomenon_time": state.last_time,
            "last_value": state.last_value,
            "recent": [[t.isoformat(), v] for t, v in state.recent] or None,
            "updated_at": now,
        }
        if item.existed:
            updates.append(row)
        elif state.level or state.clear_count or state.alert_id or item.rule.kind == RATE:
            inserts.append(row)
    if updates:
        session.execute(update(AlertRuleState), updates)
    if inserts:
        session.execute(insert(AlertRuleState), inserts)


# --- evaluation on ingest ------------------------------------------------------------------------


def evaluate(session: Session, stored: Sequence[StoredObservation]) -> None:
    """The ingest hook: evaluate the rules that watch the streams of ``stored`` in the caller's
    transaction. It takes no savepoint of its own (releasing one would run the bus's
    after-commit listeners before the real commit), so a failure here fails the batch."""
    if not stored:
        return
    index = rules_service.rule_index(session)
    if index.empty:
        return
    matched = index.match(session, stored)
    if not matched:
        return
    _evaluate(session, matched, stored)


def _evaluate(
    session: Session,
    matched: dict[int, tuple[RuleSpec, ...]],
    stored: Sequence[StoredObservation],
) -> None:
    by_stream: dict[int, list[StoredObservation]] = {}
    for item in stored:
        if item.stream_id in matched:
            by_stream.setdefault(item.stream_id, []).append(item)
    tracked = _load_states(
        session, ((rule, stream_id) for stream_id, rules in matched.items() for rule in rules)
    )
    pending: list[Transition] = []
    for stream_id, items in by_stream.items():
        items.sort(key=lambda o: o.phenomenon_time)
        for rule in matched[stream_id]:
            entry = tracked[(rule.id, stream_id)]
            for item in items:
                step = observe(rule, entry.state, item.phenomenon_time, item.result_number)
                if step is not None:
                    shown = step.measure if rule.kind == RATE else item.result_number
                    cause = Cause(item.id, item.phenomenon_time, shown)
                    pending.append(Transition(entry.rule, stream_id, entry.state, step, cause))
    if pending:
        alerts.apply(session, pending)
    _save_states(session, tracked.values())


# --- silent streams ------------------------------------------------------------------------------


def _streams_of(session: Session, rule: RuleSpec) -> list[Any]:
    query = (
        select(
            Datastream.id,
            Datastream.created_at,
            Datastream.last_observation_id,
            Datastream.last_phenomenon_time,
            Datastream.department_id,
            Datastream.is_open,
        )
        .join(Thing, Thing.id == Datastream.thing_id)
        .where(Datastream.kind != MULTI)
    )
    if rule.datastream_id is not None:
        return list(session.execute(query.where(Datastream.id == rule.datastream_id)))
    if rule.observed_property_id is not None:
        query = query.where(Datastream.observed_property_id == rule.observed_property_id)
    else:
        query = query.join(
            ObservedProperty, ObservedProperty.id == Datastream.observed_property_id
        ).where(ObservedProperty.definition == rule.property_definition)
    if rule.scope_department_id is not None:
        query = query.where(Datastream.department_id == rule.scope_department_id)
    if rule.scope_pack is not None:
        query = query.where(Thing.pack == rule.scope_pack)
    query = query.where(
        or_(Datastream.is_open.is_(True), Datastream.department_id == rule.department_id)
    )
    return list(session.execute(query))


def check_stale(session: Session, *, now: dt.datetime | None = None) -> int:
    """Evaluate every stale rule on the streams it watches at ``now``; return how many alerts
    changed. Age is counted from the latest phenomenon time (from creation for a stream that
    never had data)."""
    now = now or utcnow()
    stale_rules = rules_service.rule_index(session).stale
    if not stale_rules:
        return 0
    ages: dict[tuple[int, int], tuple[float, Cause]] = {}
    pairs: list[tuple[RuleSpec, int]] = []
    for rule in stale_rules:
        for stream_id, created, last_id, last_time, _dept, _open in _streams_of(session, rule):
            minutes = (now - (last_time or created)).total_seconds() / 60
            ages[(rule.id, stream_id)] = (minutes, Cause(last_id, last_time, round(minutes, 1)))
            pairs.append((rule, stream_id))
    tracked = _load_states(session, pairs)
    pending: list[Transition] = []
    for key, entry in tracked.items():
        minutes, cause = ages[key]
        step = staleness(entry.rule, entry.state, minutes)
        if step is not None:
            pending.append(Transition(entry.rule, entry.stream_id, entry.state, step, cause))
    if pending:
        alerts.apply(session, pending)
    _save_states(session, tracked.values())
    return len(pending)


observations.register_ingest_hook(evaluate)

__all__ = ["check_stale", "evaluate"]
