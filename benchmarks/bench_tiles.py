"""Benchmark: vector tiles on a 1,000,000-asset inventory, end to end over HTTP against the bare SQL.

    .venv/bin/python benchmarks/bench_tiles.py [--admin-url URL] [--samples 200] [--assets 1000000]
                                               [--keep] [--reuse]

1. **Inventory**: the demo city (81,093 assets) is loaded through the normal write path; then each
   pole and its luminaires are copied until the inventory holds ``--assets`` assets, each copy moved
   by up to ±150 m (a luminaire with its pole): Dijon's street pattern, ~13 times as dense. The copies
   go in with one ``INSERT ... SELECT`` under ``session_replication_role = replica`` (triggers off: no
   audit row, commune lookup, tile-table row or foreign-key check for them); ``citypilot_tiles_rebuild()``
   then refills the tile table, live states are set (devices 93 % ok, 4 % fault, 3 % unreachable;
   passive poles and fibre have none: "unknown") and the tables are VACUUM ANALYZEd.
2. **Server**: the production server, gunicorn (``citypilot serve``: 2 gthread workers, 4 threads),
   tile cache off (``CITYPILOT_TILES_CACHE_TTL_S=0``), clusters rebuilt once before the run and not
   again during it (their rebuild time is reported on its own). If ``create_app`` does not mount the
   tiles yet, the same gunicorn settings serve ``create_app()`` plus the tiles blueprint.
3. **Tiles**: for each zoom 10..16, ``--samples`` lighting tiles (the densest layer) around random
   points within 5 km of Dijon's centre, fetched one at a time over one keep-alive HTTP connection
   with an operator's API token and ``Accept-Encoding: gzip``; each tile's SQL (the statement the
   server runs) is also run through psycopg with the same session settings: the bare time. The two
   alternate, each first half of the time.

Prints ``bench.tiles.zNN_p50_ms``, ``zNN_p95_ms``, ``zNN_bare_p50_ms``, ``zNN_bare_p95_ms``,
``zNN_ratio_to_bare`` (p95 over bare p95; ``zNN_ratio_p50_to_bare`` for medians),
``zNN_overhead_p50_ms`` (p50 minus bare p50), ``zNN_bytes`` / ``zNN_gzip_bytes`` (mean per tile),
``zNN_cluster_tiles_pct`` (tiles served as clusters); at z14, what the same tiles would cost with one
feature per asset (bare); the cost of any authenticated request (``healthz_*``); the build, the
cluster rebuild and the whole-city view's weight.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy import Engine, text
from support import (  # first: puts the project on sys.path
    ROOT,
    admin_url_argument,
    figure,
    percentiles,
    postgres_admin_url,
)

from assets.db import make_engine, unit_of_work
from assets.db.admin import create_migrated_database, database_url, drop_database
from assets.demo import load_demo
from assets.tiles import LAYERS, SESSION_OPTIONS, TileService, TileSettings, tile_engine, tile_query
from gis.tiles import tile_for_lonlat, tiles_covering

DATABASE = "cp_bench_tiles"
CENTRE = (5.0415, 47.3220)
RADIUS_M = 5000.0
ZOOMS = range(10, 17)
LAYER = "lighting"
COPIED_KINDS = ("pole", "luminaire")
DEVICE_KINDS = ("luminaire", "cabinet", "signal_controller", "signal_head", "camera", "sensor", "energy_meter")
CLEARED = {"dev_eui", "parent_id", "fibre_node_id", "energy_meter_id", "from_node_id", "to_node_id"}
MAX_SHIFT_M = 150.0


# -- the inventory ------------------------------------------------------------------------------


def _copy_sql(columns: list[str]) -> str:
    def value(column: str) -> str:
        if column == "code":
            return "a.code || '~' || c.k"
        if column == "geom":
            return "ST_Translate(a.geom, c.dx, c.dy)"
        if column == "version":
            return "1"
        return "NULL" if column in CLEARED else f"a.{column}"

    # The shift of a copy is a hash of (copy, pole): a luminaire moves with its pole.
    pole = "coalesce(CASE WHEN a.kind = 'pole' THEN a.id END, a.parent_id, a.id)"
    return f"""
        INSERT INTO assets ({", ".join(columns)})
        SELECT {", ".join(value(c) for c in columns)}
          FROM (SELECT a.*, row_number() OVER (ORDER BY a.id) AS rn FROM assets AS a WHERE a.kind = ANY(:kinds)) AS a
         CROSS JOIN LATERAL (
               SELECT k, (hashtext(k || ':' || {pole}) % 1000) * :shift / 1000.0 AS dx,
                         (hashtext(k || '/' || {pole}) % 1000) * :shift / 1000.0 AS dy
                 FROM generate_series(1, :copies) AS k) AS c
         WHERE (c.k - 1) * :per_copy + a.rn <= :missing
    """


def build(engine: Engine, target: int) -> None:
    """Fill a freshly migrated database with ``target`` assets (see the module's description)."""
    started = time.perf_counter()
    load_demo(engine)
    figure("tiles.build_demo_seconds", time.perf_counter() - started, "s")
    with engine.begin() as conn:
        columns = list(conn.scalars(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'assets' "
            "AND is_generated = 'NEVER' AND column_name <> 'id' ORDER BY ordinal_position")))
        have = conn.execute(text("SELECT count(*) FROM assets")).scalar_one()
        per_copy = conn.execute(text("SELECT count(*) FROM assets WHERE kind = ANY(:k)"),
                                {"k": list(COPIED_KINDS)}).scalar_one()
        step = time.perf_counter()
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(_copy_sql(columns)), {
            "kinds": list(COPIED_KINDS), "shift": MAX_SHIFT_M, "copies": -(-(target - have) // per_copy),
            "per_copy": per_copy, "missing": target - have,
        })
        figure("tiles.build_copy_seconds", time.perf_counter() - step, "s")
        step = time.perf_counter()
        conn.execute(text("SELECT citypilot_tiles_rebuild()"))
        figure("tiles.build_tile_table_seconds", time.perf_counter() - step, "s")
        conn.execute(text("""
            INSERT INTO live_state (asset_id, state, state_ts, state_since, ts, last_seen, expected_interval_s)
            SELECT id, CASE WHEN h < 93 THEN 'ok' WHEN h < 97 THEN 'fault' ELSE 'unreachable' END,
                   now(), now() - interval '1 hour', now(), now(), 900
              FROM (SELECT id, abs(hashtext('live' || id)) % 100 AS h FROM assets WHERE kind = ANY(:kinds)) AS d
        """), {"kinds": list(DEVICE_KINDS)})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("assets", "tile_features", "live_state"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    figure("tiles.build_seconds", time.perf_counter() - started, "s")


# -- the server ---------------------------------------------------------------------------------


def serve(port: int) -> None:
    """(In a subprocess.) gunicorn as ``citypilot serve`` runs it, on ``create_app()`` + the tiles."""
    from gunicorn.app.base import BaseApplication

    from app.cli.serve_cmd import gunicorn_options

    options = {**gunicorn_options("127.0.0.1", port, 2, 4, None, None), "accesslog": None}

    class Server(BaseApplication):
        def load_config(self) -> None:
            for name, value in options.items():
                self.cfg.set(name, value)

        def load(self):  # type: ignore[no-untyped-def]
            from app.web import create_app
            from app.web.tiles import init_app

            app = create_app()
            init_app(app)  # a no-op once create_app mounts the tiles
            return app

    Server().run()


def start_server(url: str, home: Path, port: int) -> tuple[subprocess.Popen, str]:
    import app.web

    env = {**os.environ, "DATABASE_URL": url, "CITYPILOT_HOME": str(home), "CITYPILOT_TILES_CACHE_TTL_S": "0",
           "CITYPILOT_TILES_CLUSTERS_MAX_AGE_S": "86400", "PYTHONPATH": str(ROOT)}
    citypilot = Path(sys.executable).parent / "citypilot"
    if "app.web.tiles" in app.web.FEATURES and citypilot.exists():
        command = [str(citypilot), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
                   "--threads", "4"]
        how = "citypilot serve (gunicorn, 2 gthread workers x 4 threads)"
    else:
        command = [sys.executable, __file__, "--serve", str(port)]
        how = "gunicorn with citypilot serve's settings (2 gthread workers x 4 threads) on create_app() + tiles"
    log = open(home / "server.log", "wb")  # noqa: SIM115  (closed with the process)
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process, how
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError(f"the server did not start: see {home / 'server.log'}")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- measuring ----------------------------------------------------------------------------------


def sample_tiles(z: int, n: int, rng: random.Random) -> list[tuple[int, int]]:
    """``n`` tiles at zoom ``z`` around random points within RADIUS_M of Dijon's centre."""
    out = []
    for _ in range(n):
        r, a = RADIUS_M * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        lon = CENTRE[0] + r * math.cos(a) / (111_320 * math.cos(math.radians(CENTRE[1])))
        lat = CENTRE[1] + r * math.sin(a) / 111_320
        tile = tile_for_lonlat(lon, lat, z)
        out.append((tile.x, tile.y))
    return out


def fetch(conn: http.client.HTTPConnection, path: str, token: str) -> tuple[int, bytes]:
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"})
    response = conn.getresponse()
    return response.status, response.read()


def measure(port: int, token: str, bare_url: str, samples: int, max_features: int) -> None:
    rng = random.Random(7)
    with psycopg.connect(bare_url, options=SESSION_OPTIONS, autocommit=True) as bare:
        for z in ZOOMS:
            # A connection per zoom: the bare-only measurements between zooms outlast gunicorn's keep-alive
            # (2 s), after which the server closes an idle connection (RemoteDisconnected on the next GET).
            http_conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            tiles = sample_tiles(z, samples, rng)
            for x, y in tiles[:20]:  # warm up: a server that has been running
                fetch(http_conn, f"/tiles/{LAYER}/{z}/{x}/{y}.mvt", token)
                query = tile_query(LAYER, z, x, y, max_features=max_features)
                bare.execute(query.sql, query.params).fetchone()
            e2e, raw, sizes, gz_sizes, clusters = [], [], [], [], 0
            for i, (x, y) in enumerate(tiles):
                query = tile_query(LAYER, z, x, y, max_features=max_features)
                order = (0, 1) if i % 2 == 0 else (1, 0)
                for which in order:
                    started = time.perf_counter()
                    if which == 0:
                        status, body = fetch(http_conn, f"/tiles/{LAYER}/{z}/{x}/{y}.mvt", token)
                        e2e.append((time.perf_counter() - started) * 1000)
                        assert status in (200, 204), status
                        gz_sizes.append(len(body))
                    else:
                        data = bare.execute(query.sql, query.params).fetchone()[0]
                        raw.append((time.perf_counter() - started) * 1000)
                        sizes.append(len(data))
                        clusters += _is_clusters(bare, query.mode, z, x, y, max_features)
            p50, p95 = percentiles(e2e)
            b50, b95 = percentiles(raw)
            figure(f"tiles.z{z}_p50_ms", p50, "ms")
            figure(f"tiles.z{z}_p95_ms", p95, "ms")
            figure(f"tiles.z{z}_bare_p50_ms", b50, "ms")
            figure(f"tiles.z{z}_bare_p95_ms", b95, "ms")
            figure(f"tiles.z{z}_ratio_to_bare", p95 / b95, "", ".2f")
            figure(f"tiles.z{z}_ratio_p50_to_bare", p50 / b50, "", ".2f")
            figure(f"tiles.z{z}_overhead_p50_ms", p50 - b50, "ms")
            figure(f"tiles.z{z}_bytes", int(statistics.mean(sizes)), "bytes")
            figure(f"tiles.z{z}_gzip_bytes", int(statistics.mean(gz_sizes)), "bytes")
            figure(f"tiles.z{z}_cluster_tiles_pct", 100.0 * clusters / len(tiles), "%", ".0f")
            if clusters and z == 14:  # what the dense tiles would cost as one feature per asset
                forced, sizes = [], []
                for x, y in tiles[:50]:
                    query = tile_query(LAYER, z, x, y, max_features=10**9)
                    started = time.perf_counter()
                    data = bare.execute(query.sql, query.params).fetchone()[0]
                    forced.append((time.perf_counter() - started) * 1000)
                    sizes.append(len(data))
                figure(f"tiles.z{z}_all_features_bare_p95_ms", percentiles(forced)[1], "ms")
                figure(f"tiles.z{z}_all_features_max_bytes", max(sizes), "bytes")
            http_conn.close()


def _is_clusters(bare: psycopg.Connection, mode: str, z: int, x: int, y: int, max_features: int) -> bool:
    """Whether a tile holds clusters rather than assets (the server's own test: the tile's count)."""
    if mode != "adaptive":
        return mode == "clusters"
    row = bare.execute("SELECT count FROM tile_cells WHERE layer = %s AND z = %s AND x = %s AND y = %s",
                       (LAYER, z - 5, x, y)).fetchone()
    return row is not None and row[0] > max_features


def request_overhead(port: int, token: str, samples: int) -> None:
    """What any request costs before a tile is drawn: ``/healthz`` (one ``SELECT 1``) anonymous, and
    with the API token (the guard resolves it in the database)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for name, headers in (("anonymous", {}), ("token", {"Authorization": f"Bearer {token}"})):
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            conn.request("GET", "/healthz", headers=headers)
            conn.getresponse().read()
            times.append((time.perf_counter() - started) * 1000)
        p50, p95 = percentiles(times)
        figure(f"tiles.healthz_{name}_p50_ms", p50, "ms")
        figure(f"tiles.healthz_{name}_p95_ms", p95, "ms")
    conn.close()


def whole_city(port: int, token: str, engine: Engine) -> None:
    """The whole territory at z10 and z11, every layer: bytes sent (gzip)."""
    with engine.connect() as conn:
        extent = conn.execute(text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(ST_Transform(geom, 3857)) "
            "AS e FROM communes WHERE valid_to IS NULL) AS t")).one()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for z in (10, 11):
        total = sum(len(fetch(conn, f"/tiles/{layer}/{t.z}/{t.x}/{t.y}.mvt", token)[1])
                    for layer in LAYERS for t in tiles_covering(tuple(extent), z))
        figure(f"tiles.city_z{z}_all_layers_gzip_kb", total / 1024, "KB", ".1f")
    conn.close()


def run(admin_url: str, samples: int, target: int, keep: bool, reuse: bool) -> None:
    url = database_url(admin_url, DATABASE)
    engine: Engine | None = None
    if reuse:
        try:
            engine = make_engine(url)
            with engine.connect() as conn:
                have = conn.execute(text("SELECT count(*) FROM assets")).scalar_one()
            if have < target:
                raise RuntimeError(f"{have} assets only")
        except Exception as exc:  # absent or too small: build it
            print(f"rebuilding {DATABASE}: {exc}", flush=True)
            engine = None
    if engine is None:
        engine = create_migrated_database(admin_url, DATABASE)
        build(engine, target)
    with engine.connect() as conn:
        figure("tiles.assets", conn.execute(text("SELECT count(*) FROM assets")).scalar_one(), "assets")
    settings = TileSettings(cache_ttl_s=0)
    tiles = TileService(tile_engine(url), settings)
    figure("tiles.clusters_rebuild_seconds", tiles.refresh_clusters(), "s")
    tiles.close()
    with unit_of_work(engine, None) as session:
        from assets.accounts import issue_token
        from assets.users import create_user

        name = f"bench-{int(time.time())}"
        create_user(session, name, "operator", "Benchmark")
        token = issue_token(session, name, "bench").secret
    home = Path(tempfile.mkdtemp(prefix="citypilot-bench-tiles-"))
    port = free_port()
    server, how = start_server(url, home, port)
    print(f"server: {how}", flush=True)
    try:
        measure(port, token, url.replace("postgresql+psycopg://", "postgresql://"), samples, settings.max_features)
        request_overhead(port, token, samples)
        whole_city(port, token, engine)
    finally:
        server.terminate()
        server.wait(timeout=30)
        engine.dispose()
        if not keep:
            drop_database(admin_url, DATABASE)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    admin_url_argument(parser)
    parser.add_argument("--samples", type=int, default=200, help="tiles per zoom")
    parser.add_argument("--assets", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help=f"keep the database {DATABASE}")
    parser.add_argument("--reuse", action="store_true", help=f"reuse {DATABASE} if it holds enough assets")
    args = parser.parse_args()
    with postgres_admin_url(args.admin_url) as admin_url:
        run(admin_url, args.samples, args.assets, args.keep, args.reuse)


if __name__ == "__main__":
    main()
