"""Closed months' clause figures, stored so the trend does not recompute a year of raw rows on each request.

A month is *closed* :data:`SETTLE` after its end (energy uses readings up to 3 days past the month). Its
figures (:func:`fieldservice.contract.month.clause_figures`) are stored in ``contract_month_figures`` with a
*stamp* of what they were computed from: the month's meter readings and heartbeats (counts), the alarms
over the month (count, last id, clearings), the work orders of the month (count, last update), the lighting
inventory's audit trail (last entry) and the contract's terms (switching schedule, availability terms,
maintenance windows, penalty schedule). A stored month is used while its stamp is unchanged, recomputed
otherwise; ``citypilot contract close-month`` and ``citypilot demo history`` compute them ahead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.errors import FieldError, ValidationError
from fieldservice.contract import penalties
from fieldservice.contract.availability import load_terms, load_windows
from fieldservice.contract.burning import PARIS, load_schedule
from fieldservice.contract.energy import METRIC, month_window
from fieldservice.contract.month import clause_figures, contract_month, months_before

SETTLE = dt.timedelta(days=3)

_STAMP = text("""
    SELECT (SELECT count(*) FROM telemetry t
             WHERE t.metric_id = (SELECT id FROM live_metrics WHERE name = :metric)
               AND t.asset_id IN (SELECT energy_meter_id FROM assets WHERE kind = 'cabinet')
               AND t.ts >= :lo3 AND t.ts <= :hi3) AS readings,
           (SELECT count(*) FROM heartbeats WHERE minute >= :lo AND minute < :hi) AS beats,
           (SELECT count(*) || '/' || coalesce(max(id), 0) || '/' || count(cleared_at) || '/'
                   || coalesce(max(coalesce(cleared_fact_ts, cleared_at)), 'epoch')
              FROM alarms WHERE type IN ('lamp_failure', 'device_silent', 'cabinet_trip')
               AND fact_ts < :hi AND (cleared_at IS NULL OR coalesce(cleared_fact_ts, cleared_at) > :lo)) AS alarms,
           (SELECT count(*) || '/' || coalesce(max(updated_at), 'epoch') FROM work_orders
             WHERE created_at < :hi AND updated_at >= :lo) AS orders,
           (SELECT coalesce(max(id), 0) FROM asset_history
             WHERE kind IN ('luminaire', 'pole', 'circuit', 'cabinet')) AS inventory
""")


def closed(month: str, now: dt.datetime) -> bool:
    """Whether ``month``'s raw rows are settled (its end + :data:`SETTLE` is past)."""
    return month_window(month)[1] + SETTLE <= now


def stamp(session: Session, month: str) -> str:
    """A fingerprint of the rows and terms ``month``'s figures are computed from."""
    lo, hi = month_window(month)
    row = session.execute(_STAMP, {"metric": METRIC, "lo": lo, "hi": hi, "lo3": lo - SETTLE,
                                   "hi3": hi + SETTLE}).one()
    terms = (load_schedule(), load_terms(), load_windows(), penalties.load_schedule())
    raw = json.dumps([str(v) for v in row] + [repr(t) for t in terms])
    return hashlib.sha256(raw.encode()).hexdigest()


def compute(session: Session, month: str, now: dt.datetime) -> dict[str, Any]:
    """Compute ``month``'s figures from raw data and store them (when closed) with their stamp."""
    started = time.perf_counter()
    figures = clause_figures(contract_month(session, month, now=now))
    if closed(month, now):
        session.execute(text("""
            INSERT INTO contract_month_figures (month, figures, stamp, computed_at, seconds)
            VALUES (:m, CAST(:f AS jsonb), :s, :at, :sec)
            ON CONFLICT (month) DO UPDATE SET figures = excluded.figures, stamp = excluded.stamp,
                   computed_at = excluded.computed_at, seconds = excluded.seconds"""),
            {"m": month, "f": json.dumps(figures), "s": stamp(session, month), "at": now,
             "sec": time.perf_counter() - started})
    return figures


def month_figures(session: Session, month: str, now: dt.datetime) -> dict[str, Any]:
    """``month``'s clause figures: stored ones while their stamp holds (closed months), else computed."""
    if closed(month, now):
        row = session.execute(text("SELECT figures, stamp FROM contract_month_figures WHERE month = :m"),
                              {"m": month}).one_or_none()
        if row is not None and row.stamp == stamp(session, month):
            return row.figures
    return compute(session, month, now)


def last_closed(now: dt.datetime, count: int) -> list[str]:
    """The ``count`` latest closed months, oldest first."""
    local = now.astimezone(PARIS)
    current = f"{local.year:04d}-{local.month:02d}"
    candidates = months_before(current, count + 2)
    return [m for m in candidates if closed(m, now)][-count:]


def close_months(session: Session, months: list[str], now: dt.datetime, *,
                 recompute: bool = False) -> list[tuple[str, dict[str, Any], bool]]:
    """Store each closed month's figures: (month, figures, computed now?); ValidationError for an open month."""
    out = []
    for month in months:
        if not closed(month, now):
            raise ValidationError(FieldError("month", f"{month} is not closed yet (closed {SETTLE.days} days after "
                                                      "its end)"))
        before = None if recompute else session.execute(
            text("SELECT stamp FROM contract_month_figures WHERE month = :m"), {"m": month}).scalar()
        fresh = before is None or before != stamp(session, month)
        out.append((month, compute(session, month, now) if fresh else month_figures(session, month, now), fresh))
    return out
