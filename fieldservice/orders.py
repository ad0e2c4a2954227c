"""Work orders: created once, moved only through :func:`transition` (the state machine, optimistic
locking, the audit row, the SLA due times refreshed), closed for an alarm only when the device says ok."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from geoalchemy2 import WKBElement
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from assets.errors import ConflictError, FieldError, NotFoundError, ValidationError
from fieldservice import proof, sla
from fieldservice.announce import order_changed
from fieldservice.checklists import ensure_checklist
from fieldservice.models import (
    ORIGINS,
    PRIORITIES,
    SKILLS,
    SlaPolicy,
    WorkOrder,
    WorkOrderAlarm,
    WorkOrderAsset,
    WorkOrderEvent,
)
from fieldservice.states import CLOSED, FINAL, check_move
from gis.crs import STORAGE_SRID

AWAITING_DEVICE = "awaiting_device"
#: An order's category is the skill it needs.
CATEGORIES = SKILLS
#: The column stamped the first time an order reaches one of a clock's stop states.
STOP_COLUMNS = {"response": "arrived_at", "make_safe": "made_safe_at", "resolution": "done_at"}
Position = Point | tuple[float, float]


def _shape(position: Position | None) -> Point | None:
    if position is None:
        return None
    return position if isinstance(position, Point) else Point(*position)


def _point(position: Position | None) -> WKBElement | None:
    point = _shape(position)
    return None if point is None else from_shape(point, srid=STORAGE_SRID)


def _now(at: dt.datetime | None) -> dt.datetime:
    return at if at is not None else dt.datetime.now(dt.UTC)


def policy_for(session: Session, category: str, priority: str) -> SlaPolicy | None:
    """The SLA policy of ``category`` and ``priority``, if one is set."""
    return session.scalars(
        select(SlaPolicy).where(SlaPolicy.category == category, SlaPolicy.priority == priority)
    ).first()


def events_of(session: Session, order_id: int) -> list[sla.Event]:
    """The order's transitions as the SLA engine reads them, oldest first."""
    rows = session.execute(
        select(WorkOrderEvent.to_state, WorkOrderEvent.at, WorkOrderEvent.reason)
        .where(WorkOrderEvent.order_id == order_id).order_by(WorkOrderEvent.at, WorkOrderEvent.id)
    ).all()
    return [sla.Event(r.to_state, r.at, r.reason) for r in rows]


def refresh_due(session: Session, order: WorkOrder, now: dt.datetime) -> None:
    """Store each clock's due time (None while paused) as the policy and the events give it."""
    policy = session.get(SlaPolicy, order.policy_id) if order.policy_id else None
    if policy is None:
        return
    statuses = sla.clocks(policy, order.created_at, events_of(session, order.id), now)
    for clock in sla.CLOCKS:
        setattr(order, f"{clock}_due", statuses[clock].due if clock in statuses else None)


def create_order(
    session: Session,
    *,
    origin: str,
    category: str,
    priority: str = "normal",
    actor_id: int | None = None,
    asset_ids: Sequence[int] = (),
    location: Position | None = None,
    description: str | None = None,
    alarm_id: int | None = None,
    at: dt.datetime | None = None,
) -> WorkOrder:
    """Open an order in ``new``; its place is ``location`` (Lambert-93) or its first asset's."""
    errors = []
    if origin not in ORIGINS:
        errors.append(FieldError("origin", f"must be one of {', '.join(ORIGINS)}"))
    if priority not in PRIORITIES:
        errors.append(FieldError("priority", f"must be one of {', '.join(PRIORITIES)}"))
    if not category or not category.strip():
        errors.append(FieldError("category", "is required"))
    elif category.strip() not in CATEGORIES:
        errors.append(FieldError("category", f"{category!r} is not one of {', '.join(CATEGORIES)}"))
    ids = list(dict.fromkeys(asset_ids))
    if ids:
        found = set(session.execute(text("SELECT id FROM assets WHERE id = ANY(:ids)"), {"ids": ids}).scalars())
        missing = [i for i in ids if i not in found]
        if missing:
            errors.append(FieldError("asset_ids", f"no such asset: {', '.join(map(str, missing))}"))
    if location is None and not ids and origin != "planned":
        errors.append(FieldError("location", "an order needs a place or an asset"))
    if errors:
        raise ValidationError(errors)
    now = _now(at)
    policy = policy_for(session, category, priority)
    order = WorkOrder(origin=origin, category=category.strip(), priority=priority, description=description,
                      geom=_point(location), alarm_id=alarm_id, state="new", version=1,
                      policy_id=policy.id if policy else None, created_by=actor_id, created_at=now, updated_at=now)
    session.add(order)
    session.flush()
    session.add_all([WorkOrderAsset(order_id=order.id, asset_id=i) for i in ids])
    if alarm_id is not None:
        session.add(WorkOrderAlarm(alarm_id=alarm_id, order_id=order.id, linked_at=now))
    session.add(WorkOrderEvent(order_id=order.id, from_state=None, to_state="new", actor_id=actor_id, at=now,
                               geom=order.geom))
    session.flush()
    session.execute(text(
        "UPDATE work_orders o SET geom = coalesce(o.geom, (SELECT ST_PointOnSurface(geom) FROM assets "
        "WHERE id = :asset)) WHERE o.id = :id"), {"asset": ids[0] if ids else None, "id": order.id})
    session.execute(text("UPDATE work_orders SET commune_insee = citypilot_commune_of(geom) WHERE id = :id"),
                    {"id": order.id})
    session.refresh(order, ["geom", "commune_insee"])
    refresh_due(session, order, now)
    session.flush()
    order_changed(session, order.id, order.state, order.crew_id, "created")
    return order


def pending_alarms(session: Session, order_id: int) -> list[int]:
    """The alarms the order answers that have not cleared yet (a deleted alarm holds nothing back)."""
    return list(session.execute(text(
        "SELECT a.id FROM work_order_alarms l JOIN alarms a ON a.id = l.alarm_id "
        "WHERE l.order_id = :id AND a.state <> 'cleared' ORDER BY a.id"), {"id": order_id}).scalars())


def link_alarm(session: Session, order_id: int, alarm_id: int, asset_ids: Sequence[int] = ()) -> None:
    """Attach an alarm (and the assets it concerns) to an order; attaching twice changes nothing."""
    session.execute(text("INSERT INTO work_order_alarms (alarm_id, order_id) VALUES (:a, :o) "
                         "ON CONFLICT (alarm_id) DO NOTHING"), {"a": alarm_id, "o": order_id})
    if asset_ids:
        session.execute(text("INSERT INTO work_order_assets (order_id, asset_id) "
                             "SELECT :o, unnest(CAST(:ids AS bigint[])) ON CONFLICT DO NOTHING"),
                        {"o": order_id, "ids": list(asset_ids)})


def transition(
    session: Session,
    order_id: int,
    to: str,
    actor: int | None,
    position: Position | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
    crew_id: int | None = None,
    at: dt.datetime | None = None,
    accuracy_m: float | None = None,
    require_proof: bool = False,
) -> WorkOrder:
    """Move an order to ``to``: legal moves only, 409 on a stale ``expected_version``, stamped with who,
    when and the reported position (on site: its distance to the assets, :mod:`fieldservice.proof`). An
    alarm's order reaches ``verified`` only once its alarm has cleared; until then it stays in ``done``
    awaiting the device. ``require_proof`` (a crew closing its order): ``done`` needs the required checklist
    ticked and a proven arrival."""
    order = session.get(WorkOrder, order_id, with_for_update=True)
    if order is None:
        raise NotFoundError(f"work order {order_id} does not exist")
    if expected_version is not None and expected_version != order.version:
        raise ConflictError(f"work order {order_id} changed since version {expected_version} "
                            f"(now {order.version}); reload it", current_version=order.version)
    check_move(order.state, to, reason)
    previous_crew = order.crew_id
    if to == "assigned":
        order.crew_id = crew_id if crew_id is not None else order.crew_id
        if order.crew_id is None:
            raise ValidationError(FieldError("crew_id", "assigning an order needs a crew"))
    pending = pending_alarms(session, order_id) if to in ("done", "verified") else []
    if to == "verified" and pending:
        raise ValidationError(FieldError("state", f"work order {order_id} is awaiting the device: alarm(s) "
                                                  f"{', '.join(map(str, pending))} not cleared"))
    if to == "done" and require_proof:
        ensure_checklist(session, order_id)
        blockers = proof.close_blockers(session, order_id)
        if blockers:
            raise ValidationError(blockers)
    now = _now(at)
    here = proof.presence(session, order_id, _shape(position), accuracy_m) if to == "on_site" else None
    session.add(WorkOrderEvent(order_id=order.id, from_state=order.state, to_state=to, actor_id=actor, at=now,
                               geom=_point(position), reason=reason, accuracy_m=accuracy_m,
                               distance_m=here.distance_m if here else None, proven=here.proven if here else None))
    order.state = to
    order.waiting_reason = reason if to == "waiting" else None
    if to == "done" and pending:
        order.waiting_reason = AWAITING_DEVICE
    for clock, column in STOP_COLUMNS.items():
        if to in sla.CLOCKS[clock] and getattr(order, column) is None:
            setattr(order, column, now)
    order.version += 1
    order.updated_at = now
    session.flush()
    refresh_due(session, order, now)
    if to in CLOSED:
        close_reports_of(session, order.id)
    session.flush()
    order_changed(session, order.id, order.state, order.crew_id, "moved", previous_crew)
    return order


def cancel(session: Session, order_id: int, actor: int | None, reason: str,
           expected_version: int | None = None, at: dt.datetime | None = None) -> WorkOrder:
    """Cancel an open order; the reason is required and kept on the event."""
    if not reason or not reason.strip():
        raise ValidationError(FieldError("reason", "cancelling an order needs a reason"))
    return transition(session, order_id, "cancelled", actor, reason=reason.strip(),
                      expected_version=expected_version, at=at)


def open_order_of(session: Session, asset_ids: Sequence[int]) -> int | None:
    """The oldest order about one of ``asset_ids`` not yet verified or cancelled (one done but awaiting
    the device counts: the device says the fault is still there)."""
    return session.execute(text(
        "SELECT o.id FROM work_order_assets wa JOIN work_orders o ON o.id = wa.order_id "
        "WHERE wa.asset_id = ANY(:ids) AND o.state <> ALL(:final) ORDER BY o.id LIMIT 1"),
        {"ids": list(asset_ids), "final": list(FINAL)}).scalar()


def verify_cleared(session: Session, at: dt.datetime | None = None) -> list[int]:
    """Verify every order in done that answers alarms, all of them cleared now; their ids."""
    ids = session.execute(text(
        "SELECT o.id FROM work_orders o WHERE o.state = 'done' "
        "AND EXISTS (SELECT 1 FROM work_order_alarms l WHERE l.order_id = o.id) "
        "AND NOT EXISTS (SELECT 1 FROM work_order_alarms l JOIN alarms a ON a.id = l.alarm_id "
        "                WHERE l.order_id = o.id AND a.state <> 'cleared') ORDER BY o.id"
    )).scalars().all()
    for order_id in ids:
        transition(session, order_id, "verified", None, reason="device reported ok", at=at)
    return list(ids)


def close_reports_of(session: Session, order_id: int) -> int:
    """Close the open reports an order answers once it is over; how many."""
    return session.execute(text(
        "UPDATE citizen_reports r SET status = 'closed', updated_at = now(), "
        "status_notes = concat_ws(E'\\n', r.status_notes, 'work order ' || o.id || ': ' || o.state) "
        "FROM work_order_reports l JOIN work_orders o ON o.id = l.order_id "
        "WHERE l.report_id = r.id AND l.order_id = :id AND r.status = 'open' AND o.state = ANY(:closed)"),
        {"id": order_id, "closed": list(CLOSED)}).rowcount
