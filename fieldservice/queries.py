"""Reading work orders: JSON-ready items and details for the CLI and the API, one page at a time, most
urgent first (the earliest running due time, then the oldest)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.alarms.queries import iso
from assets.errors import FieldError, NotFoundError, ValidationError
from fieldservice import orders, sla
from fieldservice.models import ORIGINS, PRIORITIES, SlaPolicy
from fieldservice.states import CLOSED, MOVES, STATES

#: States a list may ask for: each state, ``open`` (not done, verified or cancelled) and ``all``.
STATE_FILTERS = (*STATES, "open", "all")
DEFAULT_LIMIT, MAX_LIMIT = 50, 500

_LONLAT = "ST_Transform(o.geom, 4326)"
_ITEM_SELECT = f"""
SELECT o.id, o.origin, o.category, o.priority, o.state, o.waiting_reason, o.description, o.alarm_id,
       o.crew_id, c.name AS crew_name, o.commune_insee, o.version, o.created_at, o.updated_at,
       o.response_due, o.make_safe_due, o.resolution_due, o.arrived_at, o.made_safe_at, o.done_at,
       ST_X({_LONLAT}) AS lon, ST_Y({_LONLAT}) AS lat,
       (SELECT count(*) FROM work_order_assets wa WHERE wa.order_id = o.id) AS asset_count
  FROM work_orders o
  LEFT JOIN crews c ON c.id = o.crew_id
"""
#: The next due time of a clock still running (None once each is stopped).
_NEXT_DUE = ("least(CASE WHEN o.arrived_at IS NULL THEN o.response_due END, "
             "CASE WHEN o.made_safe_at IS NULL THEN o.make_safe_due END, "
             "CASE WHEN o.done_at IS NULL THEN o.resolution_due END)")


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 7)


def item_of(row: Any) -> dict[str, Any]:
    """One work order as lists show it (times in UTC, place in WGS84)."""
    return {
        "id": row.id, "origin": row.origin, "category": row.category, "priority": row.priority,
        "state": row.state, "waiting_reason": row.waiting_reason, "description": row.description,
        "alarm_id": row.alarm_id, "crew": {"id": row.crew_id, "name": row.crew_name} if row.crew_id else None,
        "lon": _round(row.lon), "lat": _round(row.lat), "commune_insee": row.commune_insee,
        "version": row.version, "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
        "response_due": iso(row.response_due), "make_safe_due": iso(row.make_safe_due),
        "resolution_due": iso(row.resolution_due), "arrived_at": iso(row.arrived_at),
        "made_safe_at": iso(row.made_safe_at), "done_at": iso(row.done_at), "asset_count": int(row.asset_count),
    }


@dataclass
class OrderQuery:
    """What a list asks for; every filter optional, values of one filter combined with OR."""

    states: list[str] = field(default_factory=lambda: ["open"])
    categories: list[str] = field(default_factory=list)
    priorities: list[str] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)
    crew_id: int | None = None
    asset_id: int | None = None
    within_crews: list[int] | None = None  # what the caller may see at all (None: every order)
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def check(self) -> None:
        errors = []
        for name, values, allowed in (("state", self.states, STATE_FILTERS),
                                      ("category", self.categories, orders.CATEGORIES),
                                      ("priority", self.priorities, PRIORITIES), ("origin", self.origins, ORIGINS)):
            bad = [v for v in values if v not in allowed]
            if bad:
                errors.append(FieldError(name, f"{', '.join(map(repr, bad))} not among {', '.join(allowed)}"))
        if not 1 <= self.limit <= MAX_LIMIT:
            errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}"))
        if self.offset < 0:
            errors.append(FieldError("offset", "must be 0 or more"))
        if errors:
            raise ValidationError(errors)


@dataclass(frozen=True)
class OrderPage:
    """One page, how many match in all, and the offset of the next page (None: this is the last)."""

    items: list[dict[str, Any]]
    total: int
    next_offset: int | None


def _states(filters: list[str]) -> set[str]:
    out: set[str] = set()
    for state in filters:
        out |= set(STATES) if state == "all" else set(STATES) - set(CLOSED) if state == "open" else {state}
    return out


def list_orders(session: Session, query: OrderQuery) -> OrderPage:
    """Orders matching ``query``: the earliest running due time first, then the oldest."""
    query.check()
    where, params = ["true"], {}
    states = _states(query.states)
    if states != set(STATES):
        where.append("o.state = ANY(:states)")
        params["states"] = sorted(states)
    for column, values in (("category", query.categories), ("priority", query.priorities),
                           ("origin", query.origins)):
        if values:
            where.append(f"o.{column} = ANY(:{column})")
            params[column] = list(values)
    if query.crew_id is not None:
        where.append("o.crew_id = :crew_id")
        params["crew_id"] = query.crew_id
    if query.within_crews is not None:
        where.append("o.crew_id = ANY(:within_crews)")
        params["within_crews"] = list(query.within_crews)
    if query.asset_id is not None:
        where.append("EXISTS (SELECT 1 FROM work_order_assets wa WHERE wa.order_id = o.id AND wa.asset_id = :asset)")
        params["asset"] = query.asset_id
    condition = " AND ".join(where)
    total = session.execute(text(f"SELECT count(*) FROM work_orders o WHERE {condition}"), params).scalar_one()
    rows = session.execute(text(
        f"{_ITEM_SELECT} WHERE {condition} ORDER BY {_NEXT_DUE} NULLS LAST, o.created_at, o.id "
        "LIMIT :limit OFFSET :offset"), {**params, "limit": query.limit, "offset": query.offset})
    items = [item_of(row) for row in rows]
    after = query.offset + len(items)
    return OrderPage(items, int(total), after if after < total else None)


def order_item(session: Session, order_id: int) -> dict[str, Any]:
    """One order's item; NotFoundError when there is none."""
    row = session.execute(text(_ITEM_SELECT + " WHERE o.id = :id"), {"id": order_id}).first()
    if row is None:
        raise NotFoundError(f"work order {order_id} does not exist")
    return item_of(row)


def _clock(status: sla.ClockStatus) -> dict[str, Any]:
    return {"budget_min": status.budget_min, "due": iso(status.due), "stopped_at": iso(status.stopped_at),
            "elapsed_min": round(status.elapsed_min, 1), "remaining_min": round(status.remaining_min, 1),
            "paused": status.paused, "breached": status.breached, "late_min": round(status.late_min, 1)}


def order_detail(session: Session, order_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """The item, its assets, alarms, transitions, the moves allowed next and its clocks at ``now``."""
    detail = order_item(session, order_id)
    detail["allowed_moves"] = list(MOVES[detail["state"]])
    detail["assets"] = [dict(r) for r in session.execute(text(
        "SELECT a.id, a.kind, a.code FROM work_order_assets wa JOIN assets a ON a.id = wa.asset_id "
        "WHERE wa.order_id = :id ORDER BY a.id"), {"id": order_id}).mappings()]
    detail["alarms"] = [dict(r) for r in session.execute(text(
        "SELECT al.id, al.type, al.state FROM work_order_alarms l JOIN alarms al ON al.id = l.alarm_id "
        "WHERE l.order_id = :id ORDER BY al.id"), {"id": order_id}).mappings()]
    detail["events"] = [
        {"from": r.from_state, "to": r.to_state, "at": iso(r.at), "actor": r.actor, "reason": r.reason,
         "lon": _round(r.lon), "lat": _round(r.lat)}
        for r in session.execute(text(
            "SELECT e.from_state, e.to_state, e.at, u.name AS actor, e.reason, "
            "ST_X(ST_Transform(e.geom, 4326)) AS lon, ST_Y(ST_Transform(e.geom, 4326)) AS lat "
            "FROM work_order_events e LEFT JOIN users u ON u.id = e.actor_id "
            "WHERE e.order_id = :id ORDER BY e.at, e.id"), {"id": order_id})]
    policy_id, created = session.execute(text("SELECT policy_id, created_at FROM work_orders WHERE id = :id"),
                                         {"id": order_id}).one()
    policy = session.get(SlaPolicy, policy_id) if policy_id else None
    statuses = {} if policy is None else sla.clocks(policy, created, orders.events_of(session, order_id),
                                                    now or dt.datetime.now(dt.UTC))
    detail["clocks"] = {name: _clock(status) for name, status in statuses.items()}
    return detail
