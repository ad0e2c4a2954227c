"""Import the current QGIS layer into CityPilot through the API's import: dry run, then import; the rejected
rows come back as a layer (the server's CSV, each with its reason)."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from qgis.core import QgsCoordinateTransformContext, QgsProject, QgsVectorFileWriter, QgsVectorLayer

from ..logic.client import Client


def write_geopackage(layer: QgsVectorLayer, folder: str) -> str:
    """The layer as a GeoPackage in ``folder`` (its own CRS kept: the server reprojects)."""
    path = os.path.join(folder, "layer.gpkg")
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = "layer"
    error, message, *_ = QgsVectorFileWriter.writeAsVectorFormatV3(layer, path, QgsCoordinateTransformContext(),
                                                                     options)
    if error != QgsVectorFileWriter.WriterError.NoError:
        raise RuntimeError(f"could not write the layer for the import: {message}")
    return path


def import_layer(client: Client, layer: QgsVectorLayer, kind: str, dry_run: bool) -> dict[str, Any]:
    """The server's import report for ``layer`` as assets of ``kind``."""
    with tempfile.TemporaryDirectory(prefix="citypilot-import-") as folder:
        return client.import_file(write_geopackage(layer, folder), kind, dry_run=dry_run, layer="layer")


def rejects_layer(client: Client, report: dict[str, Any], name: str) -> QgsVectorLayer | None:
    """The rejected rows as a (table) layer, added to the project; None when nothing was rejected."""
    if not report.get("rejects_url"):
        return None
    folder = tempfile.mkdtemp(prefix="citypilot-rejects-")
    path = os.path.join(folder, "rejects.csv")
    with open(path, "w", encoding="utf-8") as out:
        out.write(client.text(report["rejects_url"]))
    layer = QgsVectorLayer(f"file://{path}?type=csv&detectTypes=no&geomType=none", name, "delimitedtext")
    if not layer.isValid():
        return None
    QgsProject.instance().addMapLayer(layer)
    return layer
