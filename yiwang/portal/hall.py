"""The service hall (办事服务): items by department, theme and life event, an item's page,
applying online, tracking a case by its number and query code, and rating it."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
