"""Traffic congestion: the index levels, the urban speed bands and the highway index."""

from __future__ import annotations

import math

import pytest

from yiwang.packs.transport.formulas import congestion_index, congestion_level, speed_band_level


@pytest.mark.parametrize(
    ("index", "level", "label_zh"),
    [
        (0, 1, "畅通"),
        (1.5, 1, "畅通"),
        (2, 1, "畅通"),  # a boundary goes to the better level
        (2.01, 2, "基本畅通"),
        (4, 2, "基本畅通"),
        (4.5, 3, "轻度拥堵"),
        (6, 3, "轻度拥堵"),
        (7.9, 4, "中度拥堵"),
        (8, 4, "中度拥堵"),
        (8.01, 5, "严重拥堵"),
        (10, 5, "严重拥堵"),
    ],
)
def test_congestion_levels(index: float, level: int, label_zh: str) -> None:
    result = congestion_level(index)
    assert (result.level, result.label_zh) == (level, label_zh)


@pytest.mark.parametrize("index", [-0.1, 10.1, math.nan])
def test_congestion_level_refuses_an_index_outside_0_to_10(index: float) -> None:
    with pytest.raises(ValueError, match="0 to 10"):
        congestion_level(index)


@pytest.mark.parametrize(
    ("speed", "road_class", "level"),
    [
        # expressway: >65 / 50-65 / 35-50 / 20-35 / <=20
        (80, "expressway", 1),
        (65.1, "expressway", 1),
        (65, "expressway", 2),
        (50.1, "expressway", 2),
        (50, "expressway", 3),
        (35, "expressway", 4),
        (20.1, "expressway", 4),
        (20, "expressway", 5),
        (0, "expressway", 5),
        # arterial: >40 / 30-40 / 20-30 / 15-20 / <=15
        (41, "arterial", 1),
        (40, "arterial", 2),
        (30, "arterial", 3),
        (25, "arterial", 3),
        (20, "arterial", 4),
        (15.5, "arterial", 4),
        (15, "arterial", 5),
    ],
)
def test_urban_speed_bands(speed: float, road_class: str, level: int) -> None:
    assert speed_band_level(speed, road_class=road_class).level == level  # type: ignore[arg-type]


def test_speed_band_refuses_unknown_roads_and_bad_speeds() -> None:
    with pytest.raises(ValueError, match="road_class"):
        speed_band_level(50, road_class="highway")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="speed_kmh"):
        speed_band_level(-1, road_class="arterial")


@pytest.mark.parametrize(
    ("speed", "free_flow", "expected"),
    [
        (100, 100, 0.0),
        (120, 100, 0.0),  # faster than free flow is still 0
        (0, 100, 10.0),
        # ratio 0.8125 is the first break: index 2
        (81.25, 100, 2.0),
        # ratio 0.7, between 0.8125 (2) and 0.625 (4): 2 + 2 × (0.8125 − 0.7) / 0.1875 = 3.2
        (70, 100, 3.2),
        # ratio 0.5, between 0.625 (4) and 0.4375 (6): 4 + 2 × (0.625 − 0.5) / 0.1875 = 5.3333
        (50, 100, 5.333333),
        # ratio 0.1, between 0.25 (8) and 0 (10): 8 + 2 × (0.25 − 0.1) / 0.25 = 9.2
        (10, 100, 9.2),
        # a 120 km/h highway at 97.5 km/h: ratio 0.8125 → 2
        (97.5, 120, 2.0),
        # 60 of 120: ratio 0.5 → 5.3333, as for 50 of 100
        (60, 120, 5.333333),
    ],
)
def test_highway_index(speed: float, free_flow: float, expected: float) -> None:
    assert congestion_index(speed, free_flow) == pytest.approx(expected, abs=1e-6)


def test_highway_index_matches_the_urban_expressway_bands_at_80_kmh() -> None:
    # Away from the exact band boundaries, an 80 km/h section gets the level the expressway
    # speed bands give (the default breaks are those bands ÷ 80).
    for tenth in range(1000):
        speed = tenth / 10 + 0.05
        by_index = congestion_level(congestion_index(speed, 80)).level
        by_band = speed_band_level(speed, road_class="expressway").level
        assert by_index == by_band, speed


def test_highway_index_falls_as_speed_rises() -> None:
    indexes = [congestion_index(speed, 110) for speed in range(131)]
    assert indexes == sorted(indexes, reverse=True)
    assert indexes[0] == 10.0
    assert indexes[-1] == 0.0


def test_highway_breaks_are_configurable() -> None:
    # Even breaks make the index linear: 10 × (1 − 55 / 100) = 4.5.
    assert congestion_index(55, 100, ratio_breaks=(0.8, 0.6, 0.4, 0.2)) == pytest.approx(4.5)


@pytest.mark.parametrize(
    ("speed", "free_flow", "breaks", "message"),
    [
        (50, 0, (0.8, 0.6, 0.4, 0.2), "free_flow_kmh"),
        (-5, 100, (0.8, 0.6, 0.4, 0.2), "speed_kmh"),
        (50, 100, (0.6, 0.8, 0.4, 0.2), "ratio_breaks"),
        (50, 100, (1.0, 0.6, 0.4, 0.2), "ratio_breaks"),
        (50, 100, (0.8, 0.6, 0.4, 0.0), "ratio_breaks"),
        (50, 100, (0.8, 0.6, 0.4), "ratio_breaks"),
        (50, 100, (0.8, math.nan, 0.4, 0.2), "ratio_breaks"),
    ],
)
def test_highway_index_refuses_bad_input(
    speed: float, free_flow: float, breaks: tuple[float, float, float, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        congestion_index(speed, free_flow, ratio_breaks=breaks)
