"""Spatial functions of ``$filter`` on both databases: PostGIS on PostgreSQL (on the stored
GeoJSON, through ``ST_GeomFromGeoJSON``), and Python functions backed by shapely that are
registered on each SQLite connection. Also GeoJSON validation and bounding boxes for writes."""

from __future__ import annotations

import json
import re
import weakref
from functools import lru_cache
from typing import Any

import shapely  # type: ignore[import-untyped]
import sqlalchemy as sa
from shapely.geometry import shape  # type: ignore[import-untyped]
from sqlalchemy import ColumnElement, Engine
from sqlalchemy.orm import Session

from yiwang.sensing.sta.errors import bad_request

# The spatial predicates of $filter and the shapely/PostGIS names they map to.
PREDICATES: dict[str, str] = {
    "st_within": "within",
    "st_intersects": "intersects",
    "geo.intersects": "intersects",
    "st_contains": "contains",
    "st_equals": "equals",
    "st_disjoint": "disjoint",
    "st_touches": "touches",
    "st_overlaps": "overlaps",
    "st_crosses": "crosses",
}
_POSTGIS = {
    "within": "ST_Within",
    "intersects": "ST_Intersects",
    "contains": "ST_Contains",
    "equals": "ST_Equals",
    "disjoint": "ST_Disjoint",
    "touches": "ST_Touches",
    "overlaps": "ST_Overlaps",
    "crosses": "ST_Crosses",
}

# A DE-9IM intersection matrix pattern, as st_relate takes it.
_RELATE_PATTERN = re.compile(r"[TF012*]{9}")

# --- GeoJSON ------------------------------------------------------------------------------------


def geometry_of(value: Any) -> Any:
    """The shapely geometry of a GeoJSON geometry or Feature; ValueError if it is none."""
    if not isinstance(value, dict) or "type" not in value:
        raise ValueError("not GeoJSON")
    if value["type"] == "Feature":
        value = value.get("geometry")
        if not isinstance(value, dict):
            raise ValueError("a Feature without geometry")
    try:
        geometry = shape(value)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ValueError(str(exc)) from None
    except shapely.errors.ShapelyError as exc:
        raise ValueError(str(exc)) from None
    if geometry.is_empty:
        raise ValueError("empty geometry")
    return geometry


def bounding_box(value: Any, *, entity: str, field: str) -> tuple[float, float, float, float]:
    """The (min_x, min_y, max_x, max_y) of a GeoJSON value; a 400 naming the field when the
    value is not GeoJSON."""
    try:
        bounds = geometry_of(value).bounds
    except ValueError:
        raise bad_request("sta.bad_geometry", entity=entity, field=field) from None
    return (float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3]))


@lru_cache(maxsize=256)
def literal_geometry(wkt: str) -> Any:
    """The geometry of a WKT literal of ``$filter``."""
    try:
        return shapely.from_wkt(wkt)
    except shapely.errors.ShapelyError:
        raise bad_request("sta.bad_filter", option="$filter", near=wkt[:20]) from None


def relate_pattern(text: str) -> str:
    """The DE-9IM pattern of ``st_relate`` in upper case; a 400 unless it is nine characters
    of T, F, 0, 1, 2 or *."""
    pattern = text.strip().upper()
    if _RELATE_PATTERN.fullmatch(pattern) is None:
        raise bad_request("sta.bad_relate_pattern", pattern=text[:20])
    return pattern


# --- SQLite -------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _parse(text: str) -> Any:
    if text.lstrip().startswith("{"):
        return geometry_of(json.loads(text))
    return shapely.from_wkt(text)


def _safe_parse(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return _parse(text)
    except (ValueError, shapely.errors.ShapelyError):
        return None


def _sqlite_predicate(name: str, left: Any, right: Any) -> int | None:
    a, b = _safe_parse(left), _safe_parse(right)
    if a is None or b is None:
        return None
    try:
        return int(bool(getattr(a, name)(b)))
    except shapely.errors.ShapelyError:  # e.g. a topology error on an invalid polygon
        return None


def _sqlite_relate(left: Any, right: Any, pattern: Any) -> int | None:
    a, b = _safe_parse(left), _safe_parse(right)
    if a is None or b is None or not isinstance(pattern, str):
        return None
    try:
        return int(bool(a.relate_pattern(b, pattern)))
    except shapely.errors.ShapelyError:
        return None


def _sqlite_distance(left: Any, right: Any) -> float | None:
    a, b = _safe_parse(left), _safe_parse(right)
    if a is None or b is None:
        return None
    return float(a.distance(b))


def _sqlite_length(value: Any) -> float | None:
    geometry = _safe_parse(value)
    return None if geometry is None else float(geometry.length)


def ensure_sqlite_functions(session: Session) -> None:
    """Register the spatial functions on the SQLite connection the session uses (once per
    connection; a connection from the pool keeps them)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    fairy = connection.connection
    info = fairy.info
    if info.get("yiwang.sta_functions"):
        return
    raw = fairy.dbapi_connection
    if raw is None:
        return
    raw.create_function("sta_predicate", 3, _sqlite_predicate, deterministic=True)
    raw.create_function("sta_relate", 3, _sqlite_relate, deterministic=True)
    raw.create_function("sta_distance", 2, _sqlite_distance, deterministic=True)
    raw.create_function("sta_length", 1, _sqlite_length, deterministic=True)
    info["yiwang.sta_functions"] = True


# --- PostgreSQL ---------------------------------------------------------------------------------

_postgis: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def has_postgis(session: Session) -> bool:
    """Whether the PostgreSQL database has PostGIS (asked once per engine)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    known = _postgis.get(engine)
    if known is None:
        known = (
            session.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first()
            is not None
        )
        _postgis[engine] = known
    return known


def pg_geometry_of_column(column: Any) -> ColumnElement[Any]:
    """A PostGIS geometry from a stored GeoJSON geometry or Feature."""
    feature_geometry = column.op("->")(sa.literal_column("'geometry'"))
    return sa.func.ST_GeomFromGeoJSON(sa.func.coalesce(feature_geometry, column))


def pg_geometry_of_wkt(wkt: str) -> ColumnElement[Any]:
    return sa.func.ST_GeomFromText(sa.literal(wkt, sa.Text()), 4326)


def pg_predicate(name: str, left: Any, right: Any) -> ColumnElement[bool]:
    return getattr(sa.func, _POSTGIS[name])(left, right)  # type: ignore[no-any-return]


def pg_relate(left: Any, right: Any, pattern: str) -> ColumnElement[bool]:
    """PostGIS's test of the two geometries' intersection matrix against a DE-9IM pattern."""
    return sa.func.ST_Relate(left, right, sa.literal(pattern, sa.Text()), type_=sa.Boolean())


__all__ = [
    "PREDICATES",
    "bounding_box",
    "ensure_sqlite_functions",
    "geometry_of",
    "has_postgis",
    "literal_geometry",
    "pg_geometry_of_column",
    "pg_geometry_of_wkt",
    "pg_predicate",
    "pg_relate",
    "relate_pattern",
]
