"""The embedded map (the control room's map code, extended) draws the server's features offscreen: the tiles come
through the citypilot: scheme, which must be declared before the QApplication, or the page's fetches fail and the
map stays empty; a click finds the asset with the control room's hit test."""

from __future__ import annotations

from tests.desktop.conftest import DesktopCity, open_window

DRAWN = ("JSON.stringify(Object.values(window.cityMap.layers).reduce((n, layer) => n + Object.values("
         "layer._vectorTiles || {}).reduce((m, tile) => m + Object.keys(tile._features || {}).length, 0), 0))")


def test_the_map_draws_the_citys_features(qtbot, desktop_city: DesktopCity) -> None:
    window = open_window(qtbot, desktop_city)
    client = window.client
    answers: list[int] = []

    def drawn() -> bool:
        window.map.map_page.runJavaScript(DRAWN, 0, lambda value: answers.append(int(value or 0)))
        qtbot.wait(300)
        return bool(answers) and answers[-1] > 0

    qtbot.waitUntil(drawn, timeout=15_000)
    assert window.map.handler.tiles_served > 0
    lon, lat = client.asset(desktop_city.lamp)["geometry"]["coordinates"]
    window.map.call("view", lon, lat, 18)
    hits: list[int] = []
    clicked: list[int] = []
    window.map.bridge.featureClicked.connect(clicked.append)

    def hit() -> bool:  # the control room's hit test, on the desktop's map: the lamp under its point
        window.map.map_page.runJavaScript(
            f"(() => {{ const h = window.cityMap.hitTest(L.latLng({lat}, {lon})); if (h) "
            "window.cityMap.bridge.clicked(h.properties.id); return h ? h.properties.id : 0; })()",
            0, lambda value: hits.append(int(value or 0)))
        qtbot.wait(300)
        return bool(hits) and hits[-1] == desktop_city.lamp

    qtbot.waitUntil(hit, timeout=15_000)
    qtbot.waitUntil(lambda: desktop_city.lamp in clicked, timeout=5_000)
    assert not [m for m in window.map.map_page.console if "Error" in m]
    assert not [m for m in window.map.map_page.console if "Fetch API cannot load" in m]
    window.close()
    qtbot.wait(200)
