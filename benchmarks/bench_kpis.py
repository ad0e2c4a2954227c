"""Benchmark: the month's KPIs over one year of work orders at Dijon's volume (about 600 a day), < 2 s.

    .venv/bin/python benchmarks/bench_kpis.py [--admin-url URL] [--per-day 600] [--repeat 5]

Fills a fresh database, set-wise, with a year of orders (5 categories × 4 priorities, each with its SLA
policy; about one in ten late on some clock, one in a hundred still open, one in fifty cancelled) and their
transitions, then times ``fieldservice.kpis.month_kpis`` for one month, and in the same run the bare
aggregate underneath (counts on time, closed and overdue per group, through psycopg), the floor of any
implementation. Prints the best and the median of ``--repeat`` runs in milliseconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from sqlalchemy import text
from support import admin_url_argument, figure, postgres_admin_url

from assets.db import unit_of_work
from assets.db.admin import create_migrated_database, drop_database
from fieldservice.kpis import month_bounds, month_kpis
from fieldservice.models import PRIORITIES, SKILLS

DATABASE = "cp_bench_kpis"
START = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
MONTH = "2026-06"
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
BARE = """
SELECT category, priority, count(*) AS counted, count(*) FILTER (WHERE done_at IS NOT NULL) AS closed,
       count(*) FILTER (WHERE done_at <= resolution_due) AS on_time,
       count(*) FILTER (WHERE done_at IS NULL AND resolution_due < %s) AS overdue,
       avg(extract(epoch FROM done_at - created_at) / 60) AS mean_min
  FROM work_orders WHERE resolution_due >= %s AND resolution_due < %s AND state <> 'cancelled'
 GROUP BY category, priority
"""

FILL = """
INSERT INTO work_orders (origin, category, priority, state, version, policy_id, created_at, updated_at,
                         response_due, make_safe_due, resolution_due, arrived_at, made_safe_at, done_at)
SELECT 'alarm', p.category, p.priority, o.state, 5, p.id, o.created, o.created,
       o.created + p.response_min * interval '1 minute', o.created + p.make_safe_min * interval '1 minute',
       o.created + p.resolution_min * interval '1 minute',
       CASE WHEN o.state <> 'new' THEN o.created + p.response_min * o.pace * interval '1 minute' END,
       CASE WHEN o.state <> 'new' THEN o.created + p.make_safe_min * o.pace * interval '1 minute' END,
       CASE WHEN o.state IN ('done', 'verified') THEN o.created + p.resolution_min * o.pace * interval '1 minute'
       END
  FROM (SELECT i, CAST(:start AS timestamptz) + i * 86400.0 / :per_day * interval '1 second' AS created,
               CASE WHEN i % 100 = 7 THEN 'new' WHEN i % 50 = 3 THEN 'cancelled' ELSE 'verified' END AS state,
               CASE WHEN i % 10 = 1 THEN 1.3 ELSE 0.6 END AS pace  -- one in ten late on every clock
          FROM generate_series(0, :n - 1) AS i) AS o
  JOIN (SELECT id, category, priority, response_min, make_safe_min, resolution_min,
               row_number() OVER (ORDER BY id) - 1 AS k FROM sla_policies) AS p ON p.k = o.i % 20
"""
EVENTS = """
INSERT INTO work_order_events (order_id, from_state, to_state, at)
SELECT id, NULL, 'new', created_at FROM work_orders
UNION ALL SELECT id, 'en_route', 'on_site', arrived_at FROM work_orders WHERE arrived_at IS NOT NULL
UNION ALL SELECT id, 'on_site', 'made_safe', made_safe_at FROM work_orders WHERE made_safe_at IS NOT NULL
UNION ALL SELECT id, 'made_safe', 'done', done_at FROM work_orders WHERE done_at IS NOT NULL
"""


def populate(engine, per_day: int) -> int:
    with unit_of_work(engine, None) as s:
        for i, (category, priority) in enumerate((c, p) for c in SKILLS for p in PRIORITIES):
            scale = 2 ** PRIORITIES.index(priority)
            s.execute(text(
                "INSERT INTO sla_policies (category, priority, calendar, response_min, make_safe_min, resolution_min,"
                " penalty_fixed, penalty_per_hour, penalty_cap) VALUES (:c, :p, :cal, :r, :m, :d, 100, 50, 1000)"),
                {"c": category, "p": priority, "cal": "business" if i % 3 == 0 else "calendar", "r": 120 * scale,
                 "m": 240 * scale, "d": 480 * scale})
        n = per_day * 365
        s.execute(text(FILL), {"start": START, "per_day": per_day, "n": n})
        s.execute(text(EVENTS))
        s.execute(text("ANALYZE work_orders"))
        s.execute(text("ANALYZE work_order_events"))
    return n


def run(admin_url: str, per_day: int, repeat: int) -> None:
    engine = create_migrated_database(admin_url, DATABASE)
    try:
        started = time.perf_counter()
        n = populate(engine, per_day)
        figure("kpis.orders", n, "orders")
        figure("kpis.setup_s", time.perf_counter() - started, "s", ".1f")
        lo, hi = month_bounds(MONTH)
        with unit_of_work(engine, None) as s:
            timings, rows = [], []
            for _ in range(repeat):
                t0 = time.perf_counter()
                rows = month_kpis(s, MONTH, now=NOW)
                timings.append((time.perf_counter() - t0) * 1000)
            figure("kpis.month_best_ms", min(timings), "ms", ".0f")
            figure("kpis.month_median_ms", statistics.median(timings), "ms", ".0f")
            figure("kpis.month_rows", len(rows), "rows")
            figure("kpis.month_orders_counted", sum(r.counted for r in rows if r.clock == "resolution"), "orders")
            figure("kpis.month_breaches", sum(r.breaches for r in rows), "breaches")
            raw = s.connection().connection.driver_connection
            with raw.cursor() as cur:
                bare = []
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    cur.execute(BARE, (NOW, lo, hi)).fetchall()
                    bare.append((time.perf_counter() - t0) * 1000)
            figure("kpis.bare_aggregate_best_ms", min(bare), "ms", ".1f")
            figure("kpis.ratio_to_bare", min(timings) / min(bare), "", ".1f")
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
