"""Desktop fixtures: Qt offscreen (QtWebEngine as root needs no sandbox), and a real ``citypilot serve`` on a
database of its own with one user per role and a small network, which the desktop reaches only by its API."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
import pytest
from PyQt6 import QtWebEngineWidgets  # noqa: F401  (before pytest-qt makes the QApplication)

from app.desktop.api import ApiClient
from app.desktop.mapview import register_scheme
from assets.accounts import set_password
from assets.db import make_engine, unit_of_work
from assets.store import create_asset
from tests.assets.helpers import MINIMAL, near
from tests.browser.conftest import start_server
from tests.plugins.database import TEMPLATE, create_database
from tests.web.helpers import PASSWORD, make_people

register_scheme()  # as `citypilot desktop` does, before the QApplication: the page may fetch its tiles


@dataclass(frozen=True)
class DesktopCity:
    """The server's URL and the ids of its assets."""

    url: str
    cabinet: int
    lamp: int
    db_url: str = ""  # for a test that seeds more of the city (the desktop itself reaches only the API)


@pytest.fixture(scope="package")
def desktop_city(pg_admin_url: str, template_url: str,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[DesktopCity]:
    db_url = create_database(pg_admin_url, "cp_desktop", template=TEMPLATE)
    engine = make_engine(db_url)
    with unit_of_work(engine, None) as session:
        for person in make_people(session).values():
            set_password(session, person.name, PASSWORD)
    with unit_of_work(engine, None) as session:
        cabinet = create_asset(session, "cabinet", {"code": "ARM-1", "geom": near(), **MINIMAL["cabinet"]}).id
        lamp = create_asset(session, "luminaire", {"code": "LUM-1", "geom": near(30, 10),
                                                   **MINIMAL["luminaire"]}).id
    engine.dispose()
    served, url = start_server(db_url, tmp_path_factory.mktemp("desktop-home"))
    try:
        yield DesktopCity(url, cabinet, lamp, db_url)
    finally:
        served.stop()



def open_window(qtbot: Any, city: DesktopCity, role: str = "planner", live: bool = False) -> Any:
    """The main window signed in to ``city`` as ``role``, shown, its map ready."""
    from app.desktop.window import MainWindow

    client = ApiClient(city.url)
    client.sign_in(role, PASSWORD)
    window = MainWindow(client, client.me(), live=live)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.map.ready, timeout=15_000)
    return window
