"""A year (or ``months``) of history for the demo city, so the contract's reports show real figures
(``citypilot demo history --months 12``): the cabinets' hourly meter readings (:mod:`.meters`, from the
lighting physics of :mod:`.light` with the LED renovation progressing over the window), the outages with
their alarms and work orders (:mod:`.outages`) and the platform's heartbeats (:mod:`.beats`).

The window runs from the first day of the month ``months`` months back (Europe/Paris) to now, or to the
first real reading or heartbeat when the platform already ran (real rows are never replaced). One
transaction; each run is recorded in ``demo_history_runs`` with its window and meters, and a re-run first
deletes what the previous runs generated — their meters' readings in their window, the heartbeats and alarms
they marked, the orders of the ``demo-history`` user — never anything else.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from assets.db import unit_of_work
from assets.errors import FieldError, ValidationError
from fieldservice.contract.burning import PARIS, load_schedule
from fieldservice.contract.energy import METRIC
from fieldservice.contract.history import beats, meters
from fieldservice.contract.history.light import (
    HOUR,
    Clock,
    hourly_kwh,
    load_plan,
    plan_renovation,
    record_renovation,
)
from fieldservice.contract.history.outages import generate_outages, history_user

#: The energy savings when the window starts (the renovation then brings them to today's).
START_SAVINGS = 0.40
Progress = Callable[[str, int, float], None]


@dataclass
class HistoryResult:
    """What a run generated (``counts``) over [lo, hi)."""

    lo: dt.datetime
    hi: dt.datetime
    counts: dict[str, int | float | str | None] = field(default_factory=dict)


def window(session: Session, months: int, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[first day of the month ``months`` back, now or the first real row), whole hours, UTC."""
    if not 1 <= months <= 13:
        raise ValidationError(FieldError("months", f"{months}: expected 1 to 13 (telemetry is kept 400 days)"))
    local = now.astimezone(PARIS)
    year, month = divmod(local.year * 12 + local.month - 1 - months, 12)
    lo = dt.datetime(year, month + 1, 1, tzinfo=PARIS).astimezone(dt.UTC)
    first_real = session.execute(text("""
        SELECT least((SELECT min(t.ts) FROM telemetry t JOIN live_metrics m ON m.id = t.metric_id
                       WHERE m.name = :metric AND t.ts >= :lo
                         AND t.asset_id IN (SELECT energy_meter_id FROM assets WHERE kind = 'cabinet')),
                     (SELECT min(minute) FROM heartbeats WHERE minute >= :lo))"""),
        {"metric": METRIC, "lo": lo}).scalar()
    hi = min(now, first_real) if first_real is not None else now
    hi = hi.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    if hi - lo < dt.timedelta(days=7):
        raise ValidationError(FieldError("months", f"only {hi - lo} before the first real reading ({hi.isoformat()}): "
                                                   "nothing to generate"))
    return lo, hi


def remove_history(session: Session) -> dict[str, int]:
    """Delete what previous runs generated (and their ledger rows)."""
    removed = {"readings": 0, "heartbeats": 0, "alarms": 0, "orders": 0}
    for run in session.execute(text("SELECT id, lo, hi, counts FROM demo_history_runs ORDER BY id")).all():
        removed["readings"] += meters.delete_readings(session, list(run.counts.get("meter_ids") or []), run.lo, run.hi)
        removed["heartbeats"] += beats.delete_heartbeats(session, run.lo, run.hi)
    removed["orders"] = session.execute(text(
        "DELETE FROM work_orders WHERE created_by = (SELECT id FROM users WHERE name = 'demo-history')")).rowcount
    removed["alarms"] = session.execute(text("DELETE FROM alarms WHERE detail ->> 'demo_history' IS NOT NULL")).rowcount
    session.execute(text("DELETE FROM demo_history_runs"))
    session.execute(text("DELETE FROM contract_month_figures"))  # computed from what is being replaced
    return removed


def generate_history(engine: Engine, *, months: int = 12, seed: int = 2026, now: dt.datetime | None = None,
                     progress: Progress | None = None) -> HistoryResult:
    """Replace the generated history by a fresh one of ``months`` months up to ``now`` (one transaction)."""
    report = progress or (lambda step, count, seconds: None)
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    rng = np.random.default_rng(seed)
    with unit_of_work(engine, None) as session:
        t = time.perf_counter()
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('citypilot.demo.history'))"))
        removed = remove_history(session)
        history_user(session)
        report("removed", sum(removed.values()), time.perf_counter() - t)
        lo, hi = window(session, months, now)
        clock, schedule = Clock(lo, hi), load_schedule()
        t = time.perf_counter()
        cabinets = load_plan(session)
        end_savings = plan_renovation(cabinets, clock, schedule, rng, START_SAVINGS)
        report("renovation", record_renovation(session, cabinets, clock), time.perf_counter() - t)
        run = session.execute(text("INSERT INTO demo_history_runs (lo, hi, months, seed) VALUES (:lo, :hi, :m, :s) "
                                   "RETURNING id"), {"lo": lo, "hi": hi, "m": months, "s": seed}).scalar_one()
        t = time.perf_counter()
        outages = generate_outages(session, cabinets, clock, rng, run)
        report("outages", outages.orders, time.perf_counter() - t)
        t = time.perf_counter()
        special = meters.choose_special(cabinets, clock, rng)
        readings = meters.write_readings(
            session, cabinets, clock,
            lambda cab: hourly_kwh(cab, clock, schedule, outages.lamp_out.get(cab.id, []),
                                   outages.tripped.get(cab.id, [])),
            special, rng)
        report("readings", readings, time.perf_counter() - t)
        t = time.perf_counter()
        written, down = beats.write_heartbeats(session, clock, rng)
        report("heartbeats", written, time.perf_counter() - t)
        counts = {
            "cabinets": len(cabinets), "meter_ids": sorted(c.meter_id for c in cabinets if c.meter_id is not None),
            "readings": readings, "heartbeats": written, "minutes_down": down, "alarms": outages.alarms,
            "orders": outages.orders, "orders_late": outages.late,
            "renovated": sum(1 for c in cabinets for lamp in c.lamps if (lamp.renovated_h or 0) > 0),
            "expected_end_savings": round(end_savings, 4), "reset_cabinet": special.reset_cabinet,
            "reset_at": (lo + special.reset_h * HOUR).isoformat() if special.reset_cabinet else None,
            "gap_cabinet": special.gap_cabinet,
            "gap_from": (lo + special.gap_h * HOUR).isoformat() if special.gap_cabinet else None,
        }
        session.execute(text("UPDATE demo_history_runs SET counts = CAST(:c AS jsonb) WHERE id = :id"),
                        {"c": json.dumps(counts), "id": run})
    return HistoryResult(lo, hi, {k: v for k, v in counts.items() if k != "meter_ids"})
