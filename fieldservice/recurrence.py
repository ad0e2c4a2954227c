"""Preventive maintenance: plans whose RFC 5545 recurrence (``python-dateutil``) makes work orders.

A plan's rule runs in Europe/Paris wall time from ``dtstart`` (a monthly patrol at 21:00 stays at 21:00
across daylight saving; ``BYMONTHDAY=-1`` is the last day of each month, and a 31st skips shorter months
as RFC 5545 says). :func:`generate` makes the orders of every occurrence up to ``horizon_days`` ahead,
each due ``due_after_min`` after its occurrence; an occurrence is made once per scope (the plan, a commune,
an asset), recorded in ``maintenance_occurrences``, so running it again changes nothing. A planned order
has no SLA policy: its one clock is its due time (resolution).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dateutil import rrule as rr
from shapely.geometry import Point
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from assets.errors import FieldError, NotFoundError, ValidationError
from assets.kinds import all_kinds
from fieldservice import orders, sla
from fieldservice.models import PRIORITIES, WorkOrder
from fieldservice.planning_models import SPLITS, MaintenancePlan

#: More often than daily is not maintenance (and would flood the order list).
MIN_FREQ = rr.DAILY
#: At most this many occurrences of one plan per run (a safety net against a runaway rule).
MAX_PER_RUN = 1000
DEFAULT_LIMIT, MAX_LIMIT = 50, 500


def parse_rule(rule: str, dtstart: dt.datetime) -> rr.rrule:
    """The recurrence of ``rule`` (an RRULE, with or without the ``RRULE:`` prefix) from ``dtstart`` in
    Paris wall time; ValidationError naming ``rrule`` when it cannot be read or is too frequent."""
    body = (rule or "").strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body:
        raise ValidationError(FieldError("rrule", "is required, e.g. FREQ=MONTHLY;BYDAY=1TU"))
    if "DTSTART" in body.upper() or "\n" in body:
        raise ValidationError(FieldError("rrule", "one RRULE only; the start goes in dtstart"))
    try:
        parsed = rr.rrulestr(body, dtstart=sla._aware(dtstart).astimezone(sla.PARIS))
    except (ValueError, TypeError) as exc:
        raise ValidationError(FieldError("rrule", f"{rule!r} is not an RFC 5545 rule: {exc}")) from None
    if not isinstance(parsed, rr.rrule):
        raise ValidationError(FieldError("rrule", "one RRULE only"))
    if parsed._freq > MIN_FREQ:  # YEARLY=0 … DAILY=3, HOURLY=4 …
        raise ValidationError(FieldError("rrule", "a maintenance plan recurs at most daily (FREQ=DAILY or slower)"))
    return parsed


def occurrences(rule: str, dtstart: dt.datetime, lo: dt.datetime, hi: dt.datetime,
                limit: int = MAX_PER_RUN) -> list[dt.datetime]:
    """The occurrences of ``rule`` from ``lo`` to ``hi`` included, in UTC, at most ``limit``."""
    parsed = parse_rule(rule, dtstart)
    out = []
    for when in parsed.xafter(sla._aware(lo).astimezone(sla.PARIS), inc=True):
        if when > hi:
            break
        out.append(when.astimezone(dt.UTC))
        if len(out) >= limit:
            break
    return out


def create_plan(session: Session, *, name: str, category: str, rrule: str, dtstart: dt.datetime,
                priority: str = "low", description: str | None = None, due_after_min: int = 1440,
                horizon_days: int = 31, asset_kind: str | None = None, commune_insee: str | None = None,
                asset_ids: list[int] | None = None, split: str = "plan", actor_id: int | None = None,
                at: dt.datetime | None = None) -> MaintenancePlan:
    """A new active plan; each invalid field is named."""
    errors = []
    name = (name or "").strip()
    if not name:
        errors.append(FieldError("name", "is required"))
    elif session.scalar(select(MaintenancePlan.id).where(MaintenancePlan.name == name)) is not None:
        errors.append(FieldError("name", f"a plan named {name!r} exists already"))
    if category not in orders.CATEGORIES:
        errors.append(FieldError("category", f"{category!r} is not one of {', '.join(orders.CATEGORIES)}"))
    if priority not in PRIORITIES:
        errors.append(FieldError("priority", f"must be one of {', '.join(PRIORITIES)}"))
    if split not in SPLITS:
        errors.append(FieldError("split", f"must be one of {', '.join(SPLITS)}"))
    if not isinstance(due_after_min, int) or due_after_min <= 0:
        errors.append(FieldError("due_after_min", "must be a positive number of minutes"))
    if not isinstance(horizon_days, int) or not 0 <= horizon_days <= 366:
        errors.append(FieldError("horizon_days", "must be between 0 and 366"))
    if dtstart is None or dtstart.tzinfo is None:
        errors.append(FieldError("dtstart", "is required, with its time zone"))
    else:
        try:
            parse_rule(rrule, dtstart)
        except ValidationError as exc:
            errors.extend(exc.errors)
    if asset_kind is not None and asset_kind not in all_kinds():
        errors.append(FieldError("asset_kind", f"{asset_kind!r} is not a kind; kinds: {', '.join(all_kinds())}"))
    if commune_insee is not None and session.execute(text(
            "SELECT 1 FROM communes WHERE insee = :c AND valid_to IS NULL"), {"c": commune_insee}).first() is None:
        errors.append(FieldError("commune_insee", f"{commune_insee!r} is not a current commune"))
    ids = list(dict.fromkeys(asset_ids or []))
    if ids:
        found = set(session.execute(text("SELECT id FROM assets WHERE id = ANY(:ids)"), {"ids": ids}).scalars())
        missing = [i for i in ids if i not in found]
        if missing:
            errors.append(FieldError("asset_ids", f"no such asset: {', '.join(map(str, missing))}"))
    if errors:
        raise ValidationError(errors)
    plan = MaintenancePlan(name=name, description=description, category=category, priority=priority,
                           rrule=rrule.strip().removeprefix("RRULE:"), dtstart=dtstart, due_after_min=due_after_min,
                           horizon_days=horizon_days, asset_kind=asset_kind, commune_insee=commune_insee,
                           asset_ids=ids, split=split, active=True, created_by=actor_id,
                           created_at=at or dt.datetime.now(dt.UTC))
    session.add(plan)
    session.flush()
    return plan


def get_plan(session: Session, ref: int | str) -> MaintenancePlan:
    """A plan by id or name."""
    plan = session.get(MaintenancePlan, int(ref)) if str(ref).isdigit() else session.scalar(
        select(MaintenancePlan).where(MaintenancePlan.name == ref))
    if plan is None:
        raise NotFoundError(f"maintenance plan {ref} does not exist")
    return plan


def set_active(session: Session, ref: int | str, active: bool) -> MaintenancePlan:
    """Pause or resume a plan (a paused plan makes no order)."""
    plan = get_plan(session, ref)
    plan.active = active
    session.flush()
    return plan


def next_occurrences(plan: MaintenancePlan, now: dt.datetime, count: int = 3) -> list[dt.datetime]:
    """The plan's next ``count`` occurrences after ``now`` (UTC)."""
    parsed = parse_rule(plan.rrule, plan.dtstart)
    out = []
    for when in parsed.xafter(sla._aware(now).astimezone(sla.PARIS), inc=True):
        out.append(when.astimezone(dt.UTC))
        if len(out) >= count:
            break
    return out


def plan_item(session: Session, plan: MaintenancePlan, now: dt.datetime | None = None) -> dict[str, Any]:
    """A plan as the CLI and the API show it, with its next occurrences and how many orders it made."""
    now = now or dt.datetime.now(dt.UTC)
    made = session.execute(text("SELECT count(order_id) FROM maintenance_occurrences WHERE plan_id = :p"),
                           {"p": plan.id}).scalar_one()
    return {"id": plan.id, "name": plan.name, "description": plan.description, "category": plan.category,
            "priority": plan.priority, "rrule": plan.rrule, "dtstart": sla._aware(plan.dtstart).isoformat(),
            "due_after_min": plan.due_after_min, "horizon_days": plan.horizon_days, "asset_kind": plan.asset_kind,
            "commune_insee": plan.commune_insee, "asset_ids": list(plan.asset_ids), "split": plan.split,
            "active": plan.active, "orders_made": int(made),
            "next": [w.isoformat() for w in next_occurrences(plan, now)] if plan.active else []}


def list_plans(session: Session, limit: int = DEFAULT_LIMIT, offset: int = 0,
               now: dt.datetime | None = None) -> tuple[list[dict[str, Any]], int]:
    """One page of plans by name, and how many there are."""
    errors = []
    if not 1 <= limit <= MAX_LIMIT:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}"))
    if offset < 0:
        errors.append(FieldError("offset", "must be 0 or more"))
    if errors:
        raise ValidationError(errors)
    total = session.execute(text("SELECT count(*) FROM maintenance_plans")).scalar_one()
    plans = session.scalars(select(MaintenancePlan).order_by(MaintenancePlan.name, MaintenancePlan.id)
                            .limit(limit).offset(offset)).all()
    return [plan_item(session, p, now) for p in plans], int(total)


@dataclass(frozen=True)
class Scope:
    """What one order of an occurrence is about: its key, its assets, its place and a label."""

    key: str
    asset_ids: list[int]
    location: Point | None = None
    label: str = ""


def scopes(session: Session, plan: MaintenancePlan) -> list[Scope]:
    """The orders each occurrence of ``plan`` makes: one for the plan, one per commune of its assets (placed
    in the commune, without listing them), or one per asset."""
    if plan.asset_ids:
        where, params = "a.id = ANY(:ids) AND a.status <> 'removed'", {"ids": list(plan.asset_ids)}
    else:
        where, params = "a.status = 'in_service'", {}
        if plan.asset_kind:
            where += " AND a.kind = :kind"
            params["kind"] = plan.asset_kind
        if plan.commune_insee:
            where += " AND a.commune_insee = :commune"
            params["commune"] = plan.commune_insee
    if plan.split == "commune":
        rows = session.execute(text(
            f"SELECT a.commune_insee AS insee, count(*) AS n, c.name, ST_X(ST_PointOnSurface(c.geom)) AS x, "
            f"ST_Y(ST_PointOnSurface(c.geom)) AS y FROM assets a JOIN communes c ON c.insee = a.commune_insee "
            f"AND c.valid_to IS NULL WHERE {where} GROUP BY a.commune_insee, c.name, c.geom ORDER BY a.commune_insee"),
            params).all()
        kind = plan.asset_kind or "assets"
        return [Scope(r.insee, [], Point(r.x, r.y), f"{r.name} ({r.n} {kind})") for r in rows]
    ids = list(session.execute(text(f"SELECT a.id FROM assets a WHERE {where} ORDER BY a.id"), params).scalars())
    if plan.split == "asset":
        codes = dict(session.execute(text("SELECT id, code FROM assets WHERE id = ANY(:ids)"), {"ids": ids}).all())
        return [Scope(str(i), [i], None, codes.get(i, str(i))) for i in ids]
    if not ids and plan.commune_insee:
        point = session.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p "
                                     "FROM communes WHERE insee = :c AND valid_to IS NULL) s"),
                                {"c": plan.commune_insee}).first()
        return [Scope("", [], Point(point[0], point[1]) if point else None)]
    return [Scope("", ids)]


@dataclass
class Generated:
    """What one generation run made: order ids per plan name."""

    orders: dict[str, list[int]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(ids) for ids in self.orders.values())


def _claim(session: Session, plan_id: int, occurs_at: dt.datetime, scope: str) -> bool:
    """Record an occurrence for a scope; False when it was made already (by this run or another)."""
    return session.execute(text(
        "INSERT INTO maintenance_occurrences (plan_id, occurs_at, scope) VALUES (:p, :at, :s) "
        "ON CONFLICT DO NOTHING RETURNING plan_id"), {"p": plan_id, "at": occurs_at, "s": scope}).first() is not None


def _planned_order(session: Session, plan: MaintenancePlan, occurs_at: dt.datetime, scope: Scope,
                   now: dt.datetime) -> WorkOrder:
    local = occurs_at.astimezone(sla.PARIS).strftime("%Y-%m-%d %H:%M")
    description = " — ".join(x for x in (plan.name, scope.label, local) if x)
    order = orders.create_order(session, origin="planned", category=plan.category, priority=plan.priority,
                                actor_id=plan.created_by, asset_ids=scope.asset_ids, location=scope.location,
                                description=description, at=now)
    order.policy_id = None
    order.response_due = order.make_safe_due = None
    order.resolution_due = occurs_at + dt.timedelta(minutes=plan.due_after_min)
    session.flush()
    return order


def generate(session: Session, now: dt.datetime | None = None, plan_ref: int | str | None = None) -> Generated:
    """Make the orders of every active plan's occurrences from its creation (an occurrence still due then)
    up to ``horizon_days`` after ``now``; what was made before is not made again."""
    now = sla._aware(now or dt.datetime.now(dt.UTC))
    plans = [get_plan(session, plan_ref)] if plan_ref is not None else list(
        session.scalars(select(MaintenancePlan).where(MaintenancePlan.active).order_by(MaintenancePlan.id)))
    out = Generated()
    for plan in plans:
        made: list[int] = []
        since = sla._aware(plan.created_at) - dt.timedelta(minutes=plan.due_after_min)
        when = occurrences(plan.rrule, plan.dtstart, max(since, sla._aware(plan.dtstart)),
                           now + dt.timedelta(days=plan.horizon_days))
        targets = scopes(session, plan) if when else []
        for occurs_at in when:
            for scope in targets:
                if not _claim(session, plan.id, occurs_at, scope.key):
                    continue
                order = _planned_order(session, plan, occurs_at, scope, now)
                session.execute(text("UPDATE maintenance_occurrences SET order_id = :o WHERE plan_id = :p "
                                     "AND occurs_at = :at AND scope = :s"),
                                {"o": order.id, "p": plan.id, "at": occurs_at, "s": scope.key})
                made.append(order.id)
        out.orders[plan.name] = made
    return out
