"""Assets and their history as plain data (dicts of JSON types) for every client."""

from __future__ import annotations

import datetime as dt
from typing import Any

import shapely
from geoalchemy2.shape import to_shape

from assets.fields import all_fields
from assets.models import Asset, AssetHistory
from gis.crs import from_storage
from gis.geometry import reproject, rfc7946


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def geometry_json(geom: Any, crs: str = "EPSG:4326") -> dict[str, Any] | None:
    """A stored geometry as a GeoJSON geometry in ``crs`` (WGS84 by default, RFC 7946 winding)."""
    if geom is None:
        return None
    shape = to_shape(geom)
    if crs != "EPSG:2154":
        shape = rfc7946(reproject(shape, from_storage(crs)))
    return shapely.geometry.mapping(shapely.set_precision(shape, 1e-7 if crs == "EPSG:4326" else 1e-3))


def asset_dict(asset: Asset, crs: str = "EPSG:4326") -> dict[str, Any]:
    """Every field of an asset, its geometries as GeoJSON in ``crs``."""
    data = {f: _plain(getattr(asset, f)) for f in all_fields(asset.kind)}
    data["geom"] = geometry_json(asset.geom, crs)
    if hasattr(asset, "fov"):
        data["fov"] = geometry_json(asset.fov, crs)
    return data


def history_dict(entry: AssetHistory) -> dict[str, Any]:
    """One audit entry as plain data."""
    return {
        "id": entry.id,
        "asset_id": entry.asset_id,
        "action": entry.action,
        "actor": entry.actor_name,
        "actor_id": entry.actor_id,
        "at": entry.at.isoformat(),
        "changed": entry.changed,
        "before": entry.before,
        "after": entry.after,
    }
