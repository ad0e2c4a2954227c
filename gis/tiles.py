"""Web Mercator tile maths (XYZ / "slippy map" scheme, y from the north): pure, no database.

A tile ``z/x/y`` covers a square of the EPSG:3857 plane; ``x`` grows eastwards and ``y`` southwards
from the north-west corner of the world square. Mapbox Vector Tiles address positions inside a tile
on an integer grid of ``extent`` units (4096 by default).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

#: Half the side of the Web Mercator world square, in metres (EPSG:3857).
ORIGIN_SHIFT = 20037508.342789244
WORLD_SIZE = 2 * ORIGIN_SHIFT
#: Latitudes beyond this are outside the Web Mercator square.
MAX_LATITUDE = 85.05112877980659
#: The default grid of a vector tile (units per tile side).
DEFAULT_EXTENT = 4096
#: The deepest zoom CityPilot serves (2^24 tiles a side: ~2.4 m tiles at the equator).
MAX_ZOOM = 24

Bounds = tuple[float, float, float, float]  # xmin, ymin, xmax, ymax


class TileError(ValueError):
    """A tile address outside the pyramid; ``field`` names the faulty coordinate."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, order=True)
class Tile:
    """A tile address."""

    z: int
    x: int
    y: int

    def __str__(self) -> str:
        return f"{self.z}/{self.x}/{self.y}"


def check_tile(z: int, x: int, y: int, max_zoom: int = MAX_ZOOM) -> Tile:
    """The tile ``z/x/y`` if it exists (0 <= z <= max_zoom, 0 <= x, y < 2^z); TileError otherwise."""
    if not 0 <= z <= max_zoom:
        raise TileError("z", f"zoom {z} is out of range 0..{max_zoom}")
    n = 1 << z
    if not 0 <= x < n:
        raise TileError("x", f"column {x} is out of range 0..{n - 1} at zoom {z}")
    if not 0 <= y < n:
        raise TileError("y", f"row {y} is out of range 0..{n - 1} at zoom {z}")
    return Tile(z, x, y)


def tile_size(z: int) -> float:
    """The side of a tile at zoom ``z`` in Web Mercator metres."""
    return WORLD_SIZE / (1 << z)


def resolution(z: int, extent: int = DEFAULT_EXTENT) -> float:
    """Web Mercator metres per tile grid unit at zoom ``z`` (one MVT coordinate step)."""
    return tile_size(z) / extent


def ground_resolution(z: int, lat: float, extent: int = DEFAULT_EXTENT) -> float:
    """Metres on the ground per tile grid unit at zoom ``z`` and latitude ``lat`` (Mercator scale)."""
    return resolution(z, extent) * math.cos(math.radians(lat))


def tile_bounds(z: int, x: int, y: int, margin: float = 0.0) -> Bounds:
    """The tile's square in EPSG:3857, grown by ``margin`` (a fraction of its side) on every side,
    as PostGIS's ``ST_TileEnvelope(z, x, y, margin => margin)`` computes it."""
    size = tile_size(z)
    xmin = -ORIGIN_SHIFT + x * size
    ymax = ORIGIN_SHIFT - y * size
    grow = size * margin
    return xmin - grow, ymax - size - grow, xmin + size + grow, ymax + grow


def lonlat_to_mercator(lon: float, lat: float) -> tuple[float, float]:
    """A WGS84 position in EPSG:3857 metres (latitude clamped to the Mercator square)."""
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    x = math.radians(lon) * ORIGIN_SHIFT / math.pi
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * ORIGIN_SHIFT / math.pi
    return x, y


def mercator_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """An EPSG:3857 position in WGS84 degrees."""
    lon = math.degrees(x * math.pi / ORIGIN_SHIFT)
    lat = math.degrees(2 * math.atan(math.exp(y * math.pi / ORIGIN_SHIFT)) - math.pi / 2)
    return lon, lat


def tile_at(x: float, y: float, z: int) -> Tile:
    """The tile at zoom ``z`` holding the EPSG:3857 position (x, y) (edges clamped into the world)."""
    n = 1 << z
    size = tile_size(z)
    tx = math.floor((x + ORIGIN_SHIFT) / size)
    ty = math.floor((ORIGIN_SHIFT - y) / size)
    return Tile(z, min(max(tx, 0), n - 1), min(max(ty, 0), n - 1))


def tile_for_lonlat(lon: float, lat: float, z: int) -> Tile:
    """The tile at zoom ``z`` holding a WGS84 position."""
    return tile_at(*lonlat_to_mercator(lon, lat), z)


def lonlat_bounds(z: int, x: int, y: int) -> Bounds:
    """The tile's bounds in WGS84 degrees: west, south, east, north."""
    xmin, ymin, xmax, ymax = tile_bounds(z, x, y)
    west, south = mercator_to_lonlat(xmin, ymin)
    east, north = mercator_to_lonlat(xmax, ymax)
    return west, south, east, north


def tiles_covering(bounds: Bounds, z: int) -> Iterator[Tile]:
    """Every tile at zoom ``z`` that the EPSG:3857 rectangle ``bounds`` touches (edges included)."""
    xmin, ymin, xmax, ymax = bounds
    first, last = tile_at(xmin, ymax, z), tile_at(xmax, ymin, z)
    for tx in range(first.x, last.x + 1):
        for ty in range(first.y, last.y + 1):
            yield Tile(z, tx, ty)


def tile_range(bounds: Bounds, z: int) -> tuple[int, int, int, int]:
    """The columns and rows (x0, y0, x1, y1, inclusive) of the tiles at ``z`` that ``bounds`` touches."""
    xmin, ymin, xmax, ymax = bounds
    first, last = tile_at(xmin, ymax, z), tile_at(xmax, ymin, z)
    return first.x, first.y, last.x, last.y


def parent(tile: Tile, z: int) -> Tile:
    """The ancestor of ``tile`` at the lower zoom ``z`` (the tile itself when ``z`` is its zoom)."""
    if z > tile.z:
        raise TileError("z", f"zoom {z} is deeper than the tile's {tile.z}")
    shift = tile.z - z
    return Tile(z, tile.x >> shift, tile.y >> shift)


def children_range(tile: Tile, z: int) -> tuple[int, int, int, int]:
    """The columns and rows (x0, y0, x1, y1, inclusive) of the descendants of ``tile`` at zoom ``z``."""
    if z < tile.z:
        raise TileError("z", f"zoom {z} is shallower than the tile's {tile.z}")
    shift = z - tile.z
    side = 1 << shift
    return tile.x << shift, tile.y << shift, (tile.x << shift) + side - 1, (tile.y << shift) + side - 1
