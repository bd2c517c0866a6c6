"""Places in words and on a page: the Zhejiang divisions an address names, a case's city and
district, and a city's outline with a point drawn where the point is."""

from __future__ import annotations

import re

import pytest
import shapely  # type: ignore[import-untyped]

from yiwang.core import geo


@pytest.mark.parametrize(
    ("address", "cities"),
    [
        ("杭州市西湖区文三路", ("330100",)),
        ("浙江省杭州市西湖区文三路 90 号", ("330100",)),
        ("西湖区文三路", ("330100",)),  # a district names its city
        ("杭州文三路", ("330100",)),  # a city's short name at the start
        ("浙江杭州西湖区", ("330100",)),
        ("义乌市稠城街道", ("330700",)),  # a county-level city names its city
        ("金华市义乌市", ("330700",)),
        ("从杭州市到绍兴市柯桥区", ("330100", "330600")),
        ("绍兴路 8 号", ()),  # a road named after a city
        ("杭州湾新区滨海二路", ()),  # a bay, in Ningbo
        ("舟山东路 88 号", ()),  # a road of Hangzhou named after a city
        ("嘉兴南路", ()),
        ("温州大道", ()),
        ("湖州东路", ()),
        ("义乌市场旁边的小吃店", ()),  # a market named after a city, anywhere
        ("江山市场", ()),
        ("义乌国际商贸城", ()),  # short county names are not read
        ("江北路", ()),
        ("解放北路 12 号", ()),
        ("", ()),
        (None, ()),
    ],
)
def test_the_cities_an_address_names(address: str | None, cities: tuple[str, ...]) -> None:
    assert geo.cities_named(address) == cities


def test_a_conflict_is_the_first_city_named_when_the_point_s_city_is_not_named() -> None:
    assert geo.address_city_conflict("杭州市西湖区文三路", "330600") == "330100"
    assert geo.address_city_conflict("杭州市西湖区文三路", "330100") is None
    assert geo.address_city_conflict("杭州市西湖区文三路", "330106") is None  # a county of it
    assert geo.address_city_conflict("从杭州市到绍兴市", "330600") is None
    assert geo.address_city_conflict("解放北路", "330600") is None


def test_the_place_of_a_case() -> None:
    place = geo.place_of("330100", "杭州市西湖区文三路")
    assert place is not None
    assert (place.city_name, place.district_name, place.district_code) == (
        "杭州市",
        "西湖区",
        "330106",
    )
    assert place.name == "杭州市西湖区"
    # A county's code is its own district; an address naming another city's county is not.
    assert geo.place_of("330212").name == "宁波市鄞州区"  # type: ignore[union-attr]
    assert geo.place_of("330600", "杭州市西湖区").district_name is None  # type: ignore[union-attr]
    assert geo.place_of("330000") is None
    assert geo.place_of("310100") is None


def _polygons(path: str) -> list[shapely.Polygon]:
    rings = re.findall(r"M([^Z]+)Z", path)
    return [
        shapely.Polygon([tuple(map(float, p.split(","))) for p in ring.split("L")])
        for ring in rings
    ]


def test_the_city_map_puts_the_point_inside_the_outline() -> None:
    drawn = geo.city_map("330600", 120.22476, 29.85023)  # Zhuji, in Shaoxing's west
    assert drawn is not None
    assert (drawn.code, drawn.name) == ("330600", "绍兴市")
    assert max(drawn.width, drawn.height) <= 240
    point = shapely.Point(drawn.x if drawn.x is not None else -1, drawn.y or 0)
    assert any(p.contains(point) for p in _polygons(drawn.path))
    # Another city's point is not on it; a county's code draws its city.
    assert geo.city_map("330600", 121.55, 29.87).x is None  # type: ignore[union-attr]
    assert geo.city_map("330681").name == "绍兴市"  # type: ignore[union-attr]
    assert geo.city_map("330000") is None


def test_north_is_up_and_east_is_right() -> None:
    points = [geo.city_map("330100", lon, lat) for lon, lat in ((119.0, 29.8), (120.3, 30.2))]
    (west_x, west_y), (east_x, east_y) = [(m.x or 0, m.y or 0) for m in points if m is not None]
    assert 0 < west_x < east_x
    assert west_y > east_y > 0
