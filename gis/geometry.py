"""Geometry checks and conversions on shapely 2 geometries (vectorised where it matters)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

POINT = "Point"
LINESTRING = "LineString"
POLYGON = "Polygon"
MULTILINESTRING = "MultiLineString"
MULTIPOLYGON = "MultiPolygon"


def reproject(geoms: BaseGeometry | np.ndarray, tr: Transformer) -> BaseGeometry | np.ndarray:
    """Reproject one geometry or an array of them with a pyproj transformer (always_xy)."""

    def _apply(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, _apply)


def type_problem(geom: BaseGeometry | None, allowed: Iterable[str]) -> str | None:
    """Why ``geom`` is not acceptable as one of the ``allowed`` types, or None if it is."""
    allowed = tuple(allowed)
    if geom is None:
        return "missing"
    if geom.is_empty:
        return "empty geometry"
    if geom.geom_type not in allowed:
        return f"is a {geom.geom_type}, expected {' or '.join(allowed)}"
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        return "has non-finite coordinates"
    if not geom.is_valid:
        return f"invalid geometry ({shapely.is_valid_reason(geom)})"
    return None


def rfc7946(geom: BaseGeometry) -> BaseGeometry:
    """Counter-clockwise exterior rings and clockwise holes, as RFC 7946 asks."""
    if geom.geom_type in (POLYGON, MULTIPOLYGON):
        return shapely.orient_polygons(geom, exterior_cw=False)
    return geom


def is_counter_clockwise(ring: BaseGeometry) -> bool:
    """Whether a LinearRing (or a polygon's exterior) winds counter-clockwise."""
    return bool(shapely.is_ccw(ring))
