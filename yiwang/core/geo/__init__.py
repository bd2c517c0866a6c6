"""Where in Zhejiang a point is: the 11 prefecture-level cities' boundaries (vendored from
ECharts' map, see README.md here), looked up by longitude and latitude (WGS 84 degrees).

The boundaries are loaded once, on first use, into prepared shapely geometries indexed by an
STRtree; a lookup is then a few microseconds. :mod:`~yiwang.core.geo.places` reads the
divisions an address names and draws a city's outline for a page."""

from __future__ import annotations

from yiwang.core.geo.cities import (
    DEFAULT_TOLERANCE_DEG,
    City,
    cities,
    city,
    city_centre,
    city_of,
)
from yiwang.core.geo.places import (
    CityMap,
    Place,
    address_city_conflict,
    cities_named,
    city_code_of,
    city_map,
    divisions_named,
    place_of,
)

__all__ = [
    "DEFAULT_TOLERANCE_DEG",
    "City",
    "CityMap",
    "Place",
    "address_city_conflict",
    "cities",
    "cities_named",
    "city",
    "city_centre",
    "city_code_of",
    "city_map",
    "city_of",
    "divisions_named",
    "place_of",
]
