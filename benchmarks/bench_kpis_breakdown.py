"""Benchmark: the month's KPIs per commune and per crew over one year of orders at Dijon's volume (about 600
a day), < 2 s like the month's KPIs.

    .venv/bin/python benchmarks/bench_kpis_breakdown.py [--admin-url URL] [--per-day 600] [--repeat 5]

Fills a fresh database with the year of ``bench_kpis.py`` (same orders and transitions), spreads the orders
over the 23 communes and 12 crews, then times ``fieldservice.kpis.breakdown`` by commune and by crew for one
month. Prints the best and the median of ``--repeat`` runs in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench_kpis import MONTH, NOW, populate
from sqlalchemy import text
from support import admin_url_argument, figure, postgres_admin_url

from assets.db import unit_of_work
from assets.db.admin import create_migrated_database, drop_database
from fieldservice.kpis import breakdown

DATABASE = "cp_bench_kpis_breakdown"
CREWS = 12


def spread(engine) -> None:
    """Give every order a commune (of the 23) and a crew (of 12)."""
    with unit_of_work(engine, None) as s:
        s.execute(text("INSERT INTO crews (name, skills) SELECT 'Équipe ' || i, '{lighting}' "
                       "FROM generate_series(1, :n) AS i"), {"n": CREWS})
        s.execute(text(
            "UPDATE work_orders o SET commune_insee = c.insee[o.id % cardinality(c.insee) + 1], "
            "crew_id = k.ids[o.id % cardinality(k.ids) + 1] "
            "FROM (SELECT array_agg(insee ORDER BY insee) AS insee FROM communes WHERE valid_to IS NULL) AS c, "
            "(SELECT array_agg(id ORDER BY id) AS ids FROM crews) AS k"))
        s.execute(text("ANALYZE work_orders"))


def run(admin_url: str, per_day: int, repeat: int) -> None:
    engine = create_migrated_database(admin_url, DATABASE)
    try:
        started = time.perf_counter()
        n = populate(engine, per_day)
        spread(engine)
        figure("kpis_breakdown.orders", n, "orders")
        figure("kpis_breakdown.setup_s", time.perf_counter() - started, "s", ".1f")
        with unit_of_work(engine, None) as s:
            for by in ("commune", "crew"):
                timings, rows = [], []
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    rows = breakdown(s, MONTH, by, now=NOW)
                    timings.append((time.perf_counter() - t0) * 1000)
                figure(f"kpis_breakdown.{by}_best_ms", min(timings), "ms", ".0f")
                figure(f"kpis_breakdown.{by}_median_ms", statistics.median(timings), "ms", ".0f")
                figure(f"kpis_breakdown.{by}_rows", len(rows), "rows")
    finally:
        engine.dispose()
        drop_database(admin_url, DATABASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    admin_url_argument(parser)
    parser.add_argument("--per-day", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with postgres_admin_url(args.admin_url) as admin_url:
        run(admin_url, args.per_day, args.repeat)


if __name__ == "__main__":
    main()
