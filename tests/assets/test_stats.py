"""``inventory_stats`` and ``citypilot stats``: on an empty inventory and on the demo city."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from app.cli import build_cli, context, stats_cmd
from assets.db import unit_of_work
from assets.kinds import all_kinds
from assets.stats import inventory_stats
from assets.store import create_asset, retire_asset
from tests.assets.helpers import MINIMAL, near


def stats_of(engine: Engine) -> dict:
    with unit_of_work(engine, None) as session:
        return inventory_stats(session)


def test_empty_inventory(engine: Engine) -> None:
    stats = stats_of(engine)
    assert stats["counts"] == {kind: 0 for kind in all_kinds()}
    assert stats["removed"] == 0
    assert stats["fibre_km"] == 0.0
    assert stats["streets_km"] == 0.0
    assert stats["communes"] == 23
    assert stats["communes_historical"] == 24
    assert stats["light_points"] == 0
    assert stats["led_share"] is None
    assert stats["lamps_per_cabinet"] == {"min": None, "max": None, "mean": None}
    json.dumps(stats)


def test_removed_assets_are_counted_apart(engine: Engine, planner_id: int) -> None:
    with unit_of_work(engine, planner_id) as session:
        create_asset(session, "cabinet", {"code": "A1", "geom": near(), **MINIMAL["cabinet"]})
        gone = create_asset(session, "cabinet", {"code": "A2", "geom": near(20), **MINIMAL["cabinet"]})
        retire_asset(session, gone.id)
    stats = stats_of(engine)
    assert stats["counts"]["cabinet"] == 1
    assert stats["removed"] == 1
    assert stats["by_status"]["in_service"] == 1 and stats["by_status"]["removed"] == 1
    assert stats["lamps_per_cabinet"] == {"min": 0, "max": 0, "mean": 0.0}


@pytest.mark.slow
def test_demo_city_stats(demo_engine: Engine) -> None:
    stats = stats_of(demo_engine)
    counts = stats["counts"]
    assert set(counts) == set(all_kinds())
    assert abs(counts["luminaire"] - 36_500) <= 365
    assert counts["signal_controller"] == 113
    assert counts["camera"] == 269
    assert counts["vehicle"] == 205
    assert counts["building"] == 180
    assert stats["light_points"] == counts["luminaire"]
    assert 0.92 <= stats["led_share"] <= 0.94
    assert 130 <= stats["fibre_km"] <= 150
    assert stats["streets_km"] > 1000
    assert stats["communes"] == 23 and stats["communes_historical"] == 24
    spread = stats["lamps_per_cabinet"]
    assert spread["min"] >= 20 and spread["max"] <= 80 and 30 <= spread["mean"] <= 45
    assert sum(stats["by_status"].values()) == sum(counts.values()) + stats["removed"]
    shares = stats["complete_records"]
    assert shares["luminaire"] == {"assets": counts["luminaire"], "complete": counts["luminaire"], "share": 1.0}
    assert stats["led_unknown"] == 0


@pytest.fixture
def stats_cli(monkeypatch: pytest.MonkeyPatch):
    def use(url: str) -> click.Group:
        monkeypatch.setenv("DATABASE_URL", url)
        context.engine.cache_clear()
        group = build_cli(stats_cmd)
        return group

    yield use
    if context.engine.cache_info().currsize:
        context.engine().dispose()
    context.engine.cache_clear()


@pytest.mark.slow
def test_stats_command(demo_db_url: str, demo_engine: Engine, stats_cli) -> None:
    cli = stats_cli(demo_db_url)
    result = CliRunner().invoke(cli, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == stats_of(demo_engine)
    table = CliRunner().invoke(cli, ["stats"])
    assert table.exit_code == 0, table.output
    assert "luminaire" in table.output and "fibre km" in table.output
    assert "complete records" in table.output and "luminaire 100%" in table.output
