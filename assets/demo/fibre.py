"""The fibre network: ~140 km under the streets, joining PoPs and equipment in one meshed graph.

Routes follow the streets: the PoPs are joined by a backbone ring, then each piece of equipment,
nearest PoPs first, is joined along the streets to the nearest point of the network built so far
(a Steiner-tree heuristic), and a few cross-links between the trees of different PoPs close more
rings. Signal controllers and
cameras are all connected; buildings and cabinets are added in random order until the network
reaches its length. Nodes: PoPs, splices at junctions and drop points, chambers every few hundred
metres, and a switch in each connected piece of equipment (its ``fibre_node_id``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from assets.demo.spatial import Ref, random_dates
from assets.demo.streets import StreetNetwork

TARGET_KM = 140.0
POPS = (  # name, offset from Dijon's centre (m)
    ("NRO Dijon Centre", (0.0, 0.0)),
    ("NRO Toison d'Or", (1900.0, 2300.0)),
    ("NRO Chenôve", (-1700.0, -2900.0)),
    ("NRO Quetigny", (4200.0, -400.0)),
)
CROSS_LINKS = 8
CHAMBER_SPACING_M = (300.0, 450.0)
FIBRES = {"backbone": 144, "branch": 48, "drop": 12}


@dataclass(frozen=True)
class Terminal:
    """A piece of equipment the network may join: its kind, index, code and position."""

    kind: str
    index: int
    code: str
    xy: tuple[float, float]
    node: int | None = None  # the street node it hangs off, when known


@dataclass
class Fibre:
    """Fibre records, and the switch node of each connected piece of equipment."""

    switch_of: dict[tuple[str, int], int]
    records: dict[str, list[dict]] = field(default_factory=dict)


class _Router:
    """Shortest street paths and the growing union of street edges the fibre uses."""

    def __init__(self, net: StreetNetwork) -> None:
        self.net = net
        a, b = net.edge_nodes.T
        length = net.edge_length
        n = len(net.node_xy)
        self.graph = csr_matrix((np.r_[length, length], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
        self.edge_of = {(int(min(u, v)), int(max(u, v))): e for e, (u, v) in enumerate(net.edge_nodes)}
        self.length = length
        _, label = connected_components(self.graph, directed=False)
        main = np.argmax(np.bincount(label))
        self.nodes = np.flatnonzero(label == main)
        self.tree = cKDTree(net.node_xy[self.nodes])
        self.used = np.zeros(len(length), dtype=bool)
        self.backbone = np.zeros(len(length), dtype=bool)
        self.in_network = np.zeros(n, dtype=bool)

    def nearest_node(self, xy: np.ndarray) -> np.ndarray:
        return self.nodes[self.tree.query(xy)[1]]

    def path(self, pred: np.ndarray, node: int, stop_in_network: bool = True) -> list[int]:
        """Street edges from ``node`` back along ``pred`` (until the network, when asked)."""
        edges: list[int] = []
        while pred[node] >= 0 and not (stop_in_network and self.in_network[node]):
            prev = int(pred[node])
            edges.append(self.edge_of[(min(prev, node), max(prev, node))])
            node = prev
        return edges

    def add(self, edges: list[int], backbone: bool = False) -> float:
        """Use ``edges``; the length they add."""
        fresh = [e for e in edges if not self.used[e]]
        self.used[edges] = True
        if backbone:
            self.backbone[edges] = True
        self.in_network[self.net.edge_nodes[edges].ravel()] = True
        return float(self.length[fresh].sum())

    def between(self, a: int, b: int) -> list[int]:
        _, pred = dijkstra(self.graph, indices=a, return_predecessors=True)
        return self.path(pred, b, stop_in_network=False)

    @property
    def km(self) -> float:
        return float(self.length[self.used].sum() / 1000)


def build_fibre(
    net: StreetNetwork, centre: tuple[float, float], required: list[Terminal], optional: list[Terminal],
    rng: np.random.Generator,
) -> Fibre:
    """Route the network: every ``required`` terminal, then the ``optional`` ones nearest the
    network first until it reaches ~140 km (drops included)."""
    router = _Router(net)
    pop_nodes = router.nearest_node(np.array([(centre[0] + dx, centre[1] + dy) for _, (dx, dy) in POPS]))
    router.in_network[pop_nodes] = True
    for i in range(len(pop_nodes)):  # the backbone ring between the PoPs
        router.add(router.between(int(pop_nodes[i]), int(pop_nodes[(i + 1) % len(pop_nodes)])), backbone=True)
    main = set(router.nodes.tolist())

    def attach(t: Terminal) -> Terminal:
        node = t.node if t.node in main else int(router.nearest_node(np.array(t.xy)))
        return Terminal(t.kind, t.index, t.code, t.xy, node)

    joined = _grow(router, [attach(t) for t in required], [])
    _cross_links(router, pop_nodes, [t.node for t in joined], rng)
    joined = _grow(router, [attach(t) for t in optional], joined, budget_km=TARGET_KM)
    return _records(router, pop_nodes, joined, rng)


def _drop_km(net: StreetNetwork, terminals: list[Terminal]) -> float:
    return sum(float(np.hypot(*(np.array(t.xy) - net.node_xy[t.node]))) for t in terminals) / 1000


def _grow(
    router: _Router, pending: list[Terminal], joined: list[Terminal], budget_km: float | None = None
) -> list[Terminal]:
    """Join ``pending`` terminals along the streets, the nearest to the network first (a Prim-like
    Steiner heuristic, a few per shortest-path search), within ``budget_km`` when given."""
    joined = list(joined)
    drops = _drop_km(router.net, joined)

    def full() -> bool:
        return budget_km is not None and router.km + drops >= budget_km

    while pending and not full():
        reached = [t for t in pending if router.in_network[t.node]]
        for t in reached:  # already on the network: only the drop to lay
            if full():
                return joined
            joined.append(t)
            drops += _drop_km(router.net, [t])
        pending = [t for t in pending if not router.in_network[t.node]]
        if not pending:
            break
        dist, pred, _ = dijkstra(
            router.graph, indices=np.flatnonzero(router.in_network), min_only=True, return_predecessors=True
        )
        nodes = np.array([t.node for t in pending])
        order = np.argsort(dist[nodes], kind="stable")
        nearest = dist[nodes[order[0]]]
        for i in order[:8]:
            if dist[nodes[i]] > nearest * 1.2 + 30.0:
                break
            router.add(router.path(pred, int(nodes[i])))
    return joined


def _cross_links(router: _Router, pop_nodes: np.ndarray, nodes: list[int], rng: np.random.Generator) -> None:
    """Join close terminals that hang off different PoPs: each link closes a ring."""
    _, pred, _ = dijkstra(router.graph, indices=pop_nodes, min_only=True, return_predecessors=True)
    # the PoP each terminal is nearest to: follow predecessors to the root
    roots = {}
    for n in set(nodes):
        node = n
        while pred[node] >= 0:
            node = int(pred[node])
        roots[n] = node
    unique = np.array(sorted(roots))
    xy = router.net.node_xy[unique]
    tree = cKDTree(xy)
    pairs = tree.query_pairs(700.0, output_type="ndarray")
    if not len(pairs):
        return
    a, b = unique[pairs[:, 0]], unique[pairs[:, 1]]
    foreign = np.array([roots[int(x)] != roots[int(y)] for x, y in zip(a, b, strict=True)])
    gap = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    candidates = np.flatnonzero(foreign & (gap > 150.0))
    rng.shuffle(candidates)
    chosen: list[np.ndarray] = []
    for c in candidates:
        mid = (xy[pairs[c, 0]] + xy[pairs[c, 1]]) / 2
        if all(np.hypot(*(mid - m)) > 1500.0 for m in chosen):
            router.add(router.between(int(a[c]), int(b[c])))
            chosen.append(mid)
        if len(chosen) == CROSS_LINKS:
            break


def _records(router: _Router, pop_nodes: np.ndarray, joined: list[Terminal], rng: np.random.Generator) -> Fibre:
    net = router.net
    adjacency: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for e in np.flatnonzero(router.used):
        u, v = (int(x) for x in net.edge_nodes[e])
        adjacency[u].append((v, e))
        adjacency[v].append((u, e))
    pops = {int(p) for p in pop_nodes}
    drop_points = {t.node for t in joined}
    key = {n for n, links in adjacency.items() if len(links) != 2} | pops | drop_points

    node_index: dict[int, int] = {}
    nodes: list[dict] = []

    def fibre_node(street_node: int, node_type: str, name: str | None = None) -> int:
        if street_node not in node_index:
            node_index[street_node] = len(nodes)
            nodes.append({"node_type": node_type, "name": name, "geom": shapely.Point(net.node_xy[street_node])})
        return node_index[street_node]

    for (name, _), p in zip(POPS, pop_nodes, strict=True):
        fibre_node(int(p), "pop", name)
    for n in sorted(key):
        fibre_node(n, "splice")

    segments: list[dict] = []
    seen: set[int] = set()
    for start in sorted(key):
        for first_next, first_edge in adjacency[start]:
            if first_edge in seen:
                continue
            chain, edges = [start], []
            cur, edge = first_next, first_edge
            while True:
                seen.add(edge)
                chain.append(cur)
                edges.append(edge)
                if cur in key:
                    break
                (n1, e1), (n2, e2) = adjacency[cur]
                cur, edge = (n2, e2) if e1 == edge else (n1, e1)
            _split_chain(router, chain, edges, rng, fibre_node, segments)

    switch_of: dict[tuple[str, int], int] = {}
    dates = random_dates(rng, "2008-01-01", "2023-12-31", len(joined))
    for t, date in zip(joined, dates, strict=True):
        at = np.array(t.xy, dtype=float)
        street_xy = net.node_xy[t.node]
        if np.hypot(*(at - street_xy)) < 1.0:
            at = street_xy + np.array([1.5, 1.5])
        switch_of[(t.kind, t.index)] = len(nodes)
        nodes.append({"node_type": "switch", "name": f"Switch {t.code}", "geom": shapely.Point(at),
                      "install_date": date})
        segments.append({"coords": np.array([street_xy, at]), "from": node_index[t.node],
                         "to": switch_of[(t.kind, t.index)], "fibres": FIBRES["drop"]})

    node_records = [{"code": f"FON-{i + 1:05d}", **n} for i, n in enumerate(nodes)]
    segment_records = [
        {
            "code": f"FOS-{i + 1:05d}",
            "geom": shapely.LineString(s["coords"]),
            "from_node_id": Ref("fibre_node", s["from"]),
            "to_node_id": Ref("fibre_node", s["to"]),
            "fibre_count": s["fibres"],
        }
        for i, s in enumerate(segments)
    ]
    return Fibre(switch_of=switch_of, records={"fibre_node": node_records, "fibre_segment": segment_records})


def _split_chain(router: _Router, chain: list[int], edges: list[int], rng, fibre_node, segments: list[dict]) -> None:
    """Cut a chain of street nodes between two key nodes into segments, with chambers along it."""
    xy = router.net.node_xy[chain]
    run = np.r_[0.0, np.cumsum(np.hypot(*np.diff(xy, axis=0).T))]
    spacing = rng.uniform(*CHAMBER_SPACING_M)
    cuts = [0]
    for i in range(1, len(chain) - 1):
        if run[i] - run[cuts[-1]] >= spacing:
            cuts.append(i)
    if chain[0] == chain[-1] and len(cuts) == 1:  # a loop back to its start: cut it in the middle
        cuts.append(len(chain) // 2)
    cuts.append(len(chain) - 1)
    fibres = FIBRES["backbone"] if router.backbone[edges].any() else FIBRES["branch"]
    for a, b in pairwise(cuts):
        ends = [fibre_node(chain[a], "chamber"), fibre_node(chain[b], "chamber")]
        segments.append({"coords": xy[a:b + 1], "from": ends[0], "to": ends[1], "fibres": fibres})
