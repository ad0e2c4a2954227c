"""The generated street network: a jittered, gently warped quadtree grid driven by the density.

Cells are split while they are larger than the block size the density asks for, so blocks are
100 m in Dijon's centre, 200-400 m in the suburbs and village centres, 0.8-1.6 km in the fields.
Every side of a leaf cell is a street piece: built-up cells (≤ 400 m) give lit streets, larger
cells give unlit rural roads that join the villages. Grid nodes are jittered once each (so shared
edges stay shared), then the whole grid is warped by a smooth field so streets are not ruler-straight.
Consecutive pieces on one grid line, in one commune and of one class, are chained into named streets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from assets.demo.density import CommuneShape, Density, commune_index
from assets.demo.names import StreetNamer

UNIT = 100.0  # metres: the finest block
MAX_LEAF = 16  # units: the coarsest block (1.6 km)
URBAN_MAX = 4  # units: blocks up to 400 m are built up (lit streets) ...
URBAN_BLOCK_M = 700.0  # ... where the density asks for blocks smaller than this at their centre
MARGIN_M = 250.0  # street nodes may lie this far outside the territory
WARP_AMPLITUDE_M = 110.0
WARP_WAVELENGTH_M = 2900.0
JITTER_SHARE = 0.12  # of the shortest edge at a node


@dataclass
class StreetNetwork:
    """Nodes, edges (straight pieces between nodes) and the named streets they form."""

    node_xy: np.ndarray  # (N, 2) Lambert-93
    edge_nodes: np.ndarray  # (E, 2) node indices
    edge_street: np.ndarray  # (E,) street index
    names: list[str]
    classes: np.ndarray  # (S,) 'primary' | 'secondary' | 'residential' | 'rural'
    insee: list[str]
    geoms: np.ndarray  # (S,) LineStrings
    block_m: np.ndarray  # (S,) target block size at the street's middle
    blocks: np.ndarray  # (B, 3) built-up leaf cells: centre x, y and size in metres

    @property
    def lit(self) -> np.ndarray:
        """Which streets carry public lighting (every built-up street)."""
        return self.classes != "rural"

    def incidence(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR adjacency: for node ``i``, ``neighbour[ptr[i]:ptr[i + 1]]`` via ``edge[...]``."""
        ends = self.edge_nodes.T.ravel()
        other = self.edge_nodes[:, ::-1].T.ravel()
        edge = np.tile(np.arange(len(self.edge_nodes)), 2)
        order = np.argsort(ends, kind="stable")
        ptr = np.concatenate([[0], np.cumsum(np.bincount(ends, minlength=len(self.node_xy)))])
        return ptr, other[order], edge[order]

    def street_names_at(self, node: int, ptr: np.ndarray, edge: np.ndarray) -> list[str]:
        """Names of the streets meeting at ``node``, main streets first."""
        rank = {"primary": 0, "secondary": 1, "residential": 2, "rural": 3}
        streets = {int(self.edge_street[e]) for e in edge[ptr[node]:ptr[node + 1]]}
        ordered = sorted(streets, key=lambda s: (rank[self.classes[s]], self.names[s]))
        names: list[str] = []
        for s in ordered:
            if self.names[s] not in names:
                names.append(self.names[s])
        return names

    @property
    def edge_length(self) -> np.ndarray:
        a, b = self.node_xy[self.edge_nodes[:, 0]], self.node_xy[self.edge_nodes[:, 1]]
        return np.hypot(*(b - a).T)


def _quadtree(area: BaseGeometry, density: Density, origin: np.ndarray, root: int, rng: np.random.Generator):
    """Leaf cells (ix, iy, size) in units, covering ``area``."""
    ix = np.zeros(1, dtype=np.int64)
    iy = np.zeros(1, dtype=np.int64)
    size = root
    leaves: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    while len(ix):
        x0 = origin[0] + ix * UNIT
        y0 = origin[1] + iy * UNIT
        keep = shapely.intersects(area, shapely.box(x0, y0, x0 + size * UNIT, y0 + size * UNIT))
        ix, iy = ix[keep], iy[keep]
        if size == 1:
            leaves.append((ix, iy, np.full(len(ix), size)))
            break
        cx = origin[0] + (ix + size / 2) * UNIT
        cy = origin[1] + (iy + size / 2) * UNIT
        whim = np.exp(rng.uniform(np.log(0.72), np.log(1.38), len(ix)))
        split = (size > MAX_LEAF) | (size * UNIT > density.smallest_block_in(cx, cy, size * UNIT / 2) * whim)
        leaves.append((ix[~split], iy[~split], np.full(int((~split).sum()), size)))
        half = size // 2
        sx, sy = ix[split], iy[split]
        ix = np.concatenate([sx, sx + half, sx, sx + half])
        iy = np.concatenate([sy, sy, sy + half, sy + half])
        size = half
    return tuple(np.concatenate(parts) for parts in zip(*leaves, strict=True))


def _pieces(ix: np.ndarray, iy: np.ndarray, size: np.ndarray, urban: np.ndarray, horizontal: bool):
    """Unit-long street pieces on the leaves' sides: (line, position, urban), deduplicated."""
    rep = np.repeat(np.arange(len(size)), size)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(size) - size, size)
    along = ix if horizontal else iy
    across = iy if horizontal else ix
    pos = np.concatenate([along[rep] + k, along[rep] + k])
    line = np.concatenate([across[rep], across[rep] + size[rep]])
    urb = np.concatenate([urban[rep], urban[rep]])
    key = line * (1 << 20) + pos
    order = np.lexsort((~urb, key))
    key, urb = key[order], urb[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, urb = key[first], urb[first]  # urban wins: sorted first among duplicates
    return key >> 20, key & ((1 << 20) - 1), urb


def _edges(line: np.ndarray, pos: np.ndarray, urb: np.ndarray, node_keys: np.ndarray, horizontal: bool):
    """Merge consecutive pieces of one line into edges between grid nodes."""
    px, py = (pos, line) if horizontal else (line, pos)
    is_node = np.isin(px * (1 << 20) + py, node_keys)
    start = np.ones(len(pos), dtype=bool)
    start[1:] = (line[1:] != line[:-1]) | (pos[1:] != pos[:-1] + 1) | is_node[1:]
    first = np.flatnonzero(start)
    last = np.append(first[1:] - 1, len(pos) - 1)
    a_pos, b_pos, e_line = pos[first], pos[last] + 1, line[first]
    e_urb = np.maximum.reduceat(urb, first) if len(first) else urb
    if horizontal:
        return np.column_stack([a_pos, e_line]), np.column_stack([b_pos, e_line]), e_line, a_pos, e_urb
    return np.column_stack([e_line, a_pos]), np.column_stack([e_line, b_pos]), e_line, a_pos, e_urb


def _warp(xy: np.ndarray, phases: np.ndarray) -> np.ndarray:
    """A smooth, invertible displacement so the grid's lines curve gently."""
    k = 2 * np.pi / WARP_WAVELENGTH_M
    dx = WARP_AMPLITUDE_M * np.sin(k * xy[:, 1] + phases[0]) + 0.4 * WARP_AMPLITUDE_M * np.sin(
        0.43 * k * (xy[:, 0] + xy[:, 1]) + phases[2])
    dy = WARP_AMPLITUDE_M * np.sin(k * xy[:, 0] + phases[1]) + 0.4 * WARP_AMPLITUDE_M * np.sin(
        0.37 * k * (xy[:, 0] - xy[:, 1]) + phases[3])
    return xy + np.column_stack([dx, dy])


def _line_class(line: np.ndarray, urban: np.ndarray) -> np.ndarray:
    """Grid lines every 1.6 km are avenues, every 400 m main streets, the rest residential."""
    cls = np.where(line % 16 == 0, "primary", np.where(line % 4 == 0, "secondary", "residential"))
    return np.where(urban, cls, "rural").astype(object)


def build_streets(
    communes: list[CommuneShape], density: Density, rng: np.random.Generator, namer_rng: np.random.Generator
) -> StreetNetwork:
    """Generate the street network over ``communes``."""
    area = shapely.union_all([c.geom for c in communes])
    grown = shapely.buffer(area, MARGIN_M)
    shapely.prepare(grown)
    minx, miny, maxx, maxy = area.bounds
    block = MAX_LEAF * UNIT
    origin = np.array([np.floor(minx / block) * block, np.floor(miny / block) * block])
    extent = max(maxx - origin[0], maxy - origin[1]) / UNIT
    root = int(2 ** np.ceil(np.log2(extent)))
    ix, iy, size = _quadtree(grown, density, origin, root, rng)
    # keep leaves whose centre lies in the territory (the fields at the edge are another metropole's)
    centre = origin + (np.column_stack([ix, iy]) + size[:, None] / 2) * UNIT
    inside = shapely.contains_xy(grown, centre[:, 0], centre[:, 1])
    ix, iy, size, centre = ix[inside], iy[inside], size[inside], centre[inside]
    urban = (size <= URBAN_MAX) & (density.block_size(centre[:, 0], centre[:, 1]) < URBAN_BLOCK_M)

    corners = np.concatenate([
        np.column_stack([ix, iy]), np.column_stack([ix + size, iy]),
        np.column_stack([ix, iy + size]), np.column_stack([ix + size, iy + size]),
    ])
    node_keys = np.unique(corners[:, 0] * (1 << 20) + corners[:, 1])
    parts = []
    for horizontal in (True, False):
        line, pos, urb = _pieces(ix, iy, size, urban, horizontal)
        a, b, e_line, e_pos, e_urb = _edges(line, pos, urb, node_keys, horizontal)
        parts.append((a, b, e_line, e_pos, e_urb, np.full(len(a), horizontal)))
    a, b, e_line, e_pos, e_urb, e_hor = (np.concatenate(p) for p in zip(*parts, strict=True))

    # nodes: jitter each once (a share of its shortest edge), then warp everything
    ends = np.concatenate([a, b])
    keys, inverse = np.unique(ends[:, 0] * (1 << 20) + ends[:, 1], return_inverse=True)
    ea, eb = inverse[: len(a)], inverse[len(a):]
    grid = np.column_stack([keys >> 20, keys & ((1 << 20) - 1)]).astype(float)
    edge_units = np.abs(b - a).sum(axis=1).astype(float)
    shortest = np.full(len(keys), np.inf)
    np.minimum.at(shortest, ea, edge_units)
    np.minimum.at(shortest, eb, edge_units)
    amplitude = np.minimum(JITTER_SHARE * shortest * UNIT, 30.0)
    jitter = rng.uniform(-1, 1, (len(keys), 2)) * amplitude[:, None]
    phases = rng.uniform(0, 2 * np.pi, 4)
    xy = _warp(origin + grid * UNIT + jitter, phases)

    # drop edges reaching outside the territory; renumber the nodes left
    node_ok = shapely.contains_xy(grown, xy[:, 0], xy[:, 1])
    keep = node_ok[ea] & node_ok[eb]
    ea, eb, e_line, e_pos, e_urb, e_hor = ea[keep], eb[keep], e_line[keep], e_pos[keep], e_urb[keep], e_hor[keep]
    used, remap = np.unique(np.concatenate([ea, eb]), return_inverse=True)
    xy = xy[used]
    ea, eb = remap[: len(ea)], remap[len(ea):]

    classes = _line_class(e_line, e_urb)
    mid = (xy[ea] + xy[eb]) / 2
    e_commune = commune_index(communes, mid[:, 0], mid[:, 1])
    street_of_edge, streets = _chain(ea, eb, e_line, e_pos, e_hor, classes, e_commune, xy, rng)

    namer = StreetNamer(namer_rng)
    toward = _rural_destinations(streets, xy, communes)
    names, s_class, s_insee, geoms = [], [], [], []
    for k, (chain, cls, commune) in enumerate(streets):
        insee = communes[commune].insee
        names.append(namer.name(insee, cls, toward.get(k)))
        s_class.append(cls)
        s_insee.append(insee)
        geoms.append(xy[chain])
    geom_arr = shapely.linestrings(
        np.concatenate(geoms), indices=np.repeat(np.arange(len(geoms)), [len(g) for g in geoms])
    )
    middle = shapely.line_interpolate_point(geom_arr, 0.5, normalized=True)
    block_m = density.block_size(shapely.get_x(middle), shapely.get_y(middle))

    built = urban & shapely.contains_xy(area, centre[:, 0], centre[:, 1])
    blocks_xy = _warp(centre[built], phases)
    return StreetNetwork(
        node_xy=xy,
        edge_nodes=np.column_stack([ea, eb]),
        edge_street=street_of_edge,
        names=names,
        classes=np.array(s_class, dtype=object),
        insee=s_insee,
        geoms=geom_arr,
        block_m=block_m,
        blocks=np.column_stack([blocks_xy, size[built] * UNIT]),
    )


def _rural_destinations(streets, xy: np.ndarray, communes: list[CommuneShape]) -> dict[int, str]:
    """For rural roads heading into another commune (800 m past either end), that commune's name."""
    rural = [k for k, (_, cls, _) in enumerate(streets) if cls == "rural"]
    if not rural:
        return {}
    probes = []
    for k in rural:
        chain = streets[k][0]
        a, b = xy[chain[0]], xy[chain[-1]]
        u = (b - a) / max(float(np.hypot(*(b - a))), 1e-9)
        probes += [b + u * 800.0, a - u * 800.0]
    probes_xy = np.asarray(probes)
    where = commune_index(communes, probes_xy[:, 0], probes_xy[:, 1])
    inside = shapely.contains_xy(shapely.union_all([c.geom for c in communes]), probes_xy[:, 0], probes_xy[:, 1])
    out: dict[int, str] = {}
    for i, k in enumerate(rural):
        for j in (2 * i, 2 * i + 1):
            if inside[j] and where[j] != streets[k][2]:
                out[k] = communes[where[j]].name
                break
    return out


def _chain(ea, eb, e_line, e_pos, e_hor, classes, e_commune, xy, rng):
    """Chain consecutive edges of one grid line into streets (split by class, commune and length)."""
    order = np.lexsort((e_pos, e_line, e_hor))
    lengths = np.hypot(*(xy[eb] - xy[ea]).T)
    street_of_edge = np.empty(len(ea), dtype=np.int64)
    streets: list[tuple[list[int], str, int]] = []
    limits = rng.uniform(250, 900, len(ea))
    current: list[int] | None = None
    prev = -1
    run_length = 0.0
    for e in order:
        same = (
            current is not None
            and e_hor[e] == e_hor[prev] and e_line[e] == e_line[prev] and ea[e] == eb[prev]
            and classes[e] == classes[prev] and e_commune[e] == e_commune[prev]
            and run_length < (limits[len(streets) - 1] * (3 if classes[e] == "rural" else 1))
        )
        if same:
            current.append(int(eb[e]))
            run_length += lengths[e]
        else:
            current = [int(ea[e]), int(eb[e])]
            streets.append((current, classes[e], int(e_commune[e])))
            run_length = lengths[e]
        street_of_edge[e] = len(streets) - 1
        prev = e
    return street_of_edge, streets
