"""Pure formulas of the energy pack: energy consumed against its quota (用能定额). No I/O;
invalid arguments raise :class:`ValueError`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["DEFAULT_NEAR_THRESHOLD", "QuotaState", "QuotaUsage", "quota_usage"]

DEFAULT_NEAR_THRESHOLD = 0.9


class QuotaState(StrEnum):
    NORMAL = "normal"  # 正常
    NEAR_QUOTA = "near_quota"  # 接近定额
    OVER_QUOTA = "over_quota"  # 超定额


_LABELS = {
    QuotaState.NORMAL: ("正常", "Normal"),
    QuotaState.NEAR_QUOTA: ("接近定额", "Near quota"),
    QuotaState.OVER_QUOTA: ("超定额", "Over quota"),
}


@dataclass(frozen=True)
class QuotaUsage:
    """Consumption against a quota: ``ratio`` is consumed ÷ quota (1.05 is 5 % over)."""

    ratio: float
    state: QuotaState

    @property
    def label_zh(self) -> str:
        return _LABELS[self.state][0]

    @property
    def label_en(self) -> str:
        return _LABELS[self.state][1]


def quota_usage(
    *, consumed: float, quota: float, near_threshold: float = DEFAULT_NEAR_THRESHOLD
) -> QuotaUsage:
    """Return how much of its quota a consumer has used, in whatever unit the two share (kWh,
    tce, m³ ...): over quota when the ratio is strictly above 1, near quota when it is at least
    ``near_threshold`` (so using exactly the quota is near, not over), normal otherwise.

    Raise ValueError unless the consumption is a finite number >= 0, the quota a finite number
    above 0, and the threshold above 0 and at most 1.
    """
    if not math.isfinite(consumed) or consumed < 0:
        raise ValueError(f"consumed is a finite number >= 0, not {consumed!r}")
    if not math.isfinite(quota) or quota <= 0:
        raise ValueError(f"quota is a finite number above 0, not {quota!r}")
    if not 0 < near_threshold <= 1:  # False for NaN too
        raise ValueError(f"near_threshold is above 0 and at most 1, not {near_threshold!r}")
    ratio = consumed / quota
    if ratio > 1:
        state = QuotaState.OVER_QUOTA
    elif ratio >= near_threshold:
        state = QuotaState.NEAR_QUOTA
    else:
        state = QuotaState.NORMAL
    return QuotaUsage(ratio=ratio, state=state)
