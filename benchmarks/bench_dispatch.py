"""Benchmark: the nearest qualified crew for an order, by the live positions of the crews' vehicles.

    .venv/bin/python benchmarks/bench_dispatch.py [--admin-url URL] [--samples 300] [--fleets 205,5000]

For each fleet size, a fresh database gets that many vehicles spread over Dijon Métropole, each with a
crew (skills, a BR holder unless one in five, a weekly calendar, one in ten off today), live positions, and
open lighting orders at random places. It times ``fieldservice.dispatch.propose`` (the order, the nearest
qualified available crews, their queues: what a supervisor waits for), the nearest-qualified query alone,
and in the same run the bare nearest-neighbour query on the positions (no skill, clearance or calendar
filter) through psycopg, the floor any dispatch stands on. Prints p50/p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from sqlalchemy import text
from support import admin_url_argument, figure, percentiles, postgres_admin_url, timed

from assets.db import unit_of_work
from assets.db.admin import create_migrated_database, drop_database
from assets.store import bulk_insert
from fieldservice import crews, dispatch
from fieldservice.orders import create_order
from fieldservice.sla import PARIS

DATABASE = "cp_bench_dispatch"
WHEN = dt.datetime(2026, 11, 9, 10, 0, tzinfo=PARIS)  # a Monday morning
BOX = (850_000.0, 6_689_000.0, 857_000.0, 6_697_000.0)  # Lambert-93, Dijon and its first ring
ORDERS = 200
BARE_KNN = ("SELECT asset_id, ST_Distance(geom, ST_SetSRID(ST_MakePoint(%s, %s), 2154)) FROM live_state "
            "WHERE geom IS NOT NULL ORDER BY geom <-> ST_SetSRID(ST_MakePoint(%s, %s), 2154) LIMIT 1")


def _spot(rng: random.Random) -> tuple[float, float]:
    return rng.uniform(BOX[0], BOX[2]), rng.uniform(BOX[1], BOX[3])


def populate(engine, fleet: int, rng: random.Random) -> list[int]:
    """``fleet`` vehicles with live positions and a crew each, and open orders; the orders' ids."""
    from shapely.geometry import Point

    with unit_of_work(engine, None) as s:
        vans = bulk_insert(s, "vehicle", [
            {"code": f"VEH-{i:05d}", "plate": f"BE-{i:05d}", "tracker_id": f"GPS-{i:05d}",
             "geom": Point(*_spot(rng))} for i in range(fleet)])
        s.execute(text(
            "INSERT INTO live_state (asset_id, state, state_since, ts, geom) "
            "SELECT id, 'ok', :at, :at, ST_SetSRID(ST_MakePoint(:x0 + random() * (:x1 - :x0), "
            ":y0 + random() * (:y1 - :y0)), 2154) FROM unnest(CAST(:ids AS bigint[])) AS id"),
            {"at": WHEN, "ids": vans, "x0": BOX[0], "x1": BOX[2], "y0": BOX[1], "y1": BOX[3]})
        s.execute(text("INSERT INTO users (name, role) SELECT 'tech-' || i, 'crew' FROM generate_series(1, :n) i"),
                  {"n": fleet})
        users = list(s.scalars(text("SELECT id FROM users WHERE name LIKE 'tech-%' ORDER BY id")))
        for i, (van, member) in enumerate(zip(vans, users, strict=True)):
            skills = ["lighting", "signals"] if i % 3 else ["lighting"]
            crew = crews.create_crew(s, f"Équipe {i:05d}", skills, van).id
            crews.add_member(s, crew, member)
            if i % 5:
                crews.set_clearance(s, member, "BR", dt.date(2027, 12, 31))
            crews.add_shift(s, crew, dt.time(7, 30), dt.time(16), weekday=0 if i % 10 else 1)
        assert s.execute(text("SELECT count(*) FROM live_state WHERE geom IS NOT NULL")).scalar() == fleet
        ids = [create_order(s, origin="planner", category="lighting", priority="urgent", location=_spot(rng),
                            at=WHEN - dt.timedelta(minutes=20)).id for _ in range(ORDERS)]
        s.execute(text("ANALYZE"))
    return ids


def measure(s, fleet: int, picks: list[int]) -> None:
    """Time the three queries for ``picks`` (order ids) on session ``s``."""
    spots = {r[0]: (r[1], r[2]) for r in s.execute(text("SELECT id, ST_X(geom), ST_Y(geom) FROM work_orders"))}
    needs = dispatch.needs_of("lighting")
    params = {**crews.qualification_params(WHEN.date(), needs), **crews.availability_params(WHEN),
              "skill": "lighting", "limit": 1, "batch": dispatch.FIRST_BATCH}
    assert all(dispatch.propose(s, i, when=WHEN, limit=1) for i in picks[:20]), "every order gets a proposal"
    for name, fn in (
        ("propose", lambda i: dispatch.propose(s, i, when=WHEN, limit=3)),
        ("nearest_qualified", lambda i: dispatch.nearest_qualified(s, *spots[i], "lighting", needs, WHEN, 1)),
    ):
        p50, p95 = percentiles(timed(fn, picks))
        figure(f"dispatch.{name}_{fleet}_p50_ms", p50, "ms", ".3f")
        figure(f"dispatch.{name}_{fleet}_p95_ms", p95, "ms", ".3f")
    x, y = spots[picks[0]]
    plan = "\n".join(r[0] for r in s.execute(text("EXPLAIN " + dispatch._NEAREST), {**params, "x": x, "y": y}))
    figure(f"dispatch.nearest_qualified_{fleet}_uses_index", int("ix_live_state_geom" in plan))
    raw = s.connection().connection.driver_connection
    with raw.cursor() as cur:
        p50, p95 = percentiles(timed(lambda i: cur.execute(BARE_KNN, (*spots[i], *spots[i])).fetchall(), picks))
        figure(f"dispatch.bare_knn_{fleet}_p50_ms", p50, "ms", ".3f")
        figure(f"dispatch.bare_knn_{fleet}_p95_ms", p95, "ms", ".3f")


def run(admin_url: str, samples: int, fleets: list[int]) -> None:
    for fleet in fleets:
        engine = create_migrated_database(admin_url, DATABASE)
        try:
            started = time.perf_counter()
            rng = random.Random(fleet)
            order_ids = populate(engine, fleet, rng)
            figure(f"dispatch.setup_{fleet}_s", time.perf_counter() - started, "s", ".1f")
            with unit_of_work(engine, None) as s:
                measure(s, fleet, rng.choices(order_ids, k=samples))
        finally:
            engine.dispose()
            drop_database(admin_url, DATABASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    admin_url_argument(parser)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--fleets", default="205,5000", help="Fleet sizes, comma-separated.")
    args = parser.parse_args()
    with postgres_admin_url(args.admin_url) as admin_url:
        run(admin_url, args.samples, [int(n) for n in args.fleets.split(",")])


if __name__ == "__main__":
    main()
