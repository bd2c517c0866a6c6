"""Alerts: raised by the rules, their lifecycle (raised, escalated, de-escalated, cleared,
recurred, acknowledged, resolved), each change written to the alert's history and published
on the core bus as ``sensing.alert.<action>``, and handling alerts by hand (listing, reading,
acknowledging, resolving).

Evaluation (:mod:`yiwang.sensing.alerting.watch`) hands over the changes of level as
:class:`Transition` objects; :func:`apply` turns them into alerts and their changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true, update
from sqlalchemy.orm import Session

from yiwang.core import audit, events
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, InvalidInput, NotFound
from yiwang.core.policy import Actor, can_handle_alert, can_see_sensing, require
from yiwang.sensing.alerting import (
    casework,
    messages,  # noqa: F401  (registers the messages)
)
from yiwang.sensing.alerting.evaluation import RuleSpec, RuleState, Step
from yiwang.sensing.alerting.models import (
    ACKNOWLEDGED,
    RAISED,
    RESOLVED,
    Alert,
    AlertChange,
    AlertRuleState,
)
from yiwang.sensing.alerting.values import alert_value_text
from yiwang.sensing.models import Datastream, Thing

EVENT_PREFIX = "sensing.alert."
SYSTEM_NAME = "system"


@dataclass(frozen=True, slots=True)
class Cause:
    """The observation behind a change, and the value measured."""

    observation_id: int | None
    phenomenon_time: dt.datetime | None
    value: float | None


@dataclass(slots=True)
class Transition:
    """A change of level of a rule on a stream: the pair's state (the alert it has raised, if
    any, is kept up to date in it), the step taken and what caused it."""

    rule: RuleSpec
    stream_id: int
    state: RuleState
    step: Step
    cause: Cause


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
    unit: Any = None  # the stream's unit of measurement


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
                Datastream.unit_of_measurement,
            )
            .join(Thing, Thing.id == Datastream.thing_id)
            .where(Datastream.id.in_(set(ids)))
        )
    }


def apply(session: Session, pending: list[Transition]) -> None:
    """Turn changes of level into alerts and their changes, in order."""
    alert_ids = {p.state.alert_id for p in pending if p.state.alert_id}
    alerts = (
        {a.id: a for a in session.scalars(select(Alert).where(Alert.id.in_(alert_ids)))}
        if alert_ids
        else {}
    )
    facts = _stream_facts(session, {p.stream_id for p in pending})
    for item in pending:
        stream = facts.get(item.stream_id)
        if stream is not None:
            _transition(session, item, stream, alerts)


def _transition(
    session: Session, item: Transition, stream: _StreamFacts, alerts: dict[int, Alert]
) -> None:
    rule, state, step, cause = item.rule, item.state, item.step, item.cause
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
        resolve(
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
    cause: Cause | None,
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
    value, observation, time) and to route it (pack, openness), with what the value means in
    Chinese and English (``value_text``, ``value_text_en``) for whoever shows it."""
    phenomenon_time = change.phenomenon_time or alert.phenomenon_time
    value = change.value if change.value is not None else alert.value
    unit = stream.unit if stream else None
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
        "value": value,
        "value_text": _value_text(alert, value, unit, zh=True),
        "value_text_en": _value_text(alert, value, unit, zh=False),
        "observation_id": change.observation_id or alert.observation_id,
        "phenomenon_time": phenomenon_time.isoformat() if phenomenon_time else None,
        "raised_observation_id": alert.observation_id,
        "raised_at": alert.raised_at.isoformat(),
        "actor": change.actor_name,
        "note": change.note,
        "case_number": alert.case_number,
    }


def _value_text(alert: Alert, value: float | None, unit: Any, *, zh: bool) -> str | None:
    if value is None:
        return None
    return alert_value_text(value, pack=alert.pack, rule_name=alert.rule_name, unit=unit, zh=zh)


def resolve(
    session: Session,
    alert: Alert,
    *,
    actor: Actor | None,
    note: str | None,
    resolution: str,
    cause: Cause | None = None,
    stream: _StreamFacts | None = None,
) -> None:
    """Resolve ``alert`` (``resolution``: ``auto``, ``manual``, ``rule_deleted``), record it
    and tell the cases engine; resolved by someone, its rule no longer tracks it."""
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
        select(AlertChange, Alert, Datastream.name, Thing.name, Datastream.unit_of_measurement)
        .join(Alert, Alert.id == AlertChange.alert_id)
        .outerjoin(Datastream, Datastream.id == Alert.datastream_id)
        .outerjoin(Thing, Thing.id == Datastream.thing_id)
        .where(AlertChange.id > after_id)
        .order_by(AlertChange.id)
        .limit(limit)
    )
    result = []
    for change, alert, stream_name, thing_name, unit in rows:
        facts = _StreamFacts(
            alert.datastream_id,
            stream_name or "",
            alert.thing_id,
            thing_name or "",
            alert.stream_department_id,
            alert.is_open,
            alert.pack,
            unit,
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
    resolve(session, alert, actor=actor, note=note.strip(), resolution="manual")
    audit.record(
        session,
        actor=actor,
        action="sensing.alert.resolve",
        object_type="alert",
        object_id=alert.id,
        details={"note": note, "level": alert.level},
    )
    return alert


__all__ = [
    "EVENT_PREFIX",
    "AlertFilters",
    "Cause",
    "Transition",
    "acknowledge_alert",
    "alert_history",
    "alert_payload",
    "apply",
    "can_see_alert",
    "changes_after",
    "get_alert",
    "last_change_id",
    "list_alerts",
    "note_on_alert",
    "resolve",
    "resolve_alert",
]
