"""Coordinate reference systems CityPilot speaks and fast transformers between them."""

from __future__ import annotations

import re
from functools import cache

from pyproj import CRS, Transformer

STORAGE_SRID = 2154  # RGF93 / Lambert-93, metric: every stored geometry
WGS84_SRID = 4326  # lon/lat at the API edge (RFC 7946 GeoJSON)
WEB_MERCATOR_SRID = 3857  # vector tiles


class CrsError(ValueError):
    """A CRS that cannot be understood."""


def parse_crs(text: str | int) -> CRS:
    """Read ``EPSG:2154``, ``2154``, ``IGNF:LAMB93``, a WKT or PROJ string into a CRS."""
    try:
        value: str | int = int(text) if str(text).isdigit() else text
        return CRS.from_user_input(value)
    except Exception as exc:  # pyproj raises its own CRSError with a long message
        raise CrsError(f"unknown CRS {str(text)[:60]!r}") from exc


def plain_crs(crs: CRS) -> CRS:
    """``crs`` without a null datum shift: ``.prj`` files often wrap Lambert-93 in TOWGS84[0,...]."""
    if crs.is_bound and crs.source_crs is not None:
        shift = re.search(r"TOWGS84\[([^\]]*)\]", crs.to_wkt("WKT1_GDAL"))
        if shift is None or all(float(v) == 0 for v in shift.group(1).split(",")):
            return crs.source_crs
    return crs


def srid_of(crs: CRS) -> int | None:
    """The EPSG code of a CRS, recognising equivalents named otherwise (IGNF, ESRI .prj)."""
    crs = plain_crs(crs)
    code = crs.to_epsg(min_confidence=70)
    if code:
        return code
    for candidate in (STORAGE_SRID, WGS84_SRID, WEB_MERCATOR_SRID):
        if crs.equals(CRS.from_epsg(candidate), ignore_axis_order=True):
            return candidate
    return None


@cache
def transformer(source: str, target: str) -> Transformer:
    """A cached, always x/y (lon/lat) ordered transformer between two CRS given as strings."""
    return Transformer.from_crs(parse_crs(source), parse_crs(target), always_xy=True)


def to_storage(source: str) -> Transformer:
    """Transformer from ``source`` to Lambert-93."""
    return transformer(source, f"EPSG:{STORAGE_SRID}")


def from_storage(target: str = f"EPSG:{WGS84_SRID}") -> Transformer:
    """Transformer from Lambert-93 to ``target`` (WGS84 by default)."""
    return transformer(f"EPSG:{STORAGE_SRID}", target)
