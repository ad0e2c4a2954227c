"""Small builders for inventory tests: positions inside Dijon, minimal valid records per kind."""

from __future__ import annotations

from typing import Any

from shapely.geometry import LineString, Point

from gis.crs import to_storage
from gis.geometry import reproject

DARCY = (5.0345, 47.3226)  # place Darcy, Dijon (lon, lat)


def l93(lon: float, lat: float) -> Point:
    """A WGS84 position as a Lambert-93 point."""
    return reproject(Point(lon, lat), to_storage("EPSG:4326"))


def near(dx_m: float = 0.0, dy_m: float = 0.0) -> Point:
    """A Lambert-93 point ``dx_m``/``dy_m`` metres from place Darcy."""
    base = l93(*DARCY)
    return Point(base.x + dx_m, base.y + dy_m)


def line(*points: Point) -> LineString:
    return LineString([(p.x, p.y) for p in points])


MINIMAL: dict[str, dict[str, Any]] = {
    "cabinet": {"contract_power_kva": 36},
    "circuit": {},
    "pole": {},
    "luminaire": {"is_led": True, "power_w": 40},
    "signal_controller": {"intersection": "Place Darcy"},
    "signal_head": {},
    "camera": {"camera_type": "fixed"},
    "vehicle": {"plate": "AB-123-CD"},
    "fibre_node": {"node_type": "chamber"},
    "fibre_segment": {},
    "sensor": {"sensor_type": "noise", "dev_eui": "70B3D57ED0000001"},
    "energy_meter": {"unit_id": 1, "meter_model": "sdm630"},
    "building": {},
}
