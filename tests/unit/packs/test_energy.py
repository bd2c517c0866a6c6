"""Energy consumption against its quota."""

from __future__ import annotations

import math

import pytest

from yiwang.packs.energy.formulas import QuotaState, quota_usage


@pytest.mark.parametrize(
    ("consumed", "ratio", "state", "label_zh"),
    [
        (0, 0.0, QuotaState.NORMAL, "正常"),
        (850, 0.85, QuotaState.NORMAL, "正常"),
        (899.9, 0.8999, QuotaState.NORMAL, "正常"),
        (900, 0.9, QuotaState.NEAR_QUOTA, "接近定额"),  # the threshold itself is near
        (1000, 1.0, QuotaState.NEAR_QUOTA, "接近定额"),  # using the whole quota is not over it
        (1000.5, 1.0005, QuotaState.OVER_QUOTA, "超定额"),
        (1250, 1.25, QuotaState.OVER_QUOTA, "超定额"),
    ],
)
def test_quota_usage_of_a_1000_kwh_quota(
    consumed: float, ratio: float, state: QuotaState, label_zh: str
) -> None:
    usage = quota_usage(consumed=consumed, quota=1000)
    assert usage.ratio == pytest.approx(ratio)
    assert usage.state is state
    assert usage.label_zh == label_zh


def test_near_threshold_is_configurable() -> None:
    # 850 of 1000 = 0.85: normal at the default 0.9, near at 0.8.
    assert quota_usage(consumed=850, quota=1000, near_threshold=0.8).state is QuotaState.NEAR_QUOTA
    assert quota_usage(consumed=850, quota=1000, near_threshold=1.0).state is QuotaState.NORMAL
    assert quota_usage(consumed=1000, quota=1000, near_threshold=1.0).label_en == "Near quota"


@pytest.mark.parametrize(
    ("consumed", "quota", "threshold", "message"),
    [
        (-1, 1000, 0.9, "consumed"),
        (math.nan, 1000, 0.9, "consumed"),
        (10, 0, 0.9, "quota"),
        (10, -5, 0.9, "quota"),
        (10, 1000, 0, "near_threshold"),
        (10, 1000, 1.1, "near_threshold"),
        (10, 1000, math.nan, "near_threshold"),
    ],
)
def test_quota_usage_refuses_bad_values(
    consumed: float, quota: float, threshold: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        quota_usage(consumed=consumed, quota=quota, near_threshold=threshold)
