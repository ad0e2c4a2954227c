"""The asset table: a page-by-page model of ``GET /api/v1/assets`` (the map's extent, a kind, a text),
with "more" following the server's ``next`` links."""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.desktop.api import ApiClient
from app.desktop.i18n import STRINGS, pick, tr

COLUMNS = ("code", "name", "kind", "status", "version")
PAGE_SIZE = 100


def kind_label(kind: dict[str, Any]) -> str:
    """A kind's name in the interface language (the server's labels), whatever the server's own language."""
    label = pick(kind.get("labels"), kind.get("label") or kind["name"])
    return label[:1].upper() + label[1:]


def status_label(status: Any) -> str:
    """An inventory status (``in_service``…) as the planner reads it, in the interface language."""
    key = f"status_{status}"
    return tr(key) if key in STRINGS else "" if status is None else str(status)


class AssetModel(QAbstractTableModel):
    """The assets loaded so far (plain JSON of the API), ``total`` matching on the server."""

    def __init__(self, kind_labels: dict[str, str], parent: Any = None) -> None:
        super().__init__(parent)
        self.items: list[dict[str, Any]] = []
        self.total = 0
        self.next: str | None = None
        self.kind_labels = kind_labels

    def rowCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.items)

    def columnCount(self, parent: QModelIndex | None = None) -> int:
        return len(COLUMNS)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self.items[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = item.get(column)
            if column == "kind":
                return self.kind_labels.get(str(value), value)
            if column == "status":
                return status_label(value)
            return "" if value is None else str(value) if column != "version" else value
        if role == Qt.ItemDataRole.UserRole:
            return item["id"]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return tr(COLUMNS[section])
        return None

    def reset_to(self, answer: dict[str, Any]) -> None:
        self.beginResetModel()
        self.items = list(answer["items"])
        self.total, self.next = int(answer["total"]), answer.get("next")
        self.endResetModel()

    def extend(self, answer: dict[str, Any]) -> None:
        new = answer["items"]
        if new:
            self.beginInsertRows(QModelIndex(), len(self.items), len(self.items) + len(new) - 1)
            self.items.extend(new)
            self.endInsertRows()
        self.total, self.next = int(answer["total"]), answer.get("next")

    def replace(self, item: dict[str, Any]) -> None:
        """An asset saved meanwhile (its new version) shown in place."""
        for row, old in enumerate(self.items):
            if old["id"] == item["id"]:
                self.items[row] = {**old, **item}
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))


class AssetPanel(QWidget):
    """Search box, kind filter, the table (sortable) and "more"; ``assetChosen`` with the asset id."""

    assetChosen = pyqtSignal(int)

    def __init__(self, client: ApiClient, kinds: list[dict[str, Any]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.bbox: tuple[float, float, float, float] | None = None
        self.model = AssetModel({k["name"]: kind_label(k) for k in kinds}, self)
        self.sorted = QSortFilterProxyModel(self)
        self.sorted.setSourceModel(self.model)
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("search"))
        self.search.setClearButtonEnabled(True)
        self.kind = QComboBox()
        self.kind.addItem(tr("all_kinds"), None)
        for k in kinds:
            self.kind.addItem(kind_label(k), k["name"])
        self.view = QTableView()
        self.view.setModel(self.sorted)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.count = QLabel()
        self.more = QPushButton(tr("more"))
        filters = QHBoxLayout()
        filters.addWidget(self.search, 2)
        filters.addWidget(self.kind, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.count, 1)
        footer.addWidget(self.more)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.view)
        layout.addLayout(footer)
        self.search.returnPressed.connect(self.reload)
        self.kind.currentIndexChanged.connect(self.reload)
        self.more.clicked.connect(self.load_more)
        self.view.clicked.connect(self._chosen)

    def follow_extent(self, west: float, south: float, east: float, north: float) -> None:
        """The map moved: list what it shows."""
        self.bbox = (west, south, east, north)
        self.reload()

    def reload(self) -> None:
        kind = self.kind.currentData()
        self.model.reset_to(self.client.assets(bbox=self.bbox, kinds=[kind] if kind else None,
                                               text=self.search.text(), limit=PAGE_SIZE))
        self._footer()

    def load_more(self) -> None:
        if self.model.next:
            self.model.extend(self.client.get(self.model.next))
            self._footer()

    def codes(self) -> list[str]:
        return [str(item.get("code")) for item in self.model.items]

    def _footer(self) -> None:
        self.count.setText(tr("count", shown=len(self.model.items), total=self.model.total))
        self.more.setEnabled(bool(self.model.next))

    def _chosen(self, index: QModelIndex) -> None:
        asset_id = self.sorted.data(index, Qt.ItemDataRole.UserRole)
        if asset_id is not None:
            self.assetChosen.emit(int(asset_id))
