"""Traffic signals: 113 signalised intersections in the dense areas, 4-12 signal heads each."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assets.demo.density import Density
from assets.demo.names import CONTROLLER_MAKERS
from assets.demo.spatial import Ref, points, random_dates, spread_pick
from assets.demo.streets import StreetNetwork

CONTROLLERS = 113
BUS_PRIORITY_SHARE = 0.6
MIN_SPACING_M = 150.0
HEADS = (4, 12)
COMPASS = ("E", "NE", "N", "NW", "W", "SW", "S", "SE")


@dataclass
class Traffic:
    """Controllers and heads, and the street node each controller stands at."""

    node: np.ndarray
    xy: np.ndarray
    records: dict[str, list[dict]] = field(default_factory=dict)


def _compass(u: np.ndarray) -> str:
    angle = np.degrees(np.arctan2(u[1], u[0])) % 360
    return COMPASS[int(((angle + 22.5) % 360) // 45)]


def build_traffic(net: StreetNetwork, density: Density, rng: np.random.Generator) -> Traffic:
    """Pick the intersections, then lay out each one's heads along its approaches."""
    ptr, neighbour, edge = net.incidence()
    degree = np.diff(ptr)
    edge_class = net.classes[net.edge_street]
    cls_at = np.split(edge_class[edge], ptr[1:-1])
    main = np.array([bool(set(c) & {"primary", "secondary"}) and "rural" not in c for c in cls_at])
    candidates = np.flatnonzero((degree >= 3) & main)
    xy = net.node_xy[candidates]
    primary = np.array(["primary" in cls_at[n] for n in candidates])
    weight = density.weight(xy[:, 0], xy[:, 1], power=4.0) * np.where(primary, 3.0, 1.0)
    chosen = candidates[spread_pick(xy, weight, CONTROLLERS, MIN_SPACING_M, rng)]
    chosen = chosen[np.argsort(-density.weight(*net.node_xy[chosen].T), kind="stable")]  # centre first

    n = len(chosen)
    bus = np.zeros(n, dtype=bool)
    bus[rng.choice(n, round(BUS_PRIORITY_SHARE * n), replace=False)] = True
    corner = rng.choice([-1.0, 1.0], (n, 2)) * 3.5
    ctrl_xy = net.node_xy[chosen] + corner
    makers = rng.integers(0, len(CONTROLLER_MAKERS), n)
    dates = random_dates(rng, "2004-01-01", "2023-09-30", n)
    geoms = points(ctrl_xy)
    controllers, heads, head_xy = [], [], []
    for i, node in enumerate(chosen):
        names = net.street_names_at(node, ptr, edge)
        controllers.append({
            "code": f"CRF-{i + 1:04d}",
            "geom": geoms[i],
            "intersection": " / ".join(names[:2]),
            "bus_priority": bool(bus[i]),
            "manufacturer": CONTROLLER_MAKERS[makers[i]][0],
            "model": CONTROLLER_MAKERS[makers[i]][1],
            "install_date": dates[i],
        })
        mine: list[dict] = []
        for j in range(ptr[node], ptr[node + 1]):
            u = net.node_xy[neighbour[j]] - net.node_xy[node]
            u /= np.hypot(*u)
            right = np.array([-u[1], u[0]])  # the right of a vehicle driving towards the node
            street = net.names[net.edge_street[edge[j]]]
            approach = f"{_compass(u)} – {street}"
            layout = [("vehicle", 10.0, 5.0), ("pedestrian", 6.0, -5.5)]
            if bus[i] and edge_class[edge[j]] in ("primary", "secondary") and rng.random() < 0.6:
                layout.append(("bus", 12.0, 5.5))
            if rng.random() < 0.2:
                layout.append(("cycle", 8.0, 6.0))
            for head_type, along, across in layout:
                mine.append({"head_type": head_type, "approach": approach, "xy": net.node_xy[node] + u * along
                             + right * across})
        for head in mine[: HEADS[1]]:
            head_xy.append(head.pop("xy"))
            heads.append({
                **head,
                "parent_id": Ref("signal_controller", i),
                "manufacturer": "Aximum",
                "model": "R 110 LED" if head["head_type"] == "vehicle" else "R 12 LED",
                "install_date": dates[i],
            })
    head_geoms = points(np.asarray(head_xy))
    for k, head in enumerate(heads):
        head["code"] = f"SIG-{k + 1:05d}"
        head["geom"] = head_geoms[k]
    return Traffic(node=chosen, xy=ctrl_xy, records={"signal_controller": controllers, "signal_head": heads})
