"""The append-only audit log, chained by SM3 hashes."""

from yiwang.core.audit.labels import (
    ACTION_LABELS,
    action_label,
    add_action_labels,
    labelled_actions,
)
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
    "ACTION_LABELS",
    "AuditEntry",
    "AuditFilters",
    "AuditHead",
    "VerifyResult",
    "action_label",
    "add_action_labels",
    "labelled_actions",
    "list_entries",
    "record",
    "record_read",
    "verify",
]
