"""Console pages: sensing and alerts (感知与预警). The alerts of the staff member's department
(every department's for a sysadmin) with acknowledge and resolve, its alert rules in words, and
its things and datastreams with their latest values. Reads and actions go through the sensing
engine's public surface (``sensing.latest``, ``sensing.list_alerts`` and the other alert
services), the same calls as the JSON API under ``/api/v1/sensing``."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from yiwang.core import identity
from yiwang.core.errors import AppError, NotFound, PermissionDenied
from yiwang.core.policy import Actor, can_handle_alert
from yiwang.core.web.csrf import check_csrf
from yiwang.core.web.deps import SessionDep, SignedInActor, request_language
from yiwang.core.web.templating import render_page
from yiwang.portal.common import local_time
from yiwang.sensing import public as sensing
from yiwang.sensing.public import RAISED, RATE, RESOLVED, STALE, Alert, AlertRule, LatestValue

router = APIRouter()

PAGE_SIZE = 50
STATE_FILTERS = ("open", "raised", "acknowledged", "resolved", "all")
ALERT_STATES = {
    "raised": ("待确认", "Raised"),
    "acknowledged": ("已确认", "Acknowledged"),
    "resolved": ("已解除", "Resolved"),
}
STATE_FILTER_LABELS = {
    "open": ("未解除", "Open"),
    "raised": ("待确认", "Raised"),
    "acknowledged": ("已确认", "Acknowledged"),
    "resolved": ("已解除", "Resolved"),
    "all": ("全部", "All"),
}
RESOLUTIONS = {
    "auto": ("数值恢复正常，自动解除", "back to normal"),
    "manual": ("人工解除", "by hand"),
    "rule_deleted": ("规则已删除", "rule deleted"),
}
DONE = {
    "acknowledge": ("预警已确认。", "Alert acknowledged."),
    "resolve": ("预警已解除。", "Alert resolved."),
}


def number(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:g}"


def result_text(result: Any, unit: Any) -> str:
    """A latest result as read on a screen: numbers with their unit, lists (a
    MultiDatastream's components) joined, anything else as JSON."""
    if result is None:
        return ""
    if isinstance(result, bool):
        return str(result).lower()
    if isinstance(result, int | float):
        value = float(result)
        return sensing.with_unit(value, sensing.unit_symbol(unit)) if math.isfinite(value) else ""
    if isinstance(result, list):
        units = unit if isinstance(unit, list) else [None] * len(result)
        return " · ".join(
            result_text(r, u) for r, u in zip(result, units + [None] * len(result), strict=False)
        )
    if isinstance(result, str):
        return result
    return json.dumps(result, ensure_ascii=False)


# --- rules in words ------------------------------------------------------------------------------


RATE_WORDS = {
    "rise": ("每分钟上升不少于", "rising per minute by at least"),
    "fall": ("每分钟下降不少于", "falling per minute by at least"),
    "any": ("每分钟变化不少于", "changing per minute by at least"),
}


def _comparison(rule: AlertRule, zh: bool) -> str:
    if rule.kind == STALE:
        return "无数据超过（分钟）" if zh else "minutes without data at least"
    if rule.kind == RATE:
        words = RATE_WORDS.get(rule.direction, (rule.direction, rule.direction))
        text = words[0] if zh else words[1]
        if rule.window_minutes:
            minutes = number(rule.window_minutes)
            text += f"（{minutes} 分钟窗口）" if zh else f" (over {minutes} min)"
        return text
    if rule.direction == "below":
        return "数值不高于" if zh else "value at or below"
    return "数值不低于" if zh else "value at or above"


def rule_condition(rule: AlertRule, zh: bool) -> str:
    """What breaks the rule, in a sentence: the measure and each level's threshold."""
    levels = "；".join(f"{level['label']} {number(float(level['value']))}" for level in rule.levels)
    text = f"{_comparison(rule, zh)}：{levels}" if zh else f"{_comparison(rule, zh)}: {levels}"
    if rule.hysteresis:
        hysteresis = number(rule.hysteresis)
        text += f"（回差 {hysteresis}）" if zh else f" (hysteresis {hysteresis})"
    return text


@dataclass(frozen=True, slots=True)
class PackNames:
    """Readable names the domain packs give to property definitions and kinds of Thing."""

    properties: dict[str, str]
    kinds: dict[str, tuple[str, str]]


def pack_names() -> PackNames:
    found = sensing.sensing_packs().values()
    return PackNames(
        properties={p.definition: p.name for pack in found for p in pack.properties.values()},
        kinds={k: (v.name, v.name_en) for k, v in sensing.pack_kinds().items()},
    )


def rule_target(
    rule: AlertRule, streams: dict[int, LatestValue], names: PackNames, zh: bool
) -> str:
    """Which streams the rule watches, in words."""
    if rule.datastream_id is not None:
        stream = streams.get(rule.datastream_id)
        if stream is not None:
            return f"{stream.thing_name} · {stream.name}"
        return f"{'数据流' if zh else 'datastream'} #{rule.datastream_id}"
    if rule.property_definition:
        what = names.properties.get(rule.property_definition, rule.property_definition)
    else:
        what = f"{'观测属性' if zh else 'observed property'} #{rule.observed_property_id}"
    scope = []
    if rule.scope_pack:
        kind = names.kinds.get(rule.scope_pack, (rule.scope_pack, rule.scope_pack))
        scope.append(kind[0] if zh else kind[1])
    if rule.scope_department_id is not None:
        scope.append(f"{'部门' if zh else 'department'} #{rule.scope_department_id}")
    if not scope:
        return what
    return f"{what}（{'，'.join(scope)}）" if zh else f"{what} ({', '.join(scope)})"


# --- alerts --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: int
    rule_name: str
    level: int
    label: str
    max_level: int
    value: float | None
    raised_value: float | None
    state: str
    thing_name: str
    stream_name: str
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None
    resolution: str | None
    can_handle: bool
    case_number: str | None = None  # the case the rule's action opened for it
    pack: str | None = None  # the kind of thing it was raised on
    unit: Any = None  # the stream's unit of measurement

    def value_text(self, value: float | None, *, zh: bool) -> str:
        """A value of the alert as people read it: what it means, in the words of the pack
        that declares the rule, else the value with its unit."""
        return sensing.alert_value_text(
            value, pack=self.pack, rule_name=self.rule_name, unit=self.unit, zh=zh
        )

    @property
    def is_open(self) -> bool:
        return self.state != RESOLVED

    @property
    def can_acknowledge(self) -> bool:
        return self.can_handle and self.state == RAISED


def _alert_rows(session: Session, actor: Actor, alerts: list[Alert]) -> list[AlertRow]:
    streams = (
        {
            v.datastream_id: v
            for v in sensing.latest(
                session, actor=actor, datastream_ids=sorted({a.datastream_id for a in alerts})
            )
        }
        if alerts
        else {}
    )
    rows = []
    for alert in alerts:
        stream = streams.get(alert.datastream_id)
        rows.append(
            AlertRow(
                id=alert.id,
                rule_name=alert.rule_name,
                level=alert.level,
                label=alert.label,
                max_level=alert.max_level,
                value=alert.value,
                raised_value=alert.raised_value,
                state=alert.state,
                thing_name=stream.thing_name if stream else "",
                stream_name=stream.name if stream else f"#{alert.datastream_id}",
                raised_at=alert.raised_at,
                acknowledged_at=alert.acknowledged_at,
                resolved_at=alert.resolved_at,
                resolution=alert.resolution,
                can_handle=can_handle_alert(actor, department_id=alert.department_id),
                case_number=alert.case_number,
                pack=alert.pack,
                unit=stream.unit if stream else None,
            )
        )
    # Open alerts first, then the newest.
    return sorted(rows, key=lambda r: (not r.is_open, -r.id))


def _labels() -> dict[str, Any]:
    return {
        "alert_states": ALERT_STATES,
        "state_filters": STATE_FILTER_LABELS,
        "resolutions": RESOLUTIONS,
        "local_time": local_time,
    }


def _scope(actor: Actor, department: int | None) -> int | None:
    """The department whose sensing the page shows: a sysadmin's choice (None: every one),
    anyone else's own."""
    if actor.is_sysadmin:
        return department
    return actor.department_id


# --- the page ------------------------------------------------------------------------------------


def _sensing_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    state: str = "open",
    level: int | None = None,
    department: int | None = None,
    offset: int = 0,
    done: str | None = None,
    error: AppError | None = None,
    error_alert: int | None = None,
    note: str = "",
    status_code: int = 200,
) -> Response:
    zh = request_language(request).startswith("zh")
    department_id = _scope(actor, department)
    staff = actor.is_sysadmin or (actor.department_id is not None and actor.role is not None)
    alerts: list[Alert] = []
    total = 0
    if staff:
        alerts, total = sensing.list_alerts(
            session,
            actor=actor,
            filters=sensing.AlertFilters(
                state=None if state == "all" else state,
                level=level,
                department_id=department_id,
            ),
            limit=PAGE_SIZE,
            offset=offset,
        )
    rules = sensing.list_rules(session, actor=actor, department_id=department_id)
    latest = sensing.latest(session, actor=actor, department_id=department_id) if staff else []
    open_ids = {v.datastream_id for v in latest if v.is_open}
    streams = {v.datastream_id: v for v in latest}
    names = pack_names()
    departments = (
        identity.list_departments(session, actor=actor, limit=1000)[0] if actor.is_sysadmin else []
    )
    own = (
        identity.get_department(session, actor.department_id)
        if actor.department_id is not None
        else None
    )
    query = request.url.include_query_params
    return render_page(
        request,
        "console/sensing/index.html",
        {
            "staff": staff,
            "alerts": _alert_rows(session, actor, alerts),
            "total": total,
            "offset": offset,
            "previous": str(query(offset=max(0, offset - PAGE_SIZE))) if offset > 0 else None,
            "next": str(query(offset=offset + PAGE_SIZE)) if offset + PAGE_SIZE < total else None,
            "rules": [
                {
                    "rule": rule,
                    "condition": rule_condition(rule, zh),
                    "target": rule_target(rule, streams, names, zh),
                }
                for rule in rules
            ],
            "streams": sorted(latest, key=lambda v: (v.thing_name, v.name, v.datastream_id)),
            "open_ids": open_ids,
            "result_text": result_text,
            "filters": {"state": state, "level": level, "department": department},
            "departments": departments,
            "department": own,
            "stream_department": department_id,
            "done": DONE.get(done or ""),
            "error": error,
            "error_alert": error_alert,
            "note": note,
            **_labels(),
        },
        status_code=status_code,
    )


@router.get("/console/sensing", response_class=HTMLResponse)
def sensing_page(
    request: Request,
    session: SessionDep,
    actor: SignedInActor,
    state: Annotated[str, Query(pattern="^(open|raised|acknowledged|resolved|all)$")] = "open",
    level: Annotated[str, Query(pattern=r"^(|\d{1,2})$")] = "",
    department: Annotated[str, Query(pattern=r"^(|\d{1,9})$")] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    return _sensing_page(
        request,
        session,
        actor,
        state=state,
        level=int(level) if level else None,
        department=int(department) if department else None,
        offset=offset,
        done=done or None,
    )


def _handled(
    request: Request,
    session: Session,
    actor: Actor,
    alert_id: int,
    action: str,
    note: str,
) -> Response:
    """Acknowledge or resolve through the alerting service. htmx gets the alert's row again
    (with the error in it, if any); a plain form goes back to the page, or gets the page with
    the error."""
    htmx = request.headers.get("hx-request") == "true"
    try:
        with session.begin_nested():  # a refused action leaves nothing behind
            if action == "acknowledge":
                sensing.acknowledge_alert(
                    session, actor=actor, alert_id=alert_id, note=note.strip() or None
                )
            else:
                sensing.resolve_alert(session, actor=actor, alert_id=alert_id, note=note)
    except (PermissionDenied, NotFound):
        raise
    except AppError as exc:
        if htmx:
            return _row(request, session, actor, alert_id, error=exc, note=note)
        return _sensing_page(
            request,
            session,
            actor,
            error=exc,
            error_alert=alert_id,
            note=note,
            status_code=exc.status_code,
        )
    if htmx:
        return _row(request, session, actor, alert_id, done=action)
    return RedirectResponse(f"/console/sensing?done={action}", status_code=303)


def _row(
    request: Request,
    session: Session,
    actor: Actor,
    alert_id: int,
    *,
    error: AppError | None = None,
    done: str | None = None,
    note: str = "",
) -> Response:
    """One alert's row, for htmx to swap in. An error comes with status 200 so that htmx shows
    it in the row (it does not swap error answers)."""
    alert = sensing.get_alert(session, actor=actor, alert_id=alert_id)
    return render_page(
        request,
        "console/sensing/_alert_row.html",
        {
            "a": _alert_rows(session, actor, [alert])[0],
            "error": error,
            "error_alert": alert_id if error else None,
            "row_done": DONE.get(done or ""),
            "note": note,
            **_labels(),
        },
    )


@router.post("/console/sensing/alerts/{alert_id}/acknowledge", response_class=HTMLResponse)
def acknowledge(
    request: Request,
    alert_id: int,
    session: SessionDep,
    actor: SignedInActor,
    csrf: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    check_csrf(request, csrf)
    return _handled(request, session, actor, alert_id, "acknowledge", note)


@router.post("/console/sensing/alerts/{alert_id}/resolve", response_class=HTMLResponse)
def resolve(
    request: Request,
    alert_id: int,
    session: SessionDep,
    actor: SignedInActor,
    csrf: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    check_csrf(request, csrf)
    return _handled(request, session, actor, alert_id, "resolve", note)
