"""The layer tree: one checkable row per family of ``/tiles/layers.json``, its kinds below; then the live
states (ok, fault, unreachable, unknown), each checkable to show or hide the assets in that state."""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QTreeWidget, QTreeWidgetItem

from app.desktop.i18n import tr

STATES = ("ok", "fault", "unreachable", "unknown")  # the live states of the map's styles


class LayerTree(QTreeWidget):
    """``layerToggled(name, shown)`` when a family is ticked or unticked."""

    layerToggled = pyqtSignal(str, bool)
    stateToggled = pyqtSignal(str, bool)

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
        self.states: dict[str, QTreeWidgetItem] = {}
        group = QTreeWidgetItem([tr("live_state")])
        for state in STATES:
            item = QTreeWidgetItem([tr(f"state_{state}")])
            item.setData(0, Qt.ItemDataRole.UserRole + 1, state)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked)
            group.addChild(item)
            self.states[state] = item
        self.addTopLevelItem(group)
        group.setExpanded(True)
        self.itemChanged.connect(self._changed)

    def _changed(self, item: QTreeWidgetItem, column: int) -> None:
        name = item.data(0, Qt.ItemDataRole.UserRole)
        state = item.data(0, Qt.ItemDataRole.UserRole + 1)
        if state:
            self.stateToggled.emit(str(state), item.checkState(0) == Qt.CheckState.Checked)
        elif name:
            self.layerToggled.emit(str(name), item.checkState(0) == Qt.CheckState.Checked)
