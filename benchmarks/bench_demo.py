"""Benchmark: generate and load the demo city into a fresh database, against a bare COPY of its rows.

    .venv/bin/python benchmarks/bench_demo.py [--admin-url postgresql://postgres@host:port/postgres] [--seed N]

Without ``--admin-url`` (or BENCH_PG_ADMIN_URL, or DATABASE_URL: a server where it may CREATE DATABASE)
it starts a throwaway PostgreSQL + PostGIS of its own. Prints:

    bench.demo.load_seconds: X s           (load_demo: generation + validated insert + triggers + commit)
    bench.demo.generate_seconds: X s       (the city in memory)
    bench.demo.insert_seconds: X s         (streets and assets through bulk_insert, triggers included)
    bench.demo.bare_copy_seconds: X s      (the same asset rows COPYed into an unlogged copy of the assets
                                            table: no trigger, no index, no constraint)
    bench.demo.count.KIND: N               (per kind)
"""

from __future__ import annotations

import argparse
import os
import time

import shapely
from psycopg.types.json import Jsonb
from sqlalchemy import Engine
from support import admin_url_argument, postgres_admin_url  # first: puts the project on sys.path

from assets.db.admin import create_migrated_database, drop_database
from assets.demo import DEFAULT_SEED, KIND_ORDER, DemoCity, communes_from_db, generate_city, load_demo
from assets.demo.loader import resolve_refs
from assets.fields import GEOMETRY_FIELDS, editable_fields
from gis.crs import STORAGE_SRID

DATABASE = "cp_bench_demo"


def bare_copy(engine: Engine, city: DemoCity) -> float:
    """Seconds to turn the city's records into COPY rows and COPY them into an unlogged, bare table."""
    counts = city.counts()
    ids: dict[str, list[int]] = {}
    start = 1
    for kind in KIND_ORDER:
        ids[kind] = list(range(start, start + counts[kind]))
        start += counts[kind]
    resolved = {kind: [resolve_refs(r, ids, own) for r, own in zip(city.assets[kind], ids[kind], strict=True)]
                for kind in KIND_ORDER}
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            cur.execute("CREATE UNLOGGED TABLE bench_bare_assets (LIKE assets INCLUDING DEFAULTS)")
        raw.commit()
        started = time.perf_counter()
        with raw.cursor() as cur:
            for kind in KIND_ORDER:
                records = resolved[kind]
                fields = [f for f in editable_fields(kind) if any(f in r for r in records)]
                geo = [g for g in GEOMETRY_FIELDS if any(r.get(g) is not None for r in records)]
                hexes = {
                    g: shapely.to_wkb(shapely.set_srid([r.get(g) for r in records], STORAGE_SRID),
                                      hex=True, include_srid=True)
                    for g in geo
                }
                columns = ["id", "kind", *fields, *geo]
                with cur.copy(f"COPY bench_bare_assets ({', '.join(columns)}) FROM STDIN") as copy:
                    for i, record in enumerate(records):
                        row = [record["id"], kind]
                        row += [Jsonb(record[f]) if f == "attrs" and record.get(f) is not None else record.get(f)
                                for f in fields]
                        row += [hexes[g][i] for g in geo]
                        copy.write_row(row)
        raw.commit()
        return time.perf_counter() - started


def run(admin_url: str, seed: int) -> None:
    try:
        engine = create_migrated_database(admin_url, DATABASE)
        steps: dict[str, tuple[int, float]] = {}
        started = time.perf_counter()
        result = load_demo(engine, seed=seed, progress=lambda step, n, s: steps.__setitem__(step, (n, s)))
        load_seconds = time.perf_counter() - started
        with engine.connect() as conn:
            city = generate_city(communes_from_db(conn), seed)
        copy_seconds = bare_copy(engine, city)
        engine.dispose()
        print(f"bench.demo.load_seconds: {load_seconds:.2f} s")
        print(f"bench.demo.generate_seconds: {result.generate_seconds:.2f} s")
        print(f"bench.demo.insert_seconds: {result.insert_seconds:.2f} s")
        print(f"bench.demo.bare_copy_seconds: {copy_seconds:.2f} s")
        print(f"bench.demo.ratio_insert_to_bare_copy: {result.insert_seconds / copy_seconds:.1f}")
        for kind, n in result.counts.items():
            seconds = steps.get(kind, (0, 0.0))[1]
            print(f"bench.demo.count.{kind}: {n}  ({seconds:.2f} s)")
    finally:
        drop_database(admin_url, DATABASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    admin_url_argument(parser)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    with postgres_admin_url(args.admin_url or os.environ.get("DATABASE_URL")) as admin_url:
        run(admin_url, args.seed)


if __name__ == "__main__":
    main()
