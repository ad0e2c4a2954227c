"""Vehicles driving the generated streets: out of the depot yard, along shortest paths on the street
graph at street-class speeds to one or two work sites, a stop at each, back to the depot, a break,
and again. Positions are computed lazily for any time asked, so 205 vehicles cost nothing between
reports; each report is a GPS fix (MQTT JSON, or an OsmAnd-style HTTP query for phone trackers).
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

import numpy as np

from connectors.simulators.fleet_model import VehicleDevice
from connectors.simulators.street_graph import StreetGraph
from gis.crs import WGS84_SRID, from_storage, to_storage

YARD_SPEED_KMH = 10.0
METRES_PER_DEGREE = 111_320.0
KMH_PER_KNOT = 1.852
SLOW_TYPES = {"truck": 0.85, "bucket_truck": 0.8, "sweeper": 0.6}


@dataclass(frozen=True, slots=True)
class Fix:
    """Where a vehicle is at ``t``: WGS84 position, speed, heading (degrees clockwise from north)."""

    t: float
    lon: float
    lat: float
    speed_kmh: float
    heading_deg: float


class Leg:
    """A stretch of the day: a polyline driven at per-segment speeds, or a stop (speed 0)."""

    __slots__ = ("heading", "lonlat", "speed_kmh", "times")

    def __init__(self, t0: float, lonlat: np.ndarray, speed_kmh: np.ndarray, metres: np.ndarray,
                 stop_s: float = 0.0) -> None:
        if stop_s:
            self.times = np.array([t0, t0 + stop_s])
        else:
            seconds = metres / np.maximum(speed_kmh / 3.6, 0.1)
            self.times = t0 + np.concatenate([[0.0], np.cumsum(seconds)])
        self.lonlat = lonlat
        self.speed_kmh = speed_kmh
        self.heading = bearings(lonlat)

    @property
    def end(self) -> float:
        return float(self.times[-1])

    def fix(self, t: float, last_heading: float) -> Fix:
        i = int(np.searchsorted(self.times, t, side="right")) - 1
        i = min(max(i, 0), len(self.times) - 2)
        span = self.times[i + 1] - self.times[i]
        frac = min(max((t - self.times[i]) / span, 0.0), 1.0) if span > 0 else 1.0
        lon, lat = self.lonlat[i] + (self.lonlat[i + 1] - self.lonlat[i]) * frac
        speed = float(self.speed_kmh[i])
        heading = float(self.heading[i]) if speed > 0 else last_heading
        return Fix(t, float(lon), float(lat), speed, heading)


def bearings(lonlat: np.ndarray) -> np.ndarray:
    """Initial great-circle bearing of each segment of a lon/lat polyline, degrees in [0, 360)."""
    if len(lonlat) < 2:
        return np.zeros(0)
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    dlon = lon[1:] - lon[:-1]
    y = np.sin(dlon) * np.cos(lat[1:])
    x = np.cos(lat[:-1]) * np.sin(lat[1:]) - np.sin(lat[:-1]) * np.cos(lat[1:]) * np.cos(dlon)
    return np.degrees(np.arctan2(y, x)) % 360


class VehicleDriver:
    """One simulated vehicle and its tracker; ``fix_at`` plans the day as far as asked."""

    __slots__ = ("depot_lonlat", "depot_node", "device", "graph", "heading", "job", "legs", "rng", "skill", "t_planned")

    def __init__(self, device: VehicleDevice, graph: StreetGraph | None, now: float, seed: int = 0) -> None:
        self.device = device
        self.graph = graph
        self.rng = random.Random(f"{seed}:{device.tracker_id}")
        self.skill = self.rng.uniform(0.8, 1.0) * SLOW_TYPES.get(device.vehicle_type or "", 1.0)
        lon, lat = from_storage().transform(*device.depot_xy)
        self.depot_lonlat = np.array([lon, lat])
        self.depot_node = graph.nearest_node(*device.depot_xy) if graph is not None else None
        if graph is not None and self.depot_node is not None:
            graph.tree(self.depot_node, keep=True)
        self.heading = 0.0
        self.job: tuple[tuple[float, float], float] | None = None
        self.legs: deque[Leg] = deque()
        self.t_planned = now
        self._stop(self.depot_lonlat, self.rng.uniform(0, 180))  # leave within 3 minutes

    def fix_at(self, t: float, noise_m: float = 0.0) -> Fix:
        """The vehicle's position, speed and heading at ``t`` (not before the previous call's ``t``)."""
        if self.job is not None:
            (target_xy, stop_s), self.job = self.job, None
            self.go_to(t, target_xy, stop_s)
        while self.legs and self.legs[0].end < t:
            if len(self.legs) == 1:
                self._plan_trip()
            self.legs.popleft()
        if not self.legs:
            self._plan_trip()
        fix = self.legs[0].fix(t, self.heading)
        self.heading = fix.heading_deg
        if noise_m:
            lat_err = self.rng.gauss(0, noise_m) / METRES_PER_DEGREE
            lon_err = self.rng.gauss(0, noise_m) / (METRES_PER_DEGREE * math.cos(math.radians(fix.lat)))
            fix = Fix(t, fix.lon + lon_err, fix.lat + lat_err, fix.speed_kmh, fix.heading_deg)
        return fix

    def send_to(self, target_xy: tuple[float, float], stop_s: float) -> None:
        """Give the vehicle a job (from any thread): it leaves for it at its next fix."""
        self.job = (target_xy, stop_s)

    def go_to(self, t: float, target_xy: tuple[float, float], stop_s: float) -> None:
        """A job (a crew sent to a work order): from where it is at ``t``, drive to ``target_xy``
        (Lambert-93), stop there ``stop_s`` seconds, drive back to the depot; then its day goes on."""
        here = self.fix_at(t)
        here_xy = tuple(to_storage(f"EPSG:{WGS84_SRID}").transform(here.lon, here.lat))
        target = np.array(from_storage().transform(*target_xy))
        self.legs.clear()
        self.t_planned = t
        start = np.array([here.lon, here.lat])
        graph = self.graph
        if graph is None or self.depot_node is None or len(graph) < 2:
            metres = np.array([math.dist(here_xy, target_xy)])
            leg = Leg(t, np.array([start, target]), np.array([YARD_SPEED_KMH * 3]), metres)
            self.legs.append(leg)
            self.t_planned = leg.end
            self._stop(target, stop_s)
            return
        site = graph.nearest_node(*target_xy)
        self._drive(graph.path(graph.nearest_node(*here_xy), site), start=start, end=target,
                    start_xy=here_xy, end_xy=target_xy)  # type: ignore[arg-type]
        self._stop(target, stop_s)
        self._drive(graph.path(self.depot_node, site)[::-1], start=target, start_xy=target_xy, end=self.depot_lonlat)
        self._stop(self.depot_lonlat, self.rng.uniform(300, 900))

    # -- planning ---------------------------------------------------------------------------------------
    def _stop(self, lonlat: np.ndarray, seconds: float) -> None:
        leg = Leg(self.t_planned, np.array([lonlat, lonlat]), np.zeros(1), np.zeros(1), stop_s=max(seconds, 1.0))
        self.legs.append(leg)
        self.t_planned = leg.end

    def _drive(self, nodes: list[int], start: np.ndarray | None = None, end: np.ndarray | None = None,
               start_xy: tuple[float, float] | None = None, end_xy: tuple[float, float] | None = None) -> None:
        """Drive through ``nodes``, from ``start`` and to ``end`` off the streets (the depot's yard unless
        their Lambert-93 ``start_xy``/``end_xy`` say otherwise) at yard speed."""
        graph = self.graph
        assert graph is not None
        points = [graph.node_lonlat[n] for n in nodes]
        xy = [graph.node_xy[n] for n in nodes]
        speeds = [graph.speed_kmh(a, b) * self.skill * self.rng.uniform(0.85, 1.05) for a, b in pairwise(nodes)]
        if start is not None:
            points.insert(0, start)
            xy.insert(0, np.array(start_xy or self.device.depot_xy))
            speeds.insert(0, YARD_SPEED_KMH)
        if end is not None:
            points.append(end)
            xy.append(np.array(end_xy or self.device.depot_xy))
            speeds.append(YARD_SPEED_KMH)
        if len(points) < 2:
            return
        xy_arr = np.array(xy)
        metres = np.hypot(*np.diff(xy_arr, axis=0).T)
        leg = Leg(self.t_planned, np.array(points), np.array(speeds), metres)
        self.legs.append(leg)
        self.t_planned = leg.end

    def _plan_trip(self) -> None:
        """Depot → site A → (site B) → depot, with stops; a vehicle with no streets stays parked."""
        graph, depot, rng = self.graph, self.depot_node, self.rng
        if graph is None or depot is None or len(graph) < 2:
            self._stop(self.depot_lonlat, 600)
            return
        dist, _pred = graph.tree(depot, keep=True)
        site_a = _pick(graph.within(dist, 800, 6000), rng)
        self._drive(graph.path(depot, site_a), start=self.depot_lonlat)
        self._stop(graph.node_lonlat[site_a], rng.uniform(180, 1200))
        last = site_a
        if rng.random() < 0.5:
            dist_a, pred_a = graph.tree(site_a, limit_m=3500)
            site_b = _pick(graph.within(dist_a, 400, 3000), rng)
            if site_b != site_a:
                self._drive(graph.walk_back(pred_a, site_a, site_b))
                self._stop(graph.node_lonlat[site_b], rng.uniform(180, 900))
                last = site_b
        self._drive(graph.path(depot, last)[::-1], end=self.depot_lonlat)
        self._stop(self.depot_lonlat, rng.uniform(300, 1800))


def _pick(nodes: np.ndarray, rng: random.Random) -> int:
    return int(nodes[rng.randrange(len(nodes))])


def gps_message(tracker_id: str, fix: Fix, message_id: str, ts: str) -> dict[str, Any]:
    """CityPilot's own GPS message (docs/MQTT.md), for ``citypilot/v1/devices/{tracker}/gps``."""
    return {
        "id": message_id,
        "ts": ts,
        "lat": round(fix.lat, 6),
        "lon": round(fix.lon, 6),
        "speed_kmh": round(fix.speed_kmh, 1),
        "heading_deg": round(fix.heading_deg) % 360,
        "accuracy_m": 5,
    }


def osmand_query(tracker_id: str, fix: Fix) -> str:
    """The OsmAnd / Traccar phone-tracker query string: speed in knots, time in POSIX seconds."""
    return urlencode(osmand_params(tracker_id, fix))


def osmand_params(tracker_id: str, fix: Fix) -> dict[str, str | int]:
    """The parameters of :func:`osmand_query`."""
    return {
        "id": tracker_id,
        "lat": f"{fix.lat:.6f}",
        "lon": f"{fix.lon:.6f}",
        "timestamp": int(fix.t),
        "speed": f"{fix.speed_kmh / KMH_PER_KNOT:.2f}",
        "bearing": f"{fix.heading_deg:.0f}",
        "altitude": "245",
        "accuracy": "8",
    }
