"""The staff console (``/console``): department datasets and uploads, sharing requests, the case
queue with its cards, sensors, rules and alerts, the holiday calendar, the domain packs
installed, and for administrators users, tokens and the audit log. Every page needs a signed-in
member of staff; what each one may see and do comes from the one policy (``yiwang.core.policy``)
through the engines' services, the same calls as the JSON API."""

from __future__ import annotations

from fastapi import APIRouter

from yiwang.core.web.templating import environment
from yiwang.portal.console import admin, calendar, data, home, packs, queue, sensors

environment().globals["console_sections"] = home.sections
router = APIRouter(include_in_schema=False)  # each module routes its own /console/... paths
for _module in (home, data, queue, sensors, admin, calendar, packs):
    router.include_router(_module.router)

__all__ = ["router"]
