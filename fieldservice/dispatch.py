"""Dispatch: the nearest available crew that has the order's skill and clearances, by the live positions
of the crews' vehicles (PostGIS nearest-neighbour, ``<->``, on the partial GiST index of ``live_state``).

- **Skill**: the order's category is the skill it needs (``lighting``, ``signals``, ``video``, ``fibre``,
  ``buildings``).
- **Clearances** (NF C 18-510) an order needs, by category: :data:`REQUIRED_CLEARANCES` (an example set for
  the demo; a caller may ask for more with ``needs``). A crew holds one when a member holds it unexpired on
  the day. A crew without them is never proposed, however near.
- **Available**: working or on call at that moment (:mod:`fieldservice.crews`).
- **Travel time**: straight-line distance × :data:`DETOUR_FACTOR` at :data:`SPEED_KMH` (no street graph).
- **Queue**: the crew's open orders, each counted :data:`QUEUE_MIN_PER_ORDER` minutes before it can leave;
  **breach risk**: the estimated arrival after the order's response due time (or arrival plus
  :data:`WORK_MIN` after its resolution due time), both from the SLA engine's stored due times.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.errors import FieldError, NotFoundError, ValidationError
from fieldservice import crews as crews_mod
from fieldservice import orders, sla
from fieldservice.models import WorkOrder
from fieldservice.states import CLOSED

#: Clearances an order of a category needs (example policy: BR, general low-voltage intervention, for
#: lighting, signals and buildings; B1V, low-voltage work near live parts, for cameras on lit masts; B0,
#: non-electrical work in electrical premises, for fibre in cabinets).
REQUIRED_CLEARANCES: dict[str, tuple[str, ...]] = {
    "lighting": ("BR",), "signals": ("BR",), "buildings": ("BR",), "video": ("B1V",), "fibre": ("B0",),
}
DETOUR_FACTOR = 1.4  # street distance ÷ straight distance, typical of a European city centre
SPEED_KMH = 30.0  # mean urban speed of a service van
QUEUE_MIN_PER_ORDER = 60.0  # one open order ahead: travel + work
WORK_MIN = 60.0  # time on site assumed to resolve

# The nearest vehicles first, a batch at a time (the KNN index walked in distance order, ``<->`` against a
# constant point), then the crew rules on that batch only: if ``limit`` crews of the batch fit, they are the
# nearest that fit anywhere (every vehicle outside the batch is farther). Otherwise the batch grows. So the
# cost follows how far one must look, not the size of the fleet.
_HERE = "ST_SetSRID(ST_MakePoint(:x, :y), 2154)"
_NEAREST = f"""
SELECT c.id, c.name, near.ts AS position_at, ST_Distance(near.geom, {_HERE}) AS distance_m
  FROM (SELECT l.asset_id, l.geom, l.ts, l.geom <-> {_HERE} AS d FROM live_state l
         WHERE l.geom IS NOT NULL ORDER BY l.geom <-> {_HERE} LIMIT :batch) AS near
  JOIN crews c ON c.vehicle_id = near.asset_id
 WHERE CAST(:skill AS text) = ANY(c.skills) AND {crews_mod.QUALIFIED_SQL} AND {crews_mod.AVAILABLE_SQL}
 ORDER BY near.d
 LIMIT :limit
"""
FIRST_BATCH = 32


def _day(when: dt.datetime) -> dt.date:
    """The Paris day of ``when``: clearances are valid per day."""
    return sla._aware(when).astimezone(sla.PARIS).date()


def nearest_qualified(session: Session, x: float, y: float, skill: str, needs: tuple[str, ...],
                      when: dt.datetime, limit: int = 3) -> list:
    """Rows (id, name, position_at, distance_m) of the ``limit`` crews nearest to (x, y) (Lambert-93) by their
    vehicle's live position that have ``skill``, every clearance of ``needs`` and work at ``when``."""
    params = {"x": x, "y": y, "skill": skill, "limit": limit,
              **crews_mod.qualification_params(_day(when), needs), **crews_mod.availability_params(when)}
    batch, fleet = max(FIRST_BATCH, 4 * limit), None
    while True:
        rows = session.execute(text(_NEAREST), {**params, "batch": batch}).all()
        if len(rows) >= limit:
            return rows
        if fleet is None:
            fleet = session.execute(text("SELECT count(*) FROM live_state WHERE geom IS NOT NULL")).scalar_one()
        if batch >= fleet:
            return rows
        batch *= 8


@dataclass(frozen=True)
class Proposal:
    """A crew proposed for an order: how far, how soon, what it already has, and whether it would breach."""

    crew_id: int
    name: str
    distance_m: float
    position_at: dt.datetime
    travel_min: float
    queue: list[int]
    eta: dt.datetime
    response_due: dt.datetime | None
    resolution_due: dt.datetime | None
    response_breach: bool
    resolution_breach: bool


def travel_minutes(distance_m: float) -> float:
    """Driving minutes for a straight-line distance."""
    return distance_m * DETOUR_FACTOR / (SPEED_KMH * 1000 / 60)


def needs_of(category: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The clearances an order of ``category`` needs."""
    return tuple(sorted({*REQUIRED_CLEARANCES.get(category, ()), *extra}))


def _order(session: Session, order_id: int) -> tuple[WorkOrder, float, float]:
    order = session.get(WorkOrder, order_id)
    if order is None:
        raise NotFoundError(f"work order {order_id} does not exist")
    if order.geom is None:
        raise ValidationError(FieldError("location", f"work order {order_id} has no place to go to"))
    if order.state in CLOSED:
        raise ValidationError(FieldError("state", f"work order {order_id} is {order.state}: nothing to dispatch"))
    x, y = session.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM work_orders WHERE id = :id"),
                           {"id": order_id}).one()
    return order, x, y


def queues(session: Session, crew_ids: list[int], but: int | None = None) -> dict[int, list[int]]:
    """The open orders of each crew (oldest first), leaving out order ``but``."""
    rows = session.execute(text(
        "SELECT crew_id, array_agg(id ORDER BY created_at, id) FROM work_orders "
        "WHERE crew_id = ANY(:ids) AND state <> ALL(:closed) AND id IS DISTINCT FROM :but GROUP BY crew_id"),
        {"ids": crew_ids, "closed": list(CLOSED), "but": but}).all()
    return {r[0]: list(r[1]) for r in rows}


def propose(session: Session, order_id: int, when: dt.datetime | None = None, limit: int = 3,
            needs: tuple[str, ...] = ()) -> list[Proposal]:
    """The ``limit`` nearest crews that may take the order at ``when`` (default now), nearest first."""
    when = when or dt.datetime.now(dt.UTC)
    order, x, y = _order(session, order_id)
    rows = nearest_qualified(session, x, y, order.category, needs_of(order.category, needs), when, limit)
    queued = queues(session, [r.id for r in rows], but=order_id) if rows else {}
    out = []
    for r in rows:
        queue = queued.get(r.id, [])
        travel = travel_minutes(r.distance_m)
        eta = when + dt.timedelta(minutes=travel + QUEUE_MIN_PER_ORDER * len(queue))
        out.append(Proposal(
            crew_id=r.id, name=r.name, distance_m=r.distance_m, position_at=r.position_at, travel_min=travel,
            queue=queue, eta=eta,
            response_due=order.response_due, resolution_due=order.resolution_due,
            response_breach=order.response_due is not None and eta > order.response_due,
            resolution_breach=(order.resolution_due is not None
                               and eta + dt.timedelta(minutes=WORK_MIN) > order.resolution_due)))
    return out


def check_qualified(session: Session, order: WorkOrder, crew_id: int, day: dt.date) -> None:
    """Refuse a crew without the order's skill or clearances, naming what it lacks."""
    crew = crews_mod.get_crew(session, crew_id)
    problems = []
    if order.category not in crew.skills:
        problems.append(f"lacks the skill {order.category}")
    missing = sorted(set(needs_of(order.category)) - crews_mod.qualified_on(session, crew.id, day))
    if missing:
        problems.append(f"holds no valid {', '.join(missing)} clearance on {day.isoformat()}")
    if problems:
        raise ValidationError(FieldError("crew_id", f"crew {crew.name!r} " + " and ".join(problems)))


def assign(session: Session, order_id: int, crew_id: int, actor: int | None, version: int | None,
           at: dt.datetime | None = None) -> WorkOrder:
    """Assign the order to a qualified crew in one action (409 on a stale ``version``)."""
    order = session.get(WorkOrder, order_id)
    if order is None:
        raise NotFoundError(f"work order {order_id} does not exist")
    when = at or dt.datetime.now(dt.UTC)
    check_qualified(session, order, crew_id, _day(when))
    return orders.transition(session, order_id, "assigned", actor, expected_version=version, crew_id=crew_id, at=at)


def visiting_order(session: Session, order_ids: list[int], start: tuple[float, float]) -> list[int]:
    """A suggested round through several orders of one area (nearest next, from ``start``, Lambert-93)."""
    spots = {r[0]: (r[1], r[2]) for r in session.execute(text(
        "SELECT id, ST_X(geom), ST_Y(geom) FROM work_orders WHERE id = ANY(:ids) AND geom IS NOT NULL"),
        {"ids": order_ids})}
    route, here = [], start
    while spots:
        nxt = min(spots, key=lambda i: (spots[i][0] - here[0]) ** 2 + (spots[i][1] - here[1]) ** 2)
        route.append(nxt)
        here = spots.pop(nxt)
    return route


def assign_batch(session: Session, order_ids: list[int], crew_id: int, actor: int | None,
                 at: dt.datetime | None = None) -> list[int]:
    """Assign several orders of one area to one qualified crew in one action (all or none: a refusal names
    the order); the suggested round from where its vehicle is (else from the first order), nearest next."""
    if not order_ids:
        raise ValidationError(FieldError("order_ids", "give at least one order"))
    unique = list(dict.fromkeys(order_ids))
    for order_id in unique:
        try:
            assign(session, order_id, crew_id, actor, None, at)
        except ValidationError as exc:
            raise ValidationError([FieldError(f"order_ids.{order_id}", e.reason) for e in exc.errors]) from None
    start = session.execute(text(
        "SELECT ST_X(l.geom), ST_Y(l.geom) FROM crews c JOIN live_state l ON l.asset_id = c.vehicle_id "
        "WHERE c.id = :c AND l.geom IS NOT NULL"), {"c": crew_id}).first()
    if start is None:
        start = session.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM work_orders WHERE id = :o"),
                                {"o": unique[0]}).first()
    return visiting_order(session, unique, (float(start[0]), float(start[1]))) if start and start[0] is not None \
        else unique
