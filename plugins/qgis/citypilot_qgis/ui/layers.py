"""The "CityPilot" layer group: one sub-group per family, one layer per public collection, read through
QGIS's own OGC API – Features provider and styled from the kind spec; refreshed keeping the selection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from qgis.core import QgsDataSourceUri, QgsFeatureRequest, QgsLayerTreeGroup, QgsProject, QgsRectangle, QgsVectorLayer
from qgis.PyQt.QtXml import QDomDocument

from ..logic.kinds import Kind, by_family, family_label
from ..logic.styles import qml

GROUP = "CityPilot"
KIND_PROPERTY = "citypilot/kind"
BASE_PROPERTY = "citypilot/base"
#: The id of the layer's live-state table (``ui/live.py``).
TABLE_PROPERTY = "citypilot/live_table"
PROVIDER = "OAPIF"


def collection_uri(base: str, collection: str) -> str:
    uri = QgsDataSourceUri()
    uri.setParam("url", f"{base}/ogc")
    uri.setParam("typename", collection)
    uri.setParam("restrictToRequestBBOX", "1")  # 36,500 lamps: only what the map shows is read
    return uri.uri(False)


def apply_style(layer: QgsVectorLayer, kind: Kind, language: str) -> None:
    """The kind's symbol, labels, value maps and constraints (a QML document made from the spec)."""
    document = QDomDocument()
    document.setContent(qml(kind, language))
    layer.importNamedStyle(document)
    if kind.min_scale:
        layer.setScaleBasedVisibility(True)
        layer.setMinimumScale(kind.min_scale)
    layer.triggerRepaint()


def oapif_layer(base: str, kind: Kind, collection: str, language: str) -> QgsVectorLayer:
    layer = QgsVectorLayer(collection_uri(base, collection), kind.label(language), PROVIDER)
    if not layer.isValid():
        raise RuntimeError(f"QGIS could not read the collection {collection!r} at {base}/ogc")
    layer.setCustomProperty(KIND_PROPERTY, kind.name)
    layer.setCustomProperty(BASE_PROPERTY, base)
    apply_style(layer, kind, language)
    return layer


def load_group(project: QgsProject, base: str, kinds: Iterable[Kind], collections: Iterable[str],
               language: str) -> dict[str, QgsVectorLayer]:
    """Replace the project's CityPilot group with a fresh one; the layers by kind."""
    root = project.layerTreeRoot()
    old = root.findGroup(GROUP)
    if old is not None:
        tables = [node.layer().customProperty(TABLE_PROPERTY) for node in old.findLayers() if node.layer()]
        project.removeMapLayers([layer.layerId() for layer in old.findLayers()] + [t for t in tables if t])
        root.removeChildNode(old)
    group = root.insertGroup(0, GROUP)
    public = set(collections)
    layers: dict[str, QgsVectorLayer] = {}
    for family, members in by_family(kinds).items():
        shown = [k for k in members if k.name in public]
        if not shown:
            continue
        sub: QgsLayerTreeGroup = group.addGroup(family_label(family, language))
        for kind in shown:
            layer = oapif_layer(base, kind, kind.name, language)
            project.addMapLayer(layer, False)
            sub.addLayer(layer)
            layers[kind.name] = layer
    return layers


def citypilot_layers(project: QgsProject) -> list[QgsVectorLayer]:
    return [layer for layer in project.mapLayers().values()
            if isinstance(layer, QgsVectorLayer) and layer.customProperty(KIND_PROPERTY)]


def selected_codes(layer: QgsVectorLayer) -> list[str]:
    return [str(f["code"]) for f in layer.selectedFeatures() if f["code"]]


def select_codes(layer: QgsVectorLayer, codes: Iterable[str], within: QgsRectangle | None = None) -> None:
    """Select the features with ``codes`` (read only ``within`` a box, when given, in the layer's CRS)."""
    wanted = {str(c) for c in codes}
    request = QgsFeatureRequest()
    if within is not None and not within.isEmpty():
        request.setFilterRect(within)
    layer.selectByIds([f.id() for f in layer.getFeatures(request) if str(f["code"]) in wanted])


def refresh(layers: Iterable[QgsVectorLayer]) -> Mapping[str, int]:
    """Read every layer again from the server, keeping what the user selected (by asset code)."""
    counts = {}
    for layer in layers:
        codes = selected_codes(layer)
        box = layer.boundingBoxOfSelected()
        box.grow(1e-6)  # a single point's box is empty
        layer.dataProvider().reloadData()
        if codes:
            select_codes(layer, codes, box)
        layer.triggerRepaint()
        counts[layer.name()] = layer.featureCount()
    return counts
