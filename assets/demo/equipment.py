"""Cameras, environmental sensors, the fleet at its depots, public buildings and their meters."""

from __future__ import annotations

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import Polygon

from assets.demo.density import CommuneShape, Density, UrbanCentre, commune_index, dijon_centre
from assets.demo.names import BUILDINGS, CAMERA_MAKERS, PEOPLE, SENSOR_MAKERS, VEHICLES, of, weighted_pick
from assets.demo.spatial import points, random_dates, spread_pick, unique_hex
from assets.demo.streets import StreetNetwork

CAMERAS = 269
PTZ_SHARE = 0.35
PLANNED_CAMERAS = 5
SENSORS = {"noise": 50, "air": 60, "temperature": 40}  # 150 LoRa sensors
DEPOTS = (  # name, commune, offset from its centre (m), vehicles
    ("Centre technique municipal", "21231", (1900.0, -1600.0), 70),
    ("Dépôt nord Toison d'Or", "21231", (1400.0, 2700.0), 45),
    ("Centre technique de Chenôve", "21166", (0.0, 0.0), 35),
    ("Dépôt de Longvic", "21355", (0.0, 0.0), 30),
    ("Dépôt de Quetigny", "21515", (0.0, 0.0), 25),
)
PLATE_LETTERS = np.array(list("ABCDEFGHJKLMNPQRSTVWXYZ"))  # no I, O, U on French plates


def _sector(x: float, y: float, heading: float, half_angle: float, depth: float) -> Polygon:
    """A field-of-view polygon: apex at the camera, opening ``2 * half_angle`` radians."""
    angles = heading + np.linspace(-half_angle, half_angle, 9)
    arc = np.column_stack([x + depth * np.cos(angles), y + depth * np.sin(angles)])
    return Polygon([(x, y), *arc.tolist()])


def build_cameras(net: StreetNetwork, density: Density, rng: np.random.Generator) -> tuple[list[dict], np.ndarray]:
    """269 cameras at street corners, most of them in the centre, each looking down a street."""
    ptr, neighbour, _ = net.incidence()
    lit_node = np.zeros(len(net.node_xy), dtype=bool)
    lit_edges = net.lit[net.edge_street]
    lit_node[net.edge_nodes[lit_edges].ravel()] = True
    candidates = np.flatnonzero(lit_node & (np.diff(ptr) >= 2))
    xy = net.node_xy[candidates]
    chosen = candidates[spread_pick(xy, density.weight(xy[:, 0], xy[:, 1], power=4.5), CAMERAS, 50.0, rng)]
    n = len(chosen)
    ptz = rng.random(n) < PTZ_SHARE
    planned = np.zeros(n, dtype=bool)
    planned[rng.choice(n, PLANNED_CAMERAS, replace=False)] = True
    cam_xy = net.node_xy[chosen] + rng.choice([-1.0, 1.0], (n, 2)) * 3.0
    dates = random_dates(rng, "2012-01-01", "2024-06-30", n)
    geoms = points(cam_xy)
    records = []
    for i, node in enumerate(chosen):
        j = ptr[node] + rng.integers(0, ptr[node + 1] - ptr[node])
        u = net.node_xy[neighbour[j]] - net.node_xy[node]
        heading = float(np.arctan2(u[1], u[0]) + rng.normal(0, 0.15))
        kind = "ptz" if ptz[i] else "fixed"
        half = np.radians(rng.uniform(50, 70) if ptz[i] else rng.uniform(20, 35))
        depth = rng.uniform(40, 60) if ptz[i] else rng.uniform(30, 55)
        maker, model = CAMERA_MAKERS[kind][rng.integers(0, 3)]
        records.append({
            "code": f"CAM-{i + 1:04d}",
            "status": "planned" if planned[i] else "in_service",
            "geom": geoms[i],
            "camera_type": kind,
            "fov": _sector(*cam_xy[i], heading, half, depth),
            "manufacturer": maker,
            "model": model,
            "install_date": None if planned[i] else dates[i],
        })
    return records, cam_xy


def build_sensors(pole_xy: np.ndarray, density: Density, rng: np.random.Generator) -> list[dict]:
    """150 LoRa sensors mounted on lamp poles, spread over the denser areas."""
    total = sum(SENSORS.values())
    weight = density.weight(pole_xy[:, 0], pole_xy[:, 1], power=1.5)
    chosen = spread_pick(pole_xy, weight, total, 150.0, rng)
    types = np.repeat(list(SENSORS), list(SENSORS.values()))
    rng.shuffle(types)
    euis = unique_hex(rng, "A84041", total)
    dates = random_dates(rng, "2019-01-01", "2024-10-31", total)
    geoms = points(pole_xy[chosen] + np.array([0.3, 0.0]))
    return [
        {
            "code": f"CAP-{i + 1:04d}",
            "geom": geoms[i],
            "sensor_type": str(types[i]),
            "dev_eui": euis[i],
            "manufacturer": SENSOR_MAKERS[types[i]][0],
            "model": SENSOR_MAKERS[types[i]][1],
            "install_date": dates[i],
        }
        for i in range(total)
    ]


def _plates(rng: np.random.Generator, n: int) -> list[str]:
    plates: list[str] = []
    while len(plates) < n:
        a = "".join(rng.choice(PLATE_LETTERS, 2))
        b = "".join(rng.choice(PLATE_LETTERS, 2))
        plate = f"{a}-{rng.integers(1, 1000):03d}-{b}"
        if a not in ("SS", "WW") and b != "SS" and plate not in plates:
            plates.append(plate)
    return plates


def build_vehicles(centres: list[UrbanCentre], net: StreetNetwork, rng: np.random.Generator) -> list[dict]:
    """205 vehicles parked at five depots (the geometry is the depot; positions are live data)."""
    centre_of = {c.insee: (c.x, c.y) for c in centres}
    dijon = dijon_centre()
    records: list[dict] = []
    total = sum(d[3] for d in DEPOTS)
    plates = _plates(rng, total)
    trackers = [f"GPS-{v}" for v in unique_hex(rng, "", total, width=10)]
    picks = weighted_pick(rng, VEHICLES, total)
    dates = random_dates(rng, "2012-01-01", "2024-09-30", total)
    for name, insee, (dx, dy), count in DEPOTS:
        cx, cy = centre_of.get(insee, dijon) if insee != "21231" else dijon
        anchor = np.array([cx + dx, cy + dy])
        node = net.node_xy[np.argmin(np.hypot(*(net.node_xy - anchor).T))]
        yard = node + np.array([18.0, 14.0])
        for k in range(count):
            i = len(records)
            kind, maker, model, _ = VEHICLES[picks[i]]
            records.append({
                "code": f"VEH-{i + 1:04d}",
                "name": f"{maker} {model}",
                "geom": shapely.Point(yard + np.array([(k % 12) * 3.0, (k // 12) * 6.5])),
                "plate": plates[i],
                "vehicle_type": kind,
                "tracker_id": trackers[i],
                "manufacturer": maker,
                "model": model,
                "install_date": dates[i],
                "attrs": {"depot": name},
            })
    return records


def build_buildings(
    communes: list[CommuneShape], centres: list[UrbanCentre], net: StreetNetwork, density: Density,
    rng: np.random.Generator,
) -> tuple[list[dict], list[dict]]:
    """180 public buildings (a town hall per commune, then schools, gyms...) and their meters."""
    blocks = net.blocks
    block_commune = commune_index(communes, blocks[:, 0], blocks[:, 1])
    taken = np.zeros(len(blocks), dtype=bool)
    sites: list[tuple[str, str, np.ndarray, float]] = []  # use, name, centre, block size
    for c, commune in enumerate(communes):
        centre = next(u for u in centres if u.insee == commune.insee)
        mine = np.flatnonzero(block_commune == c)
        if len(mine):
            b = mine[np.argmin(np.hypot(blocks[mine, 0] - centre.x, blocks[mine, 1] - centre.y))]
            taken[b] = True
            sites.append(("town_hall", f"Mairie {of(commune.name)}", blocks[b, :2], blocks[b, 2]))
        else:
            sites.append(("town_hall", f"Mairie {of(commune.name)}", np.array([centre.x, centre.y]), 100.0))
    uses = [use for use, (count, _) in BUILDINGS.items() for _ in range(count)]
    free = np.flatnonzero(~taken)
    weight = density.weight(blocks[free, 0], blocks[free, 1], power=1.0)
    chosen = free[spread_pick(blocks[free, :2], weight, len(uses), 1.0, rng)]
    people = np.array(PEOPLE, dtype=object)
    for use, b in zip(uses, chosen, strict=True):
        prefix = BUILDINGS[use][1][rng.integers(0, len(BUILDINGS[use][1]))]
        sites.append((use, f"{prefix} {people[rng.integers(0, len(people))]}", blocks[b, :2], blocks[b, 2]))

    buildings, meters = [], []
    for i, (use, name, (x, y), size) in enumerate(sites):
        w = min(rng.uniform(0.25, 0.5) * size, 90.0)
        h = min(rng.uniform(0.2, 0.45) * size, 70.0)
        footprint = affinity.rotate(shapely.box(x - w / 2, y - h / 2, x + w / 2, y + h / 2),
                                    rng.uniform(-8, 8), origin="center")
        floors = int(rng.integers(1, 5))
        area = round(w * h * floors, 1)
        model = "sdm630" if area > 1500 else str(rng.choice(["sdm120", "iem3000"]))
        meters.append({
            "code": f"CPT-B{i + 1:05d}",
            "geom": footprint.representative_point(),
            "meter_model": model,
            "register_map": model,
            "manufacturer": "Schneider Electric" if model == "iem3000" else "Eastron",
            "model": {"sdm120": "SDM120-Modbus", "sdm630": "SDM630-Modbus", "iem3000": "iEM3155"}[model],
        })
        buildings.append({
            "code": f"BAT-{i + 1:04d}",
            "name": name,
            "geom": footprint,
            "building_use": use,
            "floor_area_m2": area,
        })
    return buildings, meters
