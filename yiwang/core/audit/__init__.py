"""The append-only audit log, chained by SM3 hashes."""

from yiwang.core.audit.models import AuditEntry, AuditHead
from yiwang.core.audit.service import (
    AuditFilters,
    VerifyResult,
    list_entries,
    record,
    record_read,
    verify,
)

__all__ = [
    "AuditEntry",
    "AuditFilters",
    "AuditHead",
    "VerifyResult",
    "list_entries",
    "record",
    "record_read",
    "verify",
]
