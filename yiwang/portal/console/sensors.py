"""Console pages: sensors."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
