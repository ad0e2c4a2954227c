"""The city drawn without a background map: commune boundaries, their names and the streets, as
Mapbox Vector Tiles read from the territory tables (``communes``, ``streets``).

The control room draws these under the equipment when no background map is configured or reachable
(no internet). One tile holds three MVT layers:

- ``communes``: the boundaries of today's communes (lines), with ``insee`` and ``name``;
- ``labels``: one point per commune (inside it) with ``name``, from :data:`LABEL_ZOOM`;
- ``streets``: the street network (lines) with ``street_class`` and ``name``, the main roads first,
  residential streets from their zoom in :data:`STREET_ZOOM`.

No Flask here: the route is in ``app/web/control_room/api.py``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Connection, text

from gis.tiles import check_tile

EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22
LABEL_ZOOM = 10
#: From which zoom each street class is drawn (others: never).
STREET_ZOOM = {"primary": 0, "secondary": 11, "rural": 11, "residential": 13}

_SQL = f"""
WITH e AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS box,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => {BUFFER / EXTENT}), 2154) AS area
)
SELECT
  coalesce((SELECT ST_AsMVT(q, 'communes', {EXTENT}, 'geom') FROM (
      SELECT c.insee, c.name,
             ST_AsMVTGeom(ST_Transform(ST_Boundary(c.geom), 3857), e.box, {EXTENT}, {BUFFER}, true) AS geom
        FROM communes AS c, e
       WHERE c.valid_to IS NULL AND c.geom && e.area) AS q), ''::bytea)
  || coalesce((SELECT ST_AsMVT(q, 'labels', {EXTENT}, 'geom') FROM (
      SELECT c.insee, c.name,
             ST_AsMVTGeom(ST_Transform(ST_PointOnSurface(c.geom), 3857), e.box, {EXTENT}, 0, true) AS geom
        FROM communes AS c, e
       WHERE :z >= {LABEL_ZOOM} AND c.valid_to IS NULL AND c.geom && e.area
         AND ST_Intersects(ST_PointOnSurface(c.geom), e.area)) AS q), ''::bytea)
  || coalesce((SELECT ST_AsMVT(q, 'streets', {EXTENT}, 'geom') FROM (
      SELECT s.street_class, s.name,
             ST_AsMVTGeom(ST_Transform(s.geom, 3857), e.box, {EXTENT}, {BUFFER}, true) AS geom
        FROM streets AS s, e
       WHERE s.geom && e.area AND s.street_class = ANY(:classes)) AS q), ''::bytea)
"""


@dataclass(frozen=True)
class BaseTile:
    """One tile of the base map: its bytes (empty: nothing there) and an ETag."""

    data: bytes

    @property
    def empty(self) -> bool:
        return not self.data

    @property
    def etag(self) -> str:
        return '"' + hashlib.blake2b(self.data, digest_size=12).hexdigest() + '"'


def street_classes(z: int) -> list[str]:
    """The street classes drawn at zoom ``z``."""
    return [name for name, zoom in STREET_ZOOM.items() if z >= zoom]


def basemap_tile(conn: Connection, z: int, x: int, y: int) -> BaseTile:
    """Tile ``z/x/y`` of the base map (``TileError`` naming ``z``, ``x`` or ``y`` outside the pyramid)."""
    tile = check_tile(z, x, y, MAX_ZOOM)
    params = {"z": tile.z, "x": tile.x, "y": tile.y, "classes": street_classes(tile.z)}
    data = conn.execute(text(_SQL), params).scalar_one()
    return BaseTile(bytes(data or b""))
