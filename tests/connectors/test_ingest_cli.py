"""``citypilot connectors`` and ``citypilot maintenance``: configurations checked before saving,
retention shown and changed, with clear one-line errors."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from app.cli import build_cli, ingest_cmd, maintenance_cmd


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch):
    from app.cli.context import engine as cli_engine

    monkeypatch.setenv("DATABASE_URL", db_url)
    cli_engine.cache_clear()
    cli = build_cli(ingest_cmd, maintenance_cmd)
    yield lambda *args: CliRunner().invoke(cli, list(args))
    cli_engine.cache_clear()


def test_connectors_add_checks_then_saves(run, mqtt_url: str, broker) -> None:
    kinds = run("connectors", "list")
    assert kinds.exit_code == 0 and "mqtt" in kinds.output and "osmand" in kinds.output
    wrong = run("connectors", "add", "mqtt", "--name", "city", "--url",
                mqtt_url.replace(f":{broker.password}@", ":nope@"))
    assert wrong.exit_code == 1
    assert "error: url: mqtt://citypilot:***@127.0.0.1" in wrong.output and "refused the connection" in wrong.output
    assert "saved: none" in run("connectors", "list").output
    assert run("connectors", "check", "mqtt", "--url", mqtt_url).exit_code == 0
    added = run("connectors", "add", "mqtt", "--name", "city", "--url", mqtt_url)
    assert added.exit_code == 0, added.output
    listed = run("connectors", "list").output
    assert "city" in listed and broker.password not in listed
    assert run("connectors", "add", "mqtt", "--name", "city", "--url", mqtt_url).exit_code == 1
    assert run("connectors", "remove", "city").exit_code == 0


def test_maintenance_retention_and_prune(run) -> None:
    shown = run("maintenance", "retention")
    assert "vehicle_positions  keep   60 days" in shown.output
    assert "dead_letters       keep   30 days, not partitioned (older rows deleted)" in shown.output
    changed = run("maintenance", "retention", "vehicle_positions", "45")
    assert "vehicle_positions  keep   45 days" in changed.output
    bad = run("maintenance", "retention", "assets", "10")
    assert bad.exit_code == 1 and "table: 'assets' is not one of" in bad.output
    pruned = run("maintenance", "prune")
    assert pruned.exit_code == 0 and ("created" in pruned.output or "nothing to do" in pruned.output)
