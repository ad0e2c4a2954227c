"""QGIS's own OGC API – Features provider reads /ogc (issue 13), and the plugin's CityPilot group is built on it."""

from __future__ import annotations

import time
from collections.abc import Callable

from qgis.core import (
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsExpressionContextUtils,
    QgsFeatureRequest,
    QgsProject,
    QgsRectangle,
    QgsRenderContext,
    QgsVectorLayer,
)

from citypilot_qgis.logic.live import STATE_COLOURS
from citypilot_qgis.logic.styles import CLASS_EXPRESSION
from citypilot_qgis.ui.layers import GROUP, citypilot_layers, collection_uri, load_group, refresh, select_codes
from citypilot_qgis.ui.live import apply_changes, refresh_live
from citypilot_qgis.ui.stream import LiveStream


def test_oapif_provider_loads_every_public_collection_with_the_servers_count(qgis_app, city, collections) -> None:
    assert {"cabinet", "luminaire", "camera", "building"} <= set(collections)
    for collection, matched in collections.items():
        layer = QgsVectorLayer(collection_uri(city.base, collection), collection, "OAPIF")
        assert layer.isValid(), collection
        assert layer.featureCount() == matched, collection
        assert "code" in layer.fields().names()


def test_oapif_reads_the_features_in_a_bbox(qgis_app, city) -> None:
    box = (5.02, 47.31, 5.05, 47.33)
    expected = city.client("public").get("/ogc/collections/cabinet/items", bbox=",".join(map(str, box)),
                                         limit=1, f="json")["numberMatched"]
    layer = QgsVectorLayer(collection_uri(city.base, "cabinet"), "cabinet", "OAPIF")
    read = list(layer.getFeatures(QgsFeatureRequest().setFilterRect(QgsRectangle(*box))))
    assert expected > 0
    assert len(read) == expected


def test_the_group_has_a_styled_layer_per_public_kind_by_family(qgis_new_project, city, kinds, collections) -> None:
    project = QgsProject.instance()
    layers = load_group(project, city.base, kinds.values(), collections, "fr")
    group = project.layerTreeRoot().findGroup(GROUP)
    assert group is not None
    assert [g.name() for g in group.children()][:2] == ["Éclairage public", "Signalisation lumineuse"]
    assert set(layers) == set(collections)
    luminaires = layers["luminaire"]
    assert luminaires.name() == kinds["luminaire"].label("fr")
    renderer = luminaires.renderer()
    assert isinstance(renderer, QgsCategorizedSymbolRenderer)
    assert renderer.classAttribute() == CLASS_EXPRESSION
    index = luminaires.fields().indexOf("luminaire_type")
    widget = luminaires.editorWidgetSetup(index)
    assert widget.type() == "ValueMap"
    options = {k: v for entry in widget.config()["map"] for k, v in entry.items()}
    assert options["lanterne"] == "lantern"
    assert luminaires.attributeAlias(luminaires.fields().indexOf("install_date")) == "date de pose"
    assert len(citypilot_layers(project)) == len(layers)
    assert luminaires.hasScaleBasedVisibility()
    assert kinds["luminaire"].min_scale is not None
    assert luminaires.minimumScale() == kinds["luminaire"].min_scale  # drawn from the web map's min_zoom on


def test_refresh_shows_the_servers_change_and_keeps_the_selection(qgis_new_project, city, kinds, collections) -> None:
    project = QgsProject.instance()
    layer = load_group(project, city.base, kinds.values(), collections, "en")["cabinet"]
    first, second = list(layer.getFeatures())[:2]
    select_codes(layer, [first["code"], second["code"]])
    planner = city.client("planner")
    asset = next(a for a in planner.pages("/assets", limit=5, kind="cabinet", q=first["code"])
                 if a["code"] == first["code"])
    planner.update_asset(asset["id"], asset["version"], {"name": "Armoire relevée depuis QGIS"})

    refresh([layer])

    assert sorted(f["code"] for f in layer.selectedFeatures()) == sorted([first["code"], second["code"]])
    seen = next(f for f in layer.getFeatures() if f["code"] == first["code"])
    assert seen["name"] == "Armoire relevée depuis QGIS"


def test_a_live_state_change_is_seen_in_the_layer_keeping_the_selection(qgis_new_project, city, kinds,
                                                                          collections) -> None:
    project = QgsProject.instance()
    layer = load_group(project, city.base, kinds.values(), collections, "en")["luminaire"]
    box = (5.03, 47.32, 5.04, 47.325)
    inside = [f for f in layer.getFeatures(QgsFeatureRequest().setFilterRect(QgsRectangle(*box)))]
    lamp, other = inside[0]["code"], inside[1]["code"]
    city.report(lamp, "ok")
    operator = city.client("operator")
    first = refresh_live(project, operator, [layer], box)
    assert first[layer.name()] == len(inside)  # every lamp in the box got its state, once
    select_codes(layer, [other])
    assert _state(layer, lamp) == "ok"

    city.report(lamp, "fault")
    assert refresh_live(project, operator, [layer], box) == {layer.name(): 1}  # only what changed is written
    assert _state(layer, lamp) == "fault"
    assert [f["code"] for f in layer.selectedFeatures()] == [other]
    feature = next(f for f in layer.getFeatures() if f["code"] == lamp)
    context = QgsRenderContext()
    context.expressionContext().appendScope(QgsExpressionContextUtils.layerScope(layer))
    context.expressionContext().setFeature(feature)  # as the map's renderer does for each feature it draws
    renderer = layer.renderer()
    renderer.startRender(context, layer.fields())
    try:
        assert renderer.symbolForFeature(feature, context).color().name() == STATE_COLOURS["fault"]
    finally:
        renderer.stopRender(context)
    assert refresh_live(project, operator, [layer], box) == {layer.name(): 0}  # nothing new: nothing redrawn


def _state(layer: QgsVectorLayer, code: str) -> str | None:
    return next(f["live_state"] for f in layer.getFeatures() if f["code"] == code)


def _wait(condition: Callable[[], bool], timeout_s: float = 15.0) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        QgsApplication.processEvents()
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_the_live_stream_redraws_a_change_in_one_batch_keeping_the_selection(qgis_new_project, city, kinds,
                                                                             collections) -> None:
    project = QgsProject.instance()
    layer = load_group(project, city.base, kinds.values(), collections, "en")["luminaire"]
    box = (5.035, 47.315, 5.045, 47.32)
    inside = [f for f in layer.getFeatures(QgsFeatureRequest().setFilterRect(QgsRectangle(*box)))]
    lamp, other = inside[0]["code"], inside[1]["code"]
    city.report(lamp, "ok")
    operator = city.client("operator")
    refresh_live(project, operator, [layer], box)
    select_codes(layer, [other])
    batches: list[int] = []
    ups: list[bool] = []
    alarms: list[bool] = []
    stream = LiveStream(operator, lambda changes: batches.append(apply_changes(project, [layer], changes)),
                        lambda: None, ups.append, on_alarms=lambda: alarms.append(True))
    stream.start()
    try:
        assert _wait(lambda: stream.connected), "the stream did not open"
        city.report(lamp, "fault")
        assert _wait(lambda: _state(layer, lamp) == "fault"), "the change did not reach the layer"
        assert batches == [1]
        assert [f["code"] for f in layer.selectedFeatures()] == [other]
        assert not alarms
        # the alarms dock reloads when an alarm changes (the last active one: test_plugin acknowledges the first)
        last = operator.alarms(state="active")["items"][-1]
        operator.acknowledge_alarm(last["id"], "seen in QGIS")
        assert _wait(lambda: bool(alarms)), "the acknowledgement was not announced"
        assert batches == [1]  # an alarm is not a state change
    finally:
        stream.stop()
    assert ups == [True, False]


def test_a_refused_token_is_not_retried(qgis_app, city) -> None:
    client = city.client("operator")
    client.token = "not-a-token"
    stream = LiveStream(client, lambda changes: None, lambda: None, retry_ms=50)
    stream.start()
    try:
        assert _wait(lambda: stream._reply is None)  # answered 401 and closed
        time.sleep(0.2)
        QgsApplication.processEvents()
        assert stream._reply is None and not stream.connected  # no new attempt with the same token
    finally:
        stream.stop()
