"""Routes for rules, alerts, their live stream and webhooks, under ``/api/v1/sensing``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from yiwang.core.web.deps import CurrentActor, SessionDep, SettingsDep, SignedInActor
from yiwang.core.web.pagination import Limit, Offset, Page, next_link
from yiwang.sensing.alerting import alerts, delivery, service, webhooks
from yiwang.sensing.alerting.models import Alert, AlertRule, Webhook
from yiwang.sensing.alerting.schemas import (
    AlertAction,
    AlertChangePublic,
    AlertDetail,
    AlertPublic,
    RuleCreate,
    RulePublic,
    RuleUpdate,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhookUpdate,
)

router = APIRouter(prefix="/api/v1/sensing", tags=["sensing: rules and alerts"])

StateFilter = Literal["open", "raised", "acknowledged", "resolved"]


def rule_public(rule: AlertRule) -> RulePublic:
    return RulePublic.model_validate(rule, from_attributes=True)


def alert_public(alert: Alert) -> AlertPublic:
    return AlertPublic.model_validate(alert, from_attributes=True)


def webhook_public(webhook: Webhook) -> WebhookPublic:
    return WebhookPublic.model_validate(webhook, from_attributes=True)


# --- rules ---------------------------------------------------------------------------------------


@router.get("/rules", summary="Alert rules of the caller's department (all for a sysadmin)")
def list_rules(
    session: SessionDep,
    actor: SignedInActor,
    department_id: int | None = None,
    datastream_id: int | None = None,
) -> list[RulePublic]:
    rules = service.list_rules(
        session, actor=actor, department_id=department_id, datastream_id=datastream_id
    )
    return [rule_public(r) for r in rules]


@router.post("/rules", status_code=status.HTTP_201_CREATED, summary="Create an alert rule")
def create_rule(body: RuleCreate, session: SessionDep, actor: SignedInActor) -> RulePublic:
    return rule_public(service.create_rule(session, actor=actor, data=body))


@router.get("/rules/{rule_id}", summary="One alert rule")
def get_rule(rule_id: int, session: SessionDep, actor: SignedInActor) -> RulePublic:
    return rule_public(service.get_rule(session, actor=actor, rule_id=rule_id))


@router.patch("/rules/{rule_id}", summary="Change an alert rule (not its target)")
def update_rule(
    rule_id: int, body: RuleUpdate, session: SessionDep, actor: SignedInActor
) -> RulePublic:
    return rule_public(service.update_rule(session, actor=actor, rule_id=rule_id, data=body))


@router.delete(
    "/rules/{rule_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an alert rule (its open alerts are resolved)",
)
def delete_rule(rule_id: int, session: SessionDep, actor: SignedInActor) -> Response:
    service.delete_rule(session, actor=actor, rule_id=rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- alerts --------------------------------------------------------------------------------------


@router.get(
    "/alerts/stream",
    summary="Live alert changes as server-sent events (resumable with Last-Event-ID)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def alert_stream(
    request: Request,
    actor: CurrentActor,
    department_id: int | None = None,
    pack: Annotated[str | None, Query(max_length=64)] = None,
    min_level: Annotated[int | None, Query(ge=1, le=10)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    after = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
    stream_filter = delivery.StreamFilter(
        actor=actor, department_id=department_id, pack=pack, min_level=min_level
    )
    return StreamingResponse(
        delivery.stream(delivery.hub_for(request.app), stream_filter, last_event_id=after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/alerts", summary="Alerts, newest first (open ones are public for open data)")
def list_alerts(
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    state: StateFilter | None = None,
    level: Annotated[int | None, Query(ge=1, le=10)] = None,
    min_level: Annotated[int | None, Query(ge=1, le=10)] = None,
    department_id: int | None = None,
    pack: Annotated[str | None, Query(max_length=64)] = None,
    datastream_id: int | None = None,
    since: dt.datetime | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AlertPublic]:
    filters = alerts.AlertFilters(
        state=state,
        level=level,
        min_level=min_level,
        department_id=department_id,
        pack=pack,
        datastream_id=datastream_id,
        since=since if since is None or since.tzinfo else since.replace(tzinfo=dt.UTC),
    )
    items, total = alerts.list_alerts(
        session, actor=actor, filters=filters, limit=limit, offset=offset
    )
    return Page(
        items=[alert_public(a) for a in items],
        total=total,
        limit=limit,
        offset=offset,
        next=next_link(request, total=total, limit=limit, offset=offset),
    )


def _detail(session: SessionDep, alert: Alert) -> AlertDetail:
    history = alerts.alert_history(session, alert_id=alert.id)
    return AlertDetail(
        **alert_public(alert).model_dump(),
        history=[AlertChangePublic.model_validate(c, from_attributes=True) for c in history],
    )


@router.get("/alerts/{alert_id}", summary="One alert with the history of its changes")
def get_alert(alert_id: int, session: SessionDep, actor: CurrentActor) -> AlertDetail:
    return _detail(session, alerts.get_alert(session, actor=actor, alert_id=alert_id))


@router.post("/alerts/{alert_id}/acknowledge", summary="Acknowledge an alert")
def acknowledge_alert(
    alert_id: int, session: SessionDep, actor: SignedInActor, body: AlertAction | None = None
) -> AlertDetail:
    note = body.note if body else None
    alert = alerts.acknowledge_alert(session, actor=actor, alert_id=alert_id, note=note)
    return _detail(session, alert)


@router.post("/alerts/{alert_id}/resolve", summary="Resolve an alert by hand (a note is required)")
def resolve_alert(
    alert_id: int, body: AlertAction, session: SessionDep, actor: SignedInActor
) -> AlertDetail:
    alert = alerts.resolve_alert(session, actor=actor, alert_id=alert_id, note=body.note)
    return _detail(session, alert)


# --- webhooks ------------------------------------------------------------------------------------


@router.get("/webhooks", summary="Webhooks of the caller's department (all for a sysadmin)")
def list_webhooks(session: SessionDep, actor: SignedInActor) -> list[WebhookPublic]:
    return [webhook_public(w) for w in webhooks.list_webhooks(session, actor=actor)]


@router.post(
    "/webhooks",
    status_code=status.HTTP_201_CREATED,
    summary="Add a webhook; its signing secret is in this answer only",
)
def create_webhook(
    body: WebhookCreate, session: SessionDep, actor: SignedInActor, settings: SettingsDep
) -> WebhookCreated:
    webhook, secret = webhooks.create_webhook(
        session, actor=actor, data=body, secret_key=settings.secret()
    )
    return WebhookCreated(**webhook_public(webhook).model_dump(), secret=secret)


@router.get("/webhooks/{webhook_id}", summary="One webhook and its last delivery")
def get_webhook(webhook_id: int, session: SessionDep, actor: SignedInActor) -> WebhookPublic:
    return webhook_public(webhooks.get_webhook(session, actor=actor, webhook_id=webhook_id))


@router.patch("/webhooks/{webhook_id}", summary="Change a webhook")
def update_webhook(
    webhook_id: int, body: WebhookUpdate, session: SessionDep, actor: SignedInActor
) -> WebhookPublic:
    webhook = webhooks.update_webhook(session, actor=actor, webhook_id=webhook_id, data=body)
    return webhook_public(webhook)


@router.post(
    "/webhooks/{webhook_id}/secret",
    summary="Replace a webhook's signing secret; the new one is in this answer only",
)
def rotate_webhook_secret(
    webhook_id: int, session: SessionDep, actor: SignedInActor, settings: SettingsDep
) -> WebhookCreated:
    webhook, secret = webhooks.rotate_secret(
        session, actor=actor, webhook_id=webhook_id, secret_key=settings.secret()
    )
    return WebhookCreated(**webhook_public(webhook).model_dump(), secret=secret)


@router.delete(
    "/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a webhook"
)
def delete_webhook(webhook_id: int, session: SessionDep, actor: SignedInActor) -> Response:
    webhooks.delete_webhook(session, actor=actor, webhook_id=webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
