"""The outbox of domain events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yiwang.core.db import Base, CreatedAt, IntPK, JSONType, UTCDateTime


class OutboxEvent(Base):
    """A domain event written in the same transaction as the change it describes, and
    delivered afterwards (at least once) to subscribers and outside systems."""

    __tablename__ = "event_outbox"
    __table_args__ = (Index("ix_event_outbox_pending", "delivered_at", "id"),)

    id: Mapped[IntPK]
    name: Mapped[str] = mapped_column(String(100), index=True, comment="e.g. case.overdue")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[CreatedAt]
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
