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

from support import admin_url_argument, figure, postgres_admin_url

from assets.db import unit_of_work
from assets.db.admin import create_migrated_database, drop_database
from assets.demo import load_demo
from fieldservice.contract.history import generate_history
from fieldservice.contract.month import contract_month
from fieldservice.demo import load_demo_fieldservice

DATABASE = "cp_bench_demo_history"


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
            figure("demo_history.savings_last_month", clauses["energy"]["savings"] * 100, "%", ".1f")
            figure("demo_history.equipment_last_month", clauses["equipment"]["availability"] * 100, "%", ".3f")
            figure("demo_history.it_last_month", clauses["it"]["availability"] * 100, "%", ".3f")
            figure("demo_history.on_time_last_month", (clauses["delays"]["rate"] or 0) * 100, "%", ".1f")
        finally:
            engine.dispose()
            drop_database(admin_url, DATABASE)


if __name__ == "__main__":
    main()
