"""Rules, their evaluation on stored observations and on silent streams, and the lifecycle of
alerts (raised, escalated, de-escalated, acknowledged, resolved).

Evaluation runs inside the transaction that stores the observations (an ingest hook of
:mod:`yiwang.sensing.service`), so an alert exists only if the observation that raised it
does. Rules live in memory in the coherent cache (namespace ``sensing.alert_rules``): a batch
whose streams no rule watches costs dictionary look-ups and no query; a batch with watched
streams loads the states of those (rule, stream) pairs in one query and writes the changed ones
back in one statement each for updates and inserts."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select, true, update
from sqlalchemy.orm import Session

from yiwang.core import audit, events
from yiwang.core.cache import MISSING, bump
from yiwang.core.cache import of as cache_of
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, InvalidInput, NotFound
from yiwang.core.policy import (
    Actor,
    can_handle_alert,
    can_manage_rules,
    can_see_sensing,
    require,
)
from yiwang.sensing import service as observations
from yiwang.sensing.alerting import (
    casework,
    messages,  # noqa: F401  (registers the messages)
)
from yiwang.sensing.alerting.evaluation import (
    DIRECTIONS,
    Level,
    RuleSpec,
    RuleState,
    Step,
    check_levels,
    observe,
    staleness,
)
from yiwang.sensing.alerting.models import (
    ACKNOWLEDGED,
    RAISED,
    RATE,
    RESOLVED,
    STALE,
    Alert,
    AlertChange,
    AlertRule,
    AlertRuleState,
)
from yiwang.sensing.alerting.schemas import CaseAction, LevelIn, RuleCreate, RuleUpdate
from yiwang.sensing.models import MULTI, Datastream, ObservedProperty, Thing
from yiwang.sensing.service import StoredObservation

log = logging.getLogger(__name__)

NAMESPACE = "sensing.alert_rules"
EVENT_PREFIX = "sensing.alert."
_MEMO_SECONDS = 300.0
_MEMO_MAX = 200_000
SYSTEM_NAME = "system"


# --- rules ---------------------------------------------------------------------------------------


def _levels_json(levels: Sequence[LevelIn]) -> list[dict[str, Any]]:
    return [
        {"level": number, "label": level.label, "value": level.value}
        for number, level in enumerate(levels, start=1)
    ]


def _check_shape(
    *, kind: str, direction: str | None, levels: list[dict[str, Any]], window: float | None
) -> str:
    """Check a rule's kind, direction, levels and window together; return the direction."""
    allowed = DIRECTIONS[kind]
    direction = direction or allowed[0]
    if direction not in allowed:
        raise InvalidInput("alerting.bad_direction", kind=kind, allowed=", ".join(allowed))
    values = [float(level["value"]) for level in levels]
    if not check_levels(kind, direction, values):
        order = "descending" if direction == "below" else "ascending"
        if kind in (RATE, STALE):
            order += ", > 0"
        raise InvalidInput(
            "alerting.bad_levels",
            direction=direction,
            order=order,
            values=", ".join(f"{v:g}" for v in values),
        )
    if window is not None and kind != RATE:
        raise InvalidInput("alerting.window_only_for_rate")
    return direction


def _check_target(session: Session, *, actor: Actor, data: RuleCreate) -> None:
    targets = [data.datastream_id, data.observed_property_id, data.property_definition]
    if sum(t is not None for t in targets) != 1:
        raise InvalidInput("alerting.one_target")
    if data.datastream_id is not None:
        stream = session.get(Datastream, data.datastream_id)
        # A stream the caller may not see is reported as unknown, as it is to them.
        if stream is None or not can_see_sensing(
            actor, department_id=stream.department_id, is_open=stream.is_open
        ):
            raise InvalidInput("alerting.unknown_datastream", id=data.datastream_id)
        if stream.kind == MULTI:
            raise InvalidInput("alerting.multi_datastream", id=data.datastream_id)
    if data.observed_property_id is not None and (
        session.get(ObservedProperty, data.observed_property_id) is None
    ):
        raise InvalidInput("alerting.unknown_property", id=data.observed_property_id)


def create_rule(
    session: Session, *, actor: Actor, data: RuleCreate, check_actions: bool = True
) -> AlertRule:
    """Create a rule of ``data.department_id`` (the caller's department by default). An action
    naming an item that is not an active task item, or a department that does not exist, is
    refused, unless ``check_actions`` is False (a pack's rule: its installation reports it,
    and the cases engine answers each request for such an item with the reason)."""
    department_id = data.department_id if data.department_id is not None else actor.department_id
    if department_id is None:
        raise InvalidInput("alerting.department_required")
    require(
        can_manage_rules(actor, department_id=department_id),
        "sensing.rule.create",
        object_type="alert_rule",
    )
    _check_target(session, actor=actor, data=data)
    levels = _levels_json(data.levels)
    direction = _check_shape(
        kind=data.kind, direction=data.direction, levels=levels, window=data.window_minutes
    )
    casework.check_actions(session, data.actions, levels=len(levels), strict=check_actions)
    stale = data.kind == STALE
    rule = AlertRule(
        department_id=department_id,
        name=data.name,
        description=data.description,
        kind=data.kind,
        direction=direction,
        levels=levels,
        hysteresis=0.0 if stale else data.hysteresis,
        clear_after=1 if stale else data.clear_after,
        auto_resolve=data.auto_resolve,
        window_minutes=data.window_minutes,
        datastream_id=data.datastream_id,
        observed_property_id=data.observed_property_id,
        property_definition=data.property_definition,
        scope_department_id=data.scope_department_id,
        scope_pack=data.scope_pack,
        actions=casework.actions_json(data.actions),
        enabled=data.enabled,
        created_by_id=actor.user_id,
    )
    session.add(rule)
    session.flush()
    _changed(session, actor, rule, "sensing.rule.create")
    return rule


def _changed(session: Session, actor: Actor, rule: AlertRule, action: str) -> None:
    bump(session, NAMESPACE)
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="alert_rule",
        object_id=rule.id,
        details={"name": rule.name, "kind": rule.kind, "levels": rule.levels},
    )
    if rule.kind == STALE and rule.enabled:
        from yiwang.sensing.alerting import tasks  # noqa: PLC0415  (tasks import this module)

        tasks.ensure_stale_checks(session)


def _rule_or_404(session: Session, rule_id: int) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFound("alert rule", rule_id)
    return rule


def get_rule(session: Session, *, actor: Actor, rule_id: int) -> AlertRule:
    """Return the rule; its department's staff and sysadmins may read it."""
    rule = _rule_or_404(session, rule_id)
    require(
        can_handle_alert(actor, department_id=rule.department_id),
        "sensing.rule.read",
        object_type="alert_rule",
        object_id=rule_id,
    )
    return rule


def list_rules(
    session: Session,
    *,
    actor: Actor,
    department_id: int | None = None,
    datastream_id: int | None = None,
) -> list[AlertRule]:
    """Return the rules the caller may read (their department's; every rule for a sysadmin)."""
    query = select(AlertRule).order_by(AlertRule.id)
    if not actor.is_sysadmin:
        if actor.department_id is None or actor.role is None:
            return []
        query = query.where(AlertRule.department_id == actor.department_id)
    if department_id is not None:
        query = query.where(AlertRule.department_id == department_id)
    if datastream_id is not None:
        query = query.where(AlertRule.datastream_id == datastream_id)
    return list(session.scalars(query))


def update_rule(session: Session, *, actor: Actor, rule_id: int, data: RuleUpdate) -> AlertRule:
    rule = _rule_or_404(session, rule_id)
    require(
        can_manage_rules(actor, department_id=rule.department_id),
        "sensing.rule.update",
        object_type="alert_rule",
        object_id=rule_id,
    )
    changes = data.model_dump(exclude_unset=True)
    levels = _levels_json(data.levels) if data.levels is not None else rule.levels
    window = changes.get("window_minutes", rule.window_minutes)
    direction = _check_shape(
        kind=rule.kind,
        direction=changes.get("direction", rule.direction),
        levels=levels,
        window=window,
    )
    if data.actions is not None:
        casework.check_actions(session, data.actions, levels=len(levels))
        rule.actions = casework.actions_json(data.actions)
    elif data.levels is not None:
        casework.check_actions(session, _stored_actions(rule), levels=len(levels), strict=False)
    for name in ("name", "description", "auto_resolve", "enabled"):
        if name in changes and changes[name] is not None:
            setattr(rule, name, changes[name])
    if rule.kind != STALE:
        if data.hysteresis is not None:
            rule.hysteresis = data.hysteresis
        if data.clear_after is not None:
            rule.clear_after = data.clear_after
    rule.levels, rule.direction, rule.window_minutes = levels, direction, window
    rule.updated_at = utcnow()
    session.flush()
    _changed(session, actor, rule, "sensing.rule.update")
    return rule


def _stored_actions(rule: AlertRule) -> list[CaseAction]:
    return [CaseAction.model_validate(a) for a in rule.actions or ()]


def delete_rule(session: Session, *, actor: Actor, rule_id: int) -> None:
    """Delete a rule. Its unresolved alerts are resolved (``rule_deleted``); resolved ones stay
    with the rule's name."""
    rule = _rule_or_404(session, rule_id)
    require(
        can_manage_rules(actor, department_id=rule.department_id),
        "sensing.rule.delete",
        object_type="alert_rule",
        object_id=rule_id,
    )
    for alert in session.scalars(
        select(Alert).where(Alert.rule_id == rule.id, Alert.state != RESOLVED)
    ):
        _resolve(session, alert, actor=actor, note=None, resolution="rule_deleted")
    _changed(session, actor, rule, "sensing.rule.delete")
    session.delete(rule)
    session.flush()


# --- the rules in memory -------------------------------------------------------------------------


def _spec(rule: AlertRule) -> RuleSpec:
    return RuleSpec(
        id=rule.id,
        name=rule.name,
        department_id=rule.department_id,
        kind=rule.kind,
        direction=rule.direction,
        levels=tuple(
            Level(int(level["level"]), str(level["label"]), float(level["value"]))
            for level in rule.levels
        ),
        hysteresis=rule.hysteresis,
        clear_after=rule.clear_after,
        auto_resolve=rule.auto_resolve,
        window_minutes=rule.window_minutes,
        datastream_id=rule.datastream_id,
        observed_property_id=rule.observed_property_id,
        property_definition=rule.property_definition,
        scope_department_id=rule.scope_department_id,
        scope_pack=rule.scope_pack,
        actions=casework.actions_spec(rule.actions),
    )


@dataclass(frozen=True, slots=True)
class _StreamKey:
    """What decides whether a rule on an observed property applies to a stream."""

    department_id: int | None
    is_open: bool
    observed_property_id: int | None
    pack: str | None = None
    definition: str | None = None


def _applies(rule: RuleSpec, stream: _StreamKey) -> bool:
    if rule.scope_department_id is not None and stream.department_id != rule.scope_department_id:
        return False
    if rule.scope_pack is not None and stream.pack != rule.scope_pack:
        return False
    # A rule reaches another department's stream only if that stream's data is open.
    return stream.is_open or stream.department_id == rule.department_id


@dataclass
class RuleIndex:
    """The enabled rules, indexed by what they watch, with a memo of the rules that apply to
    each stream seen (re-checked every few minutes, since a Thing's pack may change)."""

    by_stream: dict[int, list[RuleSpec]] = field(default_factory=dict)
    by_property: dict[int, list[RuleSpec]] = field(default_factory=dict)
    by_definition: dict[str, list[RuleSpec]] = field(default_factory=dict)
    stale: list[RuleSpec] = field(default_factory=list)
    _memo: dict[int, tuple[float, tuple[RuleSpec, ...]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def empty(self) -> bool:
        return not (self.by_stream or self.by_property or self.by_definition)

    def _needs_facts(self, observed_property_id: int | None) -> bool:
        if self.by_definition:
            return True
        return any(r.scope_pack for r in self.by_property.get(observed_property_id or -1, ()))

    def match(
        self, session: Session, stored: Iterable[StoredObservation]
    ) -> dict[int, tuple[RuleSpec, ...]]:
        """Return the rules that apply to each stream of ``stored`` that has any."""
        now = time.monotonic()
        matched: dict[int, tuple[RuleSpec, ...]] = {}
        seen: set[int] = set()
        unresolved: dict[int, StoredObservation] = {}
        for item in stored:
            if item.stream_id in seen:
                continue
            seen.add(item.stream_id)
            memo = self._memo.get(item.stream_id)
            if memo is not None and memo[0] > now:
                if memo[1]:
                    matched[item.stream_id] = memo[1]
                continue
            if self._needs_facts(item.observed_property_id):
                unresolved[item.stream_id] = item
                continue
            key = _StreamKey(item.department_id, item.is_open, item.observed_property_id)
            self._remember(matched, item.stream_id, self._rules_for(item.stream_id, key), now)
        if unresolved:
            for stream_id, pack, definition in session.execute(
                select(Datastream.id, Thing.pack, ObservedProperty.definition)
                .join(Thing, Thing.id == Datastream.thing_id)
                .outerjoin(ObservedProperty, ObservedProperty.id == Datastream.observed_property_id)
                .where(Datastream.id.in_(unresolved))
            ):
                item = unresolved[stream_id]
                key = _StreamKey(
                    item.department_id, item.is_open, item.observed_property_id, pack, definition
                )
                self._remember(matched, stream_id, self._rules_for(stream_id, key), now)
        return matched

    def _rules_for(self, stream_id: int, key: _StreamKey) -> tuple[RuleSpec, ...]:
        rules = list(self.by_stream.get(stream_id, ()))
        if key.observed_property_id is not None:
            by_property = self.by_property.get(key.observed_property_id, ())
            rules += [r for r in by_property if _applies(r, key)]
        if key.definition:
            rules += [r for r in self.by_definition.get(key.definition, ()) if _applies(r, key)]
        return tuple(rules)

    def _remember(
        self,
        matched: dict[int, tuple[RuleSpec, ...]],
        stream_id: int,
        rules: tuple[RuleSpec, ...],
        now: float,
    ) -> None:
        with self._lock:
            if len(self._memo) >= _MEMO_MAX:
                self._memo.clear()
            self._memo[stream_id] = (now + _MEMO_SECONDS, rules)
        if rules:
            matched[stream_id] = rules


def _load_index(session: Session) -> RuleIndex:
    index = RuleIndex()
    for rule in session.scalars(select(AlertRule).where(AlertRule.enabled.is_(True))):
        spec = _spec(rule)
        if spec.datastream_id is not None:
            index.by_stream.setdefault(spec.datastream_id, []).append(spec)
        elif spec.observed_property_id is not None:
            index.by_property.setdefault(spec.observed_property_id, []).append(spec)
        elif spec.property_definition:
            index.by_definition.setdefault(spec.property_definition, []).append(spec)
        if spec.kind == STALE:
            index.stale.append(spec)
    return index


def rule_index(session: Session) -> RuleIndex:
    """The enabled rules, from this process's coherent cache when it has them."""
    cache = cache_of(session)
    if cache is None:
        return _load_index(session)
    value = cache.get(session, NAMESPACE, "index")
    if value is MISSING:
        generation = cache.begin_load(session, NAMESPACE)
        value = _load_index(session)
        cache.put(NAMESPACE, "index", value, generation=generation)
    assert isinstance(value, RuleIndex)  # noqa: S101
    return value


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


@dataclass(frozen=True, slots=True)
class _Cause:
    """The observation behind a change, and the value measured."""

    observation_id: int | None
    phenomenon_time: dt.datetime | None
    value: float | None


@dataclass(slots=True)
class _Pending:
    tracked: _Tracked
    step: Step
    cause: _Cause


def evaluate(session: Session, stored: Sequence[StoredObservation]) -> None:
    """The ingest hook: evaluate the rules that watch the streams of ``stored`` in the caller's
    transaction. It takes no savepoint of its own (releasing one would run the bus's
    after-commit listeners before the real commit), so a failure here fails the batch."""
    if not stored:
        return
    index = rule_index(session)
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
    pending: list[_Pending] = []
    for stream_id, items in by_stream.items():
        items.sort(key=lambda o: o.phenomenon_time)
        for rule in matched[stream_id]:
            entry = tracked[(rule.id, stream_id)]
            for item in items:
                step = observe(rule, entry.state, item.phenomenon_time, item.result_number)
                if step is not None:
                    shown = step.measure if rule.kind == RATE else item.result_number
                    cause = _Cause(item.id, item.phenomenon_time, shown)
                    pending.append(_Pending(entry, step, cause))
    if pending:
        _apply(session, pending)
    _save_states(session, tracked.values())


# --- alerts --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _StreamFacts:
    id: int
    name: str
    thing_id: int
    thing_name: str
    department_id: int | None
    is_open: bool
    pack: str | None


def _stream_facts(session: Session, ids: Iterable[int]) -> dict[int, _StreamFacts]:
    return {
        row.id: _StreamFacts(*row)
        for row in session.execute(
            select(
                Datastream.id,
                Datastream.name,
                Datastream.thing_id,
                Thing.name,
                Datastream.department_id,
                Datastream.is_open,
                Thing.pack,
            )
            .join(Thing, Thing.id == Datastream.thing_id)
            .where(Datastream.id.in_(set(ids)))
        )
    }


def _apply(session: Session, pending: list[_Pending]) -> None:
    """Turn changes of level into alerts and their changes, in order."""
    alert_ids = {p.tracked.state.alert_id for p in pending if p.tracked.state.alert_id}
    alerts = (
        {a.id: a for a in session.scalars(select(Alert).where(Alert.id.in_(alert_ids)))}
        if alert_ids
        else {}
    )
    facts = _stream_facts(session, {p.tracked.stream_id for p in pending})
    for item in pending:
        stream = facts.get(item.tracked.stream_id)
        if stream is not None:
            _transition(session, item, stream, alerts)


def _transition(
    session: Session, item: _Pending, stream: _StreamFacts, alerts: dict[int, Alert]
) -> None:
    rule, state, step, cause = item.tracked.rule, item.tracked.state, item.step, item.cause
    alert = alerts.get(state.alert_id) if state.alert_id else None
    if alert is not None and alert.state == RESOLVED:
        alert, state.alert_id = None, None
    level = rule.level(step.level)
    now = utcnow()
    if step.level > step.previous_level:
        assert level is not None  # noqa: S101  (a level above 0 is one of the rule's)
        if alert is None:
            alert = Alert(
                rule_id=rule.id,
                rule_name=rule.name,
                kind=rule.kind,
                department_id=rule.department_id,
                datastream_id=stream.id,
                thing_id=stream.thing_id,
                stream_department_id=stream.department_id,
                is_open=stream.is_open,
                pack=stream.pack,
                state=RAISED,
                level=step.level,
                label=level.label,
                max_level=step.level,
                value=cause.value,
                observation_id=cause.observation_id,
                phenomenon_time=cause.phenomenon_time,
                raised_value=cause.value,
                raised_at=now,
            )
            session.add(alert)
            session.flush()
            alerts[alert.id] = alert
            state.alert_id = alert.id
            _record(session, alert, "raised", None, cause, stream=stream)
            casework.on_level(session, rule, alert)
            return
        previous = alert.level
        action = "escalated" if alert.cleared_at is None or step.level > previous else "recurred"
        alert.cleared_at = None
        if alert.state == ACKNOWLEDGED and step.level > previous:
            alert.state = RAISED  # a worse level needs to be acknowledged again
        alert.level, alert.label = step.level, level.label
        alert.max_level = max(alert.max_level, step.level)
        alert.value, alert.updated_at = cause.value, now
        _record(session, alert, action, previous, cause, stream=stream)
        casework.on_level(session, rule, alert)
        return
    if alert is None:
        return  # resolved by hand while the condition lasted
    previous = alert.level
    alert.value, alert.updated_at = cause.value, now
    if level is not None:
        alert.level, alert.label = step.level, level.label
        _record(session, alert, "deescalated", previous, cause, stream=stream)
    elif rule.auto_resolve:
        state.alert_id = None
        _resolve(
            session, alert, actor=None, note=None, resolution="auto", cause=cause, stream=stream
        )
    elif alert.cleared_at is None:
        alert.cleared_at = now
        _record(session, alert, "cleared", previous, cause, stream=stream)


def _record(
    session: Session,
    alert: Alert,
    action: str,
    previous_level: int | None,
    cause: _Cause | None,
    *,
    actor: Actor | None = None,
    note: str | None = None,
    stream: _StreamFacts | None = None,
) -> AlertChange:
    """Write one change of ``alert`` to its history and publish it on the core bus as
    ``sensing.alert.<action>``."""
    change = AlertChange(
        alert_id=alert.id,
        at=utcnow(),
        action=action,
        level=alert.level,
        label=alert.label,
        previous_level=previous_level,
        state=alert.state,
        actor_id=actor.user_id if actor else None,
        actor_name=actor.label() if actor else SYSTEM_NAME,
        note=note,
        observation_id=cause.observation_id if cause else None,
        phenomenon_time=cause.phenomenon_time if cause else None,
        value=cause.value if cause else None,
    )
    session.add(change)
    session.flush()
    if stream is None:
        stream = _stream_facts(session, [alert.datastream_id]).get(alert.datastream_id)
    events.publish(session, EVENT_PREFIX + action, alert_payload(alert, change, stream))
    return change


def alert_payload(
    alert: Alert, change: AlertChange, stream: _StreamFacts | None = None
) -> dict[str, Any]:
    """The event of one change: enough to open a case from (department, thing, stream, level,
    value, observation, time) and to route it (pack, openness)."""
    phenomenon_time = change.phenomenon_time or alert.phenomenon_time
    return {
        "change_id": change.id,
        "action": change.action,
        "at": change.at.isoformat(),
        "alert_id": alert.id,
        "state": change.state,
        "rule_id": alert.rule_id,
        "rule_name": alert.rule_name,
        "kind": alert.kind,
        "department_id": alert.department_id,
        "stream_department_id": alert.stream_department_id,
        "thing_id": alert.thing_id,
        "thing_name": stream.thing_name if stream else None,
        "datastream_id": alert.datastream_id,
        "datastream_name": stream.name if stream else None,
        "pack": alert.pack,
        "is_open": alert.is_open,
        "level": change.level,
        "previous_level": change.previous_level,
        "max_level": alert.max_level,
        "label": change.label,
        "value": change.value if change.value is not None else alert.value,
        "observation_id": change.observation_id or alert.observation_id,
        "phenomenon_time": phenomenon_time.isoformat() if phenomenon_time else None,
        "raised_observation_id": alert.observation_id,
        "raised_at": alert.raised_at.isoformat(),
        "actor": change.actor_name,
        "note": change.note,
        "case_number": alert.case_number,
    }


def _resolve(
    session: Session,
    alert: Alert,
    *,
    actor: Actor | None,
    note: str | None,
    resolution: str,
    cause: _Cause | None = None,
    stream: _StreamFacts | None = None,
) -> None:
    now = utcnow()
    alert.state, alert.resolution = RESOLVED, resolution
    alert.resolved_at, alert.updated_at = now, now
    alert.resolved_by_id = actor.user_id if actor else None
    if actor is not None:
        session.execute(
            update(AlertRuleState)
            .where(AlertRuleState.alert_id == alert.id)
            .values(alert_id=None, updated_at=now)
        )
    _record(session, alert, "resolved", alert.level, cause, actor=actor, note=note, stream=stream)
    casework.on_resolved(session, alert, resolution=resolution, actor=actor, note=note)


def note_on_alert(session: Session, alert: Alert, action: str, note: str) -> AlertChange:
    """Write in the alert's history something that moves neither its level nor its state (the
    case opened for it: ``case_opened``, ``case_failed``), and publish it like every change."""
    alert.updated_at = utcnow()
    return _record(session, alert, action, alert.level, None, note=note)


# --- handling alerts by hand ---------------------------------------------------------------------


def can_see_alert(actor: Actor, alert: Alert) -> bool:
    """Alerts on open data are public; others are for the staff of the rule's department and of
    the stream's. Keep in step with :func:`_visible_to`."""
    return can_see_sensing(
        actor, department_id=alert.department_id, is_open=alert.is_open
    ) or can_see_sensing(actor, department_id=alert.stream_department_id, is_open=alert.is_open)


def _visible_to(actor: Actor) -> ColumnElement[bool]:
    if actor.is_sysadmin:
        return true()
    condition: ColumnElement[bool] = Alert.is_open.is_(True)
    if actor.department_id is not None and actor.role is not None:
        condition = or_(
            condition,
            Alert.department_id == actor.department_id,
            Alert.stream_department_id == actor.department_id,
        )
    return condition


def get_alert(session: Session, *, actor: Actor, alert_id: int) -> Alert:
    """Return the alert, or raise NotFound (also when the caller may not see it)."""
    alert = session.get(Alert, alert_id)
    if alert is None or not can_see_alert(actor, alert):
        raise NotFound("alert", alert_id)
    return alert


def alert_history(session: Session, *, alert_id: int) -> list[AlertChange]:
    return list(
        session.scalars(
            select(AlertChange).where(AlertChange.alert_id == alert_id).order_by(AlertChange.id)
        )
    )


def last_change_id(session: Session) -> int:
    """The id of the latest alert change (0 when there is none)."""
    return int(session.scalar(select(func.max(AlertChange.id))) or 0)


def changes_after(
    session: Session, *, after_id: int, limit: int = 1000
) -> list[tuple[int, dict[str, Any]]]:
    """The alert changes with an id above ``after_id``, oldest first, as event payloads (one
    query)."""
    rows = session.execute(
        select(AlertChange, Alert, Datastream.name, Thing.name, Thing.id)
        .join(Alert, Alert.id == AlertChange.alert_id)
        .outerjoin(Datastream, Datastream.id == Alert.datastream_id)
        .outerjoin(Thing, Thing.id == Datastream.thing_id)
        .where(AlertChange.id > after_id)
        .order_by(AlertChange.id)
        .limit(limit)
    )
    result = []
    for change, alert, stream_name, thing_name, _thing_id in rows:
        facts = _StreamFacts(
            alert.datastream_id,
            stream_name or "",
            alert.thing_id,
            thing_name or "",
            alert.stream_department_id,
            alert.is_open,
            alert.pack,
        )
        result.append((change.id, alert_payload(alert, change, facts)))
    return result


@dataclass(frozen=True, slots=True)
class AlertFilters:
    state: str | None = None
    level: int | None = None
    min_level: int | None = None
    department_id: int | None = None
    pack: str | None = None
    datastream_id: int | None = None
    since: dt.datetime | None = None


def list_alerts(
    session: Session, *, actor: Actor, filters: AlertFilters, limit: int = 50, offset: int = 0
) -> tuple[list[Alert], int]:
    """Return a page of the alerts the caller may see, newest first, and how many there are.
    ``state="open"`` means not resolved; ``since`` compares with the time it was raised."""
    query = select(Alert).where(_visible_to(actor))
    if filters.state == "open":
        query = query.where(Alert.state != RESOLVED)
    elif filters.state is not None:
        query = query.where(Alert.state == filters.state)
    if filters.level is not None:
        query = query.where(Alert.level == filters.level)
    if filters.min_level is not None:
        query = query.where(Alert.level >= filters.min_level)
    if filters.department_id is not None:
        query = query.where(Alert.department_id == filters.department_id)
    if filters.pack is not None:
        query = query.where(Alert.pack == filters.pack)
    if filters.datastream_id is not None:
        query = query.where(Alert.datastream_id == filters.datastream_id)
    if filters.since is not None:
        query = query.where(Alert.raised_at >= filters.since)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Alert.id.desc()).limit(limit).offset(offset)).all()
    return list(items), int(total)


def _handled_alert(session: Session, *, actor: Actor, alert_id: int, action: str) -> Alert:
    alert = get_alert(session, actor=actor, alert_id=alert_id)
    require(
        can_handle_alert(actor, department_id=alert.department_id),
        action,
        object_type="alert",
        object_id=alert_id,
    )
    if alert.state == RESOLVED:
        raise Conflict("alerting.already_resolved", id=alert_id)
    return alert


def acknowledge_alert(
    session: Session, *, actor: Actor, alert_id: int, note: str | None = None
) -> Alert:
    """Acknowledge an unresolved alert: someone is on it."""
    alert = _handled_alert(session, actor=actor, alert_id=alert_id, action="sensing.alert.ack")
    now = utcnow()
    alert.state, alert.acknowledged_at, alert.acknowledged_by_id = ACKNOWLEDGED, now, actor.user_id
    alert.updated_at = now
    _record(session, alert, "acknowledged", alert.level, None, actor=actor, note=note)
    audit.record(
        session,
        actor=actor,
        action="sensing.alert.acknowledge",
        object_type="alert",
        object_id=alert.id,
        details={"note": note, "level": alert.level},
    )
    return alert


def resolve_alert(session: Session, *, actor: Actor, alert_id: int, note: str | None) -> Alert:
    """Resolve an alert by hand, with a note saying why. While the condition lasts no new alert
    is raised for it, unless it gets worse or comes back after returning to normal."""
    if not note or not note.strip():
        raise InvalidInput("alerting.note_required")
    alert = _handled_alert(session, actor=actor, alert_id=alert_id, action="sensing.alert.resolve")
    _resolve(session, alert, actor=actor, note=note.strip(), resolution="manual")
    audit.record(
        session,
        actor=actor,
        action="sensing.alert.resolve",
        object_type="alert",
        object_id=alert.id,
        details={"note": note, "level": alert.level},
    )
    return alert


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
    rules = rule_index(session).stale
    if not rules:
        return 0
    ages: dict[tuple[int, int], tuple[float, _Cause]] = {}
    pairs: list[tuple[RuleSpec, int]] = []
    for rule in rules:
        for stream_id, created, last_id, last_time, _dept, _open in _streams_of(session, rule):
            minutes = (now - (last_time or created)).total_seconds() / 60
            ages[(rule.id, stream_id)] = (minutes, _Cause(last_id, last_time, round(minutes, 1)))
            pairs.append((rule, stream_id))
    tracked = _load_states(session, pairs)
    pending: list[_Pending] = []
    for key, entry in tracked.items():
        minutes, cause = ages[key]
        step = staleness(entry.rule, entry.state, minutes)
        if step is not None:
            pending.append(_Pending(entry, step, cause))
    if pending:
        _apply(session, pending)
    _save_states(session, tracked.values())
    return len(pending)


observations.register_ingest_hook(evaluate)

__all__ = [
    "EVENT_PREFIX",
    "NAMESPACE",
    "AlertFilters",
    "RuleIndex",
    "acknowledge_alert",
    "alert_history",
    "alert_payload",
    "can_see_alert",
    "changes_after",
    "check_stale",
    "create_rule",
    "delete_rule",
    "evaluate",
    "get_alert",
    "get_rule",
    "last_change_id",
    "list_alerts",
    "list_rules",
    "note_on_alert",
    "resolve_alert",
    "rule_index",
    "update_rule",
]
