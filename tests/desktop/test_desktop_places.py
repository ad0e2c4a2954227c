"""Find a street or a code: the search box offers the server's matches as one types, and the map goes to the
one chosen."""

from __future__ import annotations

from sqlalchemy import text

from assets.db import make_engine
from tests.assets.helpers import near
from tests.desktop.conftest import DesktopCity, open_window


def _street(db_url: str) -> None:
    base = near(-2500, 1800)  # away from where the window opens
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO streets (name, street_class, commune_insee, geom) VALUES ('Rue de la Liberté', 'secondary', "
            "'21231', ST_SetSRID(ST_MakeLine(ST_MakePoint(:x, :y), ST_MakePoint(:x + 150, :y + 20)), 2154))"),
            {"x": base.x, "y": base.y})
    engine.dispose()


def test_type_a_street_choose_it_and_the_map_shows_it(qtbot, desktop_city: DesktopCity) -> None:
    _street(desktop_city.db_url)
    window = open_window(qtbot, desktop_city)
    qtbot.waitUntil(lambda: window.map.extent is not None, timeout=15_000)
    box = window.place_search
    qtbot.keyClicks(box, "liberte")
    qtbot.waitUntil(lambda: bool(box.matches), timeout=5_000)
    assert [(p["type"], p["label"]) for p in box.matches] == [("street", "Rue de la Liberté")]
    assert box.model.stringList() == ["Rue de la Liberté (street, Dijon)"]
    west, south, east, north = box.matches[0]["bbox"]
    extent = window.map.extent
    assert extent is not None and not (extent[0] <= west and east <= extent[2] and extent[1] <= south
                                       and north <= extent[3] and extent[2] - extent[0] < 0.02)
    box.offer.activated[str].emit(box.model.stringList()[0])  # as a click on the offered line does

    def shows_street() -> bool:
        e = window.map.extent
        return e is not None and e[0] <= west and east <= e[2] and e[1] <= south and north <= e[3] \
            and e[2] - e[0] < 0.02  # zoomed in on it, not the whole city
    qtbot.waitUntil(shows_street, timeout=10_000)
    qtbot.keyClicks(box, "zzqq")
    box.look_up()
    assert box.matches == [] and "zzqq" in window.statusBar().currentMessage()
    window.close()
    qtbot.wait(200)
