"""Complaints and suggestions (投诉建议): the categories (the Open311 services) and the
form with a map pin or an address."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
