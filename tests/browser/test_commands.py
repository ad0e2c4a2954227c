"""Group commands from the control room (docs/CONTROL.md), with the real chain: the command worker, the
ingest and the simulated devices on the test broker (``tests/connectors/command_support``). A polygon
drawn on the map dims its lamps, device by device; a command to traffic signals waits for a second
person, who confirms it from their own control room."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from assets.accounts import set_password
from assets.db import make_engine, unit_of_work
from tests.browser.conftest import OriginGuard, start_server
from tests.browser.helpers import open_control_room
from tests.connectors import command_support as support
from tests.connectors.command_support import LAMPS, Stack
from tests.plugins.database import TEMPLATE, create_database
from tests.web.helpers import PASSWORD

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def street_db(pg_admin_url: str, template_url: str) -> str:
    return create_database(pg_admin_url, "cp_browser_street", template=TEMPLATE)


@pytest.fixture(scope="module")
def engine(street_db: str) -> Iterator[Engine]:
    made = make_engine(street_db)
    yield made
    made.dispose()


@pytest.fixture(scope="module")
def stack(engine: Engine, street_db: str, broker: Any, mqtt_url: str,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A lit street (8 lamps with controllers, a signal controller...) and the whole command chain running."""
    city = support.build_city(engine)
    with unit_of_work(engine, None) as session:
        for name in city.users:
            set_password(session, name, PASSWORD)
    with support.running_stack(engine, street_db, broker, mqtt_url, tmp_path_factory.mktemp("street"), city) as running:
        yield running


@pytest.fixture(scope="module")
def street_server(street_db: str, stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``citypilot serve`` on the lit street's database."""
    served, base = start_server(street_db, tmp_path_factory.mktemp("street-web"))
    try:
        yield base
    finally:
        served.stop()


@pytest.fixture
def guard(street_server: str) -> OriginGuard:
    """Here the app under test is the lit street's server."""
    return OriginGuard(street_server)


def _lonlat(engine: Engine, codes: list[str]) -> list[tuple[float, float]]:
    with engine.connect() as conn:
        return [(float(x), float(y)) for x, y in conn.execute(text(
            "SELECT ST_X(ST_Transform(geom, 4326)), ST_Y(ST_Transform(geom, 4326)) FROM assets WHERE code = ANY(:c)"
        ), {"c": codes})]


def _draw(page: Any, corners: list[tuple[float, float]], close: str) -> None:
    """Draw an area on the map through its corners (lon, lat), closed by ``close``: first, enter, dblclick."""
    page.click("button.cr-draw-button")
    box = page.locator("#cr-map").bounding_box()
    points = [page.evaluate("([lat, lon]) => { const p = controlRoom.city.map.latLngToContainerPoint([lat, lon]); "
                            "return [p.x, p.y]; }", [lat, lon]) for lon, lat in corners]
    for i, (x, y) in enumerate(points):
        if close == "dblclick" and i == len(points) - 1:
            page.mouse.dblclick(box["x"] + x, box["y"] + y)
        else:
            page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(350)  # not a double-click
    if close == "first":
        page.mouse.click(box["x"] + points[0][0], box["y"] + points[0][1])
    elif close == "enter":
        page.keyboard.press("Enter")
    page.locator("#cr-command-form").wait_for(state="visible")


def _box(points: list[tuple[float, float]], pad: float) -> list[tuple[float, float]]:
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    w, e, s, n = min(lons) - pad, max(lons) + pad, min(lats) - pad, max(lats) + pad
    return [(w, s), (e, s), (e, n), (w, n)]


def test_a_polygon_dims_its_lamps_device_by_device(page, street_server, sign_in, stack: Stack, engine: Engine,
                                                   errors) -> None:
    lamps = [f"LUM-C{i:02d}" for i in range(1, LAMPS + 1)]
    where = _lonlat(engine, lamps)
    centre = (sum(p[1] for p in where) / len(where), sum(p[0] for p in where) / len(where))
    sign_in(page, "olga")
    open_control_room(page, street_server, view=(*centre, 18))
    _draw(page, _box(where, 0.0002), close="first")
    assert page.locator("#cr-command-kind").input_value() == "luminaire"
    page.locator("#cr-command-level").fill("30")
    assert page.locator("#cr-command-level-out").inner_text() == "30 %"
    page.fill("#cr-command-comment", "test from the control room")
    page.click("#cr-command-form button[type=submit]")

    done = page.locator(".cr-command-state[data-state='done']")
    done.wait_for(timeout=45000)
    rows = page.locator(".cr-targets li")
    assert rows.count() == LAMPS
    assert page.locator(".cr-targets li[data-state='verified']").count() == LAMPS
    assert "vérifiée" in rows.first.inner_text()
    with engine.connect() as conn:
        levels = dict(conn.execute(text(
            "SELECT a.code, (l.values ->> 'dim_level')::float FROM assets a JOIN live_state l ON l.asset_id = a.id "
            "WHERE a.code = ANY(:c)"), {"c": lamps}).tuples().all())
    assert levels == dict.fromkeys(lamps, 30.0)
    assert errors == []


def test_flashing_signals_waits_for_a_second_person(page, other_page, street_server, sign_in, stack: Stack,
                                                    engine: Engine, errors) -> None:
    where = _lonlat(engine, ["CRF-C1"])
    sign_in(page, "olga")
    open_control_room(page, street_server, view=(where[0][1], where[0][0], 18))
    _draw(page, _box(where, 0.00012), close="dblclick")
    page.select_option("#cr-command-kind", "signal_controller")
    assert page.locator("#cr-command-signal-note").is_visible()
    page.select_option("#cr-command-action", "flash")
    page.click("#cr-command-form button[type=submit]")
    page.locator(".cr-command-state[data-state='awaiting_confirmation']").wait_for(timeout=10000)
    assert page.locator("#cr-command-progress button", has_text="Confirmer").count() == 0  # not by the requester

    sign_in(other_page, "sam")
    open_control_room(other_page, street_server)
    pending = other_page.locator("#cr-pending-list li")
    pending.first.wait_for(timeout=10000)
    assert "olga" in pending.first.inner_text() and "mode clignotant" in pending.first.inner_text()
    pending.first.get_by_role("button", name="Confirmer").click()
    other_page.locator(".cr-command-state[data-state='done']").wait_for(timeout=30000)
    page.locator(".cr-command-state[data-state='done']").wait_for(timeout=10000)  # the requester's page, live
    assert page.locator(".cr-targets li[data-state='verified']").count() == 1
    assert errors == []
