"""The "what does this feed" map tool: click a cabinet, circuit or fibre asset; the fed assets get selected."""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import QgsCoordinateTransform, QgsFeatureRequest, QgsProject, QgsRectangle, QgsVectorLayer
from qgis.gui import QgsMapCanvas, QgsMapMouseEvent, QgsMapTool

from ..logic.client import ApiFailure, Client, ids_for_codes
from ..logic.work import fed_codes
from .layers import KIND_PROPERTY, citypilot_layers, select_codes

TOLERANCE_PX = 6


def show_fed(client: Client, project: QgsProject, kind: str, code: str) -> dict[str, int]:
    """Select what the asset ``code`` feeds in the CityPilot layers; how many per kind."""
    ids = ids_for_codes(client, kind, [code])
    if code not in ids:
        return {}
    fed = fed_codes(client.feeds(ids[code]))
    counts = {}
    for layer in citypilot_layers(project):
        codes = fed.get(layer.customProperty(KIND_PROPERTY), set())
        layer.removeSelection()
        if codes:
            select_codes(layer, codes)
            counts[layer.customProperty(KIND_PROPERTY)] = layer.selectedFeatureCount()
    return counts


def hit(canvas: QgsMapCanvas, layers: list[QgsVectorLayer], x: int, y: int) -> tuple[QgsVectorLayer, str] | None:
    """The first CityPilot feature under the pixel ``(x, y)``: its layer and code."""
    point = canvas.getCoordinateTransform().toMapCoordinates(x, y)
    size = canvas.mapUnitsPerPixel() * TOLERANCE_PX
    box = QgsRectangle(point.x() - size, point.y() - size, point.x() + size, point.y() + size)
    for layer in layers:
        to_layer = QgsCoordinateTransform(canvas.mapSettings().destinationCrs(), layer.crs(), QgsProject.instance())
        request = QgsFeatureRequest().setFilterRect(to_layer.transformBoundingBox(box)).setLimit(1)
        for feature in layer.getFeatures(request):
            return layer, str(feature["code"])
    return None


class FeedsTool(QgsMapTool):
    def __init__(self, canvas: QgsMapCanvas, client: Client, report: Callable[[str, dict[str, int]], None]) -> None:
        super().__init__(canvas)
        self.client, self.report = client, report

    def canvasReleaseEvent(self, event: QgsMapMouseEvent) -> None:  # the QGIS API's name
        project = QgsProject.instance()
        found = hit(self.canvas(), citypilot_layers(project), event.pos().x(), event.pos().y())
        if found is None:
            return
        layer, code = found
        try:
            counts = show_fed(self.client, project, layer.customProperty(KIND_PROPERTY), code)
        except ApiFailure as exc:
            self.report(exc.message, {})
            return
        self.report(code, counts)
