"""Hierarchy and network topology: what an asset feeds, and what a fibre failure cuts off.

Two questions with two answers:
- electrical / logical hierarchy (luminaire → pole → circuit → cabinet, head → controller):
  everything below an asset, by ``parent_id``;
- fibre (equipment → node, segments between nodes, possibly meshed): every asset that loses
  *all* its paths to a point of presence when a node or a segment fails.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.errors import NotFoundError

FIBRE_KINDS = ("fibre_node", "fibre_segment")
CARRIES = "status = 'in_service'"  # planned, out-of-service and removed network elements carry nothing


@dataclass(frozen=True)
class Affected:
    """An asset affected by the failure of another."""

    id: int
    kind: str
    code: str
    depth: int  # hops in the hierarchy, or 0 for fibre reachability


def _kind_of(session: Session, asset_id: int) -> str:
    kind = session.execute(text("SELECT kind FROM assets WHERE id = :id"), {"id": asset_id}).scalar()
    if kind is None:
        raise NotFoundError(f"asset {asset_id} does not exist")
    return kind


def feeds(session: Session, asset_id: int) -> list[Affected]:
    """What ``asset_id`` feeds: its hierarchy below, or for fibre what loses every path to a PoP."""
    if _kind_of(session, asset_id) in FIBRE_KINDS:
        return fibre_cut(session, asset_id)
    return downstream(session, asset_id)


def downstream(session: Session, asset_id: int) -> list[Affected]:
    """Every asset below ``asset_id`` in the hierarchy (not removed), nearest first."""
    rows = session.execute(
        text(
            """
            WITH RECURSIVE down(id, kind, code, depth) AS (
                SELECT id, kind, code, 1 FROM assets WHERE parent_id = :id AND status <> 'removed'
                UNION ALL
                SELECT a.id, a.kind, a.code, d.depth + 1 FROM assets a JOIN down d ON a.parent_id = d.id
                 WHERE a.status <> 'removed' AND d.depth < 16
            )
            SELECT id, kind, code, depth FROM down ORDER BY depth, kind, code
            """
        ),
        {"id": asset_id},
    )
    return [Affected(r.id, r.kind, r.code, r.depth) for r in rows]


@dataclass
class FibreGraph:
    """The carrying fibre network as adjacency lists: node -> [(neighbour, segment)]."""

    adjacency: dict[int, list[tuple[int, int]]]
    pops: set[int]

    @classmethod
    def load(cls, session: Session) -> FibreGraph:
        """The carrying network: in-service nodes, and in-service segments between two of them."""
        rows = session.execute(
            text(
                f"SELECT id, node_type, from_node_id, to_node_id FROM assets "
                f"WHERE kind IN ('fibre_node', 'fibre_segment') AND {CARRIES}"
            )
        ).tuples().all()
        nodes = {r[0] for r in rows if r[2] is None}
        adjacency: dict[int, list[tuple[int, int]]] = {n: [] for n in nodes}
        for seg, _, a, b in rows:
            if a is not None and a in nodes and b in nodes:
                adjacency[a].append((b, seg))
                adjacency[b].append((a, seg))
        pops = {r[0] for r in rows if r[1] == "pop"}
        return cls(adjacency, pops)

    def reachable(self, failed_node: int | None = None, failed_segment: int | None = None) -> set[int]:
        """Nodes with at least one path to a PoP once the given node or segment has failed."""
        start = [p for p in self.pops if p != failed_node]
        seen = set(start)
        queue = deque(start)
        while queue:
            node = queue.popleft()
            for neighbour, segment in self.adjacency.get(node, ()):
                if neighbour in seen or neighbour == failed_node or segment == failed_segment:
                    continue
                seen.add(neighbour)
                queue.append(neighbour)
        return seen


def fibre_cut(session: Session, asset_id: int) -> list[Affected]:
    """Every node and piece of equipment that loses all its paths to a PoP when ``asset_id`` fails.

    Nodes already cut off before the failure are not blamed on it.
    """
    kind = _kind_of(session, asset_id)
    graph = FibreGraph.load(session)
    before = graph.reachable()
    if kind == "fibre_node":
        after = graph.reachable(failed_node=asset_id)
        lost = (before - after) | ({asset_id} & before)
    elif kind == "fibre_segment":
        lost = before - graph.reachable(failed_segment=asset_id)
    else:
        return []
    if not lost:
        return []
    rows = session.execute(
        text(
            """
            SELECT id, kind, code FROM assets WHERE id = ANY(:lost) AND kind = 'fibre_node' AND id <> :failed
            UNION
            SELECT id, kind, code FROM assets WHERE fibre_node_id = ANY(:lost) AND status <> 'removed'
            ORDER BY kind, code
            """
        ),
        {"lost": list(lost), "failed": asset_id},
    )
    return [Affected(r.id, r.kind, r.code, 0) for r in rows]
