"""The demo's tablet crew: ``demo-crew``'s crew gets a few open orders on the luminaires nearest its van, once,
and the simulated crews never take them (nor any order of a crew whose member signs in), while a crew of the
simulator's still sets off."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text

from app.cli import build_cli, context, demo_cmd
from assets.accounts import set_password
from assets.db import unit_of_work
from assets.store import create_asset
from fieldservice import simulated_crews
from fieldservice.demo_tablet import TABLET_ORDERS, seed_tablet_orders
from fieldservice.orders import create_order, transition
from tests.assets.helpers import MINIMAL, near
from tests.fieldservice.helpers import WHEN, crew_with_van, lighting_policy


def _states(engine: Engine, ids: list[int]) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT state FROM work_orders WHERE id = ANY(:ids) ORDER BY id"),
                                 {"ids": ids}).scalars())


def test_the_tablet_crew_gets_its_orders_once_and_the_simulator_leaves_them(engine: Engine, db_url: str) -> None:
    lighting_policy(engine)
    lighting_policy(engine, "normal")
    lighting_policy(engine, "high")
    human = crew_with_van(engine, db_url, "Tablette", 0)
    robot = crew_with_van(engine, db_url, "Robot", 3000)
    with unit_of_work(engine, None) as s:
        s.execute(text("UPDATE users SET name = 'demo-crew' WHERE name = 'tablette'"))
        set_password(s, "demo-crew", "citypilot-crew")
        lamps = [create_asset(s, "luminaire", {"code": f"LUM-{i}", "geom": near(20 * i), **MINIMAL["luminaire"]}).id
                 for i in range(6)]
        far = create_asset(s, "luminaire", {"code": "LUM-far", "geom": near(2950), **MINIMAL["luminaire"]}).id
        theirs = create_order(s, origin="alarm", category="lighting", priority="urgent", asset_ids=[far], at=WHEN).id
        transition(s, theirs, "assigned", None, crew_id=robot, at=WHEN)

    with unit_of_work(engine, None) as s:
        made = seed_tablet_orders(s, now=WHEN)
    assert len(made) == len(TABLET_ORDERS)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT o.crew_id, wa.asset_id FROM work_orders o JOIN work_order_assets wa "
                                 "ON wa.order_id = o.id WHERE o.id = ANY(:ids)"), {"ids": made}).all()
    assert {r.crew_id for r in rows} == {human} and {r.asset_id for r in rows} == set(lamps[:len(made)])
    assert _states(engine, made) == ["assigned"] * len(made)
    with unit_of_work(engine, None) as s:
        assert seed_tablet_orders(s, now=WHEN) == []  # loading twice changes nothing

    with unit_of_work(engine, None) as s:
        sent = simulated_crews.play(s, now=WHEN + dt.timedelta(minutes=5), work_min=8)
    assert [i.order_id for i in sent] == [theirs]  # the simulator's crew sets off, the tablet's does not
    assert _states(engine, made) == ["assigned"] * len(made)
    with unit_of_work(engine, None) as s:  # the person on site: the simulator does not close it for them
        transition(s, made[0], "en_route", None, at=WHEN + dt.timedelta(minutes=6))
        transition(s, made[0], "on_site", None, position=near(0), at=WHEN + dt.timedelta(minutes=10))
    with unit_of_work(engine, None) as s:
        later = simulated_crews.play(s, now=WHEN + dt.timedelta(minutes=40), work_min=8)
    assert made[0] not in [i.order_id for i in later]
    assert _states(engine, made)[0] == "on_site"


def test_no_tablet_member_no_orders(engine: Engine) -> None:
    with unit_of_work(engine, None) as s:
        assert seed_tablet_orders(s) == []


def test_the_cli_says_how_many_orders_it_made(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    lighting_policy(engine)
    lighting_policy(engine, "normal")
    lighting_policy(engine, "high")
    crew_with_van(engine, db_url, "Tablette", 0)
    with unit_of_work(engine, None) as s:
        s.execute(text("UPDATE users SET name = 'demo-crew' WHERE name = 'tablette'"))
        for i in range(5):
            create_asset(s, "luminaire", {"code": f"LUM-{i}", "geom": near(20 * i), **MINIMAL["luminaire"]})
    monkeypatch.setenv("DATABASE_URL", db_url)
    context.engine.cache_clear()
    try:
        cli = build_cli(demo_cmd)
        first = CliRunner().invoke(cli, ["demo", "tablet"])
        again = CliRunner().invoke(cli, ["demo", "tablet"])
    finally:
        if context.engine.cache_info().currsize:
            context.engine().dispose()
        context.engine.cache_clear()
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"crew tablet: {len(TABLET_ORDERS)} new order(s) for demo-crew's crew (")
    assert again.output == "crew tablet: 0 new order(s) for demo-crew's crew\n"
