"""Tile maths: addresses, bounds, resolution, the pyramid's limits (pure, no database)."""

from __future__ import annotations

import math

import pytest

from gis.tiles import (
    ORIGIN_SHIFT,
    Tile,
    TileError,
    check_tile,
    children_range,
    ground_resolution,
    lonlat_bounds,
    lonlat_to_mercator,
    mercator_to_lonlat,
    parent,
    resolution,
    tile_at,
    tile_bounds,
    tile_for_lonlat,
    tile_range,
    tile_size,
    tiles_covering,
)

DARCY = (5.0345, 47.3226)


def test_world_tile_is_the_mercator_square() -> None:
    assert tile_bounds(0, 0, 0) == pytest.approx((-ORIGIN_SHIFT, -ORIGIN_SHIFT, ORIGIN_SHIFT, ORIGIN_SHIFT))
    assert tile_size(0) == pytest.approx(2 * ORIGIN_SHIFT)


def test_rows_count_from_the_north() -> None:
    north_west = tile_bounds(1, 0, 0)
    assert north_west == pytest.approx((-ORIGIN_SHIFT, 0.0, 0.0, ORIGIN_SHIFT))
    assert tile_bounds(1, 1, 1) == pytest.approx((0.0, -ORIGIN_SHIFT, ORIGIN_SHIFT, 0.0))


def test_place_darcy_is_in_its_tile_at_every_zoom() -> None:
    x, y = lonlat_to_mercator(*DARCY)
    for z in range(0, 23):
        tile = tile_for_lonlat(*DARCY, z)
        xmin, ymin, xmax, ymax = tile_bounds(tile.z, tile.x, tile.y)
        assert xmin <= x < xmax and ymin < y <= ymax
        west, south, east, north = lonlat_bounds(tile.z, tile.x, tile.y)
        assert west <= DARCY[0] <= east and south <= DARCY[1] <= north
    # The OpenStreetMap formula, written independently.
    lat = math.radians(DARCY[1])
    osm_y = int((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * 2**14)
    assert tile_for_lonlat(*DARCY, 14) == Tile(14, int((DARCY[0] + 180) / 360 * 2**14), osm_y) == Tile(14, 8421, 5741)


def test_mercator_round_trip_and_clamping() -> None:
    for lon, lat in [DARCY, (-179.9, -60.0), (0.0, 0.0), (120.5, 70.1)]:
        assert mercator_to_lonlat(*lonlat_to_mercator(lon, lat)) == pytest.approx((lon, lat))
    assert lonlat_to_mercator(0.0, 90.0)[1] == pytest.approx(ORIGIN_SHIFT)


def test_margin_grows_the_tile_like_st_tileenvelope() -> None:
    xmin, ymin, xmax, ymax = tile_bounds(14, 8421, 5741)
    side = xmax - xmin
    grown = tile_bounds(14, 8421, 5741, margin=64 / 4096)
    assert grown == pytest.approx((xmin - side / 64, ymin - side / 64, xmax + side / 64, ymax + side / 64))


def test_resolution_per_zoom() -> None:
    assert resolution(0) == pytest.approx(2 * ORIGIN_SHIFT / 4096)
    assert resolution(14) == pytest.approx(resolution(13) / 2)
    assert resolution(14, extent=256) == pytest.approx(tile_size(14) / 256)
    assert ground_resolution(14, 47.32) == pytest.approx(resolution(14) * math.cos(math.radians(47.32)))
    assert 0.4 < ground_resolution(14, 47.32) < 0.45  # metres per tile unit in Dijon at z14


@pytest.mark.parametrize(
    ("z", "x", "y", "field"),
    [(-1, 0, 0, "z"), (23, 0, 0, "z"), (3, 8, 0, "x"), (3, -1, 0, "x"), (3, 0, 8, "y"), (0, 0, 1, "y")],
)
def test_addresses_outside_the_pyramid_name_the_coordinate(z: int, x: int, y: int, field: str) -> None:
    with pytest.raises(TileError) as caught:
        check_tile(z, x, y, max_zoom=22)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def test_valid_addresses_pass() -> None:
    assert check_tile(0, 0, 0) == Tile(0, 0, 0)
    assert check_tile(22, (1 << 22) - 1, 0, max_zoom=22) == Tile(22, (1 << 22) - 1, 0)
    assert str(Tile(14, 8421, 5741)) == "14/8421/5741"


def test_covering_a_box() -> None:
    xmin, ymin, xmax, ymax = tile_bounds(12, 2105, 1435)
    inner = (xmin + 1, ymin + 1, xmax - 1, ymax - 1)
    assert list(tiles_covering(inner, 12)) == [Tile(12, 2105, 1435)]
    assert len(list(tiles_covering(inner, 14))) == 16
    assert tile_range(inner, 14) == (2105 * 4, 1435 * 4, 2105 * 4 + 3, 1435 * 4 + 3)
    assert tile_at(1e9, -1e9, 3) == Tile(3, 7, 7)  # clamped into the world


def test_parents_and_children() -> None:
    tile = tile_for_lonlat(*DARCY, 16)
    assert parent(tile, 16) == tile
    up = parent(tile, 11)
    x0, y0, x1, y1 = children_range(up, 16)
    assert x0 <= tile.x <= x1 and y0 <= tile.y <= y1
    assert (x1 - x0 + 1, y1 - y0 + 1) == (32, 32)
    with pytest.raises(TileError):
        parent(up, 12)
    with pytest.raises(TileError):
        children_range(tile, 15)
