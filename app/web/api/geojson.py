"""GeoJSON at the API edge: assets out as WGS84 Features (as the caller's role may see them),
geometries in from WGS84 GeoJSON to the storage CRS."""

from __future__ import annotations

from typing import Any

import shapely
import shapely.geometry
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

from assets.errors import FieldError, ValidationError
from assets.fields import GEOMETRY_FIELDS
from assets.models import Asset
from assets.privacy import redact_asset
from assets.serialize import asset_dict
from gis.crs import to_storage
from gis.geometry import reproject


def asset_json(asset: Asset, role: str) -> dict[str, Any]:
    """An asset as plain JSON (its geometries as GeoJSON), redacted for ``role``."""
    return redact_asset(asset_dict(asset), role)


def feature(asset: Asset, role: str) -> dict[str, Any]:
    """An asset as a GeoJSON Feature (id, geometry, properties), redacted for ``role``."""
    properties = asset_json(asset, role)
    geometry = properties.pop("geom")
    return {"type": "Feature", "id": asset.id, "geometry": geometry, "properties": properties}


def feature_collection(features: list[dict[str, Any]], total: int, next_url: str | None) -> dict[str, Any]:
    """A page of Features with OGC API Features' counts and links."""
    links = [{"rel": "next", "type": "application/geo+json", "href": next_url}] if next_url else []
    return {
        "type": "FeatureCollection", "features": features, "numberMatched": total,
        "numberReturned": len(features), "links": links,
    }


def storage_geometry(value: Any, field: str) -> BaseGeometry | None:
    """A GeoJSON geometry in WGS84 (lon, lat) as a Lambert-93 shapely geometry; None stays None."""
    if value is None:
        return None
    try:
        geom = shapely.geometry.shape(value)
    except (AttributeError, KeyError, TypeError, ValueError, GEOSException) as exc:
        raise ValidationError(FieldError(field, f"not a GeoJSON geometry: {exc}")) from None
    if geom.is_empty:
        raise ValidationError(FieldError(field, "empty geometry"))
    lon, lat = shapely.get_coordinates(geom).T
    if not ((abs(lon) <= 180) & (abs(lat) <= 90)).all():
        raise ValidationError(FieldError(field, "coordinates must be WGS84 longitude, latitude in degrees"))
    return reproject(geom, to_storage("EPSG:4326"))


def asset_values(geometry: Any, properties: dict[str, Any], *, has_geometry: bool) -> dict[str, Any]:
    """What the write path gets from a request: the properties, geometries converted to storage."""
    values = dict(properties)
    for name in GEOMETRY_FIELDS:
        if name in values and name != "geom":
            values[name] = storage_geometry(values[name], f"properties.{name}")
    if "geom" in values:
        raise ValidationError(FieldError("properties.geom", "send the location as the Feature's geometry"))
    if has_geometry:
        values["geom"] = storage_geometry(geometry, "geometry")
    return values
