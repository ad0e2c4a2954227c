"""The control room in a real browser: the whole city drawn from the platform's tiles, a click opens the
right asset, a lamp failure turns it red without a reload, vehicles move, only the control-room roles
get in, French and English."""

from __future__ import annotations

import contextlib
import datetime as dt

from sqlalchemy import Engine, select, text

from assets.live.records import Position
from assets.live.writer import LiveWriter
from assets.models import Asset
from tests.browser.helpers import (
    DRAWN_CANVASES,
    FEATURE_PIXELS,
    RED,
    TILES_LOADED,
    lamps_near,
    lonlat,
    near,
    open_control_room,
    report,
)

DARCY = (5.0345, 47.3226)  # lon, lat: central Dijon


def test_the_map_shows_the_whole_city(page, server, sign_in, errors) -> None:
    tiles = []
    page.on("response", lambda r: tiles.append((r.url, r.status)) if "/tiles/" in r.url or "/basemap/" in r.url
            else None)
    sign_in(page, "supervisor")
    open_control_room(page, server)

    asked = {url.split("/")[-4] if "/tiles/" in url else "basemap" for url, _ in tiles}
    assert {"lighting", "traffic", "video", "network", "environment", "energy", "basemap"} <= asked
    assert all(status in (200, 204, 304) for _, status in tiles), [t for t in tiles if t[1] >= 400][:5]
    drawn = page.evaluate(DRAWN_CANVASES, "cr-assets")
    assert drawn["total"] > 20 and drawn["drawn"] >= 10, drawn  # canvases, not DOM markers
    assert page.evaluate(DRAWN_CANVASES, "cr-basemap")["drawn"] >= 5
    assert page.locator(".cr-map .leaflet-marker-icon").count() == 0
    counters = page.locator("#cr-counters li.counter")
    assert counters.count() >= 6
    assert "Éclairage public" in page.locator("#cr-counters").inner_text()
    assert page.locator("#cr-stream[data-state=live]").count() == 1 or page.wait_for_selector(
        "#cr-stream[data-state=live]", timeout=10000)
    assert errors == []


def test_a_click_on_a_lamp_opens_it(page, server, sign_in, city_engine: Engine, errors) -> None:
    (lamp_id, code), = lamps_near(city_engine, *DARCY, 1)
    lon, lat = lonlat(city_engine, lamp_id)
    sign_in(page, "operator")
    open_control_room(page, server, view=(lat, lon, 18))
    point = page.evaluate("([lat, lon]) => { const p = controlRoom.city.map.latLngToContainerPoint([lat, lon]); "
                          "return [p.x, p.y]; }", [lat, lon])
    box = page.locator("#cr-map").bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])

    panel = page.locator("#cr-panel")
    panel.wait_for(state="visible")
    page.wait_for_function("(code) => document.querySelector('#cr-panel-title').textContent.includes(code)", arg=code)
    assert panel.get_attribute("data-asset-id") == str(lamp_id)
    body = page.locator("#cr-panel-body")
    body.locator(".cr-attrs").first.wait_for()
    assert "Statut d'inventaire" in body.inner_text() and "en service" in body.inner_text()
    assert body.locator("h3", has_text="Historique").count() == 1
    body.locator("summary", has_text="Ouvrir un ordre de travail").click()  # an inspection, from the panel
    body.locator("select[name='priority']").select_option("high")
    body.locator("textarea[name='description']").fill("Crosse tordue après un choc")
    body.get_by_role("button", name="Ouvrir l’ordre").click()
    page.wait_for_function("() => /Ordre de travail \\d+ ouvert/.test("
                           "document.querySelector('.cr-order-form [role=status]').textContent)", timeout=10000)
    order_id = int(body.locator(".cr-order-form [role=status]").inner_text().split()[3])
    with city_engine.connect() as conn:
        stored = conn.execute(text("SELECT origin, category, priority, description FROM work_orders WHERE id = :o"),
                              {"o": order_id}).one()
    assert tuple(stored) == ("inspection", "lighting", "high", "Crosse tordue après un choc")
    with city_engine.begin() as conn:  # the city is shared: the orders panel's tests count its orders
        conn.execute(text("DELETE FROM work_orders WHERE id = :o"), {"o": order_id})
    page.keyboard.press("Escape")
    assert panel.is_hidden()
    assert errors == []


def test_a_lamp_failure_turns_it_red_without_a_reload(page, server, sign_in, city_engine: Engine, city_db_url: str,
                                                      errors) -> None:
    (lamp_id, _code), = lamps_near(city_engine, *DARCY, 1, offset=40)
    lon, lat = lonlat(city_engine, lamp_id)
    report(city_db_url, lamp_id, "ok", {"power_w": 38.0, "dim_level": 100})
    sign_in(page, "supervisor")
    open_control_room(page, server, view=(lat, lon, 18))
    page.evaluate("() => { window.__loaded = performance.timeOrigin; }")
    fault_before = page.evaluate("() => controlRoom.counters.families.lighting.fault")

    report(city_db_url, lamp_id, "fault", {"lamp_failure": True, "power_w": 0.0})
    page.wait_for_function("(id) => controlRoom.city.live.get(id) === 'fault'", arg=lamp_id, timeout=10000)
    page.wait_for_timeout(100)  # the next animation frame draws it
    drawn = page.evaluate(FEATURE_PIXELS, ["lighting", lamp_id])
    assert drawn is not None and drawn["fillColor"] == "#d62728"
    assert sum(near(p, RED) for p in drawn["pixels"]) >= 10, drawn["pixels"][:10]
    assert page.evaluate("() => window.__loaded === performance.timeOrigin")  # the same page: no reload
    page.wait_for_function("(n) => controlRoom.counters.families.lighting.fault === n + 1", arg=fault_before)
    assert errors == []


def test_vehicles_move_with_the_stream(page, server, sign_in, city_engine: Engine, city_db_url: str, errors) -> None:
    with city_engine.connect() as conn:
        van = conn.execute(select(Asset.id).where(Asset.kind == "vehicle").order_by(Asset.id).limit(1)).scalar_one()
    at = dt.datetime.now(dt.UTC)
    with LiveWriter(city_db_url, client="browser-tests") as writer:
        writer.write([Position(van, at, 5.03, 47.32, speed_kmh=20, heading_deg=90)])
    sign_in(page, "supervisor")
    open_control_room(page, server)
    page.wait_for_function("(id) => controlRoom.vehicles.markers.has(id)", arg=van)
    with LiveWriter(city_db_url, client="browser-tests") as writer:
        writer.write([Position(van, at + dt.timedelta(seconds=5), 5.04, 47.33, speed_kmh=30, heading_deg=45)])
    page.wait_for_function("(id) => { const ll = controlRoom.vehicles.markers.get(id).marker.getLatLng(); "
                           "return Math.abs(ll.lat - 47.33) < 1e-6 && Math.abs(ll.lng - 5.04) < 1e-6; }", arg=van)
    assert page.locator(".leaflet-marker-icon").count() == 0  # canvas circles, not DOM markers
    assert errors == []


def test_a_crew_or_a_planner_account_cannot_open_the_control_room(page, server, sign_in) -> None:
    for role in ("crew", "planner", "public"):
        page.context.clear_cookies()
        sign_in(page, role)
        response = page.goto(f"{server}/control-room")
        assert response.status == 403, role
    page.context.clear_cookies()
    response = page.goto(f"{server}/control-room")
    assert "/login" in page.url  # anonymous: the login page first


def test_french_and_english(page, server, sign_in, errors) -> None:
    sign_in(page, "admin")
    open_control_room(page, server, lang="en")
    assert page.locator("h1").inner_text() == "Control room"
    assert "Public lighting" in page.locator("#cr-counters").inner_text()
    page.click("a[hreflang=fr]")
    page.wait_for_function("() => document.documentElement.lang === 'fr' && window.controlRoom")
    assert page.locator("h1").inner_text() == "Poste de pilotage"
    page.click(".cr-switcher-toggle")
    switcher = page.locator(".cr-switcher-body").inner_text()
    assert "Éclairage public" in switcher and "en panne" in switcher and "Véhicules" in switcher
    assert page.locator("button.cr-draw-button").inner_text() == "Sélectionner une zone"
    assert errors == []


def test_find_by_code_and_clusters_at_low_zoom(page, server, sign_in, city_engine: Engine, errors) -> None:
    (lamp_id, code), = lamps_near(city_engine, *DARCY, 1, offset=120)
    sign_in(page, "supervisor")
    open_control_room(page, server, lang="en")
    page.fill("#cr-search-input", code)
    page.keyboard.press("Enter")
    page.wait_for_function("(code) => document.querySelector('#cr-panel-title').textContent.includes(code)", arg=code)
    assert page.locator("#cr-panel").get_attribute("data-asset-id") == str(lamp_id)
    page.keyboard.press("Escape")

    # the whole metropole: light points are clusters with their counts; a click shows them per state
    page.evaluate("() => controlRoom.city.map.setZoom(11, { animate: false })")
    page.wait_for_timeout(100)
    page.wait_for_function(TILES_LOADED, timeout=20000)
    cluster = page.evaluate("""() => {
      const layer = controlRoom.city.layers.lighting;
      let best = null;
      for (const tile of Object.values(layer._vectorTiles)) {
        for (const f of Object.values(tile._layers)) {
          if (f.properties.count && (!best || f.properties.count > best.count)) {
            const c = tile.getCoord(), size = layer.getTileSize();
            const at = L.point(c.x * size.x + f._point.x, c.y * size.y + f._point.y);
            const ll = controlRoom.city.map.unproject(at, c.z);
            const p = controlRoom.city.map.latLngToContainerPoint(ll);
            best = { count: f.properties.count, x: p.x, y: p.y, label: f.options.label };
          }
        }
      }
      return best;
    }""")
    assert cluster and cluster["count"] > 100 and cluster["label"] == str(cluster["count"])
    box = page.locator("#cr-map").bounding_box()
    page.mouse.click(box["x"] + cluster["x"], box["y"] + cluster["y"])
    popup = page.locator(".cr-cluster-popup")
    popup.wait_for()
    assert "devices here" in popup.inner_text()
    assert errors == []


def test_no_request_leaves_the_origin(page, context, server, sign_in, guard, errors) -> None:
    """Two locks: the page's policy refuses other origins, and every test's guard aborts what would still go."""
    sign_in(page, "supervisor")
    open_control_room(page, server)
    assert guard.foreign == [] and errors == []
    page.evaluate("() => fetch('https://tile.openstreetmap.org/0/0/0.png').catch(() => null)")
    page.wait_for_timeout(200)
    assert any("Content Security Policy" in e for e in errors)  # refused by the page itself
    assert guard.foreign == []
    errors.clear()

    elsewhere = context.new_page()
    with contextlib.suppress(Exception):  # aborted by the guard, as wanted
        elsewhere.goto("https://tile.openstreetmap.org/0/0/0.png")
    assert guard.foreign == ["https://tile.openstreetmap.org/0/0/0.png"]
    guard.foreign.clear()
