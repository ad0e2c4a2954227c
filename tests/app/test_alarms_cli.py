"""``citypilot alarms list|show|ack|clear|thresholds``: what the engine raised, from the command line."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from app.cli import alarms_cmd, build_cli
from assets.alarms.lifecycle import raise_alarm
from assets.db import unit_of_work
from assets.users import create_user
from tests.assets.alarm_helpers import lighting_cabinet


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch):
    from app.cli.context import engine as cli_engine

    monkeypatch.setenv("DATABASE_URL", db_url)
    cli_engine.cache_clear()
    cli = build_cli(alarms_cmd)
    yield lambda *args: CliRunner().invoke(cli, list(args))
    cli_engine.cache_clear()


def test_list_show_ack_clear(run, engine: Engine, planner_id: int) -> None:
    cab = lighting_cabinet(engine, planner_id, code="ARM-7", lamps=2)
    with unit_of_work(engine, None) as s:
        create_user(s, "olga", "operator")
        lamp = raise_alarm(s, cab.lamps[0], "lamp_failure", dt.datetime(2026, 11, 29, 21, tzinfo=dt.UTC))
        trip = raise_alarm(s, cab.cabinet, "cabinet_trip", dt.datetime(2026, 11, 29, 21, 1, tzinfo=dt.UTC))
    listed = run("alarms", "list")
    assert listed.exit_code == 0, listed.output
    assert "Cabinet ARM-7 tripped (2 affected)" in listed.output and "1 of 1 alarm(s)" in listed.output
    as_json = json.loads(run("alarms", "list", "--children", "--json").output)
    assert [a["id"] for a in as_json["items"]] == [trip, lamp]
    shown = run("alarms", "show", str(trip)).output
    assert "affects 2:" in shown and f"alarm {lamp}" in shown and "raised" in shown

    acked = run("alarms", "ack", str(trip), "--comment", "on it", "--user", "olga")
    assert acked.exit_code == 0 and "acknowledged" in acked.output and "ack olga" in acked.output
    again = run("alarms", "ack", str(trip), "--user", "olga")
    assert again.exit_code == 1 and "error: alarm" in again.output and "already acknowledged by olga" in again.output
    assert run("alarms", "clear", str(trip), "--user", "olga").exit_code == 0
    assert run("alarms", "list", "--state", "cleared").output.count("cabinet_trip") == 1
    assert run("alarms", "show", "424242").output.startswith("error: alarm 424242 does not exist")


def test_thresholds(run) -> None:
    listed = run("alarms", "thresholds")
    assert "no2_ugm3" in listed.output and "Directive 2008/50/EC" in listed.output
    saved = run("alarms", "thresholds", "set", "noise", "laeq_db", "--above", "75", "--hysteresis", "2",
                "--severity", "minor", "--source", "municipal noise by-law")
    assert saved.exit_code == 0, saved.output
    laeq = [t for t in json.loads(run("alarms", "thresholds", "--json").output) if t["metric"] == "laeq_db"]
    assert laeq == [{"sensor_type": "noise", "metric": "laeq_db", "above": 75.0, "below": None, "hysteresis": 2.0,
                     "window_s": 0, "severity": "minor", "source": "municipal noise by-law"}]
    bad = run("alarms", "thresholds", "set", "noise", "laeq_db", "--hysteresis", "-1")
    assert bad.exit_code == 1 and "above: give --above, --below or both" in bad.output
    assert "hysteresis: must be 0 or more" in bad.output
    assert run("alarms", "thresholds", "remove", "noise", "laeq_db").exit_code == 0
    gone = run("alarms", "thresholds", "remove", "noise", "laeq_db")
    assert gone.exit_code == 1 and "no threshold on 'laeq_db' for noise sensors" in gone.output
