"""The crew tablet in a real headless Chromium at tablet size with touch, on the real server (gunicorn) and the demo
city: a crew member sees its crew's orders only, most urgent first, closes one on site (on my way → on site with
the tablet's position → checklist → a photo through the camera input → signature → done) and the order is closed
in the database with its attachments; with the web server stopped, three actions and a photo are queued on the
tablet, the page opens again from the service worker, and once the server is back each is applied exactly once;
replaying the same queue applies nothing; a queued action on an order reassigned meanwhile is shown as refused
with what happened."""

from __future__ import annotations

import base64
import datetime as dt
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from assets.accounts import set_password
from assets.db import make_engine, unit_of_work
from fieldservice import crews, dispatch
from fieldservice.orders import create_order, transition
from tests.browser.conftest import OriginGuard, Process, free_port, start_cli, watch
from tests.browser.helpers import lamps_near, lonlat
from tests.fieldservice.helpers import lighting_policy, user
from tests.plugins.database import create_database
from tests.web.helpers import PASSWORD, People, make_people

ROOT = Path(__file__).resolve().parents[2]
TABLET = {"width": 1280, "height": 800}  # a 10-inch tablet, landscape
DARCY = (5.0345, 47.3226)
SHOTS = ROOT / "docs" / "screenshots"
#: A camera photo: 3000 × 2000 JPEG drawn by the browser itself (the tablet must shrink it to ≤ 1600 px).
CAMERA_JPEG = """async () => {
  const c = document.createElement('canvas'); c.width = 3000; c.height = 2000;
  const g = c.getContext('2d');
  const grad = g.createLinearGradient(0, 0, 3000, 2000); grad.addColorStop(0, '#345'); grad.addColorStop(1, '#fc6');
  g.fillStyle = grad; g.fillRect(0, 0, 3000, 2000); g.fillStyle = '#fff'; g.font = '200px sans-serif';
  g.fillText('LUM', 900, 1100);
  const blob = await new Promise((r) => c.toBlob(r, 'image/jpeg', 0.95));
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let s = ''; for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}"""


@dataclass
class Served:
    """A ``citypilot serve`` that a test may stop and start again on the same port (the tablet's origin)."""

    db_url: str
    home: Path
    port: int
    process: Process | None = None
    env: dict[str, str] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = start_cli(["serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
                                  "--threads", "16"], self.db_url, self.home, "serve",
                                 {"CITYPILOT_AUTH_CACHE_S": "1", **(self.env or {})})
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            assert self.process.process.poll() is None and time.monotonic() < deadline, self.process.text()[-2000:]
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


@pytest.fixture(scope="module")
def tablet_db_url(pg_admin_url: str, demo_db_url: str, demo_engine: Engine) -> str:
    """A copy of the demo city of its own: the tablet's crews, policies and orders stay out of the other tests."""
    demo_engine.dispose()  # CREATE DATABASE ... TEMPLATE needs the demo database idle
    return create_database(pg_admin_url, "cp_tablet", template="cp_demo")


@pytest.fixture(scope="module")
def tablet_engine(tablet_db_url: str) -> Iterator[Engine]:
    engine = make_engine(tablet_db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def tablet_people(tablet_engine: Engine) -> People:
    with unit_of_work(tablet_engine, None) as session:
        people = make_people(session)
        for person in people.values():
            set_password(session, person.name, PASSWORD)
    return people


@pytest.fixture(scope="module")
def tablet_server(tablet_db_url: str, tablet_people: People,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = Served(tablet_db_url, tmp_path_factory.mktemp("tablet-home"), free_port())
    served.start()
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
def guard(tablet_server: Served) -> OriginGuard:
    return OriginGuard(tablet_server.base)


def tablet(browser: object, guard: OriginGuard, errors: list[str], *, locale: str = "fr-FR",
           where: tuple[float, float] = DARCY) -> tuple[object, object]:
    """A tablet: 1280 × 800, touch, geolocation allowed at ``where`` (lon, lat); no other origin reachable."""
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport=TABLET, has_touch=True, is_mobile=True, device_scale_factor=1, locale=locale,
        timezone_id="Europe/Paris", geolocation={"longitude": where[0], "latitude": where[1], "accuracy": 8},
        permissions=["geolocation"])
    context.route(guard.matches, guard)
    return context, watch(context.new_page(), errors)


@pytest.fixture(scope="module")
def my_crew(tablet_engine: Engine, tablet_people: People) -> int:
    """The crew of the test's ``crew`` person (lighting, cleared)."""
    me = tablet_people["crew"].id
    with unit_of_work(tablet_engine, None) as s:
        crew = crews.create_crew(s, "Équipe Tablette", ["lighting"]).id
        crews.add_member(s, crew, me)
        crews.set_clearance(s, me, "BR", dt.date(2030, 1, 1))
        for weekday in range(7):
            crews.add_shift(s, crew, dt.time(0), dt.time(0), kind="on_call", weekday=weekday)
    lighting_policy(tablet_engine)  # urgent lighting: response 120 min, make safe 240, resolution 480
    lighting_policy(tablet_engine, "normal")
    return crew


@pytest.fixture(scope="module")
def other_crew(tablet_engine: Engine) -> int:
    member = user(tablet_engine, "tablet-other")
    with unit_of_work(tablet_engine, None) as s:
        crew = crews.create_crew(s, "Équipe Voisine", ["lighting"]).id
        crews.add_member(s, crew, member)
        crews.set_clearance(s, member, "BR", dt.date(2030, 1, 1))
        for weekday in range(7):
            crews.add_shift(s, crew, dt.time(0), dt.time(0), kind="on_call", weekday=weekday)
    return crew


def assigned(engine: Engine, asset_id: int, crew: int, minutes_ago: float, priority: str = "urgent",
             description: str = "Lampadaire éteint") -> int:
    with unit_of_work(engine, None) as s:
        order = create_order(s, origin="citizen", category="lighting", priority=priority, asset_ids=[asset_id],
                             description=description,
                             at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago))
        dispatch.assign(s, order.id, crew, None, None)
        return order.id


def scalar(engine: Engine, sql: str, **params: object) -> object:
    with unit_of_work(engine, None) as s:
        return s.execute(text(sql), params).scalar_one()


def sign_in(page: object, base: str, name: str = "crew") -> None:
    page.goto(f"{base}/login?next=/crew/")  # type: ignore[attr-defined]
    page.fill("input[name=username]", name)  # type: ignore[attr-defined]
    page.fill("input[name=password]", PASSWORD)  # type: ignore[attr-defined]
    with page.expect_navigation():  # type: ignore[attr-defined]
        page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("#ct-main[data-ready='true']")  # type: ignore[attr-defined]


def controlled(page: object) -> None:
    """Wait until the service worker controls the page (reloading once it is installed)."""
    page.evaluate("() => navigator.serviceWorker.ready")  # type: ignore[attr-defined]
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):  # type: ignore[attr-defined]
        page.reload()  # type: ignore[attr-defined]
    page.wait_for_function("() => !!navigator.serviceWorker.controller")  # type: ignore[attr-defined]
    page.wait_for_selector("#ct-main[data-ready='true']")  # type: ignore[attr-defined]


def queued(page: object) -> int:
    return page.evaluate("async () => (await crewTablet.waiting()).length")  # type: ignore[attr-defined]


def take_photo(page: object) -> None:
    data = base64.b64decode(page.evaluate(CAMERA_JPEG))  # type: ignore[attr-defined]
    page.set_input_files("#ct-photo-input", files=[  # type: ignore[attr-defined]
        {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": data}])


def sign(page: object) -> None:
    pad = page.locator("canvas.ct-signature")  # type: ignore[attr-defined]
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y = box["x"] + 40, box["y"] + box["height"] / 2
    page.mouse.move(x, y)  # type: ignore[attr-defined]
    page.mouse.down()  # type: ignore[attr-defined]
    for step in range(1, 12):
        page.mouse.move(x + step * 30, y + (15 if step % 2 else -15))  # type: ignore[attr-defined]
    page.mouse.up()  # type: ignore[attr-defined]
    page.locator("[data-act='save-signature']").tap()  # type: ignore[attr-defined]


def shoot(page: object, lang: str) -> None:
    """The order page for the README (docs/screenshots/crew-order-LANG.png), from its top, all sent."""
    page.wait_for_function("() => document.getElementById('ct-queue').dataset.count === '0'")  # type: ignore[attr-defined]
    page.evaluate("() => window.scrollTo(0, 0)")  # type: ignore[attr-defined]
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"crew-order-{lang}.png"))  # type: ignore[attr-defined]


def all_sent(page: object, timeout_s: float = 20) -> None:
    """Wait until the queue in IndexedDB is empty (the counter alone may not have drawn a just-queued action)."""
    deadline = time.monotonic() + timeout_s
    while queued(page):
        assert time.monotonic() < deadline, "the queue was not sent"
        page.wait_for_timeout(200)  # type: ignore[attr-defined]
    page.wait_for_function("() => document.getElementById('ct-queue').dataset.count === '0'")  # type: ignore[attr-defined]


def move(page: object, to: str) -> None:
    page.locator(f"#ct-moves button[data-to='{to}']").tap()  # type: ignore[attr-defined]
    page.wait_for_function(f"() => document.getElementById('ct-state')?.dataset.state === '{to}'")  # type: ignore[attr-defined]


def test_a_crew_sees_its_orders_and_closes_one_with_checklist_photo_and_signature(
        browser, guard, errors, tablet_server: Served, my_crew: int, other_crew: int, tablet_engine: Engine) -> None:
    (lamp_a, _), (lamp_b, _), (lamp_c, _) = lamps_near(tablet_engine, *DARCY, 3, offset=500)
    calm = assigned(tablet_engine, lamp_b, my_crew, 10, description="Crosse endommagée")  # 110 min left
    at_risk = assigned(tablet_engine, lamp_a, my_crew, 100)  # 20 min left on the response clock
    theirs = assigned(tablet_engine, lamp_c, other_crew, 50, description="Pas la nôtre")
    context, page = tablet(browser, guard, errors, where=lonlat(tablet_engine, lamp_a))
    try:
        sign_in(page, tablet_server.base)
        cards = page.locator("#ct-cards li.ct-card")
        shown = [int(i) for i in cards.evaluate_all("(els) => els.map((e) => e.dataset.id)")]
        assert at_risk in shown and calm in shown and theirs not in shown
        assert shown.index(at_risk) < shown.index(calm)  # the most urgent first
        first = page.locator(f"li.ct-card[data-id='{at_risk}']")
        assert first.get_attribute("data-level") == "risk"
        assert "intervention : reste" in first.inner_text() and "URGENT" in first.inner_text().upper()
        page.wait_for_function(f"() => /à \\d+ m/.test(document.querySelector(\"li.ct-card[data-id='{at_risk}']\")"
                               ".textContent)")  # the distance from the tablet's position
        assert first.evaluate("(e) => getComputedStyle(e).borderLeftColor") == "rgb(194, 65, 12)"
        assert page.locator("#ct-net").inner_text() == "En ligne"

        first.locator("a").tap()
        page.wait_for_selector(f"#ct-order[data-id='{at_risk}']")
        assert page.locator("a.ct-navigate").get_attribute("href").startswith("geo:47.")
        assert [b.get_attribute("data-to") for b in page.locator("#ct-moves button").all()] == ["en_route"]
        move(page, "en_route")
        page.wait_for_function("() => document.getElementById('ct-queue').dataset.count === '0'")
        move(page, "on_site")
        page.wait_for_function("() => document.getElementById('ct-presence')?.classList.contains('ct-ok')")
        for box in page.locator("#ct-checklist li.ct-check").all():
            box.locator("input").tap()
        take_photo(page)
        page.wait_for_function("() => document.querySelectorAll('#ct-photos li[data-kind=photo]').length === 1")
        sign(page)
        page.fill("#ct-parts input[name=reference]", "DRV-350MA")
        page.locator("#ct-parts [data-act='part']").tap()
        page.fill("#ct-notes textarea[name=text]", "Driver grillé, remplacé")
        page.locator("#ct-notes [data-act='note']").tap()
        page.wait_for_selector("#ct-notes li:has-text('Driver grillé, remplacé')")
        page.wait_for_function("() => document.getElementById('ct-queue').dataset.count === '0'", timeout=20000)
        page.wait_for_function("() => document.querySelectorAll('#ct-photos li:not(.ct-pending)').length === 2")
        shoot(page, "fr")
        page.goto(f"{tablet_server.base}/crew/?lang=en#/order/{at_risk}")
        page.wait_for_selector(f"#ct-order[data-id='{at_risk}']")
        assert page.locator("#ct-net").inner_text() == "Online"
        shoot(page, "en")
        move(page, "done")
        all_sent(page)
        assert page.locator("#ct-refused").is_hidden(), page.locator("#ct-refused").inner_text()
        width = page.evaluate("""async () => {
          const img = document.querySelector('#ct-photos li.ct-thumb[data-kind=photo] img');
          await img.decode(); return [img.naturalWidth, img.naturalHeight]; }""")
        assert width == [1600, 1067]
    finally:
        context.close()
    assert scalar(tablet_engine, "SELECT state FROM work_orders WHERE id = :o", o=at_risk) == "done"
    kinds = scalar(tablet_engine, "SELECT array_agg(kind || ':' || content_type ORDER BY kind) FROM "
                                "work_order_attachments WHERE order_id = :o", o=at_risk)
    assert kinds == ["photo:image/jpeg", "signature:image/png"]
    assert scalar(tablet_engine, "SELECT count(*) FROM work_order_parts WHERE order_id = :o", o=at_risk) == 1
    assert scalar(tablet_engine, "SELECT count(*) FROM work_order_notes WHERE order_id = :o", o=at_risk) == 1
    assert scalar(tablet_engine, "SELECT count(*) FROM work_order_attachments WHERE order_id = :o AND geom IS NOT NULL",
                  o=at_risk) == 2  # the photo and the signature, where they were taken
    assert errors == []


def test_with_the_server_stopped_the_work_is_queued_then_applied_once_and_a_refusal_is_shown(
        browser, guard, errors, tablet_server: Served, my_crew: int, other_crew: int, tablet_engine: Engine) -> None:
    (lamp, _), (lamp_e, _) = lamps_near(tablet_engine, *DARCY, 2, offset=700)
    order = assigned(tablet_engine, lamp, my_crew, 30, priority="normal", description="Mât penché")
    taken = assigned(tablet_engine, lamp_e, my_crew, 20, priority="normal", description="Sera réaffecté")
    context, page = tablet(browser, guard, errors, where=lonlat(tablet_engine, lamp))
    try:
        sign_in(page, tablet_server.base)
        controlled(page)
        for shown in (taken, order):  # read once online: kept by the service worker
            page.goto(f"{tablet_server.base}/crew/#/order/{shown}")
            page.wait_for_selector(f"#ct-order[data-id='{shown}']")
        tablet_server.stop()
        page.reload()  # the shell and the order come from the tablet
        page.wait_for_selector(f"#ct-order[data-id='{order}']")
        page.locator("#ct-moves button[data-to='en_route']").tap()
        page.wait_for_function("() => document.getElementById('ct-net').dataset.online === 'false'")
        page.locator("#ct-moves button[data-to='on_site']").tap()
        page.fill("#ct-notes textarea[name=text]", "Mât redressé, à surveiller")
        page.locator("#ct-notes [data-act='note']").tap()
        take_photo(page)
        page.wait_for_function("() => document.querySelectorAll('#ct-photos li.ct-pending').length === 1")
        page.goto(f"{tablet_server.base}/crew/#/order/{taken}")
        page.wait_for_selector(f"#ct-order[data-id='{taken}']")
        page.locator("#ct-moves button[data-to='en_route']").tap()
        page.wait_for_function("() => document.getElementById('ct-queue').dataset.count === '5'")
        assert "5 actions en attente" in page.locator("#ct-queue").inner_text()
        assert "Hors ligne" in page.locator("#ct-net").inner_text()
        page.evaluate("async () => { window.__sent = await crewTablet.waiting(); }")  # the queue, to replay it
        with unit_of_work(tablet_engine, None) as s:  # meanwhile the control room gives it to another crew
            version = s.execute(text("SELECT version FROM work_orders WHERE id = :o"), {"o": taken}).scalar_one()
            moved = transition(s, taken, "new", None, expected_version=version)
            dispatch.assign(s, taken, other_crew, None, moved.version)
        assert scalar(tablet_engine, "SELECT state FROM work_orders WHERE id = :o", o=order) == "assigned"

        tablet_server.start()  # the tablet retries by itself
        page.wait_for_function("() => document.getElementById('ct-queue').dataset.count === '0'", timeout=60000)
        refusal = page.locator(f"#ct-refused .ct-refusal[data-order='{taken}']")
        refusal.wait_for()
        assert "n’a pas été appliqué" in refusal.inner_text() and "une autre équipe" in refusal.inner_text()
        assert page.locator("#ct-net").inner_text() == "En ligne"
        counts = """SELECT (SELECT count(*) FROM work_order_events
                            WHERE order_id = :o AND to_state IN ('en_route', 'on_site')),
                           (SELECT count(*) FROM work_order_notes WHERE order_id = :o),
                           (SELECT count(*) FROM work_order_attachments WHERE order_id = :o)"""
        with unit_of_work(tablet_engine, None) as s:
            assert tuple(s.execute(text(counts), {"o": order}).one()) == (2, 1, 1)
        assert scalar(tablet_engine, "SELECT state FROM work_orders WHERE id = :o", o=order) == "on_site"
        assert scalar(tablet_engine, "SELECT state FROM work_orders WHERE id = :o", o=taken) == "assigned"

        page.evaluate("""async () => {  // the same queue again (a lost answer, a second tablet): nothing changes
          for (const { seq, ...entry } of window.__sent) await crewTablet.db.add('queue', entry);
          await crewTablet.flush(); }""")
        assert queued(page) == 0
        with unit_of_work(tablet_engine, None) as s:
            assert tuple(s.execute(text(counts), {"o": order}).one()) == (2, 1, 1)
        refusal.locator("button").tap()
        page.wait_for_selector("#ct-refused", state="hidden")
    finally:
        tablet_server.stop()
        tablet_server.start()
        context.close()
    assert errors == []


COLD_LOAD = """() => [performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')]
  .filter((e) => /\\.(js|css)$|\\/crew\\/$/.test(e.name.split('?')[0]))
  .map((e) => ({ url: e.name, sent: e.transferSize, body: e.decodedBodySize }))"""


def test_a_cold_first_load_weighs_under_200_kb_compressed(
        browser, guard, errors, tablet_server: Served, my_crew: int) -> None:
    context, page = tablet(browser, guard, errors)
    try:
        sign_in(page, tablet_server.base)
        page.wait_for_load_state("networkidle")
        loaded = page.evaluate(COLD_LOAD)
        scripts = [e for e in loaded if e["url"].endswith(".js")]
        assert len(scripts) >= 10 and any(e["url"].endswith("/leaflet.js") for e in scripts)
        for entry in loaded:  # every text asset compressed by the app itself (gunicorn does not)
            assert entry["sent"] < entry["body"], entry
        assert sum(e["sent"] for e in loaded) <= 200_000
        assert sum(e["body"] for e in loaded) > 250_000  # what it would weigh uncompressed
    finally:
        context.close()
    assert errors == []


def test_when_the_session_expires_the_page_says_so_and_the_queued_work_is_sent_after_signing_in_again(
        browser, guard, errors, tablet_db_url: str, tablet_people: People, my_crew: int, tablet_engine: Engine,
        tmp_path: Path) -> None:
    short = Served(tablet_db_url, tmp_path / "home", free_port(), env={"CITYPILOT_SESSION_HOURS": str(8 / 3600)})
    short.start()  # sessions of 8 seconds
    (lamp, _), = lamps_near(tablet_engine, *DARCY, 1, offset=900)
    order = assigned(tablet_engine, lamp, my_crew, 15, priority="normal", description="Session courte")
    context, page = tablet(browser, OriginGuard(short.base), errors, where=lonlat(tablet_engine, lamp))
    try:
        sign_in(page, short.base)
        page.goto(f"{short.base}/crew/#/order/{order}")
        page.wait_for_selector(f"#ct-order[data-id='{order}']")
        page.wait_for_timeout(9000)  # the session ends
        page.locator("#ct-moves button[data-to='en_route']").tap()
        banner = page.locator("#ct-refused .ct-signed-out")
        banner.wait_for()
        assert "session a expiré" in banner.inner_text() and "reconnectez-vous" in banner.inner_text()
        assert queued(page) == 1 and page.locator("#ct-queue").get_attribute("data-count") == "1"
        assert scalar(tablet_engine, "SELECT state FROM work_orders WHERE id = :o", o=order) == "assigned"
        with page.expect_navigation():
            banner.locator("a.ct-button").tap()
        page.fill("input[name=username]", "crew")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.wait_for_selector("#ct-main[data-ready='true']")
        page.wait_for_function("() => document.getElementById('ct-queue').dataset.count === '0'", timeout=20000)
        assert page.locator("#ct-refused").is_hidden()
    finally:
        context.close()
        short.stop()
    assert scalar(tablet_engine, "SELECT count(*) FROM work_order_events WHERE order_id = :o AND to_state = "
                                 "'en_route'", o=order) == 1  # kept while signed out, then applied once
    assert errors == []


#: 30 base map tiles over Dijon at zoom 14, fetched one after the other through the service worker; then what the
#: tile cache holds (its keys, oldest first) and the answers' statuses.
FETCH_TILES = """async () => {
  const urls = [];
  for (let i = 0; i < 30; i += 1) urls.push(`/api/v1/basemap/14/${8419 + (i % 6)}/${5737 + Math.floor(i / 6)}.mvt`);
  const statuses = [];
  for (const url of urls) statuses.push((await fetch(url, { credentials: 'same-origin' })).status);
  const keys = (await (await caches.open('crew-tiles-v1')).keys()).map((r) => new URL(r.url).pathname);
  return { urls, statuses, keys };
}"""


def test_the_tile_cache_never_exceeds_its_bound_and_drops_the_oldest_first(
        browser, guard, errors, tablet_db_url: str, tablet_people: People, my_crew: int, tmp_path: Path) -> None:
    bounded = Served(tablet_db_url, tmp_path / "home", free_port(), env={"CITYPILOT_CREW_TILES": "12"})
    bounded.start()
    context, page = tablet(browser, OriginGuard(bounded.base), errors)
    try:
        sign_in(page, bounded.base)
        controlled(page)
        assert "tiles=12" in page.evaluate("() => navigator.serviceWorker.controller.scriptURL")
        found = page.evaluate(FETCH_TILES)
        assert set(found["statuses"]) <= {200, 204} and 200 in found["statuses"]
        assert len(found["keys"]) == 12  # 30 fetched, 12 kept
        # the latest kept, the oldest dropped first (the page's own prefetch of its area may have cached tiles
        # meanwhile, in the same bounded cache: ours are then fewer, but always the latest ones)
        ours = [key for key in found["keys"] if key in found["urls"]]
        assert len(ours) >= 6 and ours == found["urls"][-len(ours):]
        again = page.evaluate(FETCH_TILES)  # the same tiles again: still bounded
        assert len(again["keys"]) == 12
    finally:
        context.close()
        bounded.stop()
    assert errors == []
