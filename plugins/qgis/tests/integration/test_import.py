"""Import a QGIS layer through the API's import: the dry run writes nothing, the import does, the rejected
rows come back as a layer with their reason."""

from __future__ import annotations

from qgis.core import QgsFeature, QgsField, QgsGeometry, QgsPointXY, QgsVectorLayer
from qgis.PyQt.QtCore import QVariant

from citypilot_qgis.ui.importer import import_layer, rejects_layer


def survey() -> QgsVectorLayer:
    """Three surveyed cabinets in Lambert-93, one with a contract power that is not a number."""
    layer = QgsVectorLayer("Point?crs=EPSG:2154", "survey", "memory")
    layer.dataProvider().addAttributes([QgsField("code", QVariant.String), QgsField("name", QVariant.String),
                                      QgsField("contract_power_kva", QVariant.String)])
    layer.updateFields()
    rows = []
    for i, (code, power) in enumerate([("ARM-QGIS-1", "6"), ("ARM-QGIS-2", "9"), ("ARM-QGIS-3", "lots")]):
        feature = QgsFeature(layer.fields())
        feature.setAttributes([code, f"Armoire relevée {i}", power])
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(855000 + 40 * i, 6692000)))
        rows.append(feature)
    layer.dataProvider().addFeatures(rows)
    return layer


def _count(client, code: str) -> int:
    return sum(1 for a in client.pages("/assets", kind="cabinet", q=code) if a["code"] == code)


def test_dry_run_then_import_with_the_rejects_as_a_layer(qgis_new_project, city) -> None:
    planner = city.client("planner")
    layer = survey()

    trial = import_layer(planner, layer, "cabinet", dry_run=True)
    assert (trial["read"], trial["imported"], trial["rejected"], trial["dry_run"]) == (3, 2, 1, True)
    assert _count(planner, "ARM-QGIS-1") == 0

    report = import_layer(planner, layer, "cabinet", dry_run=False)
    assert (report["imported"], report["rejected"]) == (2, 1)
    assert _count(planner, "ARM-QGIS-1") == 1
    rejects = rejects_layer(planner, report, "rejected")
    assert rejects is not None
    (row,) = list(rejects.getFeatures())
    text = " ".join(str(v) for v in row.attributes())
    assert "ARM-QGIS-3" in text
    assert "contract_power_kva" in text
    assert _count(planner, "ARM-QGIS-3") == 0
