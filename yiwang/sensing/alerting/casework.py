"""Alerts that open cases (the plan's 河长制 and its kin), without the sensing engine knowing the
cases engine: they meet in the messages and the case-item directory of
:mod:`yiwang.core.contracts`.

A rule's action (``actions = [{type: open_case, level, item, department}]``) says that reaching
``level`` opens a case of the task item ``item``. The first change that puts an alert at that
level or above publishes ``case.requested`` in the transaction that changes the alert (so the
request exists if and only if the alert does) and stamps ``case_requested_at`` on the alert:
one request per alert, whatever the alert does afterwards. The request is keyed by the alert
(``sensing.alert:<id>``), so the cases engine opens one case however often it is delivered.
The answer comes back as ``case.opened`` (the number is kept on the alert and written in its
history as ``case_opened``) or ``case.request_failed`` (written as ``case_failed``, with the
reason). When the alert resolves, ``case.note_requested`` puts a line on the case's timeline.

The department: ``owner`` is the Thing's department (the rule's, for a Thing of none);
``properties.<path>`` the department a Thing property names (by slug, name or id: the river
chief's office of a reach); anything else a department's slug. A department that cannot be
found sends the case to the owner, with a note on the case saying why and a warning in the
log: the case is never dropped."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from yiwang.core import contracts, identity
from yiwang.core.clock import CHINA
from yiwang.core.codes import division_name
from yiwang.core.contracts import CaseNoteRequested, CaseOpened, CaseRequested, CaseRequestFailed
from yiwang.core.db import utcnow
from yiwang.core.errors import InvalidInput
from yiwang.core.policy import Actor
from yiwang.sensing.alerting.evaluation import OpenCase, RuleSpec
from yiwang.sensing.alerting.models import Alert
from yiwang.sensing.alerting.schemas import CaseAction
from yiwang.sensing.alerting.values import alert_value_text
from yiwang.sensing.models import Datastream, Thing

log = logging.getLogger(__name__)

REQUESTER = "sensing"
SOURCE = "sensing.alert"
OWNER = "owner"
PROPERTY_PREFIX = "properties."
CASE_OPENED = "case_opened"
CASE_FAILED = "case_failed"


# --- rules' actions ------------------------------------------------------------------------------


def check_actions(
    session: Session, actions: Sequence[CaseAction], *, levels: int, strict: bool = True
) -> list[tuple[int, str, InvalidInput]]:
    """Check a rule's actions against its ``levels`` and raise :class:`InvalidInput` naming the
    action. An item that is not an active task item, or a department that does not exist, is
    refused too when ``strict``; otherwise it is returned as a problem (the action's index,
    the key at fault, the error) for the caller to report. Items are checked only where the
    case-item directory is offered (the cases engine is installed)."""
    problems: list[tuple[int, str, InvalidInput]] = []
    for index, action in enumerate(actions):
        if action.level > levels:
            raise InvalidInput(
                "alerting.action_level", index=index, level=action.level, levels=levels
            )
        department = action.department
        bad_department = InvalidInput(
            "alerting.action_department", index=index, department=department
        )
        if department.startswith(PROPERTY_PREFIX):
            if not department.removeprefix(PROPERTY_PREFIX).strip("."):
                raise bad_department
        elif department != OWNER:
            try:
                identity.find_department(session, department)
            except InvalidInput:
                problems.append((index, "department", bad_department))
        if not is_task_item(session, action.item):
            problems.append(
                (index, "item", InvalidInput("alerting.action_item", index=index, item=action.item))
            )
    if strict and problems:
        raise problems[0][2]
    return problems


def is_task_item(session: Session, code: str) -> bool:
    """Whether ``code`` is an active task item (True when no engine here keeps items)."""
    if not contracts.case_items_offered():
        return True
    item = contracts.find_case_item(session, code)
    return item is not None and item.kind == "task" and item.state == "active"


def actions_json(actions: Sequence[CaseAction]) -> list[dict[str, Any]]:
    return [action.model_dump(mode="json") for action in actions]


def actions_spec(stored: Sequence[Mapping[str, Any]] | None) -> tuple[OpenCase, ...]:
    """The open-case actions of a stored rule, lowest level first."""
    return tuple(
        sorted(
            (
                OpenCase(int(a["level"]), str(a["item"]), str(a.get("department") or OWNER))
                for a in stored or ()
                if a.get("type", "open_case") == "open_case"
            ),
            key=lambda a: a.level,
        )
    )


# --- asking for the case -------------------------------------------------------------------------


def source_ref(alert_id: int) -> str:
    return f"{SOURCE}:{alert_id}"


def on_level(session: Session, rule: RuleSpec, alert: Alert) -> None:
    """The alert has reached a new level: ask for the rule's case if this is the first level
    that calls for one (once per alert)."""
    if alert.case_requested_at is not None or not rule.actions:
        return
    action = next((a for a in rule.actions if a.level <= alert.level), None)
    if action is None:
        return
    contracts.publish(session, _request(session, alert, action))
    alert.case_requested_at = utcnow()


def on_resolved(
    session: Session, alert: Alert, *, resolution: str, actor: Actor | None, note: str | None
) -> None:
    """The alert has resolved: tell the case asked for it, if one was."""
    if alert.case_requested_at is None:
        return
    if resolution == "manual":
        text = f"预警已由 {actor.label() if actor else '工作人员'} 手动解除：{note or ''}"
    elif resolution == "rule_deleted":
        text = "预警规则已删除，预警随之解除。"
    else:
        when = _local(alert.resolved_at)
        text = f"预警已自动解除：监测值已恢复正常（{when}）。"
    contracts.publish(
        session,
        CaseNoteRequested(
            requester=REQUESTER,
            source_ref=source_ref(alert.id),
            text=text[:2000],
            details={"alert_id": alert.id, "resolution": resolution},
        ),
    )


def resolve_department(
    session: Session, alert: Alert, thing: Thing | None, spec: str
) -> tuple[int, str | None]:
    """The department an action's ``spec`` names for this alert, and a note when it could not
    be found and the owner was taken instead."""
    owner = thing.department_id if thing is not None and thing.department_id else None
    owner = owner or alert.department_id
    if spec == OWNER:
        return owner, None
    name = thing.name if thing is not None else f"#{alert.thing_id}"
    if spec.startswith(PROPERTY_PREFIX):
        path = spec.removeprefix(PROPERTY_PREFIX)
        value = _dig(thing.properties if thing is not None else None, path)
        if value is None or not str(value).strip():
            return owner, f"设备“{name}”未填写属性 {path}，已交设备所属部门办理。"
        ref = str(value).strip()
    else:
        ref = spec
    try:
        return identity.find_department(session, ref).id, None
    except InvalidInput:
        return owner, f"规则指定的部门“{ref}”（{spec}）不存在，已交设备所属部门办理。"


def _dig(properties: Mapping[str, Any] | None, path: str) -> Any:
    value: Any = properties
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _request(session: Session, alert: Alert, action: OpenCase) -> CaseRequested:
    thing = session.get(Thing, alert.thing_id)
    stream = session.get(Datastream, alert.datastream_id)
    department_id, note = resolve_department(session, alert, thing, action.department)
    if note is not None:
        log.warning(
            "an alert's case goes to the owner department",
            extra={"alert_id": alert.id, "department": action.department, "note": note},
        )
    name = thing.name if thing is not None else f"#{alert.thing_id}"
    division = thing.division_code if thing is not None else None
    division = division if division and division_name(division) else None
    longitude, latitude = _point(thing)
    measured_value = alert_value_text(
        alert.value,
        pack=alert.pack,
        rule_name=alert.rule_name,
        unit=stream.unit_of_measurement if stream is not None else None,
    )
    measured = stream.name.removeprefix(name).strip() if stream is not None else ""
    measured = f"（{measured}）" if measured else ""
    ref = source_ref(alert.id)
    return CaseRequested(
        requester=REQUESTER,
        source_ref=ref,
        idempotency_key=ref,
        item_code=action.item,
        department_id=department_id,
        department_note=note[:2000] if note else None,
        division_code=division,
        title=f"{name} {alert.label}"[:300],
        description=(
            f"{alert.rule_name}：{name}{measured}于 {_local(alert.phenomenon_time)} "
            f"测得{_spaced(measured_value)}，"
            f"达到“{alert.label}”（第 {alert.level} 级）。预警编号 {alert.id}。"
        )[:10000],
        latitude=latitude,
        longitude=longitude,
        address=f"{(division_name(division) or '') if division else ''}{name}"[:500],
        details={
            "alert_id": alert.id,
            "rule_id": alert.rule_id,
            "thing_id": alert.thing_id,
            "datastream_id": alert.datastream_id,
            "level": alert.level,
            "label": alert.label,
            "value": alert.value,
            "observation_id": alert.observation_id,
        },
    )


def _point(thing: Thing | None) -> tuple[float | None, float | None]:
    """The Thing's place as (longitude, latitude): its location's point, or the middle of its
    bounding box."""
    for location in thing.locations if thing is not None else ():
        geometry = location.location or {}
        coordinates = geometry.get("coordinates")
        if geometry.get("type") == "Point" and isinstance(coordinates, list | tuple):
            return _on_earth(float(coordinates[0]), float(coordinates[1]))
        box = (location.min_x, location.max_x, location.min_y, location.max_y)
        if box[0] is not None and box[1] is not None and box[2] is not None and box[3] is not None:
            return _on_earth((box[0] + box[1]) / 2, (box[2] + box[3]) / 2)
    return None, None


def _on_earth(longitude: float, latitude: float) -> tuple[float | None, float | None]:
    if -180 <= longitude <= 180 and -90 <= latitude <= 90:
        return longitude, latitude
    return None, None


def _spaced(text: str) -> str:
    """What was measured, after 测得: a number stands apart (``测得 9.1 m``), words follow
    (``测得排放浓度为许可限值的 1.11 倍``); nothing measured is a dash."""
    if not text:
        return " —"
    return f" {text}" if text[0].isdigit() or text[0] in "-+." else text


def _local(moment: Any) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment is not None else "—"


# --- the answers ---------------------------------------------------------------------------------


def _alert_of(session: Session, requester: str, ref: str) -> Alert | None:
    if requester != REQUESTER or not ref.startswith(SOURCE + ":"):
        return None
    alert_id = ref.removeprefix(SOURCE + ":")
    return session.get(Alert, int(alert_id)) if alert_id.isdigit() else None


def _on_case_opened(session: Session, opened: CaseOpened) -> None:
    """Keep the number of the case opened for an alert, and say so in its history."""
    alert = _alert_of(session, opened.requester, opened.source_ref)
    if alert is None or alert.case_number == opened.number:
        return
    alert.case_number = opened.number
    from yiwang.sensing.alerting import alerts  # noqa: PLC0415  (alerts imports this module)

    alerts.note_on_alert(session, alert, CASE_OPENED, f"已开办件 {opened.number}")


def _on_case_failed(session: Session, failed: CaseRequestFailed) -> None:
    """Say in the alert's history why no case could be opened for it."""
    alert = _alert_of(session, failed.requester, failed.source_ref)
    if alert is None or alert.case_number is not None:
        return
    from yiwang.sensing.alerting import alerts  # noqa: PLC0415  (alerts imports this module)

    alerts.note_on_alert(session, alert, CASE_FAILED, f"未能开办件：{failed.message}")


contracts.subscribe(CaseOpened, "sensing.alert_case_opened", _on_case_opened)
contracts.subscribe(CaseRequestFailed, "sensing.alert_case_failed", _on_case_failed)

__all__ = [
    "CASE_FAILED",
    "CASE_OPENED",
    "SOURCE",
    "actions_json",
    "actions_spec",
    "check_actions",
    "is_task_item",
    "on_level",
    "on_resolved",
    "resolve_department",
    "source_ref",
]
