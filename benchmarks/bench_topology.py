"""Benchmark: "what does it feed?" on the full demo city, against the bare SQL underneath.

    .venv/bin/python benchmarks/bench_topology.py [--admin-url URL] [--samples 200]

Loads the demo city into a fresh database, then times ``assets.topology.feeds`` for random cabinets
(hierarchy: recursive CTE) and random fibre segments and nodes (every asset that loses all its paths
to a PoP), and in the same run the bare queries through psycopg: the recursive CTE alone, and the
query that reads the carrying fibre network. Prints p50/p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import random
import statistics

from sqlalchemy import text
from support import admin_url_argument, figure, percentiles, postgres_admin_url, timed

from assets.db import unit_of_work
from assets.db.admin import create_migrated_database, drop_database
from assets.demo import load_demo
from assets.topology import feeds

DATABASE = "cp_bench_topology"
CTE = """
WITH RECURSIVE down(id, kind, code, depth) AS (
    SELECT id, kind, code, 1 FROM assets WHERE parent_id = %s AND status <> 'removed'
    UNION ALL
    SELECT a.id, a.kind, a.code, d.depth + 1 FROM assets a JOIN down d ON a.parent_id = d.id
     WHERE a.status <> 'removed'
)
SELECT id, kind, code, depth FROM down
"""
GRAPH = ("SELECT id, from_node_id, to_node_id FROM assets WHERE kind = 'fibre_segment' AND status = 'in_service'")


def run(admin_url: str, samples: int) -> None:
    engine = create_migrated_database(admin_url, DATABASE)
    try:
        load_demo(engine)
        rng = random.Random(7)
        with unit_of_work(engine, None) as s:
            ids = {kind: list(s.scalars(text("SELECT id FROM assets WHERE kind = :k"), {"k": kind}))
                   for kind in ("cabinet", "fibre_segment", "fibre_node")}
            picks = {kind: rng.choices(v, k=samples) for kind, v in ids.items()}
            fed = [len(feeds(s, i)) for i in picks["cabinet"][:20]]
            for kind in picks:
                p50, p95 = percentiles(timed(lambda i: feeds(s, i), picks[kind]))
                figure(f"topology.{kind}_feeds_p50_ms", p50, "ms")
                figure(f"topology.{kind}_feeds_p95_ms", p95, "ms")
            raw = s.connection().connection.driver_connection
            with raw.cursor() as cur:
                p50, p95 = percentiles(timed(lambda i: cur.execute(CTE, (i,)).fetchall(), picks["cabinet"]))
                figure("topology.bare_cte_p50_ms", p50, "ms")
                figure("topology.bare_cte_p95_ms", p95, "ms")
                p50, p95 = percentiles(timed(lambda _: cur.execute(GRAPH).fetchall(), picks["fibre_segment"]))
                figure("topology.bare_graph_read_p50_ms", p50, "ms")
                figure("topology.bare_graph_read_p95_ms", p95, "ms")
        figure("topology.cabinet_feeds_mean_assets", statistics.mean(fed), "assets", ".1f")
    finally:
        engine.dispose()
        drop_database(admin_url, DATABASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    admin_url_argument(parser)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    with postgres_admin_url(args.admin_url) as admin_url:
        run(admin_url, args.samples)


if __name__ == "__main__":
    main()
