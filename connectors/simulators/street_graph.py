"""The street network as a routable graph: nodes where street pieces meet, edges with their length
and street class, shortest paths (scipy's Dijkstra), node positions in Lambert-93 and WGS84."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree
from sqlalchemy import Engine, text

from gis.crs import from_storage

#: Typical driving speed by street class, km/h (limits are 50 in town, 30 in residential zones).
CLASS_SPEED_KMH = {"primary": 48.0, "secondary": 42.0, "residential": 28.0, "rural": 75.0}
DEFAULT_SPEED_KMH = 35.0
SNAP_M = 0.01  # vertices closer than this are one node


@dataclass
class StreetGraph:
    """The largest connected part of the street network."""

    node_xy: np.ndarray  # (N, 2) Lambert-93
    node_lonlat: np.ndarray  # (N, 2) WGS84
    edges: np.ndarray  # (E, 2) node indices, a < b
    edge_speed_kmh: np.ndarray  # (E,)
    _matrix: csr_matrix = field(repr=False)
    _edge_of: dict[tuple[int, int], int] = field(repr=False)
    _tree: cKDTree = field(repr=False)
    _trees: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_lines(cls, lines: list[shapely.LineString] | np.ndarray, classes: list[str | None]) -> StreetGraph:
        """Build the graph from Lambert-93 LineStrings and their street classes."""
        coords, owner = shapely.get_coordinates(np.asarray(lines, dtype=object), return_index=True)
        if len(coords) < 2:
            raise ValueError("the street network is empty")
        keys = np.round(coords / SNAP_M).astype(np.int64)
        unique, node_of = np.unique(keys, axis=0, return_inverse=True)
        node_of = node_of.ravel()
        same_line = owner[:-1] == owner[1:]
        a, b = node_of[:-1][same_line], node_of[1:][same_line]
        speed = np.array([CLASS_SPEED_KMH.get(c or "", DEFAULT_SPEED_KMH) for c in classes])[owner[:-1][same_line]]
        keep = a != b
        pairs = np.sort(np.stack([a[keep], b[keep]], axis=1), axis=1)
        pairs, first = np.unique(pairs, axis=0, return_index=True)
        speed = speed[keep][first]
        xy = unique * SNAP_M
        # keep the largest connected part: a vehicle must be able to come back
        n = len(xy)
        length = np.hypot(*(xy[pairs[:, 1]] - xy[pairs[:, 0]]).T)
        matrix = csr_matrix((length, (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _count, label = connected_components(matrix, directed=False)
        main = np.bincount(label).argmax()
        kept_nodes = np.flatnonzero(label == main)
        renumber = np.full(n, -1)
        renumber[kept_nodes] = np.arange(len(kept_nodes))
        in_main = label[pairs[:, 0]] == main
        pairs, speed, length = renumber[pairs[in_main]], speed[in_main], length[in_main]
        xy = xy[kept_nodes]
        m = len(xy)
        matrix = csr_matrix(
            (np.concatenate([length, length]), (np.concatenate(pairs.T[::-1]), np.concatenate(pairs.T))), shape=(m, m)
        )
        lon, lat = from_storage().transform(xy[:, 0], xy[:, 1])
        edge_of = {(int(p), int(q)): i for i, (p, q) in enumerate(pairs)}
        return cls(xy, np.column_stack([lon, lat]), pairs, speed, matrix, edge_of, cKDTree(xy))

    @classmethod
    def from_db(cls, engine: Engine) -> StreetGraph | None:
        """The graph of the ``streets`` table; None when there are no streets."""
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT street_class, ST_AsBinary(geom) FROM streets WHERE geom IS NOT NULL"))
            classes, wkbs = [], []
            for street_class, wkb in rows:
                classes.append(street_class)
                wkbs.append(bytes(wkb))
        if not wkbs:
            return None
        return cls.from_lines(shapely.from_wkb(wkbs), classes)

    def __len__(self) -> int:
        return len(self.node_xy)

    def nearest_node(self, x: float, y: float) -> int:
        return int(self._tree.query((x, y))[1])

    def speed_kmh(self, a: int, b: int) -> float:
        """The street-class speed of the edge between two adjacent nodes."""
        return float(self.edge_speed_kmh[self._edge_of[(a, b) if a < b else (b, a)]])

    def tree(self, source: int, limit_m: float = np.inf, keep: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Distances and predecessors of shortest paths from ``source`` up to ``limit_m``; ``keep``
        caches the result (depots: few sources, used by every trip)."""
        if source in self._trees:
            return self._trees[source]
        dist, pred = dijkstra(self._matrix, directed=False, indices=source, return_predecessors=True, limit=limit_m)
        if keep:
            self._trees[source] = (dist, pred)
        return dist, pred

    @staticmethod
    def walk_back(pred: np.ndarray, source: int, target: int) -> list[int]:
        """Node indices of the shortest path from ``source`` to ``target`` found in a predecessor tree."""
        nodes = [target]
        while nodes[-1] != source:
            previous = int(pred[nodes[-1]])
            if previous < 0:
                raise ValueError(f"node {target} cannot be reached from {source}")
            nodes.append(previous)
        return nodes[::-1]

    def path(self, source: int, target: int) -> list[int]:
        """Node indices of a shortest path from ``source`` to ``target`` (both included)."""
        return self.walk_back(self.tree(source)[1], source, target)

    @staticmethod
    def within(dist: np.ndarray, low_m: float, high_m: float) -> np.ndarray:
        """Nodes whose distance in a tree lies in [low_m, high_m] (the farthest reached ones if none)."""
        finite = np.isfinite(dist)
        chosen = np.flatnonzero(finite & (dist >= low_m) & (dist <= high_m))
        if len(chosen) == 0:
            reached = np.flatnonzero(finite)
            chosen = reached[np.argsort(dist[reached])][-max(1, len(reached) // 4):]
        return chosen
