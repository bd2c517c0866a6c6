"""Tables of rules and alerts: the rules a department sets on its streams, the evaluation state
of each rule on each stream, the alerts raised with the history of their changes, and the
webhooks alerts are delivered to.

Alerts and their history name the observation that changed them by id and phenomenon time
without a foreign key: on PostgreSQL the observations table is partitioned."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from yiwang.core.db import Base, CreatedAt, JSONType, UTCDateTime, utcnow
from yiwang.sensing.models import BigID

THRESHOLD = "threshold"
RATE = "rate"
STALE = "stale"
KINDS = (THRESHOLD, RATE, STALE)

RAISED = "raised"
ACKNOWLEDGED = "acknowledged"
RESOLVED = "resolved"
ALERT_STATES = (RAISED, ACKNOWLEDGED, RESOLVED)


class AlertRule(Base):
    """A rule of one department: which streams it watches, what it measures (the value, its
    rate of change, or the time since the last observation) and the levels that raise alerts."""

    __tablename__ = "sensing_alert_rules"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"),
        index=True,
        comment="the department that set the rule and handles its alerts",
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16), comment="threshold, rate or stale")
    direction: Mapped[str] = mapped_column(
        String(8),
        default="above",
        comment="threshold: above or below; rate: rise, fall or any; stale: above",
    )
    levels: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType,
        comment="[{level, label, value}] in rising severity; value is the threshold, the rate "
        "per minute or the minutes without data",
    )
    hysteresis: Mapped[float] = mapped_column(
        Float, default=0.0, comment="how far past a threshold the value must go back to leave it"
    )
    clear_after: Mapped[int] = mapped_column(
        Integer, default=1, comment="consecutive observations past the hysteresis to leave a level"
    )
    auto_resolve: Mapped[bool] = mapped_column(
        Boolean, default=True, comment="resolve the alert when the value is back to normal"
    )
    window_minutes: Mapped[float | None] = mapped_column(
        Float, comment="rate rules: measured over this window; null: since the previous value"
    )
    datastream_id: Mapped[int | None] = mapped_column(
        ForeignKey("sensing_datastreams.id", ondelete="CASCADE"),
        index=True,
        comment="the one stream watched; null for a rule on an observed property",
    )
    observed_property_id: Mapped[int | None] = mapped_column(
        ForeignKey("sensing_observed_properties.id", ondelete="CASCADE"),
        index=True,
        comment="every stream of this observed property",
    )
    property_definition: Mapped[str | None] = mapped_column(
        String(500), comment="every stream of an observed property with this definition URI"
    )
    scope_department_id: Mapped[int | None] = mapped_column(
        Integer, comment="only the streams of this department"
    )
    scope_pack: Mapped[str | None] = mapped_column(
        String(64), comment="only the streams of things of this domain-pack kind"
    )
    actions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType,
        default=list,
        server_default=text("'[]'"),
        comment="[{type: open_case, level, item, department}]: what reaching a level does",
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AlertRuleState(Base):
    """Where a rule stands on one stream: its current level, the open alert, and what rate and
    hysteresis need of the past. Rows exist only for pairs that have had something to keep."""

    __tablename__ = "sensing_alert_rule_states"

    rule_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_alert_rules.id", ondelete="CASCADE"), primary_key=True
    )
    datastream_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_datastreams.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    level: Mapped[int] = mapped_column(Integer, default=0, comment="0 is normal")
    clear_count: Mapped[int] = mapped_column(
        Integer, default=0, comment="consecutive observations below the current level so far"
    )
    alert_id: Mapped[int | None] = mapped_column(BigID, comment="the unresolved alert, if any")
    last_phenomenon_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_value: Mapped[float | None] = mapped_column(Float)
    recent: Mapped[list[list[Any]] | None] = mapped_column(
        JSONType, comment="rate rules with a window: [[time, value], ...] inside the window"
    )
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Alert(Base):
    """An alert: raised by an observation, moved between levels by later ones, acknowledged and
    resolved by people or by the values returning to normal."""

    __tablename__ = "sensing_alerts"
    __table_args__ = (
        Index("ix_sensing_alerts_state_id", "state", "id"),
        Index("ix_sensing_alerts_department_id_state", "department_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("sensing_alert_rules.id", ondelete="SET NULL"), index=True
    )
    rule_name: Mapped[str] = mapped_column(String(200), comment="copied: the rule may go")
    kind: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"),
        comment="the rule's department, which handles the alert",
    )
    datastream_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_datastreams.id", ondelete="CASCADE"), index=True
    )
    thing_id: Mapped[int] = mapped_column(BigID)
    stream_department_id: Mapped[int | None] = mapped_column(
        Integer, comment="the department owning the stream"
    )
    is_open: Mapped[bool] = mapped_column(Boolean, comment="the stream's data is open")
    pack: Mapped[str | None] = mapped_column(String(64), index=True, comment="the Thing's kind")
    state: Mapped[str] = mapped_column(String(16), comment="raised, acknowledged or resolved")
    level: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100))
    max_level: Mapped[int] = mapped_column(Integer, comment="the highest level reached")
    value: Mapped[float | None] = mapped_column(Float, comment="the latest value measured")
    observation_id: Mapped[int | None] = mapped_column(
        BigID, comment="the observation that raised the alert"
    )
    phenomenon_time: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime(), comment="of the observation that raised the alert"
    )
    raised_value: Mapped[float | None] = mapped_column(
        Float, comment="the value (rate, minutes without data) that raised the alert"
    )
    raised_at: Mapped[CreatedAt]
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime(), comment="back to normal, waiting to be resolved by hand"
    )
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(Integer)
    resolution: Mapped[str | None] = mapped_column(
        String(16), comment="auto, manual or rule_deleted"
    )
    case_requested_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime(), comment="when the rule's action asked for a case (once per alert)"
    )
    case_number: Mapped[str | None] = mapped_column(
        String(32), index=True, comment="the case opened for it (办件编号)"
    )


class AlertChange(Base):
    """One change of an alert: who or which observation made it, when and why. The id orders
    the changes of every alert and is the event id of the live stream."""

    __tablename__ = "sensing_alert_changes"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("sensing_alerts.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[CreatedAt]
    action: Mapped[str] = mapped_column(
        String(16),
        comment="raised, escalated, deescalated, cleared, recurred, acknowledged, resolved, "
        "case_opened or case_failed",
    )
    level: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100), comment="the label of the level")
    previous_level: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), comment="the alert's state after the change")
    actor_id: Mapped[int | None] = mapped_column(Integer, comment="null: the rule itself")
    actor_name: Mapped[str] = mapped_column(String(150))
    note: Mapped[str | None] = mapped_column(Text)
    observation_id: Mapped[int | None] = mapped_column(BigID)
    phenomenon_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    value: Mapped[float | None] = mapped_column(Float)


class Webhook(Base):
    """An address a department's alerts are posted to, signed with HMAC-SHA256. The secret is
    kept encrypted under a key derived from the application's secret key."""

    __tablename__ = "sensing_alert_webhooks"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    url: Mapped[str] = mapped_column(String(1000))
    description: Mapped[str] = mapped_column(Text, default="")
    secret_encrypted: Mapped[str] = mapped_column(
        String(500), comment="nonce, ciphertext and tag, base64"
    )
    min_level: Mapped[int] = mapped_column(Integer, default=1, comment="only alerts this severe")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[CreatedAt]
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[int | None] = mapped_column(
        Integer, comment="HTTP status of the last attempt; null if it got no answer"
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


__all__ = [
    "ACKNOWLEDGED",
    "ALERT_STATES",
    "KINDS",
    "RAISED",
    "RATE",
    "RESOLVED",
    "STALE",
    "THRESHOLD",
    "Alert",
    "AlertChange",
    "AlertRule",
    "AlertRuleState",
    "Webhook",
]
