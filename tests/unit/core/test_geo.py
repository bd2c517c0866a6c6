"""Which of Zhejiang's 11 cities a point is in, from the boundaries vendored from ECharts."""

from __future__ import annotations

import importlib.util
import json
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest

from yiwang.core import geo

CITY_NAMES = {
    "330100": "杭州市",
    "330200": "宁波市",
    "330300": "温州市",
    "330400": "嘉兴市",
    "330500": "湖州市",
    "330600": "绍兴市",
    "330700": "金华市",
    "330800": "衢州市",
    "330900": "舟山市",
    "331000": "台州市",
    "331100": "丽水市",
}
BUILD_SCRIPT = Path(__file__).parents[3] / "scripts" / "build_zhejiang_cities.py"


@pytest.mark.parametrize(
    ("lon", "lat", "code"),
    [
        (120.14, 30.25, "330100"),  # West Lake, Hangzhou
        (121.55, 29.87, "330200"),  # Ningbo
        (120.70, 28.00, "330300"),  # Wenzhou
        (122.2, 30.0, "330900"),  # Zhoushan island
        (120.58, 30.00, "330600"),  # Shaoxing
        (119.92, 28.45, "331100"),  # Lishui
    ],
)
def test_known_places_are_in_their_city(lon: float, lat: float, code: str) -> None:
    assert geo.city_of(lon, lat) == code


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (121.47, 31.23),  # Shanghai
        (118.80, 32.06),  # Nanjing
        (119.30, 26.08),  # Fuzhou
        (123.50, 29.00),  # the East China Sea
        (0.0, 0.0),
    ],
)
def test_places_outside_zhejiang_are_in_no_city(lon: float, lat: float) -> None:
    assert geo.city_of(lon, lat) is None


@pytest.mark.parametrize("code", sorted(CITY_NAMES))
def test_a_point_inside_each_boundary_finds_that_city(code: str) -> None:
    city = geo.city(code)
    assert city is not None
    inside = city.boundary.representative_point()
    assert geo.city_of(inside.x, inside.y) == code
    assert geo.city_of(inside.x, inside.y, tolerance=0) == code


def test_the_eleven_cities_with_codes_names_and_seats() -> None:
    cities = geo.cities()
    assert {c.code: c.name for c in cities} == CITY_NAMES
    assert [c.code for c in cities] == sorted(CITY_NAMES)
    for city in cities:
        assert geo.city_centre(city.code) == city.centre
        assert geo.city_of(*city.centre) == city.code
    assert geo.city_centre("330100") == pytest.approx((120.154, 30.287), abs=0.001)


def test_unknown_codes_have_no_city() -> None:
    assert geo.city_centre("310000") is None  # Shanghai
    assert geo.city_centre("330000") is None  # the province itself
    assert geo.city("") is None


def test_a_point_just_off_the_drawn_coast_counts_within_the_tolerance() -> None:
    zhoushan = geo.city("330900")
    assert zhoushan is not None
    # 0.002 degrees (about 200 m) east of the easternmost point drawn, in the sea.
    east = max(
        (xy for polygon in zhoushan.boundary.geoms for xy in polygon.exterior.coords),
        key=lambda xy: xy[0],
    )
    lon, lat = east[0] + 0.002, east[1]
    assert geo.city_of(lon, lat, tolerance=0) is None
    assert geo.city_of(lon, lat) == "330900"
    assert geo.city_of(lon + 0.05, lat) is None


def test_non_finite_coordinates_are_in_no_city() -> None:
    assert geo.city_of(float("nan"), 30.0) is None
    assert geo.city_of(120.0, float("inf")) is None


def test_the_data_file_names_its_origin_and_licence() -> None:
    text = resources.files("yiwang.core.geo").joinpath("zhejiang-cities.geojson").read_text()
    collection = json.loads(text)
    assert collection["licence"] == "Apache-2.0"
    assert "echarts@4.9.0" in collection["source"]
    assert len(collection["features"]) == 11


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_zhejiang_cities", BUILD_SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _encode(points: list[tuple[int, int]], start: tuple[int, int]) -> str:
    """ECharts' compressed ring, written independently of the decoder under test."""
    out: list[str] = []
    prev_x, prev_y = start
    for x, y in points:
        deltas = (x - prev_x, y - prev_y)
        out.extend(chr((d << 1 if d >= 0 else (-d << 1) - 1) + 64) for d in deltas)
        prev_x, prev_y = x, y
    return "".join(out)


def test_the_build_script_decodes_echarts_compressed_rings() -> None:
    build = _build_script()
    square = [(122880, 30720), (123904, 30720), (123904, 31744), (122880, 31744)]
    start = (122870, 30730)
    ring = build.decode_ring(_encode(square, start), list(start), 1024)
    assert ring == [[120.0, 30.0], [121.0, 30.0], [121.0, 31.0], [120.0, 31.0]]
    collection = build.build(
        {
            "type": "FeatureCollection",
            "UTF8Encoding": True,
            "features": [
                {
                    "id": code,
                    "type": "Feature",
                    "properties": {"name": name, "cp": [120.5, 30.5]},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [_encode(square, start)],
                        "encodeOffsets": [list(start)],
                    },
                }
                for code, name in CITY_NAMES.items()
            ],
        }
    )
    first = collection["features"][0]
    assert first["properties"] == {"code": "330100", "name": "杭州市", "centre": [120.5, 30.5]}
    assert first["geometry"]["type"] == "Polygon"
    assert {tuple(p) for p in first["geometry"]["coordinates"][0]} == {
        (120.0, 30.0),
        (121.0, 30.0),
        (121.0, 31.0),
        (120.0, 31.0),
    }
