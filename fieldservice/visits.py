"""Arrival and departure stamped by the crew's vehicle: when its GPS track stays within an order's assets'
surroundings (a radius per kind) for a dwell time, that is an arrival (a drive-by is not); leaving them is
the departure. An arrival moves an order still assigned or en route to on site on its own (stopping the
response clock), stamped with the vehicle's position; the visits are the proof shown with the track.

:func:`scan` reads the tracks since each open order was assigned; ``citypilot visits run --every 30`` runs it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shapely import wkb
from sqlalchemy import text
from sqlalchemy.orm import Session

from fieldservice.orders import transition

#: How close (metres) a vehicle must stop to be at an asset of a kind; others: :data:`DEFAULT_RADIUS_M`.
RADIUS_M = {"luminaire": 50.0, "pole": 50.0, "cabinet": 40.0, "circuit": 80.0, "signal_controller": 60.0,
            "signal_head": 60.0, "camera": 60.0, "fibre_node": 60.0, "fibre_segment": 80.0, "sensor": 60.0,
            "building": 100.0}
DEFAULT_RADIUS_M = 75.0
DWELL = dt.timedelta(seconds=90)
WATCHED = ("assigned", "en_route", "on_site", "made_safe", "waiting")
SYSTEM_REASON = "vehicle arrived (geofence)"


@dataclass(frozen=True)
class Fix:
    """One track point and its distance to the order's nearest asset."""

    at: dt.datetime
    distance_m: float
    wkb: bytes


@dataclass
class Visit:
    """A stay of the vehicle near the order's assets."""

    arrived_at: dt.datetime
    departed_at: dt.datetime | None
    nearest_m: float
    arrival: Fix


def stays(fixes: list[tuple[Fix, float]], dwell: dt.timedelta = DWELL) -> list[Visit]:
    """The stays in a track (each fix with the radius it is judged by): inside for at least ``dwell``; a
    stay still going on has no departure."""
    visits: list[Visit] = []
    run: list[Fix] = []

    def close(departed: dt.datetime | None) -> None:
        if run and (departed or run[-1].at) - run[0].at >= dwell:
            visits.append(Visit(run[0].at, departed, min(f.distance_m for f in run), run[0]))

    for fix, radius in fixes:
        if fix.distance_m <= radius:
            run.append(fix)
        elif run:
            close(fix.at)
            run = []
    if run and run[-1].at - run[0].at >= dwell:
        visits.append(Visit(run[0].at, None, min(f.distance_m for f in run), run[0]))
    return visits


_CANDIDATES = text("""
    SELECT o.id, o.state, o.crew_id, c.vehicle_id,
           (SELECT max(e.at) FROM work_order_events e WHERE e.order_id = o.id AND e.to_state = 'assigned') AS since
      FROM work_orders o JOIN crews c ON c.id = o.crew_id
     WHERE o.state = ANY(:watched) AND c.vehicle_id IS NOT NULL
     ORDER BY o.id
""")
_TRACK = text("""
    WITH targets AS (
        SELECT a.geom, a.kind FROM work_order_assets wa JOIN assets a ON a.id = wa.asset_id
         WHERE wa.order_id = :o AND a.geom IS NOT NULL
        UNION ALL
        SELECT o.geom, NULL FROM work_orders o
         WHERE o.id = :o AND o.geom IS NOT NULL AND NOT EXISTS (SELECT 1 FROM work_order_assets WHERE order_id = :o))
    SELECT p.ts, ST_AsBinary(p.geom) AS wkb, t.distance_m, t.kind
      FROM vehicle_positions p
      CROSS JOIN LATERAL (SELECT ST_Distance(t.geom, p.geom) AS distance_m, t.kind FROM targets t
                           ORDER BY t.geom <-> p.geom LIMIT 1) t
     WHERE p.asset_id = :v AND p.ts >= :since AND p.ts <= :until
     ORDER BY p.ts
""")


def _store(session: Session, order_id: int, vehicle_id: int, crew_id: int, visit: Visit) -> bool:
    """Record a visit (or its departure); whether it is a new arrival."""
    updated = session.execute(text(
        "UPDATE work_order_visits SET departed_at = :d, nearest_m = least(nearest_m, :n) "
        "WHERE order_id = :o AND vehicle_id = :v AND arrived_at = :a"),
        {"o": order_id, "v": vehicle_id, "a": visit.arrived_at, "d": visit.departed_at,
         "n": visit.nearest_m}).rowcount
    if updated:
        return False
    session.execute(text(
        "INSERT INTO work_order_visits (order_id, vehicle_id, crew_id, arrived_at, departed_at, nearest_m) "
        "VALUES (:o, :v, :c, :a, :d, :n)"),
        {"o": order_id, "v": vehicle_id, "c": crew_id, "a": visit.arrived_at, "d": visit.departed_at,
         "n": visit.nearest_m})
    return True


def scan(session: Session, now: dt.datetime | None = None) -> list[tuple[int, str]]:
    """Stamp the visits of every watched order from its crew's vehicle track; (order, what happened) pairs:
    ``arrived`` (and moved on site when it was still on its way), ``departed``."""
    until = now or dt.datetime.now(dt.UTC)
    happened: list[tuple[int, str]] = []
    for order in session.execute(_CANDIDATES, {"watched": list(WATCHED)}).all():
        if order.since is None:
            continue
        rows = session.execute(_TRACK, {"o": order.id, "v": order.vehicle_id, "since": order.since,
                                        "until": until}).all()
        fixes = [(Fix(r.ts, float(r.distance_m), bytes(r.wkb)), RADIUS_M.get(r.kind, DEFAULT_RADIUS_M))
                 for r in rows if r.distance_m is not None]
        known = {r.arrived_at: r.departed_at for r in session.execute(text(
            "SELECT arrived_at, departed_at FROM work_order_visits WHERE order_id = :o AND vehicle_id = :v"),
            {"o": order.id, "v": order.vehicle_id})}
        for visit in stays(fixes):
            if visit.arrived_at in known and known[visit.arrived_at] == visit.departed_at:
                continue
            new = _store(session, order.id, order.vehicle_id, order.crew_id, visit)
            if new:
                happened.append((order.id, "arrived"))
                _arrive(session, order.id, visit)
            if visit.departed_at is not None:
                happened.append((order.id, "departed"))
    return happened


def _arrive(session: Session, order_id: int, visit: Visit) -> None:
    """Move an order still on its way to on site, at the arrival's time and place."""
    state = session.execute(text("SELECT state FROM work_orders WHERE id = :o"), {"o": order_id}).scalar()
    point = wkb.loads(visit.arrival.wkb)
    if state == "assigned":
        transition(session, order_id, "en_route", None, position=point, reason=SYSTEM_REASON, at=visit.arrived_at)
        state = "en_route"
    if state == "en_route":
        transition(session, order_id, "on_site", None, position=point, reason=SYSTEM_REASON, at=visit.arrived_at)


def visits_of(session: Session, order_id: int) -> list[dict[str, object]]:
    """The vehicle visits of an order, oldest first."""
    return [{"vehicle_id": r.vehicle_id, "crew_id": r.crew_id, "arrived_at": r.arrived_at.isoformat(),
             "departed_at": r.departed_at.isoformat() if r.departed_at else None, "nearest_m": round(r.nearest_m, 1)}
            for r in session.execute(text(
                "SELECT * FROM work_order_visits WHERE order_id = :o ORDER BY arrived_at"), {"o": order_id})]
