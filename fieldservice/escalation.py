"""Escalation: open orders whose clock is about to breach are escalated before it does, and breaches are
recorded, each once per order and clock (``work_order_escalations``), announced on the live stream
(``escalation`` events, :mod:`fieldservice.announce`) for the supervisors, with the standby crew to call.

- A running clock (a due time, not yet stopped; a paused clock has none) is **at risk** when the time left
  on its policy's calendar (the SLA engine's :func:`sla.working_minutes`) is at most the policy's
  ``escalate_before_min``, or by default a quarter of its budget (at least 15 minutes); a planned order
  (no policy) is at risk :data:`PLANNED_BEFORE_MIN` before its due time.
- It is **breached** once its due time has passed; an order first seen late is recorded breached only.
- Each escalation is also an alarm on the order's first asset (:mod:`fieldservice.escalation_alarms`),
  cleared once nothing runs behind it.
- The standby crew: one available now (on shift or on call) with the order's skill, other than the order's
  own, with the shortest queue of open orders.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from assets.alarms.queries import iso
from assets.errors import FieldError, ValidationError
from fieldservice import crews, escalation_alarms, sla
from fieldservice.announce import announce
from fieldservice.models import SlaPolicy
from fieldservice.orders import STOP_COLUMNS
from fieldservice.planning_models import LEVELS
from fieldservice.states import CLOSED

MIN_BEFORE_MIN = 15
PLANNED_BEFORE_MIN = 24 * 60
DEFAULT_LIMIT, MAX_LIMIT = 50, 500


@dataclass(frozen=True)
class Escalation:
    """One escalation recorded by :func:`escalate`."""

    order_id: int
    clock: str
    level: str
    due: dt.datetime
    remaining_min: float
    crew_id: int | None


def threshold_min(policy: SlaPolicy | None, clock: str) -> float:
    """How many minutes before its due time ``clock`` of an order under ``policy`` is at risk."""
    if policy is None:
        return PLANNED_BEFORE_MIN
    if policy.escalate_before_min is not None:
        return float(policy.escalate_before_min)
    budget = getattr(policy, f"{clock}_min") or 0
    return max(MIN_BEFORE_MIN, budget / 4)


_RUNNING = " UNION ALL ".join(
    f"SELECT o.id, o.category, o.crew_id, o.policy_id, '{clock}' AS clock, o.{clock}_due AS due FROM work_orders o "
    f"WHERE o.{clock}_due IS NOT NULL AND o.{stop} IS NULL AND o.state <> ALL(:closed) "
    f"AND NOT EXISTS (SELECT 1 FROM work_order_escalations e WHERE e.order_id = o.id AND e.clock = '{clock}' "
    f"AND e.level = 'breached')"
    for clock, stop in STOP_COLUMNS.items())


def standby_crew(session: Session, skill: str, now: dt.datetime, but: int | None) -> int | None:
    """The crew to call: available at ``now`` with ``skill``, not ``but``, the shortest queue first."""
    return session.execute(text(
        f"SELECT c.id FROM crews c WHERE :skill = ANY(c.skills) AND c.id IS DISTINCT FROM :but "
        f"AND {crews.AVAILABLE_SQL} ORDER BY (SELECT count(*) FROM work_orders q WHERE q.crew_id = c.id "
        "AND q.state <> ALL(:closed)), c.id LIMIT 1"),
        {"skill": skill, "but": but, "closed": list(CLOSED), **crews.availability_params(now)}).scalar()


def escalate(session: Session, now: dt.datetime | None = None) -> list[Escalation]:
    """Record and announce the escalations due at ``now``: each order's clock at risk once, breached once."""
    now = sla._aware(now or dt.datetime.now(dt.UTC))
    policies = {p.id: p for p in session.scalars(select(SlaPolicy))}
    recorded = {(r.order_id, r.clock, r.level) for r in session.execute(text(
        "SELECT order_id, clock, level FROM work_order_escalations e JOIN work_orders o ON o.id = e.order_id "
        "WHERE o.state <> ALL(:closed)"), {"closed": list(CLOSED)})}
    out = []
    for row in session.execute(text(_RUNNING + " ORDER BY due, id"), {"closed": list(CLOSED)}).all():
        policy = policies.get(row.policy_id)
        calendar = policy.calendar if policy else "calendar"
        due = sla._aware(row.due)
        if due <= now:
            level, remaining = "breached", -(now - due).total_seconds() / 60
        else:
            remaining = sla.working_minutes(now, due, calendar)
            if remaining > threshold_min(policy, row.clock) or (row.id, row.clock, "at_risk") in recorded:
                continue
            level = "at_risk"
        crew_id = standby_crew(session, row.category, now, row.crew_id)
        inserted = session.execute(text(
            "INSERT INTO work_order_escalations (order_id, clock, level, at, due, remaining_min, crew_id) "
            "VALUES (:o, :c, :l, :at, :due, :r, :crew) ON CONFLICT DO NOTHING RETURNING id"),
            {"o": row.id, "c": row.clock, "l": level, "at": now, "due": due, "r": remaining, "crew": crew_id}).first()
        if inserted is None:
            continue
        found = Escalation(row.id, row.clock, level, due, round(remaining, 1), crew_id)
        alarm_id = escalation_alarms.raise_for(session, row.id, row.clock, level, due, remaining, crew_id, now)
        announce(session, {"type": "escalation", "order_id": row.id, "clock": row.clock, "level": level,
                           "due": iso(due), "remaining_min": found.remaining_min, "crew_id": crew_id,
                           "alarm_id": alarm_id})
        out.append(found)
    escalation_alarms.clear_settled(session, now)
    return out


def list_escalations(session: Session, *, order_id: int | None = None, level: str | None = None,
                     open_only: bool = False, within_crews: list[int] | None = None, limit: int = DEFAULT_LIMIT,
                     offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """One page of escalations, newest first, and how many match."""
    errors = []
    if level is not None and level not in LEVELS:
        errors.append(FieldError("level", f"must be one of {', '.join(LEVELS)}"))
    if not 1 <= limit <= MAX_LIMIT:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}"))
    if offset < 0:
        errors.append(FieldError("offset", "must be 0 or more"))
    if errors:
        raise ValidationError(errors)
    where, params = ["true"], {"closed": list(CLOSED)}
    if order_id is not None:
        where.append("e.order_id = :order_id")
        params["order_id"] = order_id
    if level is not None:
        where.append("e.level = :level")
        params["level"] = level
    if open_only:
        where.append("o.state <> ALL(:closed)")
    if within_crews is not None:
        where.append("o.crew_id = ANY(:within)")
        params["within"] = within_crews
    condition = " AND ".join(where)
    total = session.execute(text(
        f"SELECT count(*) FROM work_order_escalations e JOIN work_orders o ON o.id = e.order_id WHERE {condition}"),
        params).scalar_one()
    rows = session.execute(text(
        "SELECT e.id, e.order_id, e.clock, e.level, e.at, e.due, e.remaining_min, e.crew_id, c.name AS crew_name, "
        "o.state, o.category, o.priority FROM work_order_escalations e JOIN work_orders o ON o.id = e.order_id "
        f"LEFT JOIN crews c ON c.id = e.crew_id WHERE {condition} ORDER BY e.at DESC, e.id DESC "
        "LIMIT :limit OFFSET :offset"), {**params, "limit": limit, "offset": offset}).all()
    items = [{"id": r.id, "order_id": r.order_id, "clock": r.clock, "level": r.level, "at": iso(r.at),
              "due": iso(r.due), "remaining_min": round(r.remaining_min, 1),
              "standby_crew": {"id": r.crew_id, "name": r.crew_name} if r.crew_id else None,
              "order_state": r.state, "category": r.category, "priority": r.priority} for r in rows]
    return items, int(total)
