"""``/maintenance-plans``, ``/escalations`` and ``/kpis/breakdown``: preventive maintenance (RFC 5545 plans that
make planned orders), the orders escalated before they breach, and the month's figures per commune or crew.
The rules live in :mod:`fieldservice.recurrence`, :mod:`fieldservice.escalation` and :mod:`fieldservice.kpis`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import request
from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.http import arg_cursor, arg_int, json_body, page, respond
from app.web.auth.guard import current_identity
from app.web.auth.roles import requires
from app.web.db import work
from app.web.openapi import Param, Reply, operation
from assets.errors import FieldError, ValidationError
from assets.kinds import all_kinds
from fieldservice import escalation, kpis, recurrence, sla
from fieldservice.models import PRIORITIES
from fieldservice.orders import CATEGORIES
from fieldservice.planning_models import CLOCK_NAMES, LEVELS, SPLITS

#: Who reads plans, escalations and figures; who writes plans.
READERS = ("admin", "planner", "supervisor", "operator")
PLANNERS = ("admin", "planner", "supervisor")
_TIME = s.nullable(s.TIME)

PLAN = s.obj(
    {"id": s.INTEGER, "name": s.STRING, "description": s.nullable(s.STRING), "category": {"enum": list(CATEGORIES)},
     "priority": {"enum": list(PRIORITIES)}, "rrule": {**s.STRING, "description": "RFC 5545 RRULE"},
     "dtstart": {**s.TIME, "description": "the first occurrence; the rule runs in Europe/Paris wall time"},
     "due_after_min": s.INTEGER, "horizon_days": s.INTEGER, "asset_kind": s.nullable(s.STRING),
     "commune_insee": s.nullable(s.STRING), "asset_ids": s.array(s.INTEGER), "split": {"enum": list(SPLITS)},
     "active": s.BOOLEAN, "orders_made": s.INTEGER,
     "next": {**s.array(s.TIME), "description": "the next occurrences (none while paused)"}},
    ("id", "name", "category", "priority", "rrule", "dtstart", "due_after_min", "horizon_days", "split", "active",
     "orders_made", "next"),
    description="a preventive maintenance plan",
)
NEW_PLAN = s.obj(
    {"name": {"type": "string", "minLength": 1, "maxLength": 200},
     "description": {"type": "string", "maxLength": 4000},
     "category": {"enum": list(CATEGORIES)}, "priority": {"enum": list(PRIORITIES), "default": "low"},
     "rrule": {"type": "string", "maxLength": 500, "description": "e.g. FREQ=MONTHLY;BYDAY=1TU"},
     "dtstart": {"type": "string", "format": "date-time",
                 "description": "ISO 8601; without an offset, Europe/Paris"},
     "due_after_min": {"type": "integer", "minimum": 1, "default": 1440,
                       "description": "each order is due this long after its occurrence"},
     "horizon_days": {"type": "integer", "minimum": 0, "maximum": 366, "default": 31,
                      "description": "orders are made this far ahead"},
     "asset_kind": {"enum": all_kinds()}, "commune_insee": {"type": "string", "pattern": r"^\d[0-9AB]\d{3}$"},
     "asset_ids": s.array(s.INTEGER, maxItems=10_000),
     "split": {"enum": list(SPLITS), "default": "plan",
               "description": "one order per occurrence for the plan, per commune, or per asset"}},
    ("name", "category", "rrule", "dtstart"), extra=False,
)
GENERATED = s.obj({"created": s.INTEGER, "orders": {"type": "object", "additionalProperties": s.array(s.INTEGER),
                                                    "description": "order ids per plan name"}},
                  ("created", "orders"))
ESCALATION = s.obj(
    {"id": s.INTEGER, "order_id": s.INTEGER, "clock": {"enum": list(CLOCK_NAMES)}, "level": {"enum": list(LEVELS)},
     "at": s.TIME, "due": s.TIME, "remaining_min": {**s.NUMBER, "description": "negative: minutes late"},
     "standby_crew": s.nullable(s.obj({"id": s.INTEGER, "name": s.STRING}, ("id", "name"))),
     "order_state": s.STRING, "category": s.STRING, "priority": s.STRING},
    ("id", "order_id", "clock", "level", "at", "due", "remaining_min", "standby_crew", "order_state"),
)
_CLOCK_FIGURES = s.obj({"on_time": s.INTEGER, "closed": s.INTEGER, "open_overdue": s.INTEGER,
                        "rate": {**s.nullable(s.NUMBER), "description": "on time ÷ (closed + open overdue)"},
                        "mean": s.nullable(s.NUMBER), "median": s.nullable(s.NUMBER), "p90": s.nullable(s.NUMBER)},
                       ("on_time", "closed", "open_overdue", "rate", "mean", "median", "p90"))
BREAKDOWN_ROW = s.obj(
    {"key": {**s.nullable(s.STRING), "description": "INSEE code or crew id; null: none"},
     "label": s.nullable(s.STRING), "opened": s.INTEGER, "closed": s.INTEGER,
     "response": {**_CLOCK_FIGURES, "description": "time to intervene, minutes"},
     "resolution": {**_CLOCK_FIGURES, "description": "time to repair, minutes"},
     "backlog": s.obj({"total": s.INTEGER, **{name: s.INTEGER for name in kpis.BACKLOG_AGES}},
                      ("total", *kpis.BACKLOG_AGES))},
    ("key", "label", "opened", "closed", "response", "resolution", "backlog"),
)
_PAGING = (Param("limit", {"type": "integer", "minimum": 1, "maximum": recurrence.MAX_LIMIT,
                           "default": recurrence.DEFAULT_LIMIT}, "page size"),
           Param("cursor", {"type": "string"}, "opaque: from the previous page's `next` link"))


def _instant(value: str, name: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(FieldError(name, f"{value[:40]!r}: expected an ISO 8601 time")) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=sla.PARIS)


@bp.get("/maintenance-plans")
@requires(*READERS)
@operation("Preventive maintenance plans, by name, with their next occurrences", tags=["maintenance"],
           query=_PAGING, responses={200: Reply(s.page_of(PLAN), "A page of plans")})
def maintenance_plans() -> Response:
    limit = arg_int("limit", recurrence.DEFAULT_LIMIT, low=1, high=recurrence.MAX_LIMIT) or recurrence.DEFAULT_LIMIT
    offset = arg_cursor() or 0
    with work() as session:
        items, total = recurrence.list_plans(session, limit, offset)
    after = offset + len(items)
    return respond(page(items, total, limit, after if after < total else None))


@bp.get("/maintenance-plans/<int:plan_id>")
@requires(*READERS)
@operation("One maintenance plan", tags=["maintenance"], responses={200: Reply(PLAN, "The plan")})
def maintenance_plan(plan_id: int) -> Response:
    with work() as session:
        return respond(recurrence.plan_item(session, recurrence.get_plan(session, plan_id)))


@bp.post("/maintenance-plans")
@requires(*PLANNERS)
@operation("Create a maintenance plan: an RFC 5545 rule that makes planned orders", tags=["maintenance"],
           body=NEW_PLAN, responses={201: Reply(PLAN, "The new plan")},
           description="422 names each invalid field (a rule that cannot be read, recurs more than daily, an "
                       "unknown commune or asset); orders are made by the next generation run.")
def create_maintenance_plan() -> Response:
    body: dict[str, Any] = json_body() or {}
    who = current_identity()
    with work() as session:
        plan = recurrence.create_plan(
            session, name=body["name"], category=body["category"], rrule=body["rrule"],
            dtstart=_instant(body["dtstart"], "dtstart"), priority=body.get("priority", "low"),
            description=body.get("description"), due_after_min=body.get("due_after_min", 1440),
            horizon_days=body.get("horizon_days", 31), asset_kind=body.get("asset_kind"),
            commune_insee=body.get("commune_insee"), asset_ids=body.get("asset_ids"),
            split=body.get("split", "plan"), actor_id=who.user_id)
        return respond(recurrence.plan_item(session, plan), 201)


@bp.post("/maintenance-plans/run")
@requires(*PLANNERS)
@operation("Make the orders of every active plan up to its horizon now (each occurrence once)",
           tags=["maintenance"], responses={200: Reply(GENERATED, "What was made")})
def run_maintenance_plans() -> Response:
    with work() as session:
        made = recurrence.generate(session)
    return respond({"created": made.count, "orders": made.orders})


@bp.get("/escalations")
@requires(*READERS)
@operation(
    "Orders escalated before a clock breaches (at_risk) and breaches, newest first", tags=["work orders"],
    query=(Param("order_id", {"type": "integer"}, "one order's"),
           Param("level", {"enum": list(LEVELS)}, "at_risk or breached"),
           Param("open", {"type": "boolean"}, "only orders still open"), *_PAGING),
    responses={200: Reply(s.page_of(ESCALATION), "A page of escalations")},
)
def escalations() -> Response:
    limit = arg_int("limit", escalation.DEFAULT_LIMIT, low=1, high=escalation.MAX_LIMIT) or escalation.DEFAULT_LIMIT
    offset = arg_cursor() or 0
    with work() as session:
        items, total = escalation.list_escalations(
            session, order_id=arg_int("order_id"), level=request.args.get("level") or None,
            open_only=request.args.get("open", "").lower() in ("1", "true", "yes"), limit=limit, offset=offset)
    after = offset + len(items)
    return respond(page(items, total, limit, after if after < total else None))


@bp.get("/kpis/breakdown")
@requires(*READERS)
@operation(
    "The month's figures per commune or per crew: opened, closed, on-time rate and time to intervene and to "
    "repair (mean, median, p90), the open backlog by age", tags=["kpis"],
    query=(Param("by", {"enum": sorted(kpis.GROUPINGS)}, "commune or crew", required=True),
           Param("month", {"type": "string", "pattern": r"^\d{4}-\d{2}$"}, "YYYY-MM; default: this month")),
    responses={200: Reply(s.obj({"month": s.STRING, "by": s.STRING, "rows": s.array(BREAKDOWN_ROW)},
                                ("month", "by", "rows")), "One row per commune or crew")},
)
def kpi_breakdown() -> Response:
    month = request.args.get("month") or sla.month_of(dt.datetime.now(dt.UTC))
    by = request.args.get("by") or ""
    with work() as session:
        rows = kpis.breakdown(session, month, by)
    return respond({"month": month, "by": by, "rows": rows})
