"""The control room's work orders panel, on the real server and the demo city: open orders most urgent first
with their SLA clock (red when at risk), filters, a marker per order, a new order and an escalation heard live
without a reload, and assigning the proposed nearest qualified crew in one click."""

from __future__ import annotations

import datetime as dt

from shapely.geometry import Point
from sqlalchemy import Engine, text

from assets.db import unit_of_work
from fieldservice import crews
from fieldservice.escalation import escalate
from fieldservice.orders import create_order, transition
from tests.browser.helpers import lamps_near, open_control_room
from tests.fieldservice.helpers import crew_with_van, lighting_policy

DARCY = (5.0345, 47.3226)


def _order(engine: Engine, asset_id: int, minutes_ago: float, category: str = "lighting",
           priority: str = "urgent", description: str = "Lampadaire éteint") -> int:
    with unit_of_work(engine, None) as s:
        return create_order(s, origin="citizen", category=category, priority=priority, asset_ids=[asset_id],
                            description=description,
                            at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)).id


def test_the_orders_panel_lists_colours_filters_refreshes_and_assigns(
        page, server, sign_in, city_engine: Engine, city_db_url: str, errors) -> None:
    lighting_policy(city_engine)  # urgent lighting: response 120 min, make safe 240, resolution 480
    crew = crew_with_van(city_engine, city_db_url, "Équipe Darcy", 200, kind=None)
    with unit_of_work(city_engine, None) as s:  # on call every day, all day: proposed whatever the hour
        for weekday in range(7):
            crews.add_shift(s, crew, dt.time(0), dt.time(0), kind="on_call", weekday=weekday)
    (lamp_a, _), (lamp_b, _), (lamp_c, _), (lamp_d, _) = lamps_near(city_engine, *DARCY, 4, offset=300)
    at_risk = _order(city_engine, lamp_a, 100)  # 20 min left on the response clock
    calm = _order(city_engine, lamp_b, 10, description="Crosse endommagée")  # 110 min left
    video = _order(city_engine, lamp_c, 60, category="video", priority="normal", description="Caméra hors ligne")

    sign_in(page, "supervisor")
    open_control_room(page, server)
    items = page.locator("#cr-order-list li.cr-order")
    page.wait_for_function("() => document.querySelectorAll('#cr-order-list li.cr-order').length === 3")
    page.evaluate("() => { window.__same = true; }")
    assert [int(i) for i in items.evaluate_all("(els) => els.map((e) => e.dataset.id)")] == [at_risk, calm, video]
    first = page.locator(f"li.cr-order[data-id='{at_risk}']")
    assert first.get_attribute("data-level") == "risk"
    assert "intervention : reste 2" in first.inner_text() or "intervention : reste 19 min" in first.inner_text()
    assert "URGENT" in first.inner_text() and "non affecté" in first.inner_text()
    assert page.locator(f"li.cr-order[data-id='{calm}']").get_attribute("data-level") == "ok"
    assert "aucun délai en cours" in page.locator(f"li.cr-order[data-id='{video}']").inner_text()
    border = first.evaluate("(e) => getComputedStyle(e).borderLeftColor")
    assert border == "rgb(232, 89, 12)"
    assert page.evaluate("() => controlRoom.orders.markers.size") == 3
    assert page.locator("#cr-orders-count").inner_text() == "(3)"

    page.select_option("select[data-filter='category']", "video")
    page.wait_for_function("() => document.querySelectorAll('#cr-order-list li.cr-order').length === 1")
    assert items.first.get_attribute("data-id") == str(video)
    page.select_option("select[data-filter='category']", "")
    page.wait_for_function("() => document.querySelectorAll('#cr-order-list li.cr-order').length === 3")

    late = _order(city_engine, lamp_d, 125, description="Câble apparent")  # heard on the stream: already late
    page.wait_for_selector(f"li.cr-order[data-id='{late}'][data-level='late']", timeout=10000)
    assert "en retard de" in page.locator(f"li.cr-order[data-id='{late}']").inner_text()
    assert items.first.get_attribute("data-id") == str(late)
    with unit_of_work(city_engine, None) as s:
        escalated = {(e.order_id, e.level) for e in escalate(s)}
    assert (at_risk, "at_risk") in escalated and (late, "breached") in escalated
    page.wait_for_function("() => /menacé|dépassé/.test(document.getElementById('cr-announce').textContent)",
                           timeout=10000)

    first.locator("button[data-act='propose']").click()
    proposal = first.locator("li.cr-proposal").first
    proposal.wait_for(timeout=10000)
    assert "Équipe Darcy" in proposal.inner_text()
    page.evaluate("() => controlRoom.orders.render()")  # as any order event on the stream does
    assert "Équipe Darcy" in proposal.inner_text()  # the crews proposed stay while the list is drawn again
    proposal.locator("button[data-act='assign']").click()
    page.wait_for_function(
        f"() => document.querySelector(\"li.cr-order[data-id='{at_risk}']\")?.dataset.state === 'assigned'",
        timeout=10000)
    assert "Équipe Darcy" in page.locator(f"li.cr-order[data-id='{at_risk}'] .cr-order-crew").inner_text()
    assert page.evaluate("() => window.__same === true")  # all of it without a reload
    assert errors == []


def test_the_panel_in_english(page, server, sign_in, errors) -> None:
    sign_in(page, "operator")
    open_control_room(page, server, lang="en")
    page.wait_for_selector("#cr-orders-title")
    assert page.locator("#cr-orders-title").inner_text().startswith("Work orders")
    assert page.locator("select[data-filter='state'] option").first.inner_text() == "Open"
    assert errors == []


def test_the_proof_on_the_map_flags_an_arrival_reported_far_from_the_asset(
        page, server, sign_in, city_engine: Engine, city_db_url: str, errors) -> None:
    ((lamp, code),) = lamps_near(city_engine, *DARCY, 1, offset=40)
    crew = crew_with_van(city_engine, city_db_url, "Équipe Preuve", 100, kind=None)
    order = _order(city_engine, lamp, 30, description="Arrivée douteuse")
    with unit_of_work(city_engine, None) as s:
        x, y = s.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM assets WHERE id = :a"), {"a": lamp}).one()
        transition(s, order, "assigned", None, crew_id=crew)
        transition(s, order, "en_route", None)
        transition(s, order, "on_site", None, position=Point(x + 600, y), accuracy_m=10)  # 600 m away
    sign_in(page, "supervisor")
    open_control_room(page, server)
    item = page.locator(f"li.cr-order[data-id='{order}']")
    item.locator("button[data-act='proof']").click()
    page.wait_for_function(f"() => !document.querySelector(\"li.cr-order[data-id='{order}'] .cr-proof\").hidden",
                           timeout=10000)
    assert "Arrivée NON prouvée" in item.locator(".cr-proof").inner_text()
    drawn = page.evaluate("() => controlRoom.orders.proofLayer.getLayers()[0].getLayers().map("
                          "(l) => l.feature.properties.role)")
    assert drawn == ["asset", "move"]  # the lamp, and where the crew said it stood (en route gave no position)
    assert code in page.evaluate("() => controlRoom.orders.proofLayer.getLayers()[0].getLayers()[0]"
                                 ".getTooltip().getContent()")
    assert errors == []
