"""Point-in-city lookup over the vendored boundaries of Zhejiang's 11 cities."""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import shapely  # type: ignore[import-untyped]
from shapely.geometry import shape  # type: ignore[import-untyped]

DATA_FILE = "zhejiang-cities.geojson"

# The source is simplified to about 1/1024 of a degree and neighbouring cities were simplified
# independently, so thin gaps open along shared borders and the coast: a point this close to a
# city (about 500 m) counts as in it.
DEFAULT_TOLERANCE_DEG = 0.005


@dataclass(frozen=True)
class City:
    """One prefecture-level city: its GB/T 2260 code, name, seat and boundary."""

    code: str
    name: str
    centre: tuple[float, float]  # (longitude, latitude) of the city seat
    boundary: Any = field(repr=False, compare=False)  # a prepared shapely (Multi)Polygon


class _Index:
    def __init__(self, collection: dict[str, Any]) -> None:
        self.cities: tuple[City, ...] = tuple(
            City(
                code=str(feature["properties"]["code"]),
                name=str(feature["properties"]["name"]),
                centre=(
                    float(feature["properties"]["centre"][0]),
                    float(feature["properties"]["centre"][1]),
                ),
                boundary=shape(feature["geometry"]),
            )
            for feature in sorted(collection["features"], key=lambda f: f["properties"]["code"])
        )
        geometries = [c.boundary for c in self.cities]
        shapely.prepare(geometries)
        self.by_code = {c.code: c for c in self.cities}
        self.tree = shapely.STRtree(geometries)

    def lookup(self, lon: float, lat: float, tolerance: float) -> City | None:
        point = shapely.Point(lon, lat)
        inside = [
            self.cities[int(i)]
            for i in self.tree.query(point)
            if shapely.contains_xy(self.cities[int(i)].boundary, lon, lat)
        ]
        if len(inside) == 1:
            return inside[0]
        if inside:  # an overlap of two simplified borders: the city it is deeper inside
            return max(inside, key=lambda c: c.boundary.boundary.distance(point))
        if tolerance <= 0:
            return None
        nearest = self.tree.query_nearest(point, max_distance=tolerance, all_matches=False)
        return self.cities[int(nearest[0])] if len(nearest) else None


_lock = threading.Lock()
_index: _Index | None = None


def _load() -> _Index:
    global _index  # noqa: PLW0603  (loaded once, on first use)
    if _index is None:
        with _lock:
            if _index is None:
                text = resources.files(__package__).joinpath(DATA_FILE).read_text("utf-8")
                _index = _Index(json.loads(text))
    return _index


def city_of(lon: float, lat: float, *, tolerance: float = DEFAULT_TOLERANCE_DEG) -> str | None:
    """Return the GB/T 2260 code of the Zhejiang city containing the point (longitude,
    latitude in degrees), or of a city within ``tolerance`` degrees of it; None if the point
    is in no city of Zhejiang (or is not a finite coordinate)."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    found = _load().lookup(lon, lat, tolerance)
    return found.code if found is not None else None


def city_centre(code: str) -> tuple[float, float] | None:
    """Return the (longitude, latitude) of the seat of the city with this GB/T 2260 code, or
    None if it is not one of Zhejiang's 11 cities."""
    found = _load().by_code.get(code)
    return found.centre if found is not None else None


def city(code: str) -> City | None:
    """Return the city with this GB/T 2260 code, or None if it is not one of Zhejiang's 11."""
    return _load().by_code.get(code)


def cities() -> tuple[City, ...]:
    """Return Zhejiang's 11 cities, in code order."""
    return _load().cities
