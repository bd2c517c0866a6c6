"""Places named in words and drawn on a page: the Zhejiang divisions (GB/T 2260) an address
names, the city and district of a case, and a small SVG of a city's outline with a point on it.

There is no geocoder offline: an address is read only for the full names of Zhejiang's
divisions (杭州市, 西湖区, 义乌市 ...), and for a city's short name (杭州) at its start. Short
county names (西湖, 江北, 路桥 ...) are ordinary words too often to be read as places."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from shapely.geometry import MultiPolygon, Polygon  # type: ignore[import-untyped]

from yiwang.core.codes import division_children, division_name
from yiwang.core.geo.cities import city

PROVINCE_CODE = "330000"
PROVINCE_NAMES = ("浙江省", "浙江")
# What follows a place's name when the words name a road, a bay, a bridge or a market, not
# the place: 绍兴路 and 舟山东路 in Hangzhou, 杭州湾 in Ningbo, 温州大道, 义乌市场 (a market named
# after 义乌, anywhere), 江山市民 (citizens).
_NOT_A_PLACE_AFTER = r"(?:[东西南北中]?[路街道巷弄湾桥港]|大道|大街|场|民)"


def city_code_of(code: str | None) -> str | None:
    """The code of the Zhejiang city a division code lies in (itself for a city), or None for
    no code, the province itself or a code outside Zhejiang."""
    if not code or not code.startswith("33") or code == PROVINCE_CODE or len(code) != 6:
        return None
    return code[:4] + "00"


@lru_cache(maxsize=1)
def _names() -> tuple[tuple[str, str], ...]:
    """(name, code) of Zhejiang's cities and county-level divisions, longest name first so
    that a longer name is read before a shorter one inside it."""
    found = []
    for city_code in division_children(PROVINCE_CODE):
        found.append((str(division_name(city_code)), city_code))
        found.extend((str(division_name(c)), c) for c in division_children(city_code))
    return tuple(sorted(found, key=lambda pair: -len(pair[0])))


@lru_cache(maxsize=1)
def _short_city_names() -> re.Pattern[str]:
    short = "|".join(
        re.escape(str(division_name(c)).removesuffix("市"))
        for c in division_children(PROVINCE_CODE)
    )
    province = "|".join(re.escape(p) for p in PROVINCE_NAMES)
    return re.compile(rf"^\s*(?:{province})?\s*({short})(?!市|{_NOT_A_PLACE_AFTER})")


def divisions_named(text: str | None) -> tuple[str, ...]:
    """Return the codes of the Zhejiang cities and counties ``text`` names, in the order they
    appear, each once."""
    if not text:
        return ()
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for name, code in _names():
        for match in re.finditer(rf"{re.escape(name)}(?!{_NOT_A_PLACE_AFTER})", text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue  # inside a longer name already read
            taken.append((start, end))
            found.append((start, code))
    short = _short_city_names().match(text)
    if short is not None:
        name = short.group(1) + "市"
        code = next(c for n, c in _names() if n == name)
        found.append((short.start(1), code))
    return tuple(dict.fromkeys(code for _, code in sorted(found)))


def cities_named(text: str | None) -> tuple[str, ...]:
    """Return the codes of the Zhejiang cities ``text`` names, directly or by one of their
    counties, in the order they appear, each once."""
    return tuple(
        dict.fromkeys(c for code in divisions_named(text) if (c := city_code_of(code)) is not None)
    )


def address_city_conflict(address: str | None, city_code: str) -> str | None:
    """Return the city the address names when it names Zhejiang cities and ``city_code``'s
    city is none of them (the first it names); None when they agree or the address names no
    city of Zhejiang."""
    named = cities_named(address)
    if not named or city_code_of(city_code) in named:
        return None
    return named[0]


@dataclass(frozen=True, slots=True)
class Place:
    """Where a case is: its city and, when known, its district (county-level division)."""

    city_code: str
    city_name: str
    district_code: str | None = None
    district_name: str | None = None

    @property
    def name(self) -> str:
        """The city with its district, e.g. 杭州市西湖区."""
        return self.city_name + (self.district_name or "")


def place_of(division_code: str, address: str | None = None) -> Place | None:
    """Return the city (and district) of a case filed in ``division_code``: the district is the
    division itself when it is a county, else the first county of that city the address names;
    None when the code is not in a Zhejiang city."""
    city_code = city_code_of(division_code)
    city_name = division_name(city_code) if city_code is not None else None
    if city_code is None or city_name is None:
        return None
    district = division_code if division_code != city_code else None
    if district is None:
        district = next(
            (
                code
                for code in divisions_named(address)
                if code != city_code and city_code_of(code) == city_code
            ),
            None,
        )
    return Place(
        city_code=city_code,
        city_name=city_name,
        district_code=district,
        district_name=division_name(district) if district is not None else None,
    )


# --- a city on a page ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CityMap:
    """A city's outline as an SVG path in a ``width`` × ``height`` box (north up, distances
    kept at the city's latitude), and where a point falls in it (None when outside the box)."""

    code: str
    name: str
    width: int
    height: int
    path: str
    x: float | None
    y: float | None


_MAP_SIZE = 240  # the longer side, in SVG units
_MARGIN = 8
_SIMPLIFY_DEG = 0.004  # finer than the drawing shows at this size


@dataclass(frozen=True, slots=True)
class _Outline:
    west: float
    north: float
    x_scale: float  # SVG units a degree of longitude
    y_scale: float  # SVG units a degree of latitude
    path: str
    width: int
    height: int


@lru_cache(maxsize=16)
def _outline(code: str) -> _Outline:
    found = city(code)
    if found is None:
        raise LookupError(code)
    shape = found.boundary.simplify(_SIMPLIFY_DEG, preserve_topology=True)
    west, south, east, north = shape.bounds
    squeeze = math.cos(math.radians((south + north) / 2))
    y_scale = (_MAP_SIZE - 2 * _MARGIN) / max((east - west) * squeeze, north - south)
    x_scale = y_scale * squeeze
    parts = []
    for polygon in shape.geoms if isinstance(shape, MultiPolygon) else [shape]:
        if not isinstance(polygon, Polygon):
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            points = [
                f"{_MARGIN + (lon - west) * x_scale:.1f},{_MARGIN + (north - lat) * y_scale:.1f}"
                for lon, lat in ring.coords
            ]
            parts.append("M" + "L".join(points) + "Z")
    return _Outline(
        west=west,
        north=north,
        x_scale=x_scale,
        y_scale=y_scale,
        path="".join(parts),
        width=round((east - west) * x_scale) + 2 * _MARGIN,
        height=round((north - south) * y_scale) + 2 * _MARGIN,
    )


def city_map(code: str, lon: float | None = None, lat: float | None = None) -> CityMap | None:
    """Return the outline of the city with this code (a county's code draws its city) with the
    point (longitude, latitude) placed on it, or None if the code is in no Zhejiang city."""
    city_code = city_code_of(code)
    found = city(city_code) if city_code is not None else None
    if found is None:
        return None
    outline = _outline(found.code)
    x = y = None
    if lon is not None and lat is not None and math.isfinite(lon) and math.isfinite(lat):
        px = _MARGIN + (lon - outline.west) * outline.x_scale
        py = _MARGIN + (outline.north - lat) * outline.y_scale
        if 0 <= px <= outline.width and 0 <= py <= outline.height:
            x, y = round(px, 1), round(py, 1)
    return CityMap(found.code, found.name, outline.width, outline.height, outline.path, x, y)
