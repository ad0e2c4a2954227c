"""The proof of an intervention as a map: the order's assets, the positions its crew reported on each move,
and the tracks of the vehicles around each visit (:mod:`fieldservice.visits`), as one GeoJSON collection
in WGS84 that a map draws as it comes (the control room, the tablet, a report).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.alarms.queries import iso
from assets.live.queries import track
from fieldservice import visits

#: The track drawn around a visit: from this long before the arrival to this long after the departure.
LEAD = dt.timedelta(minutes=15)
TRAIL = dt.timedelta(minutes=5)
#: At most this many fixes per track (evenly thinned beyond), so a long stay stays a light answer.
MAX_FIXES = 500

_WGS84 = "ST_X(ST_Transform({g}, 4326)) AS lon, ST_Y(ST_Transform({g}, 4326)) AS lat"


def _point(lon: float, lat: float, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
            "properties": properties}


def thinned(items: list[Any], most: int = MAX_FIXES) -> list[Any]:
    """``items`` evenly thinned to at most ``most``, keeping the first and the last."""
    if len(items) <= most:
        return items
    step = (len(items) - 1) / (most - 1)
    return [items[round(i * step)] for i in range(most)]


def proof_map(session: Session, order_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """The order's proof as a GeoJSON FeatureCollection: ``asset`` points, ``move`` points (each move with a
    reported position: state, when, distance, proven) and one ``track`` line per vehicle visit."""
    now = now or dt.datetime.now(dt.UTC)
    features: list[dict[str, Any]] = []
    for r in session.execute(text(
            f"SELECT a.id, a.code, a.kind, {_WGS84.format(g='a.geom')} FROM work_order_assets wa "
            "JOIN assets a ON a.id = wa.asset_id WHERE wa.order_id = :o AND a.geom IS NOT NULL "
            "AND GeometryType(a.geom) = 'POINT' ORDER BY a.id"), {"o": order_id}):
        features.append(_point(r.lon, r.lat, {"role": "asset", "id": r.id, "code": r.code, "kind": r.kind}))
    for r in session.execute(text(
            f"SELECT e.to_state, e.at, e.accuracy_m, e.distance_m, e.proven, e.reason, {_WGS84.format(g='e.geom')} "
            "FROM work_order_events e WHERE e.order_id = :o AND e.geom IS NOT NULL ORDER BY e.at, e.id"),
            {"o": order_id}):
        features.append(_point(r.lon, r.lat, {
            "role": "move", "state": r.to_state, "at": iso(r.at), "accuracy_m": r.accuracy_m,
            "distance_m": r.distance_m, "proven": r.proven, "by_vehicle": r.reason == visits.SYSTEM_REASON}))
    for v in session.execute(text(
            "SELECT vehicle_id, crew_id, arrived_at, departed_at, nearest_m FROM work_order_visits "
            "WHERE order_id = :o ORDER BY arrived_at"), {"o": order_id}):
        fixes = thinned(track(session, v.vehicle_id, v.arrived_at - LEAD, (v.departed_at or now) + TRAIL))
        if len(fixes) < 2:
            continue
        features.append({"type": "Feature", "geometry": {
            "type": "LineString", "coordinates": [[round(f.lon, 7), round(f.lat, 7)] for f in fixes]},
            "properties": {"role": "track", "vehicle_id": v.vehicle_id, "crew_id": v.crew_id,
                           "arrived_at": iso(v.arrived_at), "departed_at": iso(v.departed_at),
                           "nearest_m": round(v.nearest_m, 1), "fixes": len(fixes)}})
    return {"type": "FeatureCollection", "order_id": order_id,
            "features": features}
