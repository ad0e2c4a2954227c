"""The month's KPIs against the real database: counted in the month of the due time (Paris), on time ÷
(closed + open overdue), a pause that saves an order, penalties capped, cancelled orders left out; and
``citypilot kpis``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from app.cli import build_cli, kpis_cmd
from assets.db import unit_of_work
from assets.errors import ValidationError
from fieldservice.kpis import month_bounds, month_kpis
from fieldservice.orders import create_order, transition
from tests.assets.helpers import near
from tests.fieldservice.helpers import crew, lighting_policy

NOW = dt.datetime(2026, 11, 30, 22, 0, tzinfo=dt.UTC)  # 23:00 in Paris, still November


def t(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.UTC)


def _order(engine: Engine, created: dt.datetime, *moves: tuple[str, dt.datetime, str | None]) -> int:
    crew_id = crew(engine, f"Équipe {created:%d%H%M}")
    with unit_of_work(engine, None) as s:
        order_id = create_order(s, origin="planner", category="lighting", priority="urgent", location=near(),
                                at=created).id
        for state, at, reason in moves:
            transition(s, order_id, state, None, crew_id=crew_id, reason=reason, at=at)
    return order_id


def _through(start: dt.datetime, on_site: float, made_safe: float, done: float) -> list:
    """assigned and en route at once, then on site / made safe / done ``n`` minutes after ``start``."""
    return [("assigned", start, None), ("en_route", start, None),
            ("on_site", start + dt.timedelta(minutes=on_site), None),
            ("made_safe", start + dt.timedelta(minutes=made_safe), None),
            ("done", start + dt.timedelta(minutes=done), None)]


@pytest.fixture
def month(engine: Engine) -> None:
    lighting_policy(engine, "urgent")  # 120 / 240 / 480 min, calendar; 100 + 50 per started hour, cap 400
    _order(engine, t(3, 10), *_through(t(3, 10), 60, 120, 180))  # A: on time everywhere
    _order(engine, t(5, 10), *_through(t(5, 10), 210, 220, 300))  # B: arrived 90 min late
    _order(engine, t(20, 10))  # C: never moved, overdue on every clock
    _order(engine, t(10, 10), ("assigned", t(10, 10), None), ("en_route", t(10, 10, 30), None),
           ("on_site", t(10, 11), None), ("waiting", t(10, 11, 30), "road_permit"),  # E: 4 h waiting a permit
           ("made_safe", t(10, 15, 31), None), ("done", t(10, 17), None))
    _order(engine, t(30, 20, 30))  # E2: response due 22:30 UTC, not yet at NOW
    _order(engine, t(30, 21, 30))  # D: due 23:30 UTC = 00:30 in Paris: December
    _order(engine, t(12, 10), ("cancelled", t(12, 11), "duplicate"))  # F: cancelled, not counted


def test_month_figures(engine: Engine, month: None) -> None:
    with unit_of_work(engine, None) as s:
        rows = {r.clock: r for r in month_kpis(s, "2026-11", now=NOW)}
        december = {r.clock: r.counted for r in month_kpis(s, "2026-12", now=NOW)}
    response, make_safe, resolution = rows["response"], rows["make_safe"], rows["resolution"]
    assert (response.counted, response.closed, response.on_time, response.open_overdue, response.breaches) == (
        5, 3, 2, 1, 2)
    assert response.rate == 0.5  # 2 on time ÷ (3 closed + 1 open overdue); E2 not yet due
    assert response.mean_min == pytest.approx((60 + 210 + 60) / 3)
    assert response.penalties == Decimal("600")  # B: 100 + 2 started hours × 50; C: capped at 400
    assert response.mean_late_min == pytest.approx((90 + (NOW - t(20, 12)).total_seconds() / 60) / 2)
    # E was made safe 4 h 01 after arriving but waited 4 h for a permit: on time
    assert (make_safe.counted, make_safe.closed, make_safe.on_time, make_safe.open_overdue) == (4, 3, 3, 1)
    assert make_safe.rate == 0.75 and make_safe.penalties == Decimal("400")
    assert (resolution.counted, resolution.on_time, resolution.breaches, resolution.rate) == (4, 3, 1, 0.75)
    assert (rows.keys(), response.category, response.priority) == ({"response", "make_safe", "resolution"},
                                                                  "lighting", "urgent")
    assert december == {"response": 1, "make_safe": 2, "resolution": 2}  # D; E2 and D


def test_month_bounds_are_paris_months() -> None:
    assert month_bounds("2026-03") == (dt.datetime(2026, 2, 28, 23, tzinfo=dt.UTC),
                                       dt.datetime(2026, 3, 31, 22, tzinfo=dt.UTC))  # DST on the 29th
    assert month_bounds("2026-12")[1] == dt.datetime(2026, 12, 31, 23, tzinfo=dt.UTC)
    for bad in ("2026-13", "11/2026", ""):
        with pytest.raises(ValidationError, match=r"month: .* expected YYYY-MM"):
            month_bounds(bad)


def test_kpis_cli(engine: Engine, db_url: str, month: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli.context import engine as cli_engine

    monkeypatch.setenv("DATABASE_URL", db_url)
    cli_engine.cache_clear()
    cli = build_cli(kpis_cmd)
    try:
        text_out = CliRunner().invoke(cli, ["kpis", "--month", "2026-11"])
        assert text_out.exit_code == 0, text_out.output
        assert "lighting   urgent  response" in text_out.output and "penalties" in text_out.output
        table = list(csv.DictReader(io.StringIO(CliRunner().invoke(cli, ["kpis", "--month", "2026-11",
                                                                         "--csv"]).output)))
        assert [r["clock"] for r in table] == ["response", "make_safe", "resolution"]
        assert table[0]["closed"] == "3" and table[0]["counted"] == "5"
        as_json = json.loads(CliRunner().invoke(cli, ["kpis", "--month", "2026-11", "--json"]).output)
        assert as_json["month"] == "2026-11" and as_json["rows"][1]["clock"] == "make_safe"
        assert "no order due this month" in CliRunner().invoke(cli, ["kpis", "--month", "2025-01"]).output
        bad = CliRunner().invoke(cli, ["kpis", "--month", "nov"])
        assert bad.exit_code == 1 and bad.output.startswith("error: month: 'nov': expected YYYY-MM")
    finally:
        cli_engine.cache_clear()
