"""Vehicles on the desktop's map: placed where they last reported, moved by the live stream's positions without
reloading the page; a role the server gives no staff positions to gets no vehicles layer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from assets.db import make_engine, unit_of_work
from assets.live.records import Position
from assets.live.writer import LiveWriter
from assets.store import create_asset
from tests.assets.helpers import MINIMAL, near
from tests.desktop.conftest import DesktopCity, open_window


def _van(db_url: str, code: str) -> int:
    engine = make_engine(db_url)
    with unit_of_work(engine, None) as session:
        van = create_asset(session, "vehicle", {"code": code, "geom": near(200), **MINIMAL["vehicle"],
                                                "plate": f"{code[-2:]}-123-CD"}).id
    engine.dispose()
    return van


def _report(db_url: str, van: int, at: dt.datetime, lon: float, lat: float) -> None:
    with LiveWriter(db_url, client="desktop-tests") as writer:
        writer.write([Position(van, at, lon, lat, speed_kmh=20, heading_deg=90)])


def _window(qtbot: Any, desktop_city: DesktopCity, role: str) -> Any:
    return open_window(qtbot, desktop_city, role, live=True)


def _at(qtbot: Any, window: Any, van: int) -> list[float] | None:
    answers: list[Any] = []
    window.map.map_page.runJavaScript(f"window.cityMap.vehicleAt({van})", 0, answers.append)
    qtbot.waitUntil(lambda: bool(answers), timeout=5_000)
    return answers[0]


def test_a_vehicle_moves_on_the_map_with_the_stream(qtbot, desktop_city: DesktopCity) -> None:
    from app.desktop.i18n import tr

    van = _van(desktop_city.db_url, "VEH-D1")
    at = dt.datetime.now(dt.UTC)
    _report(desktop_city.db_url, van, at, 5.03, 47.32)
    window = _window(qtbot, desktop_city, "supervisor")
    qtbot.waitUntil(lambda: _at(qtbot, window, van) is not None, timeout=10_000)  # where it last reported
    assert _at(qtbot, window, van) == pytest.approx([5.03, 47.32], abs=1e-6)
    qtbot.waitUntil(lambda: window.connection.text() == tr("live_on"), timeout=10_000)
    window.map.map_page.runJavaScript("window.__same = 'page'")
    _report(desktop_city.db_url, van, at + dt.timedelta(seconds=5), 5.04, 47.33)

    def moved() -> bool:
        where = _at(qtbot, window, van)
        return where is not None and abs(where[0] - 5.04) < 1e-6 and abs(where[1] - 47.33) < 1e-6
    qtbot.waitUntil(moved, timeout=10_000)
    same: list[Any] = []
    window.map.map_page.runJavaScript("window.__same", 0, same.append)
    qtbot.waitUntil(lambda: bool(same), timeout=5_000)
    assert same == ["page"]  # moved in place, not by reloading the map
    window.vehicles_action.setChecked(False)
    qtbot.waitUntil(lambda: _at(qtbot, window, van) is None, timeout=5_000)
    window.close()
    qtbot.wait(200)


def test_a_planner_gets_no_vehicles(qtbot, desktop_city: DesktopCity) -> None:
    window = _window(qtbot, desktop_city, "planner")
    assert window.vehicles_shown is False
    window.close()
    qtbot.wait(200)
