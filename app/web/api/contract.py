"""``/contract/month``: the contract's clauses of a month (energy, availability, delays and penalties), each
with its target, verdict and completeness — computed from raw data by :mod:`fieldservice.contract.month`."""

from __future__ import annotations

import copy
import datetime as dt
import threading
import time
from typing import Any

from flask import request
from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.crews import KPI_READERS
from app.web.api.http import respond
from app.web.auth.roles import requires
from app.web.db import work
from app.web.openapi import Param, Reply, operation
from assets.errors import FieldError, ValidationError
from fieldservice import sla
from fieldservice.contract import stored
from fieldservice.contract.month import clause_figures, contract_month, months_before

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
     "penalties_eur": s.STRING,
     "trend": s.array(s.obj({"month": s.STRING, "penalties_eur": s.STRING,
                             **{c: s.obj({"value": _SHARE, "met": s.nullable(s.BOOLEAN)}, ("value", "met"))
                                for c in ("energy", "equipment", "it", "delays")}},
                            ("month", "energy", "equipment", "it", "delays", "penalties_eur")),
                      description="with months > 1: each clause's figure and verdict, the months ending with this "
                                  "one, oldest first")},
    ("month", "computed_at", "energy", "equipment", "it", "delays", "penalties_eur"),
)


@bp.get("/contract/month")
@requires(*KPI_READERS)
@operation(
    "The contract's clauses of a month from raw data: energy savings, equipment and IT availability, "
    "intervention delays and penalties, each with its target and verdict (rows: `citypilot contract explain`)",
    tags=["contract"],
    query=(Param("month", {"type": "string", "pattern": r"^\d{4}-\d{2}$"}, "YYYY-MM; default: this month"),
           Param("months", {"type": "integer", "minimum": 1, "maximum": 13, "default": 1},
                 "the trend over this many months ending with `month` (closed months stored, see docs/CONTRACT.md)")),
    responses={200: Reply(MONTH, "The month's clauses")},
)
def contract_month_figures() -> Response:
    now = dt.datetime.now(dt.UTC)
    month = request.args.get("month") or sla.month_of(now)
    months = _months_arg()
    with work() as session:
        key = (str(session.get_bind().url), month)
        data = _recent_month(key) if months > 1 else None  # the panel asks the month, then its trend
        if data is None:
            data = contract_month(session, month, now=now)
            data.pop("cabinets")  # per cabinet and per breach: the report and `contract explain` list them
            data["delays"].pop("rows")
            data.pop("commune_names")
            with _past_lock:
                _recent[key] = (time.monotonic(), copy.deepcopy(data))
        if months > 1:
            current = sla.month_of(now)
            data["trend"] = [clause_figures(data) if m == month else _past(session, m, now) if m < current
                             else clause_figures(contract_month(session, m, now=now))
                             for m in months_before(month, months)]
    return respond(data)


#: A month's figures just answered, reused by a trend request within RECENT_TTL_S seconds (the control room's
#: panel asks the month for its gauges, then the trend: the month is not computed twice).
RECENT_TTL_S = 60
_recent: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}


def _recent_month(key: tuple[str, str]) -> dict[str, Any] | None:
    with _past_lock:
        found = _recent.get(key)
    if found is None or time.monotonic() - found[0] >= RECENT_TTL_S:
        return None
    return copy.deepcopy(found[1])


#: Past months' figures per process: ((database, month) → (when read, figures)), kept PAST_TTL_S seconds (the
#: panel's refresh) above the database's stored closed months (:mod:`fieldservice.contract.stored`).
PAST_TTL_S = 300
_past_cache: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
_past_lock = threading.Lock()


def _months_arg() -> int:
    raw = request.args.get("months") or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= 13:
        raise ValidationError(FieldError("months", f"{raw!r}: expected a whole number from 1 to 13"))
    return int(raw)


def _past(session: Any, month: str, now: dt.datetime) -> dict[str, Any]:
    key = (str(session.get_bind().url), month)
    with _past_lock:
        found = _past_cache.get(key)
    if found is not None and time.monotonic() - found[0] < PAST_TTL_S:
        return found[1]
    figures = stored.month_figures(session, month, now)
    with _past_lock:
        _past_cache[key] = (time.monotonic(), figures)
    return figures
