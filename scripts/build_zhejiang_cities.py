"""Build ``yiwang/core/geo/zhejiang-cities.geojson`` from the Zhejiang map that ECharts ships.

How the vendored file was made (run again the same way to regenerate it; nothing is fetched
when yiwang runs)::

    scratch=$(mktemp -d) && (cd "$scratch" && npm pack echarts@4.9.0 && tar -xzf echarts-4.9.0.tgz)
    .venv/bin/python scripts/build_zhejiang_cities.py \\
        "$scratch/package/map/json/province/zhejiang.json" yiwang/core/geo/zhejiang-cities.geojson

The source is ECharts 4.9.0 (Apache-2.0, https://echarts.apache.org), file
``map/json/province/zhejiang.json``: one feature per prefecture-level city, its id the city's
GB/T 2260 code, its rings stored in ECharts' compressed form. That form, as ECharts 4.9.0
documents it in ``src/coord/geo/parseGeoJson.js``, is: the collection carries
``UTF8Encoding: true`` and optionally ``UTF8Scale`` (the quantisation, 1024 when absent); each
geometry carries ``encodeOffsets``, one ``[x, y]`` start per ring (nested per polygon for a
MultiPolygon); each ring is a string in which every two characters are one point, stored as
the zigzag-encoded difference from the previous point plus 64 in each character's code. This
script reads that form with its own decoder, repairs any ring that does not make a valid
polygon, rounds to 5 decimals (the source resolution is 1/1024 of a degree, about 100 m) and
writes plain GeoJSON; each feature's ``centre`` is the city seat the source marks (``cp``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape

DEFAULT_SCALE = 1024
CHARACTER_BIAS = 64
DECIMALS = 5

# GB/T 2260 codes of Zhejiang's 11 prefecture-level cities, as the source numbers them.
CITY_CODES = {
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
SOURCE = "ECharts 4.9.0, map/json/province/zhejiang.json (npm package echarts@4.9.0)"
LICENCE = "Apache-2.0"


def unzigzag(value: int) -> int:
    """The signed integer that zigzag encoding maps to ``value`` (0, -1, 1, -2, 2, ...)."""
    return -(value + 1) // 2 if value % 2 else value // 2


def decode_ring(encoded: str, start: list[int], scale: float) -> list[list[float]]:
    """The points of one compressed ring, in degrees (longitude, latitude)."""
    if len(encoded) % 2:
        raise ValueError("a compressed ring has an odd number of characters")
    x, y = start
    points = []
    codes = [ord(ch) - CHARACTER_BIAS for ch in encoded]
    for dx, dy in zip(codes[0::2], codes[1::2], strict=True):
        x += unzigzag(dx)
        y += unzigzag(dy)
        points.append([x / scale, y / scale])
    return points


def decode_geometry(geometry: dict[str, Any], scale: float) -> dict[str, Any]:
    """A compressed Polygon or MultiPolygon as plain GeoJSON."""
    kind = geometry["type"]
    offsets = geometry["encodeOffsets"]
    rings = geometry["coordinates"]
    if kind == "Polygon":
        coordinates: list[Any] = [
            decode_ring(ring, offsets[i], scale) for i, ring in enumerate(rings)
        ]
    elif kind == "MultiPolygon":
        coordinates = [
            [decode_ring(ring, offsets[p][r], scale) for r, ring in enumerate(polygon)]
            for p, polygon in enumerate(rings)
        ]
    else:
        raise ValueError(f"unexpected geometry type {kind!r}")
    return {"type": kind, "coordinates": coordinates}


def _close(ring: list[list[float]]) -> list[list[float]]:
    return ring if ring[0] == ring[-1] else [*ring, ring[0]]


def _closed(geometry: dict[str, Any]) -> dict[str, Any]:
    if geometry["type"] == "Polygon":
        return {**geometry, "coordinates": [_close(r) for r in geometry["coordinates"]]}
    return {
        **geometry,
        "coordinates": [[_close(r) for r in poly] for poly in geometry["coordinates"]],
    }


def plain_geometry(geometry: dict[str, Any]) -> dict[str, Any]:
    """A valid (Multi)Polygon rounded to ``DECIMALS``, in GeoJSON form."""
    polygonal = shapely.make_valid(shape(_closed(geometry)))
    polygons = [
        g
        for g in getattr(polygonal, "geoms", [polygonal])
        if g.geom_type in {"Polygon", "MultiPolygon"}
    ]
    merged = shapely.union_all(polygons)
    rounded = shapely.set_precision(merged, 10**-DECIMALS)
    if not rounded.is_valid or rounded.is_empty:
        raise ValueError("a city's boundary did not survive rounding")
    result: dict[str, Any] = json.loads(json.dumps(mapping(rounded)))
    return result


def _centre(feature: dict[str, Any], geometry: dict[str, Any]) -> list[float]:
    """The city's seat as the source marks it (``cp``), if it lies inside the boundary; else a
    point that surely does."""
    boundary = shape(geometry)
    seat = feature["properties"].get("cp")
    if seat and boundary.contains(shapely.Point(seat)):
        return [round(float(seat[0]), DECIMALS), round(float(seat[1]), DECIMALS)]
    inside = boundary.representative_point()
    return [round(inside.x, DECIMALS), round(inside.y, DECIMALS)]


def build(source: dict[str, Any]) -> dict[str, Any]:
    if not source.get("UTF8Encoding"):
        raise ValueError("the source is not in ECharts' compressed form")
    scale = float(source.get("UTF8Scale") or DEFAULT_SCALE)
    features = []
    for feature in source["features"]:
        code = str(feature["id"])
        name = feature["properties"]["name"]
        if CITY_CODES.get(code) != name:
            raise ValueError(f"unexpected city {code} {name}")
        geometry = plain_geometry(decode_geometry(feature["geometry"], scale))
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {"code": code, "name": name, "centre": _centre(feature, geometry)},
                "geometry": geometry,
            }
        )
    if sorted(f["id"] for f in features) != sorted(CITY_CODES):
        raise ValueError("the source does not hold exactly the 11 cities")
    return {
        "type": "FeatureCollection",
        "name": "zhejiang-cities",
        "source": SOURCE,
        "licence": LICENCE,
        "note": "Decoded from ECharts' compressed coordinates by scripts/build_zhejiang_cities.py",
        "features": features,
    }


def _compact(collection: dict[str, Any]) -> str:
    """One feature per line, numbers as short as they can be."""
    head = {k: v for k, v in collection.items() if k != "features"}
    lines = [
        json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]
    ]
    opening = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    return opening + ',"features":[\n' + ",\n".join(lines) + "\n]}\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)  # noqa: T201
        return 2
    source = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    Path(argv[1]).write_text(_compact(build(source)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
