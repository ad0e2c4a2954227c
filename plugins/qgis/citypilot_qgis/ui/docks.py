"""The alarms and work-orders docks: filters, a paged table, zoom to, and the actions the user's role allows."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsPointXY, QgsProject
from qgis.gui import QgsMapCanvas
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..logic.client import ApiFailure, Client
from ..logic.work import ALARM_LABELS, Row, alarm_rows, label, may_acknowledge, may_assign, order_rows
from . import messages
from .i18n import tr

PAGE = 50
ZOOM_SCALE = 2000.0


def zoom_to(canvas: QgsMapCanvas, lon: float | None, lat: float | None) -> bool:
    """Centre the map on a WGS84 position at street scale."""
    if lon is None or lat is None:
        return False
    to_canvas = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"),
                                       canvas.mapSettings().destinationCrs(), QgsProject.instance())
    canvas.setCenter(to_canvas.transform(QgsPointXY(float(lon), float(lat))))
    canvas.zoomScale(ZOOM_SCALE)
    canvas.refresh()
    return True


class ListDock(QDockWidget):
    """A paged table of records with filters; subclasses say what to fetch and which actions to offer."""

    headers: Sequence[str] = ()
    filters: Sequence[tuple[str, Sequence[str]]] = ()  # (API parameter, values; the first is the default)
    words: Mapping[str, Mapping[str, str]] | None = None  # the labels that differ from the orders' ones

    def __init__(self, title: str, client: Client, role: str, language: str, canvas: QgsMapCanvas) -> None:
        super().__init__(title)
        self.setObjectName(f"CityPilot{type(self).__name__}")
        self.client, self.role, self.language, self.canvas = client, role, language, canvas
        self.rows: list[Row] = []
        self.cursors: list[str | None] = [None]
        self.next_cursor: str | None = None
        body = QWidget()
        layout = QVBoxLayout(body)
        bar_row = QHBoxLayout()
        self.combos: dict[str, QComboBox] = {}
        for name, values in self.filters:
            combo = QComboBox()
            for value in values:
                combo.addItem(label(value or "all", language, self.words), value)
            combo.currentIndexChanged.connect(self.first_page)
            bar_row.addWidget(combo)
            self.combos[name] = combo
        self.refresh_button = self._button(tr("Refresh"), self.reload, bar_row)
        layout.addLayout(bar_row)
        self.table = QTableWidget(0, len(self.headers))
        self.table.setHorizontalHeaderLabels([tr(h) for h in self.headers])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._enable)
        layout.addWidget(self.table)
        actions = QHBoxLayout()
        self.zoom_button = self._button(tr("Zoom to"), self.zoom, actions)
        self.add_actions(actions)
        self.previous_button = self._button("◀", self.previous_page, actions)
        self.page_label = QLabel()
        actions.addWidget(self.page_label)
        self.next_button = self._button("▶", self.next_page, actions)
        layout.addLayout(actions)
        self.setWidget(body)

    def _button(self, text: str, slot: Callable[[], Any], row: QHBoxLayout) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(lambda *_: slot())
        row.addWidget(button)
        return button

    def add_actions(self, row: QHBoxLayout) -> None:
        """Subclasses add their buttons."""

    def fetch(self, params: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def to_rows(self, items: list[dict[str, Any]]) -> list[Row]:
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        chosen = {name: combo.currentData() for name, combo in self.combos.items()}
        return {k: v for k, v in chosen.items() if v} | {"limit": PAGE}

    def first_page(self, *_: Any) -> None:
        self.cursors = [None]
        self.reload()

    def next_page(self) -> None:
        if self.next_cursor:
            self.cursors.append(self.next_cursor)
            self.reload()

    def previous_page(self) -> None:
        if len(self.cursors) > 1:
            self.cursors.pop()
            self.reload()

    def reload(self) -> None:
        params = self.params()
        if self.cursors[-1]:
            params["cursor"] = self.cursors[-1]
        try:
            answer = self.fetch(params)
        except ApiFailure as exc:
            self.say(exc.message, error=True)
            return
        self.rows = self.to_rows(answer.get("items") or [])
        self.next_cursor = _cursor(answer.get("next"))
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for c, text in enumerate(row.cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        total = answer.get("total")
        self.page_label.setText(tr("page {} · {} in all", len(self.cursors), total if total is not None else "?"))
        self.previous_button.setEnabled(len(self.cursors) > 1)
        self.next_button.setEnabled(bool(self.next_cursor))
        self._enable()

    def selected(self) -> Row | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.rows[rows[0].row()] if rows else None

    def _enable(self) -> None:
        row = self.selected()
        self.zoom_button.setEnabled(row is not None and row.lon is not None)
        self.enable_actions(row)

    def enable_actions(self, row: Row | None) -> None:
        """Subclasses enable their buttons for the selected row."""

    def zoom(self) -> None:
        row = self.selected()
        if row is not None:
            zoom_to(self.canvas, row.lon, row.lat)

    def say(self, text: str, error: bool = False) -> None:
        (messages.error if error else messages.success)(text)


def _cursor(link: str | None) -> str | None:
    if not link:
        return None
    from urllib.parse import parse_qs, urlsplit

    return (parse_qs(urlsplit(link).query).get("cursor") or [None])[0]


class AlarmsDock(ListDock):
    words = ALARM_LABELS
    headers = ("Severity", "State", "Asset", "Message", "Raised")
    filters = (("state", ("active", "open", "acknowledged", "cleared", "all")),
               ("severity", ("", "critical", "major", "minor", "warning")))

    def add_actions(self, row: QHBoxLayout) -> None:
        self.acknowledge_button = self._button(tr("Acknowledge"), self.acknowledge, row)
        self.acknowledge_button.setVisible(may_acknowledge(self.role))

    def fetch(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.client.alarms(**params)

    def to_rows(self, items: list[dict[str, Any]]) -> list[Row]:
        return alarm_rows(items, self.language)

    def enable_actions(self, row: Row | None) -> None:
        self.acknowledge_button.setEnabled(row is not None and may_acknowledge(self.role))

    def acknowledge(self, comment: str = "") -> None:
        row = self.selected()
        if row is None:
            return
        try:
            self.client.acknowledge_alarm(row.id, comment)
        except ApiFailure as exc:
            self.say(exc.message, error=True)
            return
        self.say(tr("Alarm {} acknowledged", row.id))
        self.reload()


class OrdersDock(ListDock):
    headers = ("Order", "State", "Priority", "Category", "Crew", "Description")
    filters = (("state", ("open", "new", "assigned", "en_route", "on_site", "waiting", "done", "all")),
               ("priority", ("", "urgent", "high", "normal", "low")))

    def add_actions(self, row: QHBoxLayout) -> None:
        self.assign_button = self._button(tr("Assign…"), self.ask_assign, row)
        self.assign_button.setVisible(may_assign(self.role))

    def fetch(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.client.work_orders(**params)

    def to_rows(self, items: list[dict[str, Any]]) -> list[Row]:
        return order_rows(items, self.language)

    def enable_actions(self, row: Row | None) -> None:
        self.assign_button.setEnabled(row is not None and may_assign(self.role))

    def ask_assign(self) -> None:
        try:
            crews = self.client.crews()
        except ApiFailure as exc:
            self.say(exc.message, error=True)
            return
        if not crews:
            self.say(tr("No crew to assign"), error=True)
            return
        names = [str(c.get("name") or c["id"]) for c in crews]
        chosen, ok = QInputDialog.getItem(self, tr("Assign"), tr("Crew"), names, 0, False)
        if ok:
            self.assign(int(crews[names.index(chosen)]["id"]))

    def assign(self, crew_id: int) -> bool:
        row = self.selected()
        if row is None or row.version is None:
            return False
        try:
            self.client.move_work_order(row.id, {"to": "assigned", "version": row.version, "crew_id": crew_id})
        except ApiFailure as exc:
            self.say(exc.message, error=True)
            return False
        self.say(tr("Order {} assigned", row.id))
        self.reload()
        return True
