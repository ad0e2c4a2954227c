"""Every write path — the command line, a file import, the Python API — leaves its trace in the history."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from app.cli import build_cli, context
from assets.db import unit_of_work
from assets.io.importer import import_file
from assets.store import find_asset, update_asset
from assets.users import create_user


@pytest.fixture
def run(db_url, monkeypatch) -> Iterator:
    monkeypatch.setenv("DATABASE_URL", db_url)
    context.engine.cache_clear()
    cli = build_cli()

    def invoke(*args: str) -> str:
        result = CliRunner().invoke(cli, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    yield invoke
    context.engine.cache_clear()


def test_cli_import_and_api_changes_all_land_in_history(run, engine, tmp_path) -> None:
    run("users", "create", "alice", "--role", "planner", "--full-name", "Alice Martin")
    run("users", "create", "bruno", "--role", "planner")
    with unit_of_work(engine, None) as s:
        carla = create_user(s, "carla", "planner").id

    # 1. the command line, as alice
    out = run("asset", "create", "cabinet", "--code", "AR-100", "--at", "5.0345,47.3226",
              "--set", "contract_power_kva=36", "--user", "alice")
    assert "created cabinet AR-100" in out
    run("asset", "update", "cabinet:AR-100", "--version", "1", "--set", "name=Place Darcy", "--user", "alice")

    # 2. a file import, as bruno
    survey = tmp_path / "cabinets.csv"
    survey.write_text("code;lon;lat;puissance\nAR-101;5.0400;47.3200;24\nAR-102;5.0410;47.3210;18\n")
    with unit_of_work(engine, None) as s:
        bruno = s.execute(text("SELECT id FROM users WHERE name = 'bruno'")).scalar()
    report = import_file(engine, survey, "cabinet", bruno, mapping={"puissance": "contract_power_kva"})
    assert (report.imported, report.rejected) == (2, 0)

    # 3. the Python API (what the web and desktop call), as carla
    with unit_of_work(engine, carla) as s:
        cab = find_asset(s, "cabinet", "AR-101")
        update_asset(s, cab.id, {"contract_power_kva": 30}, expected_version=cab.version)

    # retire through the command line too
    run("asset", "retire", "cabinet:AR-102", "--user", "alice")

    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.code, h.action, h.actor_name, h.changed FROM asset_history h JOIN assets a ON a.id = h.asset_id "
            "ORDER BY h.id"
        )).all()
    assert [tuple(r[:3]) for r in rows] == [
        ("AR-100", "insert", "alice"),
        ("AR-100", "update", "alice"),
        ("AR-101", "insert", "bruno"),
        ("AR-102", "insert", "bruno"),
        ("AR-101", "update", "carla"),
        ("AR-102", "retire", "alice"),
    ]
    assert rows[1].changed == ["name"] and rows[4].changed == ["contract_power_kva"]

    history = run("asset", "history", "cabinet:AR-100")
    assert "insert  alice" in history and "update  alice" in history and "name" in history
    shown = json.loads(run("asset", "show", "cabinet:AR-102"))
    assert shown["status"] == "removed" and shown["version"] == 2 and shown["commune_insee"] == "21231"


def test_cli_errors_name_the_field_and_never_show_a_traceback(run, db_url, monkeypatch) -> None:
    run("users", "create", "alice", "--role", "planner")
    run("asset", "create", "cabinet", "--code", "AR-1", "--at", "5.0345,47.3226", "--set", "contract_power_kva=36")
    cli = build_cli()
    cases = [
        (["asset", "create", "luminaire", "--code", "L-1", "--at", "5.0345,47.3226", "--set", "power_w=abc"],
         "error: power_w: cannot read 'abc'"),
        (["asset", "update", "cabinet:AR-1", "--version", "7", "--set", "name=x"],
         "error: asset 1 was changed by someone else (version 1, you had 7)"),
        (["asset", "show", "cabinet:NOPE"], "error: no cabinet with code 'NOPE'"),
        (["asset", "create", "lamp", "--code", "X"], "error: kind: unknown kind 'lamp'"),
        (["users", "create", "alice", "--role", "planner"], "error: name: a user named 'alice' already exists"),
        (["asset", "retire", "cabinet:AR-1", "--user", "nobody"], "error: no user named 'nobody'"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, (args, result.output)
        assert result.output.startswith(message), (args, result.output)
        assert "Traceback" not in result.output


def test_disabled_user_cannot_act(run) -> None:
    run("users", "create", "dave", "--role", "crew")
    run("users", "disable", "dave")
    assert "disabled" in run("users", "list")
    result = CliRunner().invoke(build_cli(), ["asset", "create", "cabinet", "--code", "AR-9", "--at", "5.03,47.32",
                                              "--set", "contract_power_kva=9", "--user", "dave"])
    assert result.exit_code == 1 and "error: user 'dave' is disabled" in result.output
