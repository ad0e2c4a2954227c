"""From alarm to work order, once per cause.

The rule, in one place:

- an alarm of a type that needs someone on site (:data:`ORDER_TYPES`) opens one order: for a cause (a
  tripped cabinet, a fibre failure) the order holds the cause's asset and every asset it affects, so a
  cabinet trip is one order for its lamps, not one per lamp;
- an alarm grouped under a cause that has an order joins that order;
- an alarm on an asset that already has an order not yet verified or cancelled is attached to it (the
  asset, the assets a cause affects and the link are added, no new order);
- the order's clocks start when the alarm was raised; its category comes from the asset's family
  (:data:`FAMILY_CATEGORY`), its priority from the alarm's severity (:data:`SEVERITY_PRIORITY`);
- it reaches ``verified`` only when every alarm it answers has cleared (:func:`orders.verify_cleared`).

``assets`` never imports this package: a worker or ``citypilot orders sync-alarms`` calls
:func:`sync_alarms` (or :func:`open_orders_for_alarms`) periodically.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.errors import FieldError, NotFoundError, ValidationError
from assets.kinds import spec_for
from fieldservice import orders
from fieldservice.states import FINAL

#: Alarm types that send someone on site (a sensor threshold or a vehicle outside its zone does not).
ORDER_TYPES = ("lamp_failure", "cabinet_trip", "device_silent", "meter_unreachable", "fibre_failure")
#: The order's category (the skill it needs) by the asset's family.
FAMILY_CATEGORY = {
    "lighting": "lighting", "traffic": "signals", "video": "video", "network": "fibre",
    "energy": "buildings", "environment": "buildings",
}
SEVERITY_PRIORITY = {"critical": "urgent", "major": "high", "minor": "normal", "warning": "low"}
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('citypilot.fieldservice.from_alarms'))"


@dataclass
class SyncResult:
    """What one pass did: orders opened, alarms attached to an existing order (alarm → order), verified."""

    opened: list[int] = field(default_factory=list)
    attached: dict[int, int] = field(default_factory=dict)
    skipped: list[int] = field(default_factory=list)
    verified: list[int] = field(default_factory=list)


def category_of(kind: str) -> str | None:
    """The order category for an asset of ``kind`` (None: no order for this family, e.g. vehicles)."""
    return FAMILY_CATEGORY.get(spec_for(kind).family)


def _pending(session: Session, since: dt.datetime | None) -> list:
    """Active alarms of the order types not linked to an order yet: causes first, then oldest first."""
    return session.execute(text(
        """
        SELECT al.id, al.asset_id, al.type, al.severity, al.message, al.raised_at, al.cause_id, a.kind,
               ARRAY(SELECT f.asset_id FROM alarm_affected f WHERE f.alarm_id = al.id ORDER BY f.asset_id)
                 AS affected
          FROM alarms al JOIN assets a ON a.id = al.asset_id
         WHERE al.state <> 'cleared' AND al.type = ANY(:types)
           AND (CAST(:since AS timestamptz) IS NULL OR al.raised_at >= :since)
           AND NOT EXISTS (SELECT 1 FROM work_order_alarms l WHERE l.alarm_id = al.id)
         ORDER BY al.cause_id IS NOT NULL, al.id
        """), {"types": list(ORDER_TYPES), "since": since}).all()


def _order_of_alarm(session: Session, alarm_id: int) -> int | None:
    return session.execute(text(
        "SELECT l.order_id FROM work_order_alarms l JOIN work_orders o ON o.id = l.order_id "
        "WHERE l.alarm_id = :id AND o.state <> ALL(:final)"),
        {"id": alarm_id, "final": list(FINAL)}).scalar()


def open_orders_for_alarms(session: Session, since: dt.datetime | None = None,
                           actor_id: int | None = None) -> SyncResult:
    """Open or attach an order for every active alarm raised since ``since`` (None: every active alarm)
    that no order answers yet. Safe to run from several workers (one at a time, by an advisory lock)."""
    session.execute(text(_LOCK))
    result = SyncResult()
    for alarm in _pending(session, since):
        category = category_of(alarm.kind)
        if category is None:
            result.skipped.append(alarm.id)
            continue
        target = _order_of_alarm(session, alarm.cause_id) if alarm.cause_id else None
        if target is None:
            target = orders.open_order_of(session, [alarm.asset_id])
        if target is not None:
            orders.link_alarm(session, target, alarm.id, [alarm.asset_id, *alarm.affected])
            result.attached[alarm.id] = target
            continue
        order = orders.create_order(
            session, origin="alarm", category=category, priority=SEVERITY_PRIORITY[alarm.severity],
            actor_id=actor_id, asset_ids=[alarm.asset_id, *alarm.affected], description=alarm.message,
            alarm_id=alarm.id, at=alarm.raised_at)
        result.opened.append(order.id)
    session.flush()
    return result


def order_for_alarm(session: Session, alarm_id: int, actor_id: int | None = None,
                    priority: str | None = None) -> tuple[int, bool]:
    """The order answering an active alarm, opened by hand (an operator in the control room) when none does:
    (order id, whether it was opened now). The rules of :func:`open_orders_for_alarms` hold: an alarm under a
    cause joins the cause's order, one on an asset with an open order attaches to it; any alarm type may be
    answered this way (a sensor threshold too), as long as its asset's family has an order category."""
    session.execute(text(_LOCK))
    alarm = session.execute(text(
        "SELECT al.id, al.asset_id, al.state, al.severity, al.message, al.cause_id, a.kind, "
        "ARRAY(SELECT f.asset_id FROM alarm_affected f WHERE f.alarm_id = al.id ORDER BY f.asset_id) AS affected "
        "FROM alarms al JOIN assets a ON a.id = al.asset_id WHERE al.id = :id"), {"id": alarm_id}).first()
    if alarm is None:
        raise NotFoundError(f"alarm {alarm_id} does not exist")
    existing = _order_of_alarm(session, alarm_id)
    if existing is not None:
        return existing, False
    if alarm.state == "cleared":
        raise ValidationError(FieldError("alarm_id", f"alarm {alarm_id} has cleared: nothing to repair"))
    category = category_of(alarm.kind)
    if category is None:
        raise ValidationError(FieldError("alarm_id", f"no work order category for a {alarm.kind}"))
    target = _order_of_alarm(session, alarm.cause_id) if alarm.cause_id else None
    target = target or orders.open_order_of(session, [alarm.asset_id])
    if target is not None:
        orders.link_alarm(session, target, alarm.id, [alarm.asset_id, *alarm.affected])
        return target, False
    order = orders.create_order(
        session, origin="alarm", category=category, priority=priority or SEVERITY_PRIORITY[alarm.severity],
        actor_id=actor_id, asset_ids=[alarm.asset_id, *alarm.affected], description=alarm.message,
        alarm_id=alarm.id)
    return order.id, True


def sync_alarms(session: Session, since: dt.datetime | None = None, actor_id: int | None = None,
                at: dt.datetime | None = None) -> SyncResult:
    """One pass of the worker: orders for new alarms, then verify the orders whose alarms all cleared."""
    result = open_orders_for_alarms(session, since, actor_id)
    result.verified = orders.verify_cleared(session, at=at)
    return result
