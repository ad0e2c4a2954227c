"""``/crews`` and ``/kpis``: the field crews (who, skills, vehicle, available now) and the month's contract
figures. The rules live in :mod:`fieldservice.crews` and :mod:`fieldservice.kpis`."""

from __future__ import annotations

import datetime as dt

from flask import request
from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.http import arg_time, respond
from app.web.auth.roles import STAFF, requires
from app.web.db import work
from app.web.openapi import Param, Reply, operation
from fieldservice import crews, kpis, sla

CREW = s.obj(
    {"id": s.INTEGER, "name": s.STRING, "skills": s.array(s.STRING),
     "vehicle": {**s.nullable(s.STRING), "description": "its vehicle's code"},
     "available": {**s.BOOLEAN, "description": "working or on call at `at`"},
     "members": {**s.array(s.STRING), "description": "user names"}},
    ("id", "name", "skills", "vehicle", "available", "members"),
)
KPI_ROW = s.obj(
    {"category": s.STRING, "priority": s.STRING, "clock": {"enum": list(sla.CLOCKS)}, "counted": s.INTEGER,
     "closed": s.INTEGER, "on_time": s.INTEGER, "open_overdue": s.INTEGER, "breaches": s.INTEGER,
     "rate": {**s.nullable(s.NUMBER), "description": "on time ÷ (closed + open overdue)"},
     "mean_min": s.nullable(s.NUMBER), "mean_late_min": s.nullable(s.NUMBER),
     "penalties": {**s.STRING, "description": "a decimal amount"}},
    ("category", "priority", "clock", "counted", "closed", "on_time", "open_overdue", "breaches", "rate",
     "penalties"),
)
#: Who reads the contract figures.
KPI_READERS = ("admin", "planner", "supervisor", "operator")


@bp.get("/crews")
@requires(*STAFF)
@operation(
    "The field crews: skills, vehicle, members and whether each works (shift or on call) at `at`",
    tags=["crews"],
    query=(Param("at", {"type": "string", "format": "date-time"}, "default: now"),),
    responses={200: Reply(s.obj({"items": s.array(CREW)}, ("items",)), "Every crew, by name")},
)
def crew_list() -> Response:
    with work() as session:
        return respond({"items": crews.list_crews(session, arg_time("at"))})


@bp.get("/kpis")
@requires(*KPI_READERS)
@operation(
    "The month's compliance per category, priority and clock: orders counted in the month (Europe/Paris) their "
    "due time falls, on time ÷ (closed + open overdue), mean time, breaches, penalties",
    tags=["kpis"],
    query=(Param("month", {"type": "string", "pattern": r"^\d{4}-\d{2}$"}, "YYYY-MM; default: this month"),),
    responses={200: Reply(s.obj({"month": s.STRING, "rows": s.array(KPI_ROW)}, ("month", "rows")), "The figures")},
)
def month_kpis() -> Response:
    month = request.args.get("month") or sla.month_of(dt.datetime.now(dt.UTC))
    with work() as session:
        rows = kpis.month_kpis(session, month)
    return respond({"month": month, "rows": [r.as_dict() for r in rows]})
