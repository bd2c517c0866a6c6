"""Alert rules: creating, reading, changing and deleting them (checked against the caller's
rights, the rule's kind and its cases actions), and the enabled rules in memory.

The enabled rules live in the coherent cache (namespace ``sensing.alert_rules``), indexed by
what they watch (a stream, an observed property, a property definition), so that evaluation
(:mod:`yiwang.sensing.alerting.watch`) finds the rules of a batch's streams with dictionary
look-ups. The alerts the rules raise, and their lifecycle, are in
:mod:`yiwang.sensing.alerting.alerts`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.core import audit
from yiwang.core.cache import MISSING, bump
from yiwang.core.cache import of as cache_of
from yiwang.core.db import utcnow
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.policy import (
    Actor,
    can_handle_alert,
    can_manage_rules,
    can_see_sensing,
    require,
)
from yiwang.sensing.alerting import (
    alerts,
    casework,
    messages,  # noqa: F401  (registers the messages)
)
from yiwang.sensing.alerting.evaluation import DIRECTIONS, Level, RuleSpec, check_levels
from yiwang.sensing.alerting.models import RATE, RESOLVED, STALE, Alert, AlertRule
from yiwang.sensing.alerting.schemas import CaseAction, LevelIn, RuleCreate, RuleUpdate
from yiwang.sensing.models import MULTI, Datastream, ObservedProperty, Thing
from yiwang.sensing.service import StoredObservation

NAMESPACE = "sensing.alert_rules"
_MEMO_SECONDS = 300.0
_MEMO_MAX = 200_000


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
        alerts.resolve(session, alert, actor=actor, note=None, resolution="rule_deleted")
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


__all__ = [
    "NAMESPACE",
    "RuleIndex",
    "create_rule",
    "delete_rule",
    "get_rule",
    "list_rules",
    "rule_index",
    "update_rule",
]
