"""Drawing and reshaping fibre segments, and the lasso, through the API only (no Qt).

A vertex clicked within ``SNAP_M`` of a fibre node, a cabinet or a camera snaps onto it; a segment's ends name
the nodes they join (``from_node_id``, ``to_node_id``: a node itself, or the node serving the equipment). The
server checks the rest (both ends required, of kind fibre_node).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from shapely.geometry import Polygon, shape

from app.desktop.api import ApiClient

SNAP_M = 15.0  # metres: how near a click must fall to snap onto a node or equipment
SNAP_KINDS = ("fibre_node", "cabinet", "camera")
LASSO_MAX = 500  # assets a lasso selects at most (one page of the API)
_EARTH_M = 6_371_008.8


@dataclass(frozen=True)
class Snap:
    """What a vertex snapped onto: the asset, its place, and the fibre node it stands for (if any)."""

    asset_id: int
    kind: str
    code: str
    lon: float
    lat: float
    node_id: int | None
    distance_m: float


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_M * math.asin(math.sqrt(a))


def _box(lon: float, lat: float, metres: float) -> tuple[float, float, float, float]:
    dlat = math.degrees(metres / _EARTH_M)
    dlon = dlat / max(0.01, math.cos(math.radians(lat)))
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def snap(client: ApiClient, lon: float, lat: float, tolerance_m: float = SNAP_M) -> Snap | None:
    """The nearest fibre node, cabinet or camera within ``tolerance_m`` of the click (nodes win a tie)."""
    w, s, e, n = _box(lon, lat, tolerance_m)
    found = client.get(f"/api/v1/assets?f=geojson&limit=100&kind={','.join(SNAP_KINDS)}"
                       f"&bbox={w:.7f},{s:.7f},{e:.7f},{n:.7f}")
    best: Snap | None = None
    for feature in found["features"]:
        geometry = feature.get("geometry") or {}
        if geometry.get("type") != "Point":
            continue
        x, y = geometry["coordinates"][:2]
        d = distance_m(lon, lat, x, y)
        props = feature["properties"]
        kind = str(props.get("kind"))
        node = int(feature["id"]) if kind == "fibre_node" else props.get("fibre_node_id")
        candidate = Snap(int(feature["id"]), kind, str(props.get("code") or ""), x, y,
                         int(node) if node is not None else None, d)
        if d <= tolerance_m and (best is None or (d, kind != "fibre_node") < (best.distance_m,
                                                                                best.kind != "fibre_node")):
            best = candidate
    return best


@dataclass
class Drawing:
    """A fibre segment being drawn: its vertices (snapped where they fell near a node) and what each snapped to."""

    vertices: list[tuple[float, float]]
    snaps: list[Snap | None]

    @classmethod
    def empty(cls) -> Drawing:
        return cls([], [])

    def add(self, client: ApiClient, lon: float, lat: float, tolerance_m: float = SNAP_M) -> Snap | None:
        """Add the vertex clicked at ``lon``/``lat``, snapped when a node or equipment is near."""
        snapped = snap(client, lon, lat, tolerance_m)
        self.vertices.append((snapped.lon, snapped.lat) if snapped else (lon, lat))
        self.snaps.append(snapped)
        return snapped

    def geometry(self) -> dict[str, Any]:
        return {"type": "LineString", "coordinates": [list(v) for v in self.vertices]}

    def ends(self) -> dict[str, int]:
        """``from_node_id`` / ``to_node_id`` of the ends that snapped onto a node (or a node's equipment)."""
        out: dict[str, int] = {}
        if self.snaps and self.snaps[0] and self.snaps[0].node_id is not None:
            out["from_node_id"] = self.snaps[0].node_id
        if len(self.snaps) > 1 and self.snaps[-1] and self.snaps[-1].node_id is not None:
            out["to_node_id"] = self.snaps[-1].node_id
        return out


def reshaped(client: ApiClient, feature: dict[str, Any], index: int, lon: float, lat: float,
             tolerance_m: float = SNAP_M) -> dict[str, Any]:
    """The changes when vertex ``index`` of a segment is dragged to ``lon``/``lat``: the new line (the vertex
    snapped if near a node), and the end's node when an end moved onto another one."""
    coordinates = [list(c) for c in feature["geometry"]["coordinates"]]
    snapped = snap(client, lon, lat, tolerance_m)
    coordinates[index] = [snapped.lon, snapped.lat] if snapped else [lon, lat]
    changes: dict[str, Any] = {"geometry": {"type": "LineString", "coordinates": coordinates}}
    end = "from_node_id" if index == 0 else "to_node_id" if index == len(coordinates) - 1 else None
    if end and snapped and snapped.node_id is not None and snapped.node_id != feature["properties"].get(end):
        changes[end] = snapped.node_id
    return changes


def lasso(client: ApiClient, ring: list[tuple[float, float]], kind: str | None = None,
          limit: int = LASSO_MAX) -> tuple[list[dict[str, Any]], int]:
    """The assets inside the freehand ring (lon/lat); and how many the ring's box held on the server."""
    if len(ring) < 3:
        return [], 0
    polygon = Polygon(ring)
    if not polygon.is_valid:
        polygon = polygon.buffer(0)
    w, s, e, n = polygon.bounds
    query = f"/api/v1/assets?f=geojson&limit={limit}&bbox={w:.7f},{s:.7f},{e:.7f},{n:.7f}"
    found = client.get(query + (f"&kind={kind}" if kind else ""))
    inside = [f for f in found["features"] if f.get("geometry") and polygon.intersects(shape(f["geometry"]))]
    total = int(found.get("total") or found.get("numberMatched") or len(found["features"]))
    return inside, total
