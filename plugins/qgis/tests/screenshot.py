"""The README's picture of the plugin: QGIS (headless) with the CityPilot group over central Dijon, in French,
beside the alarms dock. Run: ``cd plugins/qgis && QT_QPA_PLATFORM=offscreen PYTHONPATH=. ../../.venv-qgis/bin/python
tests/screenshot.py`` (it starts its own CityPilot, as the tests do)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
    QgsSettings,
)
from qgis.gui import QgsLayerTreeView, QgsMapCanvas
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor, QImage, QPainter

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
OUT = ROOT / "docs" / "img" / "qgis-plugin-fr.png"


def main() -> None:
    app = QgsApplication([], True)
    app.initQgis()
    QgsSettings().setValue("locale/userLocale", "fr_FR")
    from citypilot_qgis.logic.client import Client
    from citypilot_qgis.logic.kinds import parse_kinds
    from citypilot_qgis.ui.docks import AlarmsDock
    from citypilot_qgis.ui.i18n import install_translation
    from citypilot_qgis.ui.layers import load_group

    assert install_translation(str(HERE.parent / "citypilot_qgis" / "i18n")), "run `make qgis-plugin` first (fr.qm)"
    server = subprocess.Popen([str(ROOT / ".venv/bin/python"), str(HERE / "city_server.py")], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        city = json.loads(server.stdout.readline())
        client = Client(city["base"], city["tokens"]["operator"], "fr")
        project = QgsProject.instance()
        project.setCrs(QgsCoordinateReferenceSystem("EPSG:2154"))
        layers = load_group(project, client.base, parse_kinds(client.kinds()), [c["id"] for c in
                                                                                client.ogc_collections()], "fr")
        to_l93 = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), project.crs(), project)
        extent = to_l93.transformBoundingBox(QgsRectangle(5.028, 47.318, 5.046, 47.327))
        settings = QgsMapSettings()
        settings.setDestinationCrs(project.crs())
        settings.setLayers(list(reversed(list(layers.values()))))
        settings.setOutputSize(QSize(1000, 700))
        settings.setExtent(extent)
        settings.setBackgroundColor(QColor("#f4f1ea"))
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        tree = QgsLayerTreeView()
        from qgis.core import QgsLayerTreeModel

        model = QgsLayerTreeModel(project.layerTreeRoot())  # kept: the view does not own it
        tree.setModel(model)
        tree.expandAll()
        tree.resize(300, 700)
        tree.show()
        dock = AlarmsDock("Alarmes CityPilot", client, "operator", "fr", QgsMapCanvas())
        dock.resize(560, 700)
        dock.show()
        dock.reload()
        for _ in range(20):
            app.processEvents()
        image = QImage(300 + 1000 + 560, 700, QImage.Format_ARGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.drawImage(0, 0, tree.grab().toImage())
        painter.drawImage(300, 0, job.renderedImage())
        painter.drawImage(1300, 0, dock.grab().toImage())
        painter.end()
        OUT.parent.mkdir(parents=True, exist_ok=True)
        image.save(str(OUT))
        print(OUT)
    finally:
        server.stdin.close()
        server.wait(timeout=60)
        app.exitQgis()


if __name__ == "__main__":
    sys.exit(main())
