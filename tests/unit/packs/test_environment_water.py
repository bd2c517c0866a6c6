"""Surface water classes of GB 3838-2002 (single-factor method) and discharge checks, against
cases worked out by hand from the standard's table (mg/L):

    parameter        I      II     III    IV    V
    DO (>=)          7.5    6      5      3     2
    CODMn (<=)       2      4      6      10    15
    COD (<=)         15     15     20     30    40
    BOD5 (<=)        3      3      4      6     10
    NH3-N (<=)       0.15   0.5    1.0    1.5   2.0
    TP river (<=)    0.02   0.1    0.2    0.3   0.4
    TP lake (<=)     0.01   0.025  0.05   0.1   0.2
    TN lake (<=)     0.2    0.5    1.0    1.5   2.0
    pH 6-9 for every class
"""

from __future__ import annotations

import math

import pytest

from yiwang.packs.environment.formulas import check_discharge, water_class, water_class_label


def test_dissolved_oxygen_decides() -> None:
    # DO 4.0: at least 3 (IV) but not 5 (III) → IV. CODMn 3.0 <= 4 → II; NH3-N 0.4 <= 0.5 → II;
    # TP 0.08 <= 0.1 (river) → II. The worst is IV, decided by DO.
    result = water_class({"do": 4.0, "codmn": 3.0, "nh3n": 0.4, "tp": 0.08})
    assert result is not None
    assert result.water_class == 4
    assert result.label == "IV"
    assert result.label_zh == "IV类"
    assert result.label_en == "Class IV"
    assert result.deciding == ("do",)
    assert dict(result.by_parameter) == {"do": 4, "codmn": 2, "nh3n": 2, "tp": 2}


def test_ammonia_nitrogen_decides() -> None:
    # DO 8 → I; CODMn 1.5 → I; NH3-N 1.2: above 1.0 (III), at most 1.5 → IV; TP 0.015 → I.
    result = water_class({"do": 8.0, "codmn": 1.5, "nh3n": 1.2, "tp": 0.015})
    assert result is not None
    assert result.water_class == 4
    assert result.deciding == ("nh3n",)


@pytest.mark.parametrize(
    ("do", "expected"),
    [(7.5, 1), (7.49, 2), (6.0, 2), (5.0, 3), (4.99, 4), (3.0, 4), (2.0, 5), (1.99, 6)],
)
def test_dissolved_oxygen_is_a_minimum(do: float, expected: int) -> None:
    result = water_class({"do": do})
    assert result is not None
    assert result.water_class == expected


@pytest.mark.parametrize(
    ("parameter", "value", "expected"),
    [
        ("nh3n", 0.15, 1),  # on the class I limit: still I
        ("nh3n", 0.16, 2),
        ("nh3n", 1.0, 3),
        ("nh3n", 2.0, 5),
        ("nh3n", 2.01, 6),
        ("cod", 15, 1),  # I and II share 15: the better class
        ("cod", 15.1, 3),
        ("bod5", 3, 1),
        ("bod5", 4, 3),
        ("codmn", 10, 4),
        ("codmn", 15, 5),
    ],
)
def test_other_parameters_are_maxima(parameter: str, value: float, expected: int) -> None:
    result = water_class({parameter: value})
    assert result is not None
    assert result.by_parameter[parameter] == expected


def test_worse_than_class_v() -> None:
    # CODMn 16 > 15 → 劣V, although DO 8 is class I.
    result = water_class({"do": 8.0, "codmn": 16.0})
    assert result is not None
    assert result.water_class == 6
    assert result.label == "劣V"
    assert result.label_zh == "劣V类"
    assert result.label_en == "Worse than class V"
    assert result.deciding == ("codmn",)


@pytest.mark.parametrize(("ph", "expected"), [(6.0, 1), (9.0, 1), (5.9, 6), (9.2, 6)])
def test_ph_outside_6_to_9_is_worse_than_class_v(ph: float, expected: int) -> None:
    result = water_class({"ph": ph, "do": 8.0})
    assert result is not None
    assert result.water_class == expected
    if expected == 6:
        assert result.deciding == ("ph",)


def test_total_nitrogen_counts_for_lakes_and_is_ignored_for_rivers() -> None:
    sample = {"do": 8.0, "nh3n": 0.1, "tp": 0.01, "tn": 1.2}
    # River: DO, NH3-N and TP 0.01 (<= 0.02) are all class I; TN does not count.
    river = water_class(sample, waterbody="river")
    assert river is not None
    assert river.water_class == 1
    assert river.ignored == ("tn",)
    assert "tn" not in river.by_parameter
    # Lake: TP 0.01 <= 0.01 → I; TN 1.2 above 1.0, at most 1.5 → IV, which decides.
    lake = water_class(sample, waterbody="lake")
    assert lake is not None
    assert lake.water_class == 4
    assert lake.deciding == ("tn",)
    assert lake.ignored == ()


def test_total_phosphorus_column_depends_on_the_waterbody() -> None:
    # TP 0.08: river <= 0.1 → II; lake above 0.05, at most 0.1 → IV.
    river = water_class({"tp": 0.08}, waterbody="river")
    lake = water_class({"tp": 0.08}, waterbody="lake")
    assert river is not None
    assert lake is not None
    assert (river.water_class, lake.water_class) == (2, 4)


def test_every_parameter_sharing_the_worst_class_decides() -> None:
    # DO 5.5 → III (at least 5, below 6); NH3-N 0.8 → III; CODMn 3 → II.
    result = water_class({"do": 5.5, "nh3n": 0.8, "codmn": 3.0})
    assert result is not None
    assert result.water_class == 3
    assert result.deciding == ("do", "nh3n")


def test_missing_values_are_skipped_and_nothing_gives_none() -> None:
    result = water_class({"do": 8.0, "nh3n": None})
    assert result is not None
    assert dict(result.by_parameter) == {"do": 1}
    assert water_class({}) is None
    assert water_class({"tn": 0.3}, waterbody="river") is None  # only an ignored parameter


@pytest.mark.parametrize(
    ("measurements", "waterbody", "message"),
    [
        ({"cu": 0.01}, "river", "unknown"),
        ({"do": -1.0}, "river", "do"),
        ({"tp": math.nan}, "lake", "tp"),
        ({"do": 8.0}, "sea", "waterbody"),
    ],
)
def test_water_class_refuses_bad_input(
    measurements: dict[str, float], waterbody: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        water_class(measurements, waterbody=waterbody)  # type: ignore[arg-type]


def test_class_labels() -> None:
    assert [water_class_label(n) for n in range(1, 7)] == ["I", "II", "III", "IV", "V", "劣V"]
    with pytest.raises(ValueError, match=r"1\.\.6"):
        water_class_label(0)


def test_discharge_above_a_limit_is_an_exceedance() -> None:
    # COD 60 against 50: ratio 60 / 50 = 1.2, exceeded (超标倍数 0.2).
    # NH3-N 5 against 8: ratio 0.625, within.
    check = check_discharge({"cod": 60, "nh3n": 5, "ph": 7}, {"cod": 50, "nh3n": 8, "tp": 0.5})
    assert check.exceeded
    assert [(item.parameter, item.ratio) for item in check.items] == [
        ("cod", 1.2),
        ("nh3n", 0.625),
    ]
    assert [item.parameter for item in check.exceedances] == ["cod"]
    assert check.exceedances[0].excess_multiple == pytest.approx(0.2)
    assert check.unchecked == ("ph",)  # measured, no limit
    assert check.unmeasured == ("tp",)  # limit, no measurement


def test_discharge_at_the_limit_is_compliant() -> None:
    check = check_discharge({"cod": 50, "nh3n": 7.9}, {"cod": 50, "nh3n": 8})
    assert not check.exceeded
    assert check.exceedances == ()
    assert check.items[0].ratio == 1.0
    assert check.items[0].excess_multiple == 0.0


@pytest.mark.parametrize(
    ("measured", "limits", "message"),
    [
        ({"cod": 10}, {"cod": 0}, "limit"),
        ({"cod": 10}, {"cod": -5}, "limit"),
        ({"cod": -1}, {"cod": 50}, "measurement"),
        ({"cod": math.inf}, {"cod": 50}, "measurement"),
    ],
)
def test_discharge_refuses_bad_values(
    measured: dict[str, float], limits: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_discharge(measured, limits)
