"""The air quality index of HJ 633-2012, checked against cases computed by hand.

IAQI = (IAQI_Hi − IAQI_Lo) / (BP_Hi − BP_Lo) × (C − BP_Lo) + IAQI_Lo, rounded up."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pytest

from yiwang.packs.environment.formulas import (
    AQI_CATEGORIES,
    AqiResult,
    aqi_category,
    daily_aqi,
    hourly_aqi,
    iaqi,
)

# Table 1 of HJ 633-2012, typed in again here (not imported) so that a wrong breakpoint in the
# module shows up: the concentration of each indicator at IAQI 0, 50, 100, 150, 200, 300, 400,
# 500 (µg/m³, CO mg/m³).
STANDARD_TABLE = {
    "so2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "so2_1h": (0, 150, 500, 650, 800),
    "no2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "no2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "pm10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
    "co_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "co_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "o3_8h": (0, 100, 160, 215, 265, 800),
    "pm25_24h": (0, 35, 75, 115, 150, 250, 350, 500),
}
LEVELS = (0, 50, 100, 150, 200, 300, 400, 500)


@pytest.mark.parametrize(
    ("pollutant", "concentration", "expected"),
    [
        # (150 − 100) / (115 − 75) × (80 − 75) + 100 = 106.25 → 107
        ("pm25_24h", 80, 107),
        # (100 − 50) / (4 − 2) × (2.5 − 2) + 50 = 62.5 → 63
        ("co_24h", 2.5, 63),
        # just above a breakpoint: (100 − 50) / (75 − 35) × (35.1 − 35) + 50 = 50.125 → 51
        ("pm25_24h", 35.1, 51),
        # (50 − 0) / (160 − 0) × 88 = 27.5 → 28
        ("o3_1h", 88, 28),
        # (100 − 50) / (500 − 150) × (300 − 150) + 50 = 71.43 → 72
        ("so2_1h", 300, 72),
        # (300 − 200) / (2340 − 1200) × (1500 − 1200) + 200 = 226.3 → 227
        ("no2_1h", 1500, 227),
        # (200 − 150) / (265 − 215) × (240 − 215) + 150 = 175 exactly
        ("o3_8h", 240, 175),
        # (400 − 300) / (48 − 36) × (40 − 36) + 300 = 333.3 → 334
        ("co_24h", 40, 334),
    ],
)
def test_iaqi_interpolates_and_rounds_up(
    pollutant: str, concentration: float, expected: int
) -> None:
    assert iaqi(pollutant, concentration) == expected


@pytest.mark.parametrize(
    ("pollutant", "concentration", "expected"),
    [
        # 25 × 0.2 + 50 = 55 exactly; in floating point 55.00000000000001, which must not
        # round up to 56.
        ("co_24h", 2.2, 55),
        # (300 − 200) / (420 − 350) × (352.1 − 350) + 200 = 203 exactly (203.00000000000003)
        ("pm10_24h", 352.1, 203),
    ],
)
def test_iaqi_is_not_pushed_up_by_float_error(
    pollutant: str, concentration: float, expected: int
) -> None:
    assert iaqi(pollutant, concentration) == expected


@pytest.mark.parametrize(
    ("pollutant", "concentration", "level"),
    [
        (pollutant, concentration, LEVELS[i])
        for pollutant, points in STANDARD_TABLE.items()
        for i, concentration in enumerate(points)
    ],
)
def test_iaqi_at_every_breakpoint_of_the_standard(
    pollutant: str, concentration: float, level: int
) -> None:
    assert iaqi(pollutant, concentration) == level


@pytest.mark.parametrize(
    ("pollutant", "concentration", "expected"),
    [
        # The midpoint of each segment lies halfway between its IAQI values, rounded up.
        (pollutant, (points[i] + points[i + 1]) / 2, math.ceil((LEVELS[i] + LEVELS[i + 1]) / 2))
        for pollutant, points in STANDARD_TABLE.items()
        for i in range(len(points) - 1)
    ],
)
def test_iaqi_at_the_middle_of_every_segment(
    pollutant: str, concentration: float, expected: int
) -> None:
    assert iaqi(pollutant, concentration) == expected


@pytest.mark.parametrize(
    ("pollutant", "concentration"),
    [("pm25_24h", 500.1), ("pm25_24h", 900), ("co_24h", 61), ("no2_1h", 5000), ("o3_1h", 1500)],
)
def test_iaqi_above_the_top_breakpoint_is_capped_at_500(
    pollutant: str, concentration: float
) -> None:
    assert iaqi(pollutant, concentration) == 500


def test_so2_1h_above_800_takes_the_iaqi_of_the_24h_value() -> None:
    # 24-hour SO2 300: (150 − 100) / (475 − 150) × (300 − 150) + 100 = 123.08 → 124
    assert iaqi("so2_1h", 900, so2_24h=300) == 124
    assert iaqi("so2_1h", 900) is None  # not computable without the 24-hour value
    assert iaqi("so2_1h", 800) == 200  # 800 itself is on the table


def test_o3_8h_above_800_takes_the_iaqi_of_the_1h_value() -> None:
    # 1-hour O3 900: (400 − 300) / (1000 − 800) × (900 − 800) + 300 = 350
    assert iaqi("o3_8h", 850, o3_1h=900) == 350
    assert iaqi("o3_8h", 850) is None
    assert iaqi("o3_8h", 800) == 300


@pytest.mark.parametrize(
    ("pollutant", "concentration"),
    [("pm25", 10), ("so2_8h", 10), ("pm25_24h", -1), ("pm25_24h", math.nan), ("co_1h", math.inf)],
)
def test_iaqi_refuses_unknown_pollutants_and_bad_concentrations(
    pollutant: str, concentration: float
) -> None:
    with pytest.raises(ValueError, match=r"pollutant|concentration"):
        iaqi(pollutant, concentration)


def test_hourly_aqi_of_an_ordinary_hour() -> None:
    result = hourly_aqi({"so2": 12, "no2": 45, "co": 0.9, "o3": 88, "pm10": 95, "pm25": 62})
    assert result is not None
    assert dict(result.iaqi) == {
        "so2_1h": 4,  # 50 / 150 × 12 = 4
        "no2_1h": 23,  # 50 / 100 × 45 = 22.5 → 23
        "pm10_24h": 73,  # (100 − 50) / (150 − 50) × (95 − 50) + 50 = 72.5 → 73
        "co_1h": 9,  # 50 / 5 × 0.9 = 9
        "o3_1h": 28,  # 50 / 160 × 88 = 27.5 → 28
        "pm25_24h": 84,  # (100 − 50) / (75 − 35) × (62 − 35) + 50 = 83.75 → 84
    }
    assert result.aqi == 84
    assert result.category.level == 2
    assert result.category.label_zh == "良"
    assert result.category.label_en == "Good"
    assert result.primary_pollutants == ("pm25_24h",)
    assert result.exceeding_pollutants == ()


def test_hourly_and_daily_use_different_tables_for_gases() -> None:
    # Hourly CO 10 mg/m³ is on the 1-hour table: IAQI 100.
    hourly = hourly_aqi({"co": 10})
    # Daily CO 10 mg/m³ is on the 24-hour table: (150 − 100) / (14 − 4) × (10 − 4) + 100 = 130.
    daily = daily_aqi({"co": 10})
    assert hourly is not None
    assert daily is not None
    assert (hourly.aqi, daily.aqi) == (100, 130)
    assert dict(hourly.iaqi) == {"co_1h": 100}
    assert dict(daily.iaqi) == {"co_24h": 130}


def test_hourly_particles_use_the_24h_table() -> None:
    # 24-hour moving average of PM2.5 80: 106.25 → 107 (light pollution).
    result = hourly_aqi({"pm25": 80})
    assert result is not None
    assert result.aqi == 107
    assert result.category.label_zh == "轻度污染"


def test_aqi_50_has_no_primary_pollutant() -> None:
    # PM2.5 35 and O3 160 are both exactly IAQI 50; the AQI is 50 and 优 has no primary.
    result = hourly_aqi({"pm25": 35, "o3": 160, "no2": 20})
    assert result is not None
    assert result.aqi == 50
    assert result.primary_pollutants == ()
    assert result.category.level == 1
    assert result.category.label_zh == "优"
    assert result.category.colour_rgb == (0, 228, 0)
    assert result.category.colour_hex == "#00E400"


def test_aqi_51_has_a_primary_pollutant() -> None:
    # PM2.5 35.1 → 51 (see above): the AQI is 51, 良, and PM2.5 is primary.
    result = hourly_aqi({"pm25": 35.1, "o3": 160})
    assert result is not None
    assert result.aqi == 51
    assert result.primary_pollutants == ("pm25_24h",)


def test_pollutants_sharing_the_largest_iaqi_are_all_primary() -> None:
    # PM2.5 115 and PM10 250 are both IAQI 150; SO2 40: 50 / 50 × 40 = 40.
    result = daily_aqi({"pm25": 115, "pm10": 250, "so2": 40})
    assert result is not None
    assert result.aqi == 150
    assert result.primary_pollutants == ("pm10_24h", "pm25_24h")
    assert result.exceeding_pollutants == ("pm10_24h", "pm25_24h")


def test_exceeding_pollutants_are_those_above_100() -> None:
    # PM2.5 80 → 107; PM10 160: (150 − 100) / (250 − 150) × (160 − 150) + 100 = 105;
    # NO2 80 → exactly 100, which is not exceeding.
    result = daily_aqi({"pm25": 80, "pm10": 160, "no2": 80})
    assert result is not None
    assert result.aqi == 107
    assert result.primary_pollutants == ("pm25_24h",)
    assert result.exceeding_pollutants == ("pm10_24h", "pm25_24h")
    assert result.iaqi["no2_24h"] == 100


def test_daily_o3_8h_above_800_uses_the_1h_value() -> None:
    # O3 8h 850 > 800 → the IAQI of the 1-hour 900, which is 350; the 1-hour O3 itself also
    # counts in the daily report, so both O3 indicators share the largest IAQI.
    result = daily_aqi({"o3_8h": 850, "o3_1h": 900, "pm25": 80})
    assert result is not None
    assert result.aqi == 350
    assert result.iaqi["o3_8h"] == 350
    assert result.primary_pollutants == ("o3_1h", "o3_8h")
    assert result.category.level == 6
    assert result.category.label_zh == "严重污染"
    assert result.not_computable == ()


def test_daily_o3_8h_above_800_without_the_1h_value_is_not_computable() -> None:
    result = daily_aqi({"o3_8h": 850, "pm25": 80})
    assert result is not None
    assert result.aqi == 107  # from PM2.5 alone
    assert result.not_computable == ("o3_8h",)
    assert "o3_8h" not in result.iaqi


def test_daily_o3_1h_counts_when_it_is_the_largest() -> None:
    # O3 8h 100 → 50; O3 1h 250: (150 − 100) / (300 − 200) × (250 − 200) + 100 = 125.
    result = daily_aqi({"o3_8h": 100, "o3_1h": 250})
    assert result is not None
    assert result.aqi == 125
    assert result.primary_pollutants == ("o3_1h",)


def test_hourly_so2_above_800_uses_the_24h_value_or_is_not_computable() -> None:
    with_daily = hourly_aqi({"so2": 900, "so2_24h": 300, "pm25": 20})
    assert with_daily is not None
    assert with_daily.aqi == 124  # see test_so2_1h_above_800_takes_the_iaqi_of_the_24h_value
    assert with_daily.iaqi["so2_1h"] == 124
    assert "so2_24h" not in with_daily.iaqi  # it stands in, it is not an indicator here

    without = hourly_aqi({"so2": 900, "pm25": 20})
    assert without is not None
    # PM2.5 20: 50 / 35 × 20 = 28.57 → 29
    assert without.aqi == 29
    assert without.not_computable == ("so2_1h",)

    assert hourly_aqi({"so2": 900}) is None


def test_aqi_is_capped_at_500() -> None:
    result = hourly_aqi({"pm25": 650, "pm10": 700})
    assert result is not None
    assert result.aqi == 500
    assert result.primary_pollutants == ("pm10_24h", "pm25_24h")
    assert result.category.colour_hex == "#7E0023"


def test_missing_values_are_skipped_and_nothing_gives_none() -> None:
    result = hourly_aqi({"pm25": 80, "pm10": None, "o3": None})
    assert result is not None
    assert dict(result.iaqi) == {"pm25_24h": 107}
    assert hourly_aqi({}) is None
    assert hourly_aqi({"pm25": None, "so2": None}) is None
    assert daily_aqi({"o3_8h": None}) is None


@pytest.mark.parametrize(
    ("function", "concentrations"),
    [
        (hourly_aqi, {"pm2.5": 10}),
        (hourly_aqi, {"o3_8h": 10}),  # not part of the real-time AQI
        (daily_aqi, {"o3": 10}),  # ambiguous for a day: o3_8h or o3_1h
        (daily_aqi, {"so2_24h": 10}),
    ],
)
def test_unknown_keys_are_refused(
    function: Callable[[Mapping[str, float | None]], AqiResult | None],
    concentrations: dict[str, float | None],
) -> None:
    with pytest.raises(ValueError, match="unknown keys"):
        function(concentrations)


def test_negative_concentrations_are_refused() -> None:
    with pytest.raises(ValueError, match="pm10"):
        hourly_aqi({"pm10": -3})
    with pytest.raises(ValueError, match="so2_24h"):
        hourly_aqi({"so2": 10, "so2_24h": -1})


@pytest.mark.parametrize(
    ("aqi", "level", "label_zh", "colour_hex"),
    [
        (0, 1, "优", "#00E400"),
        (50, 1, "优", "#00E400"),
        (51, 2, "良", "#FFFF00"),
        (100, 2, "良", "#FFFF00"),
        (101, 3, "轻度污染", "#FF7E00"),
        (150, 3, "轻度污染", "#FF7E00"),
        (151, 4, "中度污染", "#FF0000"),
        (200, 4, "中度污染", "#FF0000"),
        (201, 5, "重度污染", "#99004C"),  # RGB 153, 0, 76
        (300, 5, "重度污染", "#99004C"),
        (301, 6, "严重污染", "#7E0023"),  # RGB 126, 0, 35
        (500, 6, "严重污染", "#7E0023"),
    ],
)
def test_category_boundaries(aqi: int, level: int, label_zh: str, colour_hex: str) -> None:
    category = aqi_category(aqi)
    assert (category.level, category.label_zh, category.colour_hex) == (
        level,
        label_zh,
        colour_hex,
    )


def test_categories_have_chinese_levels_and_english_labels() -> None:
    assert [c.level_zh for c in AQI_CATEGORIES] == ["一级", "二级", "三级", "四级", "五级", "六级"]
    assert [c.label_en for c in AQI_CATEGORIES] == [
        "Excellent",
        "Good",
        "Lightly polluted",
        "Moderately polluted",
        "Heavily polluted",
        "Severely polluted",
    ]


@pytest.mark.parametrize("aqi", [-1, 501, 50.5, True])
def test_category_refuses_values_that_are_not_an_aqi(aqi: int) -> None:
    with pytest.raises(ValueError, match="AQI"):
        aqi_category(aqi)
