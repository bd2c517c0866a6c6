"""Every core model, imported so that ``Base.metadata`` knows all core tables."""

from yiwang.core.audit.models import AuditEntry, AuditHead
from yiwang.core.cache import CacheVersion
from yiwang.core.calendar.models import CalendarDay, CalendarYear
from yiwang.core.events.models import OutboxEvent
from yiwang.core.identity.models import ApiToken, Department, User, WebSession
from yiwang.core.jobs.models import Job
from yiwang.core.packs.models import InstalledPack

__all__ = [
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "CacheVersion",
    "CalendarDay",
    "CalendarYear",
    "Department",
    "InstalledPack",
    "Job",
    "OutboxEvent",
    "User",
    "WebSession",
]
