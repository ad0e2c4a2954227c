"""The layer tree: one checkable row per family of ``/tiles/layers.json``, its kinds below."""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QTreeWidget, QTreeWidgetItem

from app.desktop.i18n import tr


class LayerTree(QTreeWidget):
    """``layerToggled(name, shown)`` when a family is ticked or unticked."""

    layerToggled = pyqtSignal(str, bool)

    def __init__(self, layers: dict[str, Any], kind_labels: dict[str, str], parent: Any = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels([tr("layers")])
        self.families: dict[str, QTreeWidgetItem] = {}
        for spec in layers.get("vector_layers", []):
            item = QTreeWidgetItem([str(spec.get("description") or spec["id"])])
            item.setData(0, Qt.ItemDataRole.UserRole, spec["id"])
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked)
            for kind in spec.get("kinds", {}):
                item.addChild(QTreeWidgetItem([kind_labels.get(kind, kind)]))
            self.addTopLevelItem(item)
            self.families[spec["id"]] = item
        self.itemChanged.connect(self._changed)

    def _changed(self, item: QTreeWidgetItem, column: int) -> None:
        name = item.data(0, Qt.ItemDataRole.UserRole)
        if name:
            self.layerToggled.emit(str(name), item.checkState(0) == Qt.CheckState.Checked)
