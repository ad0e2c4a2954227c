"""Fibre on the desktop's map against a real server: a segment drawn vertex by vertex, its ends snapped onto a
fibre node and onto a camera's node, saved through the API; a vertex dragged (reshaped, an end moved onto another
node) and saved with the segment's version; and the lasso keeping what is inside the freehand ring only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.desktop.api import ApiClient
from app.desktop.fibre import distance_m
from tests.desktop.conftest import DesktopCity, open_window
from tests.web.helpers import PASSWORD

N1, N2, N3, CAMERA = (5.0500, 47.3300), (5.0520, 47.3300), (5.0520, 47.3320), (5.0530, 47.3305)


def _point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


@pytest.fixture(scope="module")
def network(desktop_city: DesktopCity) -> dict[str, int]:
    client = ApiClient(desktop_city.url)
    client.sign_in("planner", PASSWORD)
    ids = {name: int(client.create_asset("fibre_node", _point(*spot), {"code": f"FIB-{name}",
                                                                        "node_type": "chamber"})["id"])
           for name, spot in (("N1", N1), ("N2", N2), ("N3", N3))}
    ids["camera"] = int(client.create_asset("camera", _point(*CAMERA), {
        "code": "CAM-FIB", "camera_type": "fixed", "fibre_node_id": ids["N2"]})["id"])
    return ids


@pytest.fixture
def window(qtbot, desktop_city: DesktopCity, network: dict[str, int]) -> Iterator:
    main = open_window(qtbot, desktop_city)
    yield main
    main.close()
    qtbot.wait(200)


def _js(qtbot, window, script: str, expected: int) -> None:
    answers: list[int] = []

    def answered() -> bool:
        window.map.map_page.runJavaScript(script, 0, lambda value: answers.append(int(value or 0)))
        qtbot.wait(150)
        return bool(answers) and answers[-1] == expected

    qtbot.waitUntil(answered, timeout=10_000)


def test_draw_a_segment_snapped_to_its_nodes_then_reshape_it(qtbot, window, network: dict[str, int]) -> None:
    window.draw_action.setChecked(True)
    window.toggle_draw()
    first = window.add_vertex(N1[0] + 0.00005, N1[1] + 0.00003)  # ~5 m from the node
    assert first is not None and first.asset_id == network["N1"]
    assert window.add_vertex(5.0510, 47.3310) is None  # nothing within 15 m: a free vertex
    last = window.add_vertex(CAMERA[0] - 0.00004, CAMERA[1])  # the camera, served by N2
    assert last is not None and last.asset_id == network["camera"] and last.node_id == network["N2"]
    _js(qtbot, window, "window.cityMap.drawnVertices()", 3)
    assert window.finish_drawing()
    assert window.form.feature["properties"]["from_node_id"] == network["N1"]
    window.form.editors["code"].set_value("FOS-DRAWN")
    assert window.save_form(), window.message.text()
    segment_id = window.form.asset_id
    saved = window.client.asset(segment_id)
    props, line = saved["properties"], saved["geometry"]["coordinates"]
    assert (props["from_node_id"], props["to_node_id"]) == (network["N1"], network["N2"])
    assert distance_m(*line[0], *N1) < 0.1 and distance_m(*line[-1], *CAMERA) < 0.1  # snapped exactly
    assert props["length_m"] > 250

    window.open_asset(segment_id)
    _js(qtbot, window, "window.cityMap.handleCount()", 3)  # one handle per vertex
    version = props["version"]
    assert window.reshape_vertex(segment_id, 1, 5.0512, 47.3312)
    assert window.reshape_vertex(segment_id, 2, N3[0] + 0.00004, N3[1])  # the end dragged onto N3
    reshaped = window.client.asset(segment_id)
    assert reshaped["properties"]["version"] == version + 2
    assert reshaped["properties"]["to_node_id"] == network["N3"]
    coordinates = reshaped["geometry"]["coordinates"]
    assert distance_m(*coordinates[1], 5.0512, 47.3312) < 0.1 and distance_m(*coordinates[2], *N3) < 0.1
    assert len(window.client.history(segment_id)["items"]) >= 3  # created, reshaped twice
    (undone,) = window.undo()
    assert undone["properties"]["to_node_id"] == network["N2"]


def test_a_segment_without_a_node_at_an_end_is_refused_on_its_field(qtbot, window) -> None:
    window.map.call("view", 5.0605, 47.3402, 18)  # ~40 px between the clicks below
    qtbot.wait(300)
    window.draw_action.setChecked(True)
    window.toggle_draw()
    window.add_vertex(5.0600, 47.3400)
    # On the map: a click, then a double-click (its two clicks, then dblclick) that places the last vertex once.
    clicks = "".join(f"m.fire('click', {{latlng: L.latLng({lat}, {lon})}});" for lon, lat in
                     [(5.0605, 47.3402), (5.0610, 47.3405), (5.0610, 47.3405)])
    window.map.run(f"(() => {{ const m = window.cityMap.map; {clicks} m.fire('dblclick'); }})()")
    qtbot.waitUntil(lambda: window.form.feature is not None and window.form.feature.get("id") is None
                    and window.form.feature["properties"].get("kind") == "fibre_segment", timeout=10_000)
    assert len(window.form.feature["geometry"]["coordinates"]) == 3  # the double-click's second click added none
    window.form.editors["code"].set_value("FOS-LOOSE")
    assert window.save_form() is False
    assert window.form.error_of("from_node_id") or "from_node_id" in window.message.text()


def test_the_lasso_keeps_what_is_inside_the_ring(window, network: dict[str, int]) -> None:
    ring = [(5.0490, 47.3290), (5.0540, 47.3290), (5.0490, 47.3340)]  # N3 and the camera: in its box, not in it
    selected = set(window.select_lasso(ring))
    assert {network["N1"], network["N2"]} <= selected
    assert network["N3"] not in selected and network["camera"] not in selected
    assert window.bulk_action.isEnabled()
