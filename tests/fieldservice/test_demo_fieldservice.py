"""The demo's field service on a copy of the demo city: example policies, crews with members (role crew),
vans, clearances, shifts and an on-call rota, open and closed orders with consistent histories, plans that
made their orders, figures for the month; loading again changes nothing (``citypilot demo fieldservice``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from assets.db import make_engine, unit_of_work
from assets.db.admin import create_database, drop_database
from fieldservice import crews
from fieldservice.demo import DEMO_CREWS, load_demo_fieldservice
from fieldservice.kpis import breakdown, month_kpis
from fieldservice.sla import month_of

NOW = dt.datetime(2026, 11, 18, 14, 0, tzinfo=dt.UTC)  # a Wednesday afternoon


@pytest.fixture(scope="module")
def city(demo_engine: Engine, pg_admin_url: str) -> Iterator[Engine]:
    demo_engine.dispose()  # a template must have no session
    url = create_database(pg_admin_url, "cp_demo_fieldservice", template="cp_demo")
    engine = make_engine(url)
    yield engine
    engine.dispose()
    drop_database(pg_admin_url, "cp_demo_fieldservice")


@pytest.fixture(scope="module")
def loaded(city: Engine):
    """The demo's field service loaded once into the copy (each test may run alone)."""
    with unit_of_work(city, None) as s:
        return load_demo_fieldservice(s, now=NOW)


def test_the_demo_field_service(city: Engine, loaded) -> None:
    result = loaded
    assert result.loaded and (result.policies, result.crews, result.orders) == (20, len(DEMO_CREWS), 70)
    assert result.planned > 0
    with unit_of_work(city, None) as s:
        assert not load_demo_fieldservice(s, now=NOW).loaded
        listed = crews.list_crews(s, NOW)
        assert all(c["vehicle"] for c in listed) and all(len(c["members"]) == 2 for c in listed)
        assert {c["name"] for c in listed if c["available"]} == {c.name for c in DEMO_CREWS if not c.on_call}
        night = crews.list_crews(s, dt.datetime(2026, 11, 18, 23, 0, tzinfo=dt.UTC))
        assert [c["name"] for c in night if c["available"]] == ["Astreinte éclairage et feux"]
        assert "demo-crew" in next(c for c in listed if c["name"] == "Éclairage Centre 1")["members"]
        roles = set(s.execute(text("SELECT DISTINCT u.role FROM crew_members m JOIN users u ON u.id = m.user_id"))
                    .scalars())
        assert roles == {"crew"}
        states = dict(s.execute(text("SELECT state, count(*) FROM work_orders WHERE origin <> 'planned' "
                                     "GROUP BY state")).all())
        assert {"new", "verified", "done"} <= set(states) and states["new"] >= 3
        bad = s.execute(text("SELECT count(*) FROM work_order_events e JOIN work_orders o ON o.id = e.order_id "
                             "WHERE e.at < o.created_at OR e.at > :now"), {"now": NOW}).scalar()
        assert bad == 0
        mine = s.execute(text("SELECT count(*) FROM work_orders o JOIN crews c ON c.id = o.crew_id "
                              "WHERE c.name = 'Éclairage Centre 1'")).scalar()
        assert mine > 0
        assert month_kpis(s, month_of(NOW), now=NOW)
        by_crew = breakdown(s, month_of(NOW), "crew", now=NOW)
        assert len([r for r in by_crew if r["key"] is not None]) >= 8
        plans = s.execute(text("SELECT count(*) FROM maintenance_plans")).scalar()
        assert plans == 4


def test_citypilot_demo_fieldservice_says_when_it_is_loaded(city: Engine, loaded,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from app.cli import build_cli, demo_cmd, planning_cmd
    from app.cli.context import engine as cli_engine

    monkeypatch.setenv("DATABASE_URL", city.url.render_as_string(hide_password=False))
    cli_engine.cache_clear()
    try:
        result = CliRunner().invoke(build_cli(demo_cmd, planning_cmd), ["demo", "fieldservice"])
    finally:
        cli_engine.cache_clear()
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "the demo's field service is already loaded"  # loaded by the fixture
