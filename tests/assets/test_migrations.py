"""Migrations go up and down cleanly, and the models match what they build."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from app.schema import Base
from assets.db import make_engine
from assets.db.migrations import current_revision, downgrade, head_revision, upgrade


def test_up_down_up(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"assets", "asset_history", "users", "communes", "streets"} <= tables

    downgrade(engine, "base")
    assert current_revision(engine) is None
    left = set(inspect(engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"}
    assert left == set()
    with engine.connect() as conn:
        functions = conn.execute(text("SELECT count(*) FROM pg_proc WHERE proname LIKE 'citypilot_%'")).scalar()
    assert functions == 0

    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()


def test_models_match_migrations(engine) -> None:
    def include(obj, name, type_, reflected, compare_to) -> bool:
        return name != "spatial_ref_sys"

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include, "compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_territory_has_23_current_and_24_historical_communes(engine) -> None:
    with engine.connect() as conn:
        current = conn.execute(text("SELECT count(*) FROM communes WHERE valid_to IS NULL")).scalar()
        historical = conn.execute(text("SELECT count(*) FROM communes WHERE valid_from IS NULL")).scalar()
        merged = conn.execute(
            text("SELECT name, merged_into FROM communes WHERE valid_to = '2019-01-01' ORDER BY name")
        ).all()
        new = conn.execute(text("SELECT name FROM communes WHERE insee = '21452' AND valid_to IS NULL")).scalar()
        area_km2 = conn.execute(text("SELECT sum(ST_Area(geom)) / 1e6 FROM communes WHERE valid_to IS NULL")).scalar()
    assert current == 23
    assert historical == 24
    assert merged == [("Crimolois", "21452"), ("Neuilly-lès-Dijon", "21452")]
    assert new == "Neuilly-Crimolois"
    assert 235 < area_km2 < 245


def test_inventory_models_import_no_domain_above_them() -> None:
    """assets.models is the bottom of the domain: importing it (or a domain's models, or assets.kinds)
    in a fresh interpreter works and loads no live/tile/alarm/command models; assets.schema gathers them all."""
    import subprocess
    import sys

    domain = ("assets.live.models", "assets.tiles.models", "assets.alarms.models", "assets.commands.models")
    probe = ("import sys, importlib; importlib.import_module(sys.argv[1]); import assets.kinds as k;"
             f"k.model_for('cabinet'); print(' '.join(m for m in {domain!r} if m in sys.modules))")
    for module, loads in (("assets.models", ""), ("assets.kinds", ""), ("assets.live.models", "assets.live.models"),
                          ("assets.commands.models", "assets.commands.models"), ("assets.schema", " ".join(domain))):
        done = subprocess.run([sys.executable, "-c", probe, module], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == loads, module
    tables = {"assets", "users", "live_state", "tile_cells", "alarms", "commands", "device_routes"}
    assert tables <= set(Base.metadata.tables)
