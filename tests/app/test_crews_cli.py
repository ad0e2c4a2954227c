"""``citypilot crews …``: a crew set up from the command line, and bad input naming the field."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from app.cli import build_cli, crews_cmd
from assets.db import unit_of_work
from assets.store import create_asset
from tests.assets.helpers import MINIMAL, near
from tests.fieldservice.helpers import user


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch):
    from app.cli.context import engine as cli_engine

    monkeypatch.setenv("DATABASE_URL", db_url)
    cli_engine.cache_clear()
    cli = build_cli(crews_cmd)
    yield lambda *args: CliRunner().invoke(cli, list(args))
    cli_engine.cache_clear()


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def test_a_crew_from_the_command_line(run, engine: Engine, planner_id: int) -> None:
    user(engine, "gus")
    user(engine, "ines")
    with unit_of_work(engine, planner_id) as s:
        create_asset(s, "vehicle", {"code": "VEH-7", "geom": near(), **MINIMAL["vehicle"]})
    assert "created crew Équipe Sud" in ok(run("crews", "create", "Équipe Sud", "--skill", "lighting",
                                               "--vehicle", "vehicle:VEH-7"))
    ok(run("crews", "add-member", "Équipe Sud", "gus"))
    ok(run("crews", "add-member", "Équipe Sud", "ines"))
    assert "gus: BR valid until 2027-06-30" in ok(run("crews", "clearance", "gus", "br", "--expires", "30/06/2027"))
    ok(run("crews", "clearance", "ines", "B1V", "--expires", "2026-01-31"))
    assert "skills lighting, signals" in ok(run("crews", "skills", "Équipe Sud", "lighting", "signals"))
    for args in (("--weekday", "lun", "--from", "7h30", "--to", "16:00"),
                 ("--weekday", "tue", "--from", "07:30", "--to", "16"),
                 ("--kind", "on_call", "--day", "2026-12-25", "--from", "0:00", "--to", "0:00")):
        ok(run("crews", "shift", "Équipe Sud", *args))

    listed = ok(run("crews", "list", "--at", "2026-12-07T08:00"))  # a Monday, Paris time
    assert "Équipe Sud" in listed and "available" in listed and "VEH-7" in listed and "gus, ines" in listed
    assert "off" in ok(run("crews", "list", "--at", "2026-12-07T17:00"))
    assert json.loads(ok(run("crews", "list", "--at", "2026-12-25T03:00", "--json")))[0]["available"] is True
    shown = ok(run("crews", "show", "Équipe Sud", "--at", "2026-12-08T09:00"))
    assert "member gus" in shown and "BR until 2027-06-30" in shown and "B1V until 2026-01-31 (EXPIRED)" in shown
    assert "clearances BR\n" in shown and "shift    mon        07:30–16:00" in shown
    detail = json.loads(ok(run("crews", "show", "Équipe Sud", "--json")))
    assert [(s["kind"], s["day"], s["weekday"]) for s in detail["shifts"]] == [
        ("shift", None, 0), ("shift", None, 1), ("on_call", "2026-12-25", None)]
    ok(run("crews", "unshift", "Équipe Sud", str(detail["shifts"][0]["id"])))
    assert "off" in ok(run("crews", "list", "--at", "2026-12-07T08:00"))
    ok(run("crews", "remove-member", "Équipe Sud", "ines"))
    assert "vehicle -" in ok(run("crews", "vehicle", "Équipe Sud", "--none"))
    assert json.loads(ok(run("crews", "show", "Équipe Sud", "--json")))["vehicle"] is None


def test_bad_input_names_the_field(run, engine: Engine, planner_id: int) -> None:
    ok(run("crews", "create", "Équipe Est"))
    cases = [
        (["crews", "create", "Équipe Est"], "error: name: a crew named 'Équipe Est' already exists"),
        (["crews", "add-member", "Équipe Est", "alice"], f"error: user: user {planner_id} has the role planner"),
        (["crews", "add-member", "Équipe Ouest", "alice"], "error: crew 'Équipe Ouest' does not exist"),
        (["crews", "clearance", "alice", "BR", "--expires", "next year"], "error: --expires: 'next year': expected"),
        (["crews", "shift", "Équipe Est", "--weekday", "funday", "--from", "8", "--to", "12"],
         "error: --weekday: 'funday': expected mon…sun"),
        (["crews", "shift", "Équipe Est", "--weekday", "mon", "--from", "25:00", "--to", "12"],
         "error: --from: '25:00': expected a time of day"),
        (["crews", "shift", "Équipe Est", "--from", "8", "--to", "12"], "error: weekday: give a weekday"),
        (["crews", "vehicle", "Équipe Est"], "error: vehicle: give a vehicle, or --none"),
        (["crews", "list", "--at", "soon"], "error: --at: 'soon': expected an ISO 8601 time"),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert result.output.startswith(message), (args, result.output)
        assert "Traceback" not in result.output
