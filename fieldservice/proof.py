"""Proof of intervention: was the crew where the assets are, and is the work record complete enough to close?

- **Presence**: an ``on_site`` move's reported position is measured against the order's assets (the nearest
  of them; the order's own place when it has none) in Lambert-93 metres; it proves presence within
  :data:`PRESENCE_M` plus the position's stated accuracy (capped at :data:`MAX_ACCURACY_M`, so a vague fix
  proves nothing).
- **Closing** (a crew moving its order to ``done``): every required checklist item ticked. The control room
  may close without them, with a reason (a fault that cleared by itself): the move is stamped with it.
- An ``on_site`` whose position is far from the assets, or whose crew's vehicle never came near
  (:mod:`fieldservice.visits`), is **flagged, not refused**: the work record says so, beside the visits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from shapely.geometry import Point
from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.errors import FieldError
from gis.crs import STORAGE_SRID

PRESENCE_M = float(os.environ.get("CITYPILOT_PRESENCE_M", "150"))
MAX_ACCURACY_M = 100.0


@dataclass(frozen=True)
class Presence:
    """How far a reported position stood from the order's assets, and whether that proves presence."""

    distance_m: float | None
    proven: bool


def presence(session: Session, order_id: int, point: Point | None, accuracy_m: float | None) -> Presence:
    """Measure an on-site position (Lambert-93) against the order's assets (or its place)."""
    if point is None:
        return Presence(None, False)
    here = f"ST_GeomFromText(:p, {STORAGE_SRID})"
    distance = session.execute(text(
        f"SELECT coalesce((SELECT min(ST_Distance(a.geom, {here})) FROM work_order_assets wa "
        "                 JOIN assets a ON a.id = wa.asset_id WHERE wa.order_id = :o AND a.geom IS NOT NULL), "
        f"                (SELECT ST_Distance(o.geom, {here}) FROM work_orders o WHERE o.id = :o))"),
        {"o": order_id, "p": point.wkt}).scalar()
    if distance is None:
        return Presence(None, False)
    slack = min(max(accuracy_m or 0.0, 0.0), MAX_ACCURACY_M)
    return Presence(round(float(distance), 1), float(distance) <= PRESENCE_M + slack)


def close_blockers(session: Session, order_id: int) -> list[FieldError]:
    """What stops a crew from closing the order: required checklist items not ticked."""
    blockers: list[FieldError] = []
    missing = session.execute(text(
        "SELECT key FROM work_order_checklist WHERE order_id = :o AND required AND NOT done ORDER BY position"),
        {"o": order_id}).scalars().all()
    if missing:
        blockers.append(FieldError("checklist", f"required items not ticked: {', '.join(missing)}"))
    return blockers
