"""Webhooks: where a department's alerts are posted. The secret is made here, shown once and
kept encrypted."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.core import audit
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.policy import Actor, can_manage_rules, require
from yiwang.sensing.alerting.delivery import encrypt_secret, new_secret
from yiwang.sensing.alerting.models import Webhook
from yiwang.sensing.alerting.schemas import WebhookCreate, WebhookUpdate


def _check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("alerting.bad_url", url=url)
    return url.strip()


def _audit(session: Session, actor: Actor, webhook: Webhook, action: str) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="alert_webhook",
        object_id=webhook.id,
        details={"url": webhook.url, "department_id": webhook.department_id},
    )


def create_webhook(
    session: Session, *, actor: Actor, data: WebhookCreate, secret_key: str
) -> tuple[Webhook, str]:
    """Add a webhook; return it and its new secret (which is not kept in clear)."""
    department_id = data.department_id if data.department_id is not None else actor.department_id
    if department_id is None:
        raise InvalidInput("alerting.department_required")
    require(
        can_manage_rules(actor, department_id=department_id),
        "sensing.webhook.create",
        object_type="alert_webhook",
    )
    secret = new_secret()
    webhook = Webhook(
        department_id=department_id,
        url=_check_url(data.url),
        description=data.description,
        min_level=data.min_level,
        enabled=data.enabled,
        secret_encrypted=encrypt_secret(secret_key, secret),
        created_by_id=actor.user_id,
    )
    session.add(webhook)
    session.flush()
    _audit(session, actor, webhook, "sensing.webhook.create")
    return webhook, secret


def get_webhook(session: Session, *, actor: Actor, webhook_id: int) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound("webhook", webhook_id)
    require(
        can_manage_rules(actor, department_id=webhook.department_id),
        "sensing.webhook.read",
        object_type="alert_webhook",
        object_id=webhook_id,
    )
    return webhook


def list_webhooks(session: Session, *, actor: Actor) -> list[Webhook]:
    query = select(Webhook).order_by(Webhook.id)
    if not actor.is_sysadmin:
        if actor.department_id is None or not can_manage_rules(
            actor, department_id=actor.department_id
        ):
            return []
        query = query.where(Webhook.department_id == actor.department_id)
    return list(session.scalars(query))


def update_webhook(
    session: Session, *, actor: Actor, webhook_id: int, data: WebhookUpdate
) -> Webhook:
    webhook = get_webhook(session, actor=actor, webhook_id=webhook_id)
    if data.url is not None:
        webhook.url = _check_url(data.url)
    if data.description is not None:
        webhook.description = data.description
    if data.min_level is not None:
        webhook.min_level = data.min_level
    if data.enabled is not None:
        webhook.enabled = data.enabled
    session.flush()
    _audit(session, actor, webhook, "sensing.webhook.update")
    return webhook


def rotate_secret(
    session: Session, *, actor: Actor, webhook_id: int, secret_key: str
) -> tuple[Webhook, str]:
    """Give the webhook a new secret; return it (shown this once)."""
    webhook = get_webhook(session, actor=actor, webhook_id=webhook_id)
    secret = new_secret()
    webhook.secret_encrypted = encrypt_secret(secret_key, secret)
    session.flush()
    _audit(session, actor, webhook, "sensing.webhook.rotate_secret")
    return webhook, secret


def delete_webhook(session: Session, *, actor: Actor, webhook_id: int) -> None:
    webhook = get_webhook(session, actor=actor, webhook_id=webhook_id)
    _audit(session, actor, webhook, "sensing.webhook.delete")
    session.delete(webhook)
    session.flush()


__all__ = [
    "create_webhook",
    "delete_webhook",
    "get_webhook",
    "list_webhooks",
    "rotate_secret",
    "update_webhook",
]
