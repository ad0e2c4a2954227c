"""Benchmark: import the 30,000-point legacy street-light survey, against a bare COPY of the same rows.

    .venv/bin/python benchmarks/bench_import.py [--admin-url postgresql://postgres@host:port/postgres] [-n 30000]

Without ``--admin-url`` (or BENCH_PG_ADMIN_URL) it starts a throwaway PostgreSQL + PostGIS of its own.
Each measure runs on a fresh migrated database. Prints:

    bench.import.survey_30k_seconds: X s        (import_file: read, map, validate, duplicates, insert, commit)
    bench.import.rows_per_second: X rows/s      (rows read per second)
    bench.import.bare_copy_seconds: X s         (the imported rows COPYed straight into assets, same triggers)
    bench.import.ratio_to_bare_copy: X
    bench.import.copy_without_triggers_seconds  (the same COPY with the audit/commune triggers off: their cost)
    bench.import.french_bare_30k_seconds: X s   (a bare French survey: points and a lantern type only; every code
                                                 made, French types read, every record incomplete)
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, text
from support import admin_url_argument, postgres_admin_url  # first: puts the project on sys.path

from assets.db import unit_of_work
from assets.db.admin import create_migrated_database, drop_database
from assets.io import import_file
from assets.users import create_user
from tests.surveys import make_legacy_survey, make_survey

COLUMNS = ("kind", "code", "status", "is_led", "power_w", "install_date", "manufacturer", "attrs", "geom")


def bare_copy(engine: Engine, rows: list[tuple], actor_id: int, *, triggers: bool = True) -> float:
    """Seconds to COPY ``rows`` into assets and commit."""
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        started = time.perf_counter()
        with raw.cursor() as cur:
            cur.execute("SELECT set_config('citypilot.actor_id', %s, true)", (str(actor_id),))
            if not triggers:
                cur.execute("SET LOCAL session_replication_role = replica")
            with cur.copy(f"COPY assets ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        raw.commit()
        return time.perf_counter() - started


def run(admin_url: str, n: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="citypilot-bench-import-"))
    names = ("cp_bench_import", "cp_bench_copy", "cp_bench_copy_bare", "cp_bench_import_bare")
    try:
        survey = make_survey(folder, n, fmt="shp")
        engine = create_migrated_database(admin_url, names[0])
        with unit_of_work(engine, None) as session:
            alice = create_user(session, "alice", "planner").id
        started = time.perf_counter()
        stages: dict[str, float] = {}

        def progress(stage: str, done: int, total: int) -> None:
            stages[stage] = time.perf_counter() - started  # the last call: the stage's end

        report = import_file(engine, survey.path, "luminaire", alice, mapping=survey.mapping,
                             recode=survey.recode, progress=progress)
        seconds = time.perf_counter() - started
        assert report.imported == survey.expected.imported, report.lines()
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(text(
                f"SELECT {', '.join(c if c != 'geom' else 'ST_AsEWKB(geom)' for c in COLUMNS)} FROM assets"
            ))]
        rows = [(*r[:7], json.dumps(r[7]), bytes(r[8]).hex()) for r in rows]
        engine.dispose()
        copy_engine = create_migrated_database(admin_url, names[1])
        copy_seconds = bare_copy(copy_engine, rows, 1)
        copy_engine.dispose()
        untriggered: float | None
        try:
            bare_engine = create_migrated_database(admin_url, names[2])
            untriggered = bare_copy(bare_engine, rows, 1, triggers=False)
            bare_engine.dispose()
        except Exception:  # needs a superuser; only a diagnostic
            untriggered = None
        print(f"bench.import.rows: {report.read} read, {report.imported} imported, {report.rejected} rejected, "
              f"{report.duplicates} duplicates")
        print(f"bench.import.survey_30k_seconds: {seconds:.2f} s")
        print(f"bench.import.rows_per_second: {report.read / seconds:.0f} rows/s")
        print(f"bench.import.bare_copy_seconds: {copy_seconds:.2f} s")
        print(f"bench.import.ratio_to_bare_copy: {seconds / copy_seconds:.2f}")
        if untriggered is not None:
            print(f"bench.import.copy_without_triggers_seconds: {untriggered:.2f} s")
        bare = make_legacy_survey(folder / "bare", n)
        bare_engine = create_migrated_database(admin_url, names[3])
        with unit_of_work(bare_engine, None) as session:
            alice = create_user(session, "alice", "planner").id
        started = time.perf_counter()
        french = import_file(bare_engine, bare.path, "luminaire", alice, mapping={"TYPE": "luminaire_type"})
        french_seconds = time.perf_counter() - started
        bare_engine.dispose()
        assert french.imported == bare.imported and french.codes_made == bare.imported, french.lines()
        print(f"bench.import.french_bare_rows: {french.read} read, {french.imported} imported with "
              f"{french.codes_made} codes made and {french.incomplete} incomplete, {french.rejected} rejected, "
              f"{french.duplicates} duplicates")
        print(f"bench.import.french_bare_30k_seconds: {french_seconds:.2f} s")
        print(f"bench.import.french_bare_ratio_to_bare_copy: {french_seconds / copy_seconds:.2f}")
        validated = stages["validating"]
        print(f"bench.import.read_map_validate_seconds: {validated:.2f} s")
        print(f"bench.import.duplicates_rejects_insert_commit_seconds: {seconds - validated:.2f} s")
    finally:
        for name in names:
            drop_database(admin_url, name)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    admin_url_argument(parser)
    parser.add_argument("-n", type=int, default=30_000, help="rows in the survey")
    args = parser.parse_args()
    with postgres_admin_url(args.admin_url) as admin_url:
        run(admin_url, args.n)


if __name__ == "__main__":
    main()
