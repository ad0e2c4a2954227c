"""Benchmark: the planners' desktop with the demo city — start-up to the first drawn map and memory, against a bare
QWebEngineView showing the vendored Leaflet (the floor any QtWebEngine map pays).

    .venv/bin/python benchmarks/bench_desktop.py [--admin-url URL] [--screenshot docs/screenshots/desktop.png]

A fresh database with the demo city (``load_demo``, ~81,000 assets) and a planner, ``citypilot serve``
(gunicorn). Each client runs in a process of its own, offscreen (``QT_QPA_PLATFORM=offscreen``), started cold:

- **desktop**: ``MainWindow`` signed in (password, as ``citypilot desktop``), live stream on; the time from the
  process's start to the first frame holding drawn asset features (the kind spec, layers, table page, tiles through
  the proxy all fetched); then the map pans over the city (12 views, z13-z16, each until its tiles are drawn)
  and the memory is read: resident (RSS) and proportional (PSS, shared pages split) of the process and its
  QtWebEngine helpers.
- **baseline**: a ``QWebEngineView`` loading a page with the vendored Leaflet and an empty map; time to
  ``loadFinished`` with the map made, and the same memory figures.

Prints ``bench.desktop.startup_to_map_s``, ``baseline_startup_s``, ``startup_ratio_to_baseline``,
``pss_mb``/``rss_mb`` (after panning), ``baseline_pss_mb``/``baseline_rss_mb``, ``pan_view_p50_ms``/``p95_ms``
(a view's tiles drawn) and ``assets``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from support import ROOT, admin_url_argument, figure, percentiles, postgres_admin_url

DATABASE = "cp_bench_desktop"
PASSWORD = "bench-desktop-1"
ENV = {"QT_QPA_PLATFORM": "offscreen", "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox --disable-gpu"}
VIEWS = [(5.041 + dx, 47.322 + dy, z) for z, dx, dy in
         [(13, 0, 0), (14, 0.02, 0), (14, -0.02, 0.01), (15, 0.01, -0.01), (15, -0.01, 0.005), (16, 0, 0),
          (16, 0.004, 0.002), (14, 0.05, -0.02), (13, -0.05, 0.03), (15, 0.03, 0.02), (16, -0.02, -0.01), (14, 0, 0)]]
DRAWN = ("Object.values(window.cityMap ? window.cityMap.layers : {}).reduce((n, layer) => n + Object.values("
         "layer._vectorTiles || {}).reduce((m, tile) => m + Object.keys(tile._features || {}).length, 0), 0)")
LOADING = ("Object.values(window.cityMap.layers).some((layer) => Object.values(layer._tiles || {})"
           ".some((tile) => !tile.loaded))")


# -- memory of a process tree ------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def tree_memory(pid: int) -> tuple[float, float]:
    """RSS and PSS (MB) of ``pid`` and every process below it (QtWebEngineProcess: renderer, GPU, utility)."""
    rss = pss = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        todo += _children(current)
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return rss / 1024, pss / 1024


# -- the clients, each in its own process -------------------------------------------------------------


def _wait(app: object, until: object, timeout: float) -> bool:
    from PyQt6.QtCore import QCoreApplication, QEventLoop

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if until():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def _js(app: object, page: object, script: str, timeout: float = 10.0) -> object:
    answers: list[object] = []
    page.runJavaScript(script, 0, answers.append)  # type: ignore[attr-defined]
    _wait(app, lambda: bool(answers), timeout)
    return answers[0] if answers else None


def child_desktop(url: str, screenshot: str) -> None:
    """Cold start of the real window; prints ``drawn SECONDS``, each pan view's ms, then the memory."""
    started = float(os.environ["BENCH_STARTED"])
    from PyQt6 import QtWebEngineWidgets  # noqa: F401

    from app.desktop.mapview import register_scheme

    register_scheme()
    from PyQt6.QtWidgets import QApplication

    from app.desktop.api import ApiClient
    from app.desktop.window import MainWindow

    app = QApplication([sys.argv[0]])
    client = ApiClient(url)
    client.sign_in("bench-planner", PASSWORD)
    window = MainWindow(client, client.me())
    window.show()

    def drawn() -> bool:
        return window.map.ready and int(_js(app, window.map.map_page, DRAWN, 2.0) or 0) > 0

    if not _wait(app, drawn, 60):
        raise SystemExit("the map drew nothing in 60 s")
    print(f"drawn {time.time() - started:.3f}", flush=True)
    page = window.map.map_page
    for lon, lat, z in VIEWS:
        t0 = time.perf_counter()
        window.map.call("view", lon, lat, z)
        _wait(app, lambda: False, 0.15)  # the move starts its tile requests
        _wait(app, lambda: _js(app, page, LOADING, 2.0) is False, 20)
        print(f"view {(time.perf_counter() - t0) * 1000:.1f}", flush=True)
    if screenshot:
        window.map.call("view", 5.0415, 47.3220, 15)
        _wait(app, lambda: False, 0.3)
        _wait(app, lambda: _js(app, page, LOADING, 2.0) is False, 20)
        _wait(app, lambda: False, 1.0)
        window.grab().save(screenshot)
    rss, pss = tree_memory(os.getpid())
    print(f"memory {rss:.1f} {pss:.1f}", flush=True)
    window.close()
    _wait(app, lambda: False, 0.3)


BARE = """<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="leaflet.css">
<style>html, body, #map { margin: 0; height: 100%; }</style><script src="leaflet.js"></script></head>
<body><div id="map"></div><script>window.bare = L.map('map').setView([47.322, 5.041], 13);</script></body></html>"""


def child_baseline() -> None:
    """Cold start of a bare QWebEngineView with the vendored Leaflet; prints ``drawn SECONDS`` and the memory."""
    started = float(os.environ["BENCH_STARTED"])
    from PyQt6.QtCore import QUrl
    from PyQt6.QtWebEngineWidgets import QWebEngineView
    from PyQt6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    folder = ROOT / "app" / "web" / "static" / "vendor" / "leaflet"
    page_file = Path(tempfile.mkdtemp(prefix="citypilot-bench-bare-")) / "bare.html"
    page_file.write_text(BARE.replace('href="leaflet.css"', f'href="{(folder / "leaflet.css").as_uri()}"')
                         .replace('src="leaflet.js"', f'src="{(folder / "leaflet.js").as_uri()}"'))
    view = QWebEngineView()
    view.resize(1400, 850)
    loaded: list[bool] = []
    view.loadFinished.connect(loaded.append)
    view.load(QUrl.fromLocalFile(str(page_file)))
    view.show()
    _wait(app, lambda: bool(loaded) and _js(app, view.page(), "!!window.bare", 2.0) is True, 60)
    print(f"drawn {time.time() - started:.3f}", flush=True)
    _wait(app, lambda: False, 1.0)
    rss, pss = tree_memory(os.getpid())
    print(f"memory {rss:.1f} {pss:.1f}", flush=True)


def run_child(role: str, url: str = "", screenshot: str = "") -> dict[str, list[float]]:
    """Start a client process cold and collect what it prints."""
    env = {**os.environ, **ENV, "BENCH_STARTED": f"{time.time():.6f}"}
    args = [sys.executable, __file__, "--child", role, "--url", url, "--screenshot", screenshot]
    answer = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600, check=False)
    if answer.returncode:
        raise SystemExit(f"{role} failed ({answer.returncode}):\n{answer.stderr[-3000:]}")
    out: dict[str, list[float]] = {}
    for line in answer.stdout.splitlines():
        name, *values = line.split()
        if name in ("drawn", "view", "memory"):
            out.setdefault(name, []).extend(float(v) for v in values)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    admin_url_argument(parser)
    parser.add_argument("--screenshot", default="", help="save a grab of the main window with the city here")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.child == "desktop":
        return child_desktop(args.url, args.screenshot)
    if args.child == "baseline":
        return child_baseline()

    from sqlalchemy import text

    from assets.accounts import set_password
    from assets.db import unit_of_work
    from assets.db.admin import create_migrated_database, drop_database
    from assets.demo import load_demo
    from assets.users import create_user
    from tests.browser.conftest import start_server

    with postgres_admin_url(args.admin_url) as admin_url:
        engine = create_migrated_database(admin_url, DATABASE)
        try:
            load_demo(engine)
            with unit_of_work(engine, None) as s:
                create_user(s, "bench-planner", "planner", "Bench Planner")
                set_password(s, "bench-planner", PASSWORD)
                assets = int(s.execute(text("SELECT count(*) FROM assets")).scalar() or 0)
            figure("desktop.assets", assets, "", ",d")
            url = engine.url.render_as_string(hide_password=False)
            served, base = start_server(url, Path(tempfile.mkdtemp(prefix="citypilot-bench-desktop-")))
            try:
                bare = run_child("baseline")
                desk = run_child("desktop", base, str(Path(args.screenshot).resolve()) if args.screenshot else "")
            finally:
                served.stop()
        finally:
            engine.dispose()
            drop_database(admin_url, DATABASE)
    figure("desktop.startup_to_map_s", desk["drawn"][0], "s")
    figure("desktop.baseline_startup_s", bare["drawn"][0], "s")
    figure("desktop.startup_ratio_to_baseline", desk["drawn"][0] / bare["drawn"][0])
    p50, p95 = percentiles(desk["view"])
    figure("desktop.pan_view_p50_ms", p50, "ms", ".0f")
    figure("desktop.pan_view_p95_ms", p95, "ms", ".0f")
    figure("desktop.rss_mb", desk["memory"][0], "MB", ".0f")
    figure("desktop.pss_mb", desk["memory"][1], "MB", ".0f")
    figure("desktop.baseline_rss_mb", bare["memory"][0], "MB", ".0f")
    figure("desktop.baseline_pss_mb", bare["memory"][1], "MB", ".0f")


if __name__ == "__main__":
    main()
