"""Public lighting: poles along the lit streets, their luminaires, cabinets, circuits and meters.

Poles stand 4 m to the right of each lit street's centre line, 26-39.5 m apart (closer where blocks
are small); one global spacing factor is solved so the city has exactly ``LIGHT_POINTS`` luminaires
(``DOUBLE_POLES`` poles carry two). Poles are grouped into cabinets of 20-80 lamps along a Hilbert
curve within each commune's built-up patches, and each cabinet's poles into 1-4 circuits along its
streets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry import MultiLineString

from assets.demo.density import CommuneShape, Density, commune_index
from assets.demo.names import CABINET_MAKERS, LED_MODELS, LEGACY_MODELS, POLE_MAKERS, weighted_pick
from assets.demo.spatial import Ref, hilbert_index, points, random_dates, unique_hex
from assets.demo.streets import StreetNetwork

LIGHT_POINTS = 36_500
LED_LIGHT_POINTS = 34_000  # 93 %: the renovation of the contract
DOUBLE_POLES = 1_750
POLES = LIGHT_POINTS - DOUBLE_POLES
SPACING_M = (26.0, 39.5)  # within the 25-40 m rule, with room for bends
POLE_OFFSET_M = 4.0
CABINET_LAMPS = (20, 80)
CABINET_MEAN_LAMPS = 36.5  # about 1,000 cabinets
KVA_STEPS = (3, 6, 9, 12, 15, 18, 24, 30, 36, 42, 48, 54, 60)
OUT_OF_SERVICE = 40  # old lamps waiting for repair


@dataclass
class Lighting:
    """Generated lighting records (references as :class:`Ref`) and what other steps need."""

    pole_xy: np.ndarray
    cabinet_xy: np.ndarray
    records: dict[str, list[dict]] = field(default_factory=dict)


def _base_spacing(block_m: np.ndarray) -> np.ndarray:
    """Spacing before the global factor: 26 m for 100 m blocks, 37 m for 400 m blocks."""
    return SPACING_M[0] + 5.5 * np.log2(np.clip(block_m, 100.0, 400.0) / 100.0)


def _counts(length: np.ndarray, spacing: np.ndarray) -> np.ndarray:
    n = np.floor(length / spacing).astype(np.int64)
    return np.where((n == 0) & (length >= 15.0), 1, n)


def place_poles(net: StreetNetwork, target: int = POLES) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pole positions (x, y), street index, distance along the street and unit normal, ``target`` poles."""
    lit = np.flatnonzero(net.lit)
    length = shapely.length(net.geoms[lit])
    base = _base_spacing(net.block_m[lit])
    low, high = 0.3, 3.0
    for _ in range(60):  # the largest factor that still gives at least ``target`` poles
        mid = (low + high) / 2
        if _counts(length, np.clip(base * mid, *SPACING_M)).sum() >= target:
            low = mid
        else:
            high = mid
    spacing = np.clip(base * low, *SPACING_M)
    n = _counts(length, spacing)
    if n.sum() < target:
        raise ValueError(f"the street network carries only {n.sum()} poles, {target} needed")
    excess = int(n.sum() - target)
    if excess:  # shorten the longest streets by one pole each (the spacing stays)
        longest = np.argsort(-n, kind="stable")[:excess]
        n[longest] -= 1
    street = np.repeat(lit, n)
    first = np.repeat(np.cumsum(n) - n, n)
    k = np.arange(n.sum()) - first
    start = np.repeat((length - (n - 1) * spacing) / 2, n)
    pos = start + k * np.repeat(spacing, n)
    lines = net.geoms[street]
    here = shapely.line_interpolate_point(lines, pos)
    ahead = shapely.line_interpolate_point(lines, np.minimum(pos + 0.5, np.repeat(length, n)))
    behind = shapely.line_interpolate_point(lines, np.maximum(pos - 0.5, 0.0))
    d = shapely.get_coordinates(ahead) - shapely.get_coordinates(behind)
    d /= np.maximum(np.hypot(*d.T), 1e-9)[:, None]
    normal = np.column_stack([d[:, 1], -d[:, 0]])  # right-hand side of the street's direction
    xy = shapely.get_coordinates(here) + normal * POLE_OFFSET_M
    return xy, street, pos, normal


def _split_sizes(total: int, rng: np.random.Generator) -> np.ndarray:
    """Cabinet sizes (lamps) summing to ``total``, each within CABINET_LAMPS (a bit inside)."""
    low, high = CABINET_LAMPS[0] + 1, CABINET_LAMPS[1] - 2
    k = max(1, round(total / CABINET_MEAN_LAMPS))
    k = min(max(k, math.ceil(total / high)), max(1, total // low))
    raw = rng.lognormal(np.log(CABINET_MEAN_LAMPS - 2), 0.35, k)
    sizes = np.clip(np.round(raw / raw.sum() * total), low, high).astype(np.int64)
    while sizes.sum() != total:  # settle rounding and clipping, one lamp at a time
        step = 1 if sizes.sum() < total else -1
        room = (sizes < high) if step > 0 else (sizes > low)
        if not room.any():
            break
        sizes[rng.choice(np.flatnonzero(room))] += step
    return sizes


def _absorb_small(label: np.ndarray, xy: np.ndarray, lamps: np.ndarray) -> np.ndarray:
    """Groups with too few lamps for a cabinet join the group of the nearest pole outside them."""
    label = label.copy()
    tree = cKDTree(xy)
    k = min(CABINET_LAMPS[0], len(xy))  # a small group has fewer poles: one of them is foreign
    while True:
        count = np.bincount(label, weights=lamps)
        small_pole = np.flatnonzero(count[label] < CABINET_LAMPS[0])
        if not len(small_pole):
            return label
        gap, near = tree.query(xy[small_pole], k=k)
        foreign = label[near] != label[small_pole][:, None]
        gap = np.where(foreign, gap, np.inf)
        best = np.argmin(gap, axis=1)
        best_gap = gap[np.arange(len(small_pole)), best]
        target = label[near[np.arange(len(small_pole)), best]]
        # per small group, the closest foreign pole wins; one merge per group and round
        order = np.lexsort((best_gap, label[small_pole]))
        first = order[np.r_[True, np.diff(label[small_pole][order]) != 0]]
        first = first[np.isfinite(best_gap[first])]
        if not len(first):
            raise ValueError("a lighting group has no neighbour to join")
        n = int(label.max()) + 1
        merges = coo_matrix((np.ones(len(first)), (label[small_pole][first], target[first])), shape=(n, n))
        label = connected_components(merges, directed=False)[1][label]


def group_cabinets(
    communes: list[CommuneShape], pole_xy: np.ndarray, lamps_per_pole: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Cabinet index of each pole: runs along a Hilbert curve within each commune's built-up patches
    (poles chained < 150 m apart), cut where the curve jumps, then into groups of 20-80 lamps."""
    commune = commune_index(communes, pole_xy[:, 0], pole_xy[:, 1])
    pairs = cKDTree(pole_xy).query_pairs(150.0, output_type="ndarray")
    pairs = pairs[commune[pairs[:, 0]] == commune[pairs[:, 1]]]
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(pole_xy),) * 2)
    _, area = connected_components(graph, directed=False)
    curve = hilbert_index(pole_xy[:, 0], pole_xy[:, 1])
    order = np.lexsort((curve, area))
    jump = np.hypot(*np.diff(pole_xy[order], axis=0).T) > 250.0
    run = np.empty(len(pole_xy), dtype=np.int64)
    run[order] = np.concatenate([[0], np.cumsum(jump | (np.diff(area[order]) != 0))])
    run = _absorb_small(run, pole_xy, lamps_per_pole)
    order = np.lexsort((curve, run))
    cabinet = np.empty(len(pole_xy), dtype=np.int64)
    next_cabinet = 0
    for part in np.split(order, np.flatnonzero(np.diff(run[order])) + 1):
        cumulative = np.cumsum(lamps_per_pole[part])
        sizes = _split_sizes(int(cumulative[-1]), rng)
        cut = np.searchsorted(cumulative, np.cumsum(sizes)[:-1], side="right")
        labels = np.zeros(len(part), dtype=np.int64)
        labels[cut] += 1
        cabinet[part] = next_cabinet + np.cumsum(labels)
        next_cabinet += len(sizes)
    return cabinet


def _kva(load_w: np.ndarray) -> np.ndarray:
    """Subscribed power for a load: a standard step above load / 0.9 with a 20 % margin."""
    need = load_w / 1000.0 / 0.9 * 1.2
    steps = np.array(KVA_STEPS, dtype=float)
    return steps[np.minimum(np.searchsorted(steps, need), len(steps) - 1)]


def build_lighting(
    net: StreetNetwork, communes: list[CommuneShape], density: Density, rng: np.random.Generator
) -> Lighting:
    """Every lighting record: cabinets, circuits, poles, luminaires and the cabinets' meters."""
    xy, street, pos, normal = place_poles(net)
    n_poles = len(xy)
    cls = net.classes[street]
    block = density.block_size(xy[:, 0], xy[:, 1])

    # which poles carry two luminaires: mostly along avenues and main streets
    w = np.where(cls == "primary", 6.0, np.where(cls == "secondary", 3.0, 1.0))
    double = np.zeros(n_poles, dtype=bool)
    double[rng.choice(n_poles, DOUBLE_POLES, replace=False, p=w / w.sum())] = True
    lamps_per_pole = 1 + double.astype(np.int64)

    cabinet = group_cabinets(communes, xy, lamps_per_pole, rng)
    n_cab = int(cabinet.max()) + 1
    # circuits: each cabinet's poles by street and position, cut into 1-4 runs
    order = np.lexsort((pos, street, cabinet))
    circuit = np.empty(n_poles, dtype=np.int64)
    circuit_cabinet: list[int] = []
    circuit_number: list[int] = []
    cab_bounds = np.flatnonzero(np.diff(cabinet[order])) + 1
    for cab, run in enumerate(np.split(order, cab_bounds)):
        lamps = int(lamps_per_pole[run].sum())
        k = int(np.clip(math.ceil(lamps / rng.uniform(14, 30)), 1, 4))
        for j, part in enumerate(np.array_split(run, k)):
            circuit[part] = len(circuit_cabinet)
            circuit_cabinet.append(cab)
            circuit_number.append(j + 1)
    # codes follow cabinet, circuit, street, position
    order = np.lexsort((pos, street, circuit))
    xy, street, pos, normal, cls, block = xy[order], street[order], pos[order], normal[order], cls[order], block[order]
    double, lamps_per_pole, cabinet, circuit = double[order], lamps_per_pole[order], cabinet[order], circuit[order]

    lamp_pole = np.repeat(np.arange(n_poles), lamps_per_pole)
    second = np.zeros(len(lamp_pole), dtype=bool)
    second[1:] = lamp_pole[1:] == lamp_pole[:-1]
    side = np.where(second, -0.6, np.where(double[lamp_pole], 0.6, 0.0))
    lamp_xy = xy[lamp_pole] + normal[lamp_pole] * side[:, None]
    luminaires = _luminaires(rng, lamp_xy, lamp_pole, cls[lamp_pole], block[lamp_pole])
    power = np.array([r["power_w"] for r in luminaires])
    cabinet_load = np.bincount(cabinet[lamp_pole], weights=power, minlength=n_cab)

    poles = _poles(rng, xy, street, cls, block, circuit)
    # a cabinet stands behind the pole nearest its lamps' centroid
    cab_xy = np.empty((n_cab, 2))
    cab_street = np.empty(n_cab, dtype=np.int64)
    sums = np.zeros((n_cab, 2))
    np.add.at(sums, cabinet, xy)
    centroid = sums / np.bincount(cabinet, minlength=n_cab)[:, None]
    dist = np.hypot(*(xy - centroid[cabinet]).T)
    best = np.lexsort((dist, cabinet))
    first = best[np.r_[0, np.flatnonzero(np.diff(cabinet[best])) + 1]]
    cab_xy[cabinet[first]] = xy[first] + normal[first] * 1.5
    cab_street[cabinet[first]] = street[first]
    meters, cabinets = _cabinets(rng, cab_xy, cab_street, cabinet_load, net)
    circuits = _circuits(xy, street, circuit, circuit_cabinet, circuit_number, cabinets)
    return Lighting(
        pole_xy=xy, cabinet_xy=cab_xy,
        records={"cabinet_meter": meters, "cabinet": cabinets, "circuit": circuits, "pole": poles,
                 "luminaire": luminaires},
    )


def _luminaires(rng, lamp_xy, lamp_pole, cls, block) -> list[dict]:
    n = len(lamp_xy)
    # the renovation began in the centre: the remaining old lamps are more often out of town
    w = np.clip(block, 100, 800) ** 1.5
    legacy = np.zeros(n, dtype=bool)
    legacy[rng.choice(n, n - LED_LIGHT_POINTS, replace=False, p=w / w.sum())] = True
    before = np.where(
        cls == "primary", rng.choice([150.0, 250.0], n, p=[0.6, 0.4]),
        np.where(cls == "secondary", rng.choice([100.0, 150.0], n, p=[0.5, 0.5]),
                 rng.choice([70.0, 100.0, 125.0], n, p=[0.6, 0.3, 0.1])),
    )
    led_power = np.clip(np.round(before * rng.uniform(0.24, 0.34, n) / 5) * 5, 20, 100)
    power = np.where(legacy, before, led_power)
    temp = np.where(block < 140, rng.choice([2700, 3000], n, p=[0.6, 0.4]),
                    np.where(cls == "primary", rng.choice([3000, 4000], n, p=[0.5, 0.5]), 3000))
    profiles = np.array(["dim50_23h_5h", "dim30_22h_6h", "presence_detection", "dim50_midnight"], dtype=object)
    profile = profiles[rng.integers(0, len(profiles), n)]
    has_profile = rng.random(n) < 0.7
    lora = ~legacy & (rng.random(n) < 0.86)
    dev_euis = iter(unique_hex(rng, "70B3D59BA", int(lora.sum())))
    led_models = weighted_pick(rng, LED_MODELS, n)
    old_models = weighted_pick(rng, LEGACY_MODELS, n)
    led_dates = random_dates(rng, "2014-03-01", "2024-11-30", n)
    old_dates = random_dates(rng, "1986-01-01", "2011-12-31", n)
    broken = np.zeros(n, dtype=bool)
    broken[rng.choice(np.flatnonzero(legacy), OUT_OF_SERVICE, replace=False)] = True
    geoms = points(lamp_xy)
    records = []
    for i in range(n):
        is_led = not legacy[i]
        maker, model, kind, _ = LED_MODELS[led_models[i]] if is_led else LEGACY_MODELS[old_models[i]]
        records.append({
            "code": f"LUM-{i + 1:06d}",
            "status": "out_of_service" if broken[i] else "in_service",
            "geom": geoms[i],
            "parent_id": Ref("pole", int(lamp_pole[i])),
            "luminaire_type": kind,
            "manufacturer": maker,
            "model": model,
            "is_led": is_led,
            "power_w": float(power[i]),
            "power_w_before": float(before[i]),
            "colour_temp_k": int(temp[i]) if is_led else None,
            "dimming_profile": profile[i] if is_led and has_profile[i] else None,
            "dev_eui": next(dev_euis) if lora[i] else None,
            "install_date": led_dates[i] if is_led else old_dates[i],
        })
    return records


def _poles(rng, xy, street, cls, block, circuit) -> list[dict]:
    n = len(xy)
    centre = block < 130
    u = rng.random(n)
    support = np.where(
        centre,
        np.where(u < 0.40, "candelabra", np.where(u < 0.65, "wall_bracket", np.where(u < 0.99, "mast", "catenary"))),
        np.where(u < 0.12, "candelabra", np.where(u < 0.15, "wall_bracket", "mast")),
    )
    mast_height = np.where(cls == "primary", rng.uniform(10, 12, n),
                           np.where(cls == "secondary", rng.uniform(8, 10, n), rng.uniform(5, 8, n)))
    height = np.select(
        [support == "candelabra", support == "wall_bracket", support == "catenary"],
        [rng.uniform(3.5, 5.0, n), rng.uniform(5.0, 7.0, n), np.full(n, 8.0)], mast_height,
    )
    height = np.round(height * 2) / 2
    makers = rng.integers(0, len(POLE_MAKERS), n)
    dates = random_dates(rng, "1972-01-01", "2022-12-31", n)
    geoms = points(xy)
    return [
        {
            "code": f"SUP-{i + 1:06d}",
            "geom": geoms[i],
            "parent_id": Ref("circuit", int(circuit[i])),
            "support_type": str(support[i]),
            "height_m": float(height[i]),
            "manufacturer": POLE_MAKERS[makers[i]][0],
            "model": POLE_MAKERS[makers[i]][1] if support[i] == "mast" else None,
            "install_date": dates[i],
            "attrs": {"street_id": int(street[i]) + 1},
        }
        for i in range(n)
    ]


def _cabinets(rng, cab_xy, cab_street, load_w, net: StreetNetwork) -> tuple[list[dict], list[dict]]:
    n = len(cab_xy)
    kva = _kva(load_w)
    models = rng.choice(["sdm630", "iem3000"], n, p=[0.6, 0.4])
    makers = rng.integers(0, len(CABINET_MAKERS), n)
    dates = random_dates(rng, "1995-01-01", "2023-06-30", n)
    geoms = points(cab_xy)
    meters, cabinets = [], []
    for i in range(n):
        meters.append({
            "code": f"CPT-A{i + 1:05d}",
            "geom": geoms[i],
            "meter_model": str(models[i]),
            "register_map": str(models[i]),
            "manufacturer": "Eastron" if models[i] == "sdm630" else "Schneider Electric",
            "model": "SDM630-Modbus" if models[i] == "sdm630" else "iEM3155",
        })
        cabinets.append({
            "code": f"ARM-{i + 1:06d}",
            "name": f"Armoire {net.names[cab_street[i]]}",
            "geom": geoms[i],
            "contract_power_kva": float(kva[i]),
            "energy_meter_id": Ref("energy_meter", i),
            "manufacturer": CABINET_MAKERS[makers[i]][0],
            "model": CABINET_MAKERS[makers[i]][1],
            "install_date": dates[i],
        })
    return meters, cabinets


def _circuits(xy, street, circuit, circuit_cabinet, circuit_number, cabinets) -> list[dict]:
    """One record per circuit; its route joins its poles street by street (None if it cannot)."""
    routes: list[list[np.ndarray]] = [[] for _ in circuit_cabinet]
    # poles are sorted by circuit, street, position: cut where either changes
    cut = np.flatnonzero((np.diff(circuit) != 0) | (np.diff(street) != 0)) + 1
    for run in np.split(np.arange(len(xy)), cut):
        if len(run) >= 2:
            routes[circuit[run[0]]].append(xy[run])
    records = []
    for i, cab in enumerate(circuit_cabinet):
        records.append({
            "code": f"DEP-{i + 1:06d}",
            "name": f"{cabinets[cab]['code']} départ {circuit_number[i]}",
            "geom": MultiLineString(routes[i]) if routes[i] else None,
            "parent_id": Ref("cabinet", cab),
            "circuit_number": circuit_number[i],
        })
    return records
