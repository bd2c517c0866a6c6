"""The SensorThings API routes."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/sta/v1.1", tags=["SensorThings API 1.1"])
