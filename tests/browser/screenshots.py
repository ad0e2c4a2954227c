"""Screenshots of the control room in French and English for the README (``docs/img/control-room-*.png``).

Run it against the demo (``make demo`` first: live states, moving vehicles, alarms)::

    .venv/bin/python tests/browser/screenshots.py --url http://127.0.0.1:8000

Debian's Chromium, headless; every request to another origin is aborted and reported (the page must
work with no internet).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TILES_LOADED = """() => {
  const city = window.controlRoom?.city;
  if (!city) return false;
  const layers = [...Object.values(city.layers).filter((l) => city.map.hasLayer(l)), city.base];
  return layers.every((l) => l._tileZoom !== undefined && !l.isLoading());
}"""
#: Central Dijon at street level, where light points, signals, cameras, fibre and vehicles are drawn one by one.
VIEW = (47.3215, 5.0390, 15)


def take(url: str, user: str, password: str, out: Path, *, chromium: str = "/usr/bin/chromium",
         languages: tuple[str, ...] = ("fr", "en"), view: tuple[float, float, int] = VIEW,
         size: tuple[int, int] = (1600, 900)) -> list[Path]:
    """Sign in, open the control room in each language, open a busy asset's panel, save one PNG each."""
    from playwright.sync_api import sync_playwright

    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    foreign: list[str] = []

    def foreign_url(target: str) -> bool:
        parts = urlsplit(target)
        return parts.scheme not in ("data", "blob") and f"{parts.scheme}://{parts.netloc}" != origin

    def abort(route: object) -> None:
        foreign.append(route.request.url)  # type: ignore[attr-defined]
        route.abort()  # type: ignore[attr-defined]

    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": size[0], "height": size[1]}, timezone_id="Europe/Paris")
        context.route(foreign_url, abort)
        page = context.new_page()
        page.goto(f"{url}/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("button[type=submit]")
        for lang in languages:
            page.goto(f"{url}/control-room?lang={lang}")
            page.wait_for_function("() => window.controlRoom && document.querySelector('#cr-counters li.counter')")
            page.evaluate("([lat, lon, z]) => { controlRoom.city.map.setView([lat, lon], z, { animate: false }); }",
                          list(view))
            page.wait_for_timeout(200)
            page.wait_for_function(TILES_LOADED, timeout=30000)
            # the panel of a light point in view, preferably one in fault
            lamp = page.evaluate("""() => {
              const features = Object.values(controlRoom.city.layers.lighting._vectorTiles)
                .flatMap((t) => Object.values(t._layers)).filter((f) => f.properties.kind === 'luminaire');
              const live = (f) => controlRoom.city.live.get(f.properties.id) ?? f.properties.live;
              const pick = features.find((f) => live(f) === 'fault') || features[Math.floor(features.length / 2)];
              return pick ? pick.properties.id : null;
            }""")
            if lamp is not None:
                page.evaluate("(id) => controlRoom.panel.open(id, { focus: false })", lamp)
                page.wait_for_selector("#cr-panel-body .cr-attrs", timeout=10000)
            page.wait_for_timeout(2500)  # vehicles move, the chart draws
            path = out / f"control-room-{lang}.png"
            page.screenshot(path=str(path))
            saved.append(path)
        browser.close()
    if foreign:
        raise RuntimeError(f"the page asked other origins: {foreign[:5]}")
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running CityPilot (make demo)")
    parser.add_argument("--user", default="demo-supervisor")
    parser.add_argument("--password", default="citypilot-supervisor")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    for path in take(args.url.rstrip("/"), args.user, args.password, args.out, chromium=args.chromium):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
