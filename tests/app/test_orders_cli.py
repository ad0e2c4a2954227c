"""``citypilot orders sync-alarms|list|show|create|move``: work orders from the command line."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text

from app.cli import build_cli, orders_cmd
from assets.alarms.lifecycle import clear_active, raise_alarm
from assets.alarms.queries import iso
from assets.db import unit_of_work
from fieldservice.crews import add_member, set_clearance
from fieldservice.orders import create_order
from tests.assets.alarm_helpers import lighting_cabinet
from tests.assets.helpers import near
from tests.fieldservice.helpers import WHEN, crew, crew_with_van, lighting_policy, user

T0 = dt.datetime(2026, 11, 3, 21, 0, tzinfo=dt.UTC)


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch):
    from app.cli.context import engine as cli_engine

    monkeypatch.setenv("DATABASE_URL", db_url)
    cli_engine.cache_clear()
    cli = build_cli(orders_cmd)
    yield lambda *args: CliRunner().invoke(cli, list(args))
    cli_engine.cache_clear()


def test_from_alarms_to_verified(run, engine: Engine, planner_id: int) -> None:
    lighting_policy(engine, "urgent")
    user(engine, "olga", "supervisor")
    gus = user(engine, "gus")
    crew_id = crew(engine, "Équipe Nord")
    cab = lighting_cabinet(engine, planner_id, code="ARM-9", lamps=2)
    with unit_of_work(engine, None) as s:
        raise_alarm(s, cab.cabinet, "cabinet_trip", T0)
        for lamp in cab.lamps:
            raise_alarm(s, lamp, "lamp_failure", T0 + dt.timedelta(seconds=5))

    synced = run("orders", "sync-alarms", "--user", "olga")
    assert synced.exit_code == 0, synced.output
    assert synced.output.startswith("1 order(s) opened, 2 alarm(s) attached to an open order, 0 order(s) verified")
    assert run("orders", "sync-alarms").output.startswith("0 order(s) opened, 0 alarm(s) attached")
    with engine.connect() as conn:
        order_id = conn.execute(text("SELECT id FROM work_orders")).scalar_one()
        raised = conn.execute(text("SELECT raised_at FROM alarms WHERE type = 'cabinet_trip'")).scalar_one()

    created = run("orders", "create", "--category", "lighting", "--at", "5.0345,47.3226", "--description",
                  "Lampe clignotante signalée", "--user", "olga")
    assert created.exit_code == 0, created.output
    other = int(created.output.split()[2])
    page = json.loads(run("orders", "list", "--limit", "1", "--json").output)
    assert [i["id"] for i in page["items"]] == [order_id] and (page["total"], page["next_offset"]) == (2, 1)
    first = page["items"][0]
    assert first["asset_count"] == 3 and first["response_due"] == iso(raised + dt.timedelta(hours=2))
    second = run("orders", "list", "--limit", "1", "--offset", "1")
    assert f"{other:>7} normal" in second.output and "1 of 2 work order(s)" in second.output
    assert "next page" not in second.output

    illegal = run("orders", "move", str(order_id), "done", "--user", "gus")
    assert illegal.exit_code == 1 and "Traceback" not in illegal.output
    assert illegal.output.startswith(
        "error: state: cannot go from new to done; allowed from new: assigned, cancelled")
    unqualified = run("orders", "move", str(order_id), "assigned", "--crew", "Équipe Nord", "--user", "olga")
    assert unqualified.exit_code == 1
    assert "crew_id: crew 'Équipe Nord' holds no valid BR clearance" in unqualified.output
    with unit_of_work(engine, None) as s:
        add_member(s, crew_id, gus)
        set_clearance(s, gus, "BR", dt.date(2030, 1, 1))
    assert run("orders", "move", str(order_id), "assigned", "--crew", "Équipe Nord", "--user", "olga").exit_code == 0
    stale = run("orders", "move", str(order_id), "en_route", "--version", "1", "--user", "gus")
    assert stale.exit_code == 1 and "changed since version 1 (now 2)" in stale.output
    opened = run("orders", "show", str(order_id)).output  # the checklist it is shown with (English labels)
    assert "[ ] Cabinet locked (required)" in opened and "presence on site: not proven" in opened
    for state in ("en_route", "on_site", "done"):
        moved = run("orders", "move", str(order_id), state, "--at", "5.0346,47.3227", "--user", "gus")
        assert moved.exit_code == 0, moved.output
    assert "done (awaiting_device)" in moved.output

    shown = run("orders", "show", str(order_id)).output
    assert "allowed moves: verified" in shown and "new → assigned" in shown and "olga" in shown
    assert "alarm" in shown and "cabinet ARM-9" in shown and "clock response" in shown
    assert "presence on site: proven, nearest on-site position" in shown
    detail = json.loads(run("orders", "show", str(order_id), "--json").output)
    assert [e["to"] for e in detail["events"]] == ["new", "assigned", "en_route", "on_site", "done"]
    assert detail["events"][-1]["actor"] == "gus" and detail["events"][-1]["lon"] == pytest.approx(5.0346)
    assert "cabinet_breakers" in [i["key"] for i in detail["work"]["checklist"]]

    with unit_of_work(engine, None) as s:
        for asset, kind in ((cab.cabinet, "cabinet_trip"), *((lamp, "lamp_failure") for lamp in cab.lamps)):
            clear_active(s, asset, kind, T0 + dt.timedelta(hours=1))
    assert "1 order(s) verified" in run("orders", "sync-alarms").output
    assert run("orders", "list", "--state", "verified", "--json").output.count('"state": "verified"') == 1


def test_bad_input_names_the_field(run, engine: Engine) -> None:
    user(engine, "olga", "supervisor")
    cases = [
        (["orders", "create", "--category", "lighting", "--user", "olga"],
         "error: location: an order needs a place or an asset"),
        (["orders", "create", "--category", "video", "--asset", "camera:NOPE", "--user", "olga"],
         "error: no camera with code 'NOPE'"),
        (["orders", "create", "--category", "video", "--at", "5.03", "--user", "olga"],
         "error: --at: '5.03': expected X,Y"),
        (["orders", "show", "4242"], "error: work order 4242 does not exist"),
        (["orders", "list", "--crew", "Nobody"], "error: crew 'Nobody' does not exist"),
        (["orders", "sync-alarms", "--since", "yesterday"], "error: --since: 'yesterday': expected an ISO 8601"),
    ]
    for args, message in cases:
        result = run(*args)
        assert result.exit_code == 1, (args, result.output)
        assert result.output.startswith(message), (args, result.output)
    created = run("orders", "create", "--category", "video", "--at", "5.03,47.32", "--user", "olga")
    order_id = created.output.split()[2]
    no_reason = run("orders", "move", order_id, "cancelled", "--user", "olga")
    assert no_reason.exit_code == 1 and no_reason.output.startswith("error: reason: cancelling an order needs a reason")
    waiting = run("orders", "move", order_id, "waiting", "--user", "olga")
    assert waiting.output.startswith("error: state: cannot go from new to waiting; allowed from new: assigned")
    cancelled = run("orders", "move", order_id, "cancelled", "--reason", "doublon", "--user", "olga")
    assert cancelled.exit_code == 0 and "cancelled" in cancelled.output
    final = run("orders", "move", order_id, "assigned", "--user", "olga")
    assert "allowed from cancelled: none (final state)" in final.output


def test_propose_shows_the_nearest_qualified_crews(run, engine: Engine, db_url: str) -> None:
    far = crew_with_van(engine, db_url, "Loin", 4200)
    near_one = crew_with_van(engine, db_url, "Proche", 700)
    crew_with_van(engine, db_url, "Sans BR", 100, clearance=None)
    with unit_of_work(engine, None) as s:
        order_id = create_order(s, origin="planner", category="lighting", location=near(), at=WHEN).id
    shown = run("orders", "propose", str(order_id), "--at", WHEN.isoformat())
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert "Proche" in lines[0] and "0.70 km" in lines[0] and "queue 0" in lines[0] and "in time" in lines[0]
    assert "Loin" in lines[1] and "Sans BR" not in shown.output and lines[2] == "2 crew(s) proposed"
    as_json = json.loads(run("orders", "propose", str(order_id), "--at", WHEN.isoformat(), "--json").output)
    assert [p["crew_id"] for p in as_json] == [near_one, far]
    sunday = run("orders", "propose", str(order_id), "--at", "2026-11-15T10:00")
    assert sunday.output.strip() == "no qualified crew available"


def test_visits_pass_reports_nothing_to_stamp_on_an_empty_city(run) -> None:
    result = run("orders", "visits", "--at", "2026-11-09T10:00:00+01:00")
    assert result.exit_code == 0, result.output
    assert "0 arrival(s), 0 departure(s)" in result.output
    assert run("orders", "visits", "--at", "yesterday").exit_code != 0
