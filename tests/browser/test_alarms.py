"""Alarms in the control room (docs/CONTROL.md), with the real alarm engine (``citypilot alarms run``):
a lamp failure adds its alarm to the list without a reload; "show on map" goes there; acknowledging
records who, and another person's page sees it live; the repair clears it."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy import text as sql

from assets.live.records import Event
from assets.live.writer import LiveWriter
from tests.browser.conftest import Process, start_cli, wait_for_log
from tests.browser.helpers import lamps_near, lonlat, open_control_room, report
from tests.web.helpers import People

ENGINE = "from app.cli import build_cli, alarms_cmd; build_cli(alarms_cmd).main(prog_name='citypilot')"
DARCY = (5.0345, 47.3226)


@pytest.fixture(scope="module")
def alarm_engine(city_db_url: str, server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """The alarm engine, as ``make demo`` runs it, on the browser tests' city."""
    engine = start_cli(["alarms", "run", "--sweep", "1"], city_db_url, tmp_path_factory.mktemp("alarms"), "alarms",
                       cli=ENGINE)
    try:
        wait_for_log(engine, "alarm engine ready")
        yield engine
    finally:
        engine.stop()


def _api(server: str, token: str, path: str) -> dict:
    request = urllib.request.Request(server + "/api/v1" + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def test_a_failure_raises_an_alarm_that_is_acknowledged_and_cleared_live(
        page, other_page, server, sign_in, city_engine: Engine, city_db_url: str, city_people: People,
        alarm_engine: Process, errors) -> None:
    (lamp_id, code), = lamps_near(city_engine, *DARCY, 1, offset=80)
    lon, lat = lonlat(city_engine, lamp_id)
    report(city_db_url, lamp_id, "ok", {"power_w": 35.0})
    sign_in(page, "supervisor")
    open_control_room(page, server)
    sign_in(other_page, "operator")
    open_control_room(other_page, server, lang="en")
    page.evaluate("() => { window.__same = true; }")

    report(city_db_url, lamp_id, "fault", {"lamp_failure": True, "power_w": 0.0})
    item = page.locator(f"li.cr-alarm[data-asset-id='{lamp_id}']")
    item.wait_for(timeout=15000)
    assert page.evaluate("() => window.__same === true")  # no reload
    text = item.inner_text()
    assert "Point lumineux en panne" in text and code in text
    other_page.locator(f"li.cr-alarm[data-asset-id='{lamp_id}']").wait_for(timeout=10000)

    item.get_by_role("button", name="Voir sur la carte").click()
    page.wait_for_function("(code) => document.querySelector('#cr-panel-title').textContent.includes(code)", arg=code)
    centre = page.evaluate("() => { const c = controlRoom.city.map.getCenter(); return [c.lat, c.lng]; }")
    page.wait_for_function("([lat, lon]) => { const c = controlRoom.city.map.getCenter(); "
                           "return Math.abs(c.lat - lat) < 1e-3 && Math.abs(c.lng - lon) < 1e-3; }", arg=[lat, lon])
    assert centre is not None

    item.focus()
    page.keyboard.press("a")  # acknowledge from the keyboard
    acknowledged = page.locator(f"li.cr-alarm[data-asset-id='{lamp_id}'][data-state='acknowledged']")
    acknowledged.wait_for(timeout=10000)
    assert "Acquittée par supervisor" in acknowledged.inner_text()
    seen = other_page.locator(f"li.cr-alarm[data-asset-id='{lamp_id}'][data-state='acknowledged']")
    seen.wait_for(timeout=10000)  # the other person's page, live from the stream
    assert "Acknowledged by supervisor" in seen.inner_text()
    stored = _api(server, city_people["admin"].token, f"/alarms?asset_id={lamp_id}&state=all")["items"]
    assert [a["acknowledged_by"] for a in stored if a["type"] == "lamp_failure"] == ["supervisor"]

    acknowledged.locator("button[data-act='order']").click()  # open its work order from the alarm
    page.wait_for_function("() => /Ordre de travail \\d+ ouvert/.test(document.querySelector('.cr-alarm-order')"
                           "?.textContent || '')", timeout=10000)
    order_id = int(page.locator(".cr-alarm-order").inner_text().split()[3])
    assert _api(server, city_people["admin"].token, f"/work-orders/{order_id}")["origin"] == "alarm"
    acknowledged.locator("button[data-act='order']").click()  # a second click opens nothing more
    page.wait_for_function("() => /traite cette alarme/.test(document.querySelector('.cr-alarm-order')"
                           "?.textContent || '')", timeout=10000)
    with city_engine.begin() as conn:  # the city is shared: the orders panel's tests count its orders
        conn.execute(sql("DELETE FROM work_orders WHERE id = :o"), {"o": order_id})

    report(city_db_url, lamp_id, "ok", {"lamp_failure": False, "power_w": 35.0})
    page.locator(f"li.cr-alarm[data-asset-id='{lamp_id}']").wait_for(state="detached", timeout=15000)
    assert errors == []


def test_a_cabinet_trip_is_one_cause_that_lists_what_it_feeds(page, server, sign_in, city_engine: Engine,
                                                              city_db_url: str, alarm_engine: Process, errors) -> None:
    with city_engine.connect() as conn:
        cabinet, code = conn.execute(text(
            "SELECT id, code FROM assets WHERE kind = 'cabinet' ORDER BY geom <-> "
            "ST_Transform(ST_SetSRID(ST_MakePoint(5.02, 47.31), 4326), 2154) LIMIT 1")).one()
    sign_in(page, "operator")
    open_control_room(page, server, lang="en")
    with LiveWriter(city_db_url, client="browser-tests") as writer:
        writer.write([Event(cabinet, dt.datetime.now(dt.UTC), "cabinet_trip", {"source": "browser test"})])
    item = page.locator(f"li.cr-alarm[data-asset-id='{cabinet}']")
    item.wait_for(timeout=15000)
    assert "Cabinet tripped" in item.inner_text() and code in item.inner_text()
    expand = item.locator("button[data-act='expand']")
    expand.wait_for(timeout=15000)
    count = int(expand.inner_text().split()[0])
    assert count > 5
    expand.click()
    assert expand.get_attribute("aria-expanded") == "true"
    affected = item.locator(".cr-affected li")
    affected.first.wait_for(timeout=10000)
    assert affected.count() == count
    affected.first.locator("button").click()  # show one of them on the map
    page.wait_for_function("() => controlRoom.city.map.getZoom() >= 17")
    with LiveWriter(city_db_url, client="browser-tests") as writer:
        writer.write([Event(cabinet, dt.datetime.now(dt.UTC), "cabinet_reset", {})])
    page.locator(f"li.cr-alarm[data-asset-id='{cabinet}']").wait_for(state="detached", timeout=15000)
    assert errors == []
