"""Where in Zhejiang a point is: the 11 prefecture-level cities' boundaries (vendored from
ECharts' map, see README.md here), looked up by longitude and latitude (WGS 84 degrees).

The boundaries are loaded once, on first use, into prepared shapely geometries indexed by an
STRtree; a lookup is then a few microseconds."""

from __future__ import annotations

from yiwang.core.geo.cities import (
    DEFAULT_TOLERANCE_DEG,
    City,
    cities,
    city,
    city_centre,
    city_of,
)

__all__ = ["DEFAULT_TOLERANCE_DEG", "City", "cities", "city", "city_centre", "city_of"]
