"""Shapes of rules, alerts and webhooks in the native API."""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Kind = Literal["threshold", "rate", "stale"]


class LevelIn(BaseModel):
    """One alert level. Levels are given in rising severity and numbered from 1."""

    label: str = Field(min_length=1, max_length=100, examples=["黄色预警"])
    value: float = Field(
        description="threshold: the value; rate: change per minute; stale: minutes without data",
        examples=[75],
    )

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class LevelPublic(LevelIn):
    level: int


class CaseAction(BaseModel):
    """Open a case when an alert of the rule reaches ``level``: a case of the task item
    ``item`` (处置事项 of the cases engine) for the department ``department`` names. One case
    per alert, whatever the alert does afterwards; the case hears when the alert resolves."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["open_case"] = "open_case"
    level: int = Field(ge=1, le=10, description="the level (1 = the first) that opens the case")
    item: str = Field(min_length=1, max_length=64, examples=["330000-SL-101"])
    department: str = Field(
        default="owner",
        min_length=1,
        max_length=200,
        pattern=r"^\S+$",
        description="owner: the Thing's department; properties.<path>: the department (slug, "
        "name or id) a Thing property names, e.g. properties.river_chief.office; else a "
        "department's slug. A department that cannot be found sends the case to the owner, "
        "with a note.",
        examples=["owner", "properties.river_chief.office"],
    )


class RuleFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["PM2.5 超标"])
    description: str = Field(default="", max_length=5000)
    kind: Kind = "threshold"
    direction: str | None = Field(
        default=None,
        description="threshold: above (default) or below; rate: rise (default), fall or any",
    )
    levels: list[LevelIn] = Field(min_length=1, max_length=10)
    hysteresis: float = Field(
        default=0.0, ge=0, description="a level is left below its threshold minus this"
    )
    clear_after: int = Field(
        default=1, ge=1, le=1000, description="consecutive observations needed to leave a level"
    )
    auto_resolve: bool = Field(
        default=True, description="resolve the alert when the value is back to normal"
    )
    window_minutes: float | None = Field(
        default=None, gt=0, le=10080, description="rate rules: the window; none: previous value"
    )
    actions: list[CaseAction] = Field(
        default_factory=list, max_length=1, description="what reaching a level does"
    )
    enabled: bool = True


class RuleCreate(RuleFields):
    """A rule on one datastream, or on every datastream of an observed property (by id or by
    definition URI), optionally only those of one department or one domain-pack kind."""

    department_id: int | None = Field(
        default=None, description="whose rule it is; the caller's department when omitted"
    )
    datastream_id: int | None = None
    observed_property_id: int | None = None
    property_definition: str | None = Field(default=None, min_length=1, max_length=500)
    scope_department_id: int | None = None
    scope_pack: str | None = Field(
        default=None, max_length=64, examples=["environment.air_station"]
    )


class RuleUpdate(BaseModel):
    """Changes to a rule; its target and department stay."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    direction: str | None = None
    levels: list[LevelIn] | None = Field(default=None, min_length=1, max_length=10)
    hysteresis: float | None = Field(default=None, ge=0)
    clear_after: int | None = Field(default=None, ge=1, le=1000)
    auto_resolve: bool | None = None
    window_minutes: float | None = Field(default=None, gt=0, le=10080)
    actions: list[CaseAction] | None = Field(default=None, max_length=1)
    enabled: bool | None = None


class RulePublic(BaseModel):
    id: int
    department_id: int
    name: str
    description: str
    kind: str
    direction: str
    levels: list[LevelPublic]
    hysteresis: float
    clear_after: int
    auto_resolve: bool
    window_minutes: float | None
    datastream_id: int | None
    observed_property_id: int | None
    property_definition: str | None
    scope_department_id: int | None
    scope_pack: str | None
    actions: list[CaseAction]
    enabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class AlertChangePublic(BaseModel):
    id: int
    at: dt.datetime
    action: str
    level: int
    label: str
    previous_level: int | None
    state: str
    actor_id: int | None
    actor_name: str
    note: str | None
    observation_id: int | None
    phenomenon_time: dt.datetime | None
    value: float | None


class AlertPublic(BaseModel):
    id: int
    rule_id: int | None
    rule_name: str
    kind: str
    department_id: int
    datastream_id: int
    thing_id: int
    stream_department_id: int | None
    is_open: bool
    pack: str | None
    state: str
    level: int
    label: str
    max_level: int
    value: float | None
    observation_id: int | None
    phenomenon_time: dt.datetime | None
    raised_value: float | None
    raised_at: dt.datetime
    updated_at: dt.datetime
    cleared_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    acknowledged_by_id: int | None
    resolved_at: dt.datetime | None
    resolved_by_id: int | None
    resolution: str | None
    case_requested_at: dt.datetime | None
    case_number: str | None


class AlertDetail(AlertPublic):
    history: list[AlertChangePublic]


class AlertAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=2000, examples=["已通知现场人员核查"])


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=1000, examples=["https://duty.example.gov.cn/hook"])
    description: str = Field(default="", max_length=2000)
    min_level: int = Field(default=1, ge=1, le=10, description="only alerts at least this level")
    enabled: bool = True
    department_id: int | None = Field(
        default=None, description="whose alerts; the caller's department when omitted"
    )


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=8, max_length=1000)
    description: str | None = Field(default=None, max_length=2000)
    min_level: int | None = Field(default=None, ge=1, le=10)
    enabled: bool | None = None


class WebhookPublic(BaseModel):
    id: int
    department_id: int
    url: str
    description: str
    min_level: int
    enabled: bool
    created_at: dt.datetime
    last_attempt_at: dt.datetime | None
    last_status: int | None
    last_error: str | None
    last_success_at: dt.datetime | None


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="shown this once; sign-checking needs it")
