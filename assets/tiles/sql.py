"""The SQL of one tile: features or clusters, one ``ST_AsMVT`` statement."""


from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from assets.tiles.changes import NEWEST_CHANGE
from assets.tiles.layers import BUFFER, CELL_BITS, EXTENT, LIVE_STATES, MAX_ZOOM, LayerSpec, layer_spec
from gis.tiles import check_tile

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class TileQuery:
    """The SQL producing one tile (a single ``ST_AsMVT`` bytea) and its parameters."""

    sql: str
    params: dict[str, Any]
    mode: str  # "features", "clusters" or "adaptive"






def quoted(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _detail_select(spec: LayerSpec, z: int, live: bool, with_cluster_columns: bool) -> str:
    kinds = spec.kinds_at(z)
    kind_filter = "" if set(kinds) == set(spec.kinds) else f" AND f.kind IN ({quoted(kinds)})"
    live_column = "coalesce(l.state, 'unknown')" if live else "NULL::text"
    join = " LEFT JOIN live_state AS l ON l.asset_id = f.asset_id" if live else ""
    cluster_nulls = (", NULL::int AS count" + "".join(f", NULL::int AS {s}" for s in LIVE_STATES)
                     if with_cluster_columns else "")
    return (
        f"SELECT f.asset_id AS id, f.kind, f.code, f.status, {live_column} AS live{cluster_nulls}, "
        f"ST_AsMVTGeom(f.geom, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), {EXTENT}, {BUFFER}, true) AS geom "
        f"FROM tile_features AS f{join} "
        f"WHERE f.layer = '{spec.name}' "
        f"AND f.geom && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {BUFFER / EXTENT}){kind_filter}"
    )


def _cluster_select(spec: LayerSpec, live: bool, with_feature_columns: bool) -> str:
    states = "".join(f", c.{s}" if live else f", NULL::int AS {s}" for s in LIVE_STATES)
    features = ("NULL::bigint AS id, NULL::text AS kind, NULL::text AS code, NULL::text AS status, "
                "NULL::text AS live, " if with_feature_columns else "")
    return (
        f"SELECT {features}c.count{states}, "
        "ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.sum_x / c.count, c.sum_y / c.count), 3857), "
        f"ST_TileEnvelope(%(z)s, %(x)s, %(y)s), {EXTENT}, {BUFFER}, true) AS geom "
        f"FROM tile_cells AS c WHERE c.layer = '{spec.name}' AND c.z = %(z)s "
        "AND c.x BETWEEN %(cx0)s AND %(cx1)s AND c.y BETWEEN %(cy0)s AND %(cy1)s"
    )


def tile_query(layer: str, z: int, x: int, y: int, *, live: bool = True, max_features: int = 4000) -> TileQuery:
    """The one statement producing tile ``layer/z/x/y``; ``live=False`` leaves live state out."""
    spec = layer_spec(layer)
    tile = check_tile(z, x, y, MAX_ZOOM)
    side = 1 << CELL_BITS
    params: dict[str, Any] = {
        "z": tile.z, "x": tile.x, "y": tile.y,
        "cx0": tile.x * side, "cx1": tile.x * side + side - 1, "cy0": tile.y * side, "cy1": tile.y * side + side - 1,
    }
    # The second column tells the service whether the inventory changed (see TileService.tile).
    mvt = f"SELECT ST_AsMVT(q, '{spec.name}', {EXTENT}, 'geom', 'id'), ({NEWEST_CHANGE}) FROM ("
    if z < spec.detail_zoom:
        return TileQuery(f"{mvt}{_cluster_select(spec, live, True)}) AS q", params, "clusters")
    if z > spec.cluster_zoom:
        return TileQuery(f"{mvt}{_detail_select(spec, z, live, False)}) AS q", params, "features")
    # Dense or not: the tile's own count is one cell, 5 zooms up (one primary-key lookup).
    params.update(nz=z - CELL_BITS, nx=tile.x, ny=tile.y, max_features=max_features)
    count = (
        f"WITH n AS (SELECT coalesce((SELECT count FROM tile_cells WHERE layer = '{spec.name}' "
        "AND z = %(nz)s AND x = %(nx)s AND y = %(ny)s), 0) AS n) "
    )
    sql = (
        f"{count}{mvt}{_detail_select(spec, z, live, True)} AND (SELECT n FROM n) <= %(max_features)s "
        f"UNION ALL {_cluster_select(spec, live, True)} AND (SELECT n FROM n) > %(max_features)s) AS q"
    )
    return TileQuery(sql, params, "adaptive")
