"""KPIs per commune and per crew against the real database: on time ÷ (closed + open overdue) per clock,
time to intervene and to repair (mean, median, p90), the open backlog by age; ``citypilot kpis --by``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from app.cli import build_cli, kpis_cmd
from assets.db import unit_of_work
from assets.errors import ValidationError
from fieldservice.kpis import breakdown
from fieldservice.orders import create_order, transition
from tests.assets.helpers import l93, near
from tests.fieldservice.helpers import crew, lighting_policy

NOW = dt.datetime(2026, 11, 30, 22, 0, tzinfo=dt.UTC)
CHENOVE = l93(5.0055, 47.2905)


def t(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.UTC)


def _order(engine: Engine, crew_id: int, created: dt.datetime, where, on_site: float | None,
           done: float | None) -> None:
    with unit_of_work(engine, None) as s:
        order_id = create_order(s, origin="planner", category="lighting", priority="urgent", location=where,
                                at=created).id
        if on_site is None:
            return
        transition(s, order_id, "assigned", None, crew_id=crew_id, at=created)
        transition(s, order_id, "en_route", None, at=created)
        transition(s, order_id, "on_site", None, at=created + dt.timedelta(minutes=on_site))
        if done is not None:
            transition(s, order_id, "done", None, at=created + dt.timedelta(minutes=done))


@pytest.fixture
def november(engine: Engine) -> dict[str, int]:
    lighting_policy(engine)  # response 120 min, resolution 480 min
    north, south = crew(engine, "Nord"), crew(engine, "Sud")
    _order(engine, north, t(3, 8), near(), 60, 300)  # on time, intervened in 1 h, repaired in 5 h
    _order(engine, north, t(4, 8), near(30), 180, 600)  # late on both clocks
    _order(engine, south, t(5, 8), CHENOVE, 30, 200)  # on time
    _order(engine, south, t(20, 8), CHENOVE, 90, None)  # on site, never done: resolution overdue
    _order(engine, north, t(30, 20), near(60), None, None)  # open, not yet due, 2 h old: backlog under 1 day
    return {"north": north, "south": south}


def test_per_commune(engine: Engine, november: dict[str, int]) -> None:
    with unit_of_work(engine, None) as s:
        rows = {r["label"]: r for r in breakdown(s, "2026-11", "commune", now=NOW)}
    assert set(rows) == {"Chenôve", "Dijon"}
    dijon, chenove = rows["Dijon"], rows["Chenôve"]
    assert (dijon["opened"], dijon["closed"]) == (3, 2)
    assert dijon["response"] | {} == {"on_time": 1, "closed": 2, "open_overdue": 0, "rate": 0.5, "mean": 120.0,
                                      "median": 120.0, "p90": 168.0}
    assert dijon["resolution"]["rate"] == 0.5 and dijon["resolution"]["median"] == 450.0
    assert dijon["backlog"] == {"total": 1, "lt_1d": 1, "d1_7": 0, "gt_7d": 0}
    assert chenove["response"]["rate"] == 1.0
    assert chenove["resolution"] | {} == {"on_time": 1, "closed": 1, "open_overdue": 1, "rate": 0.5, "mean": 200.0,
                                          "median": 200.0, "p90": 200.0}
    assert chenove["backlog"] == {"total": 1, "lt_1d": 0, "d1_7": 0, "gt_7d": 1}


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[click.Group]:
    from app.cli.context import engine as cli_engine

    monkeypatch.setenv("DATABASE_URL", db_url)
    cli_engine.cache_clear()
    yield build_cli(kpis_cmd)
    cli_engine.cache_clear()


def test_per_crew_and_the_cli(engine: Engine, november: dict[str, int], cli: click.Group) -> None:
    with unit_of_work(engine, None) as s:
        rows = breakdown(s, "2026-11", "crew", now=NOW)
        with pytest.raises(ValidationError, match="by: 'street'"):
            breakdown(s, "2026-11", "street")
    assert [(r["label"], r["opened"], r["response"]["rate"], r["resolution"]["rate"]) for r in rows] == [
        ("Nord", 2, 0.5, 0.5), ("Sud", 2, 1.0, 0.5), (None, 1, None, None)]
    result = CliRunner().invoke(cli, ["kpis", "--month", "2026-11", "--by", "crew", "--json"])
    assert result.exit_code == 0, result.output
    assert [r["label"] for r in json.loads(result.output)["rows"]] == ["Nord", "Sud", None]
    text_out = CliRunner().invoke(cli, ["kpis", "--month", "2026-11", "--by", "commune"])
    assert "Chenôve" in text_out.output and "Dijon" in text_out.output, text_out.output
