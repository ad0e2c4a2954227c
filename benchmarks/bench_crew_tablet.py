"""Benchmark: the crew tablet's weight on a cold first load, whether it opens again with no network, and how long
the list of 50 orders takes to render on a slow tablet (Chromium's 4× CPU throttling, through CDP).

    .venv/bin/python benchmarks/bench_crew_tablet.py [--admin-url postgresql://postgres@host:port/postgres]

A fresh database (a crew member, its crew, 50 open orders around Dijon), ``citypilot serve`` (gunicorn) and
Debian's Chromium, headless, at tablet size. Prints:

    bench.crew_tablet.cold_load_bytes: N B          (HTML + JS + CSS as transferred: gzip, as the app sends them)
    bench.crew_tablet.cold_load_decoded_bytes: N B  (the same once decoded)
    bench.crew_tablet.cold_load_requests: N
    bench.crew_tablet.offline_reload_ok: 1|0        (the list shown again from the service worker, network off)
    bench.crew_tablet.render_50_p50_ms / _p95_ms    (renderCards of 50 orders + layout, CPU throttled 4×)
    bench.crew_tablet.render_50_style_ms / _layout_ms   (its profile: CDP Performance, mean per render)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

from shapely.geometry import Point
from support import ROOT, admin_url_argument, figure, percentiles, postgres_admin_url

from assets.accounts import set_password
from assets.db import unit_of_work
from assets.db.admin import create_migrated_database, drop_database
from assets.users import create_user
from fieldservice import crews, dispatch
from fieldservice.orders import create_order
from gis.crs import to_storage
from gis.geometry import reproject

DATABASE = "cp_bench_crew_tablet"
PASSWORD = "bench-crew-tablet-1"
ORDERS = 50
RUNS = 30
RENDER = """async (runs) => {
  const orders = crewTablet.state.orders;
  const list = document.getElementById('ct-cards');
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    crewTablet.renderCards(list, orders);
    void list.offsetHeight;  // the layout, not only the DOM
    times.push(performance.now() - t0);
    await new Promise((r) => requestAnimationFrame(r));
  }
  return { count: list.children.length, times };
}"""


#: CDP Performance metrics (seconds, cumulative) → the figure's name: the profile of one render.
PROFILE = {"RecalcStyleDuration": "style", "LayoutDuration": "layout"}


def performance(cdp: object) -> dict[str, float]:
    """The page's cumulative CDP Performance metrics, by name."""
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}  # type: ignore[attr-defined]


def seed(engine: object) -> None:
    with unit_of_work(engine, None) as s:  # type: ignore[arg-type]
        member = create_user(s, "bench-crew", "crew", "Bench Crew").id
        set_password(s, "bench-crew", PASSWORD)
        crew = crews.create_crew(s, "Équipe Banc", ["lighting"]).id
        crews.add_member(s, crew, member)
        crews.set_clearance(s, member, "BR", dt.date(2030, 1, 1))
        for weekday in range(7):
            crews.add_shift(s, crew, dt.time(0), dt.time(0), kind="on_call", weekday=weekday)
        for i in range(ORDERS):
            lonlat = Point(5.02 + (i % 10) * 0.004, 47.31 + (i // 10) * 0.004)
            order = create_order(s, origin="citizen", category="lighting", priority=("urgent", "normal")[i % 2],
                                 location=reproject(lonlat, to_storage("EPSG:4326")),
                                 description=f"Lampadaire éteint, rue n° {i + 1}")
            dispatch.assign(s, order.id, crew, None, None)


def measure(base: str, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        context = browser.new_context(viewport={"width": 1280, "height": 800}, has_touch=True, is_mobile=True,
                                      locale="fr-FR", timezone_id="Europe/Paris")
        page = context.new_page()
        page.goto(f"{base}/login?next=/crew/")
        page.fill("input[name=username]", "bench-crew")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.wait_for_selector("#ct-main[data-ready='true']")
        page.wait_for_load_state("networkidle")
        loaded = page.evaluate("""() => [performance.getEntriesByType('navigation')[0],
            ...performance.getEntriesByType('resource')].map((e) => ({ url: e.name, bytes: e.transferSize,
            body: e.decodedBodySize, type: e.initiatorType }))""")
        shell = [e for e in loaded if e["url"].split("?")[0].endswith((".js", ".css", "/crew/"))]
        figure("crew_tablet.cold_load_bytes", sum(e["bytes"] for e in shell), "B")
        figure("crew_tablet.cold_load_decoded_bytes", sum(e["body"] for e in shell), "B")
        figure("crew_tablet.cold_load_requests", len(shell))

        page.evaluate("() => navigator.serviceWorker.ready")
        page.reload()
        page.wait_for_function("() => !!navigator.serviceWorker.controller")
        page.wait_for_selector("#ct-main[data-ready='true']")
        context.set_offline(True)
        page.reload()
        page.wait_for_selector("#ct-main[data-ready='true']")
        shown = page.locator("#ct-cards li.ct-card").count()
        figure("crew_tablet.offline_reload_ok", int(shown == ORDERS))
        context.set_offline(False)

        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        cdp.send("Performance.enable")
        before = performance(cdp)
        result = page.evaluate(RENDER, RUNS)
        after = performance(cdp)
        assert result["count"] == ORDERS, result["count"]
        p50, p95 = percentiles(result["times"][1:])  # the first run compiles the code
        figure("crew_tablet.render_50_p50_ms", p50, "ms")
        figure("crew_tablet.render_50_p95_ms", p95, "ms")
        for metric, name in PROFILE.items():  # where a render's time goes (CDP Performance, per render)
            figure(f"crew_tablet.render_50_{name}_ms", (after[metric] - before[metric]) * 1000 / RUNS, "ms")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    admin_url_argument(parser)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.browser.conftest import start_server

    with postgres_admin_url(args.admin_url) as admin_url:
        engine = create_migrated_database(admin_url, DATABASE)
        try:
            seed(engine)
            url = engine.url.render_as_string(hide_password=False)
            served, base = start_server(url, Path(tempfile.mkdtemp(prefix="citypilot-bench-tablet-")))
            try:
                measure(base, args.chromium)
            finally:
                served.stop()
        finally:
            engine.dispose()
            drop_database(admin_url, DATABASE)


if __name__ == "__main__":
    main()
