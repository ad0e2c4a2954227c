"""Where the demo city is dense: an urban centre per commune, Dijon's own the densest.

The city is described by a target *block size* (metres between parallel streets) at every point:
small in Dijon's historic centre, growing with the distance from each commune's centre, large in
the fields and forests between villages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gis.crs import to_storage

DIJON_INSEE = "21231"
DIJON_CENTRE_LONLAT = (5.0415, 47.3220)

# Approximate municipal populations (INSEE, late 2010s): they size each commune's urban centre.
POPULATION = {
    "21003": 1350, "21105": 1050, "21106": 900, "21166": 14000, "21171": 11300, "21192": 650,
    "21223": 1500, "21231": 156900, "21263": 1700, "21270": 200, "21278": 9000, "21315": 1250,
    "21355": 9200, "21370": 900, "21390": 5300, "21452": 2900, "21473": 1500, "21481": 1650,
    "21485": 2800, "21515": 9700, "21540": 7600, "21605": 2300, "21617": 11400,
}
DEFAULT_POPULATION = 1000
DIJON_B0 = 110.0  # metres between streets in the historic centre
DIJON_SCALE_M = 2800.0
TOWN_SCALE_M = 330.0
TOWN_SHRINK_M = 80.0  # small villages are smaller than the square-root law says
PROFILE = 1.4  # how fast blocks grow away from a centre


@dataclass(frozen=True)
class CommuneShape:
    """A current commune: INSEE code, name and Lambert-93 (multi)polygon."""

    insee: str
    name: str
    geom: BaseGeometry


@dataclass(frozen=True)
class UrbanCentre:
    """A centre the block size grows from: ``b0 * 2 ** ((d / scale) ** PROFILE)`` at distance ``d``."""

    insee: str
    x: float
    y: float
    b0: float
    scale_m: float


def dijon_centre() -> tuple[float, float]:
    """Dijon's historic centre in Lambert-93."""
    x, y = to_storage("EPSG:4326").transform(*DIJON_CENTRE_LONLAT)
    return float(x), float(y)


def urban_centres(communes: list[CommuneShape]) -> list[UrbanCentre]:
    """One centre per commune (Dijon's at its historic centre, others at their centroid)."""
    centres = []
    for commune in communes:
        population = POPULATION.get(commune.insee, DEFAULT_POPULATION)
        if commune.insee == DIJON_INSEE:
            x, y = dijon_centre()
            centres.append(UrbanCentre(commune.insee, x, y, b0=DIJON_B0, scale_m=DIJON_SCALE_M))
            continue
        point = commune.geom.centroid
        if not commune.geom.contains(point):
            point = commune.geom.point_on_surface()
        b0 = 260.0 if population >= 8000 else 290.0 if population >= 2500 else 320.0
        scale = max(60.0, TOWN_SCALE_M * (population / 1000) ** 0.5 - TOWN_SHRINK_M)
        centres.append(UrbanCentre(commune.insee, point.x, point.y, b0=b0, scale_m=scale))
    return centres


class Density:
    """The target block size (m) anywhere: the smallest any urban centre asks for."""

    def __init__(self, centres: list[UrbanCentre]) -> None:
        self.centres = centres
        self._xy = np.array([(c.x, c.y) for c in centres])
        self._b0 = np.array([c.b0 for c in centres])
        self._h = np.array([c.scale_m for c in centres])

    def block_size(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Target block size in metres at each (x, y)."""
        x = np.asarray(x, dtype=float)[..., None]
        y = np.asarray(y, dtype=float)[..., None]
        d = np.hypot(x - self._xy[:, 0], y - self._xy[:, 1])
        return np.min(self._b0 * np.exp2(np.minimum((d / self._h) ** PROFILE, 60.0)), axis=-1)

    def smallest_block_in(self, x: np.ndarray, y: np.ndarray, half: float) -> np.ndarray:
        """The smallest target block size anywhere in the squares of half-side ``half`` centred at (x, y)."""
        x = np.asarray(x, dtype=float)[..., None]
        y = np.asarray(y, dtype=float)[..., None]
        dx = np.maximum(np.abs(x - self._xy[:, 0]) - half, 0.0)
        dy = np.maximum(np.abs(y - self._xy[:, 1]) - half, 0.0)
        d = np.hypot(dx, dy)
        return np.min(self._b0 * np.exp2(np.minimum((d / self._h) ** PROFILE, 60.0)), axis=-1)

    def weight(self, x: np.ndarray, y: np.ndarray, power: float = 2.0) -> np.ndarray:
        """A positive weight growing with density (``(100 / block)**power``), for placing equipment."""
        return (100.0 / self.block_size(x, y)) ** power


def commune_index(communes: list[CommuneShape], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """For each point, the index of the commune containing it (or the nearest one)."""
    tree = shapely.STRtree([c.geom for c in communes])
    points = shapely.points(np.column_stack([x, y]))
    pairs = tree.query_nearest(points, all_matches=False)
    out = np.empty(len(points), dtype=np.int64)
    out[pairs[0]] = pairs[1]
    return out
