"""Domain events with a transactional outbox."""

from yiwang.core.events.models import OutboxEvent
from yiwang.core.events.service import (
    Event,
    deliver_pending,
    has_durable_handlers,
    publish,
    subscribe,
    subscribe_live,
    unsubscribe,
)

__all__ = [
    "Event",
    "OutboxEvent",
    "deliver_pending",
    "has_durable_handlers",
    "publish",
    "subscribe",
    "subscribe_live",
    "unsubscribe",
]
