"""Edits made in QGIS are committed through the API with versions: saved with the QGIS user as author,
refused fields named, a stale edit surfaced as a conflict (theirs or mine), delete = retire."""

from __future__ import annotations

import pytest
from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer

from citypilot_qgis.logic.edits import Outcome, Status, conflict_rows
from citypilot_qgis.ui.editing import EditController, edit_layer

BOX = (5.02, 47.31, 5.05, 47.33)


@pytest.fixture
def choices() -> list[Outcome]:
    return []


def controller(city, kinds, choices: list[Outcome], answer: str = "theirs") -> EditController:
    layer = edit_layer(city.client("planner"), kinds["cabinet"], "en", bbox=BOX)

    def choose(outcome: Outcome) -> str:
        choices.append(outcome)
        return answer

    return EditController(city.client("planner"), kinds["cabinet"], layer, choose)


def _first(layer: QgsVectorLayer, skip: int = 0):
    return sorted(layer.getFeatures(), key=lambda f: f["id"])[skip]


def _set(layer: QgsVectorLayer, feature, name: str, value) -> None:
    assert layer.changeAttributeValue(feature.id(), layer.fields().indexOf(name), value)


def test_an_attribute_edit_is_saved_with_the_new_version_and_the_user_as_author(qgis_app, city, kinds,
                                                                               choices) -> None:
    edits = controller(city, kinds, choices)
    layer = edits.layer
    assert layer.featureCount() > 0
    feature = _first(layer)
    layer.startEditing()
    _set(layer, feature, "name", "Armoire Place Darcy (QGIS)")
    assert layer.commitChanges()

    saved = city.client("planner").asset(feature["id"])
    assert saved["properties"]["name"] == "Armoire Place Darcy (QGIS)"
    assert saved["properties"]["version"] == feature["version"] + 1
    assert layer.getFeature(feature.id())["version"] == feature["version"] + 1
    last = city.client("planner").history(feature["id"])[-1]
    assert last["actor"] == "planner"
    assert "name" in last["changed"]
    assert [o.status for o in edits.outcomes] == [Status.SAVED]


def test_a_move_is_saved(qgis_app, city, kinds, choices) -> None:
    edits = controller(city, kinds, choices)
    layer = edits.layer
    feature = _first(layer, 1)
    point = feature.geometry().asPoint()
    layer.startEditing()
    assert layer.changeGeometry(feature.id(), QgsGeometry.fromPointXY(QgsPointXY(point.x() + 0.0002, point.y())))
    assert layer.commitChanges()
    lon, lat = city.client("planner").asset(feature["id"])["geometry"]["coordinates"]
    assert lon == pytest.approx(point.x() + 0.0002, abs=1e-6)
    assert lat == pytest.approx(point.y(), abs=1e-6)
    assert [o.status for o in edits.outcomes] == [Status.SAVED]


def test_a_refused_field_is_named_and_the_servers_value_kept(qgis_app, city, kinds, choices) -> None:
    edits = controller(city, kinds, choices)
    layer = edits.layer
    feature = _first(layer, 2)
    layer.startEditing()
    _set(layer, feature, "code", None)
    assert layer.commitChanges()

    (outcome,) = edits.outcomes
    assert outcome.status is Status.INVALID
    assert [p.field for p in outcome.problems] == ["code"]
    assert edits.problems()[0].startswith(f"{feature['id']} · code: ")
    assert layer.getFeature(feature.id())["code"] == feature["code"]
    assert city.client("planner").asset(feature["id"])["properties"]["code"] == feature["code"]


@pytest.mark.parametrize("answer", ["theirs", "mine"])
def test_a_stale_edit_asks_theirs_or_mine(qgis_app, city, kinds, choices, answer) -> None:
    edits = controller(city, kinds, choices, answer)
    layer = edits.layer
    feature = _first(layer, 3 if answer == "theirs" else 4)
    admin = city.client("admin")
    theirs = admin.update_asset(feature["id"], feature["version"], {"name": "changed by the control room"})
    layer.startEditing()
    _set(layer, feature, "name", "changed in QGIS")
    assert layer.commitChanges()

    (asked,) = choices
    assert asked.status is Status.CONFLICT
    assert ("name", "changed in QGIS", "changed by the control room") in conflict_rows(asked)
    server = admin.asset(feature["id"])["properties"]
    expected = "changed by the control room" if answer == "theirs" else "changed in QGIS"
    assert server["name"] == expected
    assert layer.getFeature(feature.id())["name"] == expected
    assert layer.getFeature(feature.id())["version"] == server["version"]
    assert server["version"] == theirs["properties"]["version"] + (answer == "mine")


def test_delete_retires_the_asset(qgis_app, city, kinds, choices) -> None:
    edits = controller(city, kinds, choices)
    layer = edits.layer
    feature = _first(layer, 5)
    layer.startEditing()
    assert layer.deleteFeature(feature.id())
    assert layer.commitChanges()
    assert city.client("planner").asset(feature["id"])["properties"]["status"] == "removed"


def _new_cabinet(layer: QgsVectorLayer, code: str | None, name: str, lon: float, lat: float):
    feature = QgsFeature(layer.fields())
    feature["code"] = code
    feature["name"] = name
    feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(lon, lat)))
    return feature


def test_a_feature_added_in_qgis_is_created_with_its_id_version_and_author(qgis_app, city, kinds, choices) -> None:
    edits = controller(city, kinds, choices)
    layer = edits.layer
    layer.startEditing()
    assert layer.addFeature(_new_cabinet(layer, "ARM-QGIS-NEW", "Armoire posée dans QGIS", 5.041, 47.322))
    assert layer.commitChanges()

    assert [o.status for o in edits.outcomes] == [Status.SAVED]
    (kept,) = [f for f in layer.getFeatures() if f["code"] == "ARM-QGIS-NEW"]
    assert kept["id"] and kept["version"] == 1
    server = city.client("planner").asset(kept["id"])
    assert server["properties"]["name"] == "Armoire posée dans QGIS"
    assert server["geometry"]["coordinates"] == pytest.approx([5.041, 47.322], abs=1e-6)
    assert city.client("planner").history(kept["id"])[-1]["actor"] == "planner"


def test_a_refused_new_feature_is_named_and_not_kept(qgis_app, city, kinds, choices) -> None:
    edits = controller(city, kinds, choices)
    layer = edits.layer
    taken = _first(layer)["code"]
    before = layer.featureCount()
    layer.startEditing()
    assert layer.addFeature(_new_cabinet(layer, taken, "Doublon", 5.042, 47.323))
    assert layer.commitChanges()

    (outcome,) = edits.outcomes
    assert outcome.status is not Status.SAVED
    assert edits.problems()[0].startswith(f"{taken}")
    assert "code" in edits.problems()[0]
    assert layer.featureCount() == before
