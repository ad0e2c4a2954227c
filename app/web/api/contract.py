"""``/contract/month``: the contract's clauses of a month (energy, availability, delays and penalties), each
with its target, verdict and completeness — computed from raw data by :mod:`fieldservice.contract.month`."""

from __future__ import annotations

import datetime as dt

from flask import request
from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.crews import KPI_READERS
from app.web.api.http import respond
from app.web.auth.roles import requires
from app.web.db import work
from app.web.openapi import Param, Reply, operation
from fieldservice import sla
from fieldservice.contract.month import contract_month

_SHARE = s.nullable(s.NUMBER)
_CLAUSE = {"availability": _SHARE, "target": s.NUMBER, "met": s.nullable(s.BOOLEAN)}
MONTH = s.obj(
    {"month": s.STRING, "computed_at": s.TIME,
     "energy": s.obj({"savings": _SHARE, "target": s.NUMBER, "met": s.nullable(s.BOOLEAN),
                      "baseline_kwh": s.NUMBER, "actual_kwh": s.NUMBER, "measured_share": _SHARE},
                     ("savings", "target", "met"), description="energy saved against the pre-LED baseline"),
     "equipment": s.obj({**_CLAUSE, "nights": s.array(s.obj({"night": s.STRING, "availability": _SHARE}))},
                        ("availability", "target", "met", "nights"),
                        description="light points lit when they should be, per night"),
     "it": s.obj(_CLAUSE, ("availability", "target", "met"), description="the platform's heartbeats"),
     "delays": s.obj({"rate": _SHARE, "target": s.NUMBER, "met": s.nullable(s.BOOLEAN), "breaches": s.INTEGER,
                      "total_penalty": s.STRING}, ("rate", "target", "met", "breaches", "total_penalty"),
                     description="intervention delays: on time ÷ (closed + open overdue), breaches, penalties"),
     "penalties_eur": s.STRING},
    ("month", "computed_at", "energy", "equipment", "it", "delays", "penalties_eur"),
)


@bp.get("/contract/month")
@requires(*KPI_READERS)
@operation(
    "The contract's clauses of a month from raw data: energy savings, equipment and IT availability, "
    "intervention delays and penalties, each with its target and verdict (rows: `citypilot contract explain`)",
    tags=["contract"],
    query=(Param("month", {"type": "string", "pattern": r"^\d{4}-\d{2}$"}, "YYYY-MM; default: this month"),),
    responses={200: Reply(MONTH, "The month's clauses")},
)
def contract_month_figures() -> Response:
    month = request.args.get("month") or sla.month_of(dt.datetime.now(dt.UTC))
    with work() as session:
        data = contract_month(session, month)
    data.pop("cabinets")  # per cabinet and per breach: the report and `contract explain` list them
    data["delays"].pop("rows")
    return respond(data)
