"""Background work of the alerting engine: delivering alert changes to webhooks and the MQTT
broker (from the durable event bus, through jobs that retry with backoff) and the periodic
check for silent streams.

The core job runner has no clock, so the stale check schedules itself: each run queues the next
one a minute later, unless one is already queued. Creating a stale rule and starting the
application queue one if none is waiting, so the chain starts (and restarts after an outage)
without a cron; with several nodes only the one queued job is ever claimed, so runs do not pile
up."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.core import events
from yiwang.core.db import Database, utcnow
from yiwang.core.jobs import QUEUED, Job, JobContext, enqueue, handler
from yiwang.core.policy import SYSTEM
from yiwang.sensing.alerting import alerts, delivery, service, watch
from yiwang.sensing.alerting.models import Webhook

log = logging.getLogger(__name__)

WEBHOOK_JOB = "sensing.alert_webhook"
MQTT_JOB = "sensing.alert_mqtt"
STALE_JOB = "sensing.check_stale"
STALE_INTERVAL = dt.timedelta(minutes=1)
WEBHOOK_ATTEMPTS = 8
MQTT_ATTEMPTS = 10


class DeliveryFailed(RuntimeError):
    """A webhook or the broker did not take an alert; the job is tried again later."""


def _on_alert_change(session: Session, event: events.Event) -> None:
    """Durable handler: queue one delivery job per webhook of the alert's department and one
    MQTT message. Jobs retry on their own, so a receiver that is down delays nobody else."""
    payload = event.payload
    job = {"event_id": event.id, "name": event.name, "data": payload}
    for webhook_id in session.scalars(
        select(Webhook.id).where(
            Webhook.department_id == payload["department_id"],
            Webhook.enabled.is_(True),
            Webhook.min_level <= payload["max_level"],
        )
    ):
        enqueue(
            session,
            kind=WEBHOOK_JOB,
            payload={**job, "webhook_id": webhook_id},
            actor=SYSTEM,
            max_attempts=WEBHOOK_ATTEMPTS,
        )
    enqueue(session, kind=MQTT_JOB, payload=job, actor=SYSTEM, max_attempts=MQTT_ATTEMPTS)


events.subscribe(alerts.EVENT_PREFIX + "*", "sensing.alert_delivery", _on_alert_change)


@handler(WEBHOOK_JOB)
def deliver_webhook(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:
    """POST one alert change to one webhook and record the outcome on the webhook."""
    with ctx.db.session() as session:
        webhook = session.get(Webhook, payload["webhook_id"])
        if webhook is None or not webhook.enabled:
            return {"skipped": True}
        url, stored = webhook.url, webhook.secret_encrypted
    secret = delivery.decrypt_secret(delivery.current_settings().secret(), stored)
    body = delivery.webhook_body(payload["event_id"], payload["name"], payload["data"])
    status, error = delivery.post_webhook(
        url, secret=secret, event_id=payload["event_id"], name=payload["name"], body=body
    )
    now = utcnow()
    with ctx.db.session() as session:
        webhook = session.get(Webhook, payload["webhook_id"])
        if webhook is not None:
            webhook.last_attempt_at, webhook.last_status, webhook.last_error = now, status, error
            if error is None:
                webhook.last_success_at = now
    if error is not None:
        raise DeliveryFailed(f"webhook {payload['webhook_id']}: {error}")
    return {"status": status}


@handler(MQTT_JOB)
def publish_alert(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: ARG001
    """Publish one alert change to ``yiwang/alerts/<department>/<datastream>`` with QoS 1."""
    data = payload["data"]
    topic = delivery.alert_topic(data["department_id"], data["datastream_id"])
    body = json.dumps(
        {"id": payload["event_id"], "event": payload["name"], "data": data}, ensure_ascii=False
    ).encode()
    delivery.publish_mqtt(delivery.current_settings().mqtt_url, topic, body)
    return {"topic": topic}


def ensure_stale_checks(session: Session, *, delay: dt.timedelta = dt.timedelta(0)) -> None:
    """Queue a stale check after ``delay`` unless one is already queued."""
    waiting = session.scalar(
        select(Job.id).where(Job.kind == STALE_JOB, Job.status == QUEUED).limit(1)
    )
    if waiting is None:
        enqueue(session, kind=STALE_JOB, actor=SYSTEM, run_after=utcnow() + delay)


@handler(STALE_JOB)
def check_stale(ctx: JobContext, payload: dict[str, Any]) -> dict[str, Any]:  # noqa: ARG001
    """Check every stale rule, then queue the next check (while any stale rule is enabled)."""
    changed = 0
    try:
        with ctx.db.session() as session:
            changed = watch.check_stale(session)
    except Exception:
        log.exception("the stale-sensor check failed")
    with ctx.db.session() as session:
        if service.rule_index(session).stale:
            ensure_stale_checks(session, delay=STALE_INTERVAL)
    return {"changed": changed}


def start_stale_checks(db: Database) -> None:
    """At start-up: queue a stale check if stale rules exist and none is waiting (this restarts
    the chain if it was ever broken)."""
    try:
        with db.session() as session:
            if service.rule_index(session).stale:
                ensure_stale_checks(session)
    except Exception:
        log.exception("could not schedule the stale-sensor check")


__all__ = [
    "MQTT_JOB",
    "STALE_JOB",
    "WEBHOOK_JOB",
    "check_stale",
    "deliver_webhook",
    "ensure_stale_checks",
    "publish_alert",
    "start_stale_checks",
]
