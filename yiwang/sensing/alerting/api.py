"""Routes for rules, alerts, their live stream and webhooks."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/sensing", tags=["sensing: rules and alerts"])
