"""Benchmark: ``citypilot demo history --months 12`` at Dijon's scale (the demo city: ~36,500 lamps,
~1,000 metered cabinets), and the contract's month computed on it (what the report, the API and the control
room's contract panel cost).

    .venv/bin/python benchmarks/bench_demo_history.py [--admin-url URL] [--months 12]

Fills a fresh database with the demo city and its field service (``demo load``, ``demo fieldservice``),
times the history's generation step by step, its re-run (which first deletes the previous one), and
``fieldservice.contract.month.contract_month`` for the last full month.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections import defaultdict

from sqlalchemy import text
from sqlalchemy.orm import Session
from support import admin_url_argument, figure, postgres_admin_url

from assets.db import unit_of_work
from assets.db.admin import create_migrated_database, drop_database
from assets.demo import load_demo
from fieldservice.contract import stored
from fieldservice.contract.burning import PARIS
from fieldservice.contract.energy import _READINGS, METRIC, metered, meters_month, month_window
from fieldservice.contract.history import generate_history
from fieldservice.contract.month import clause_figures, contract_month, months_before
from fieldservice.demo import load_demo_fieldservice

DATABASE = "cp_bench_demo_history"


def python_energy(session: Session, month: str) -> None:
    """The energy clause's meters the way it was before the set-based query (same-run baseline): every reading
    through Python."""
    start, end = month_window(month)
    meters = [r[0] for r in session.execute(text(
        "SELECT energy_meter_id FROM assets WHERE kind = 'cabinet' AND energy_meter_id IS NOT NULL"))]
    readings: dict[int, list] = defaultdict(list)
    for meter_id, ts, value in session.execute(_READINGS, {"metric": METRIC, "meters": meters,
                                                           "t0": start - dt.timedelta(days=3),
                                                           "t1": end + dt.timedelta(days=3)}):
        readings[meter_id].append((ts, value))
    for rows in readings.values():
        metered(rows, start, end)


def trend_figures(session: Session, month: str, now: dt.datetime) -> None:
    """The energy meters' month (Python baseline vs SQL) and the control room's six-month trend: from raw rows
    (before stored figures), storing the closed months, read back in a fresh process (cold), and warm (the
    past months in the server process's memory: only the current month is computed)."""
    started = time.perf_counter()
    python_energy(session, month)
    figure("demo_history.energy_meters_python_seconds", time.perf_counter() - started, "s")
    started = time.perf_counter()
    meters_month(session, [r[0] for r in session.execute(text(
        "SELECT energy_meter_id FROM assets WHERE kind = 'cabinet' AND energy_meter_id IS NOT NULL"))],
        *month_window(month))
    figure("demo_history.energy_meters_sql_seconds", time.perf_counter() - started, "s")
    local = now.astimezone(PARIS)
    current = f"{local.year:04d}-{local.month:02d}"
    past = [m for m in months_before(current, 6) if m != current]
    started = time.perf_counter()
    contract_month(session, current, now=now)
    current_s = time.perf_counter() - started
    started = time.perf_counter()
    for m in past:
        clause_figures(contract_month(session, m, now=now))
    figure("demo_history.trend6_from_raw_seconds", current_s + time.perf_counter() - started, "s")
    started = time.perf_counter()
    stored.close_months(session, [m for m in past if stored.closed(m, now)], now, recompute=True)
    figure("demo_history.close_5_months_seconds", time.perf_counter() - started, "s")
    started = time.perf_counter()
    contract_month(session, current, now=now)
    current_s = time.perf_counter() - started
    started = time.perf_counter()
    for m in past:
        stored.month_figures(session, m, now)
    figure("demo_history.trend6_stored_cold_seconds", current_s + time.perf_counter() - started, "s")
    figure("demo_history.trend6_warm_seconds", current_s, "s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    admin_url_argument(parser)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    with postgres_admin_url(args.admin_url) as admin_url:
        engine = create_migrated_database(admin_url, DATABASE)
        try:
            load_demo(engine)
            with unit_of_work(engine, None) as session:
                load_demo_fieldservice(session)
            for run in ("first", "rerun"):
                steps: dict[str, float] = {}
                started = time.perf_counter()
                result = generate_history(engine, months=args.months,
                                          progress=lambda step, _n, seconds, into=steps: into.update({step: seconds}))
                figure(f"demo_history.{run}_seconds", time.perf_counter() - started, "s")
                for step, seconds in steps.items():
                    figure(f"demo_history.{run}.{step}_seconds", seconds, "s")
            for name in ("readings", "heartbeats", "alarms", "orders", "orders_late", "renovated"):
                figure(f"demo_history.{name}", int(result.counts[name]))
            local = dt.datetime.now(dt.UTC)
            month = f"{local.year - (local.month == 1)}-{(local.month - 2) % 12 + 1:02d}"
            with unit_of_work(engine, None) as session:
                started = time.perf_counter()
                clauses = contract_month(session, month)
                figure("demo_history.contract_month_seconds", time.perf_counter() - started, "s")
                trend_figures(session, month, local)
            figure("demo_history.savings_last_month", clauses["energy"]["savings"] * 100, "%", ".1f")
            figure("demo_history.equipment_last_month", clauses["equipment"]["availability"] * 100, "%", ".3f")
            figure("demo_history.it_last_month", clauses["it"]["availability"] * 100, "%", ".3f")
            figure("demo_history.on_time_last_month", (clauses["delays"]["rate"] or 0) * 100, "%", ".1f")
        finally:
            engine.dispose()
            drop_database(admin_url, DATABASE)


if __name__ == "__main__":
    main()
