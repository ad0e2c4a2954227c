"""The QGIS plugin: toolbar and menu actions wiring the ``ui`` pieces to one CityPilot connection."""

from __future__ import annotations

import os
from typing import Any

from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject, QgsSettings, QgsVectorLayer
from qgis.PyQt.QtCore import Qt, QTimer
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QInputDialog, QMessageBox

from .logic.client import ApiFailure, Client
from .logic.edits import Outcome, conflict_rows
from .logic.kinds import Kind, parse_kinds
from .logic.live import StateChange
from .logic.orders import create_order_for
from .logic.work import may_create_order, may_edit
from .ui import auth, messages
from .ui.connect_dialog import ConnectDialog
from .ui.docks import AlarmsDock, OrdersDock
from .ui.editing import EditController, edit_layer
from .ui.feeds_tool import FeedsTool
from .ui.i18n import install_translation, language, tr
from .ui.importer import import_layer, rejects_layer
from .ui.layers import KIND_PROPERTY, citypilot_layers, load_group, refresh, selected_codes
from .ui.live import apply_changes, refresh_live
from .ui.qt_compat import QAction
from .ui.stream import LiveStream

HERE = os.path.dirname(__file__)
REFRESH_S = 30


class CityPilotPlugin:
    def __init__(self, iface: Any) -> None:
        self.iface = iface
        install_translation(os.path.join(HERE, "i18n"))
        self.client: Client | None = None
        self.role: str | None = None
        self.kinds: dict[str, Kind] = {}
        self.actions: list[QAction] = []
        self.docks: list[Any] = []
        self.controllers: list[EditController] = []  # kept alive: Qt holds only weak references to them
        self.timer = QTimer()
        self.timer.timeout.connect(self.refresh)
        self.feeds_tool: FeedsTool | None = None
        self.stream: LiveStream | None = None

    # -- QGIS's plugin interface ------------------------------------------------------------------
    def initGui(self) -> None:  # the name QGIS calls
        self._stop_logging = messages.start(self.iface.messageBar())
        self.toolbar = self.iface.addToolBar("CityPilot")
        self.toolbar.setObjectName("CityPilotToolbar")
        icon = QIcon(os.path.join(HERE, "icon.svg"))
        self._action(tr("Connect to CityPilot…"), self.connect, icon)
        self._action(tr("Refresh CityPilot layers"), self.refresh)
        self._action(tr("Edit in CityPilot (current layer, visible area)"), self.edit_current)
        self._action(tr("What does this feed?"), self.pick_feeds)
        self._action(tr("Work order from selection…"), self.order_from_selection)
        self._action(tr("Import the current layer into CityPilot…"), self.import_current)

    def unload(self) -> None:
        self.timer.stop()
        self._stop_stream()
        for action in self.actions:
            self.iface.removePluginWebMenu("CityPilot", action)
        for dock in self.docks:
            self.iface.removeDockWidget(dock)
        self.toolbar.deleteLater()
        self._stop_logging()

    def _action(self, text: str, slot: Any, icon: QIcon | None = None) -> QAction:
        action = QAction(icon or QIcon(), text, self.iface.mainWindow())
        action.triggered.connect(lambda *_: slot())
        self.iface.addPluginToWebMenu("CityPilot", action)
        self.toolbar.addAction(action)
        self.actions.append(action)
        return action

    # -- connection -------------------------------------------------------------------------------
    def connect(self) -> None:
        saved = auth.saved_connection()
        dialog = ConnectDialog(saved[0] if saved else "", self.iface.mainWindow())
        if saved and (token := auth.load_token(saved[1])):
            dialog.token.setText(token)
        if not dialog.exec() or dialog.client is None:
            return
        auth.save_token(dialog.client.base, dialog.me.get("name", ""), dialog.client.token or "",
                        saved[1] if saved else None)
        self.open(dialog.client, dialog.me.get("role"))

    def open(self, client: Client, role: str | None) -> None:
        """Load the layers and docks for ``client`` (the connect dialog's, or a test's)."""
        self.client, self.role = client, role
        self.kinds = {k.name: k for k in parse_kinds(client.kinds())}
        collections = [c["id"] for c in client.ogc_collections()]
        layers = load_group(QgsProject.instance(), client.base, self.kinds.values(), collections, language())
        self.refresh_live(list(layers.values()))
        for dock in self.docks:
            self.iface.removeDockWidget(dock)
        canvas = self.iface.mapCanvas()
        self.docks = [AlarmsDock(tr("CityPilot alarms"), client, role or "", language(), canvas),
                      OrdersDock(tr("CityPilot work orders"), client, role or "", language(), canvas)]
        for dock in self.docks:
            self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            dock.reload()
        self.timer.start(int(QgsSettings().value("citypilot/refresh_s", REFRESH_S)) * 1000)
        self._stop_stream()
        if role not in (None, "", "public"):  # live data is not public
            self.stream = LiveStream(client, self.apply_stream, lambda: self.refresh_live(self._layers()),
                                     on_alarms=self.reload_alarms)
            self.stream.start()
        messages.success(tr("Connected to {} as {} ({})", client.base,
                                                            client.me().get("name"), role))

    def _layers(self) -> list[QgsVectorLayer]:
        return citypilot_layers(QgsProject.instance())

    def _stop_stream(self) -> None:
        if self.stream is not None:
            self.stream.stop()
            self.stream = None

    def apply_stream(self, changes: list[StateChange]) -> int:
        """The live stream's state changes drawn on the layers (one batch, one redraw)."""
        return apply_changes(QgsProject.instance(), self._layers(), changes)

    def reload_alarms(self) -> None:
        """An alarm was raised, acknowledged or cleared: the alarms dock reads its page again."""
        for dock in self.docks:
            if isinstance(dock, AlarmsDock):
                dock.reload()

    def refresh(self) -> None:
        layers = self._layers()
        refresh(layers)
        self.refresh_live(layers)
        for dock in self.docks:
            dock.reload()

    # -- editing ----------------------------------------------------------------------------------
    def _current_kind(self) -> tuple[QgsVectorLayer, Kind] | None:
        layer = self.iface.activeLayer()
        kind = self.kinds.get(layer.customProperty(KIND_PROPERTY)) if isinstance(layer, QgsVectorLayer) else None
        if self.client is None or kind is None:
            messages.warning(tr("Connect, then choose a CityPilot layer"))
            return None
        return layer, kind

    def refresh_live(self, layers: list[QgsVectorLayer]) -> None:
        """The live states of what the map shows (layers hidden at this scale are not read)."""
        if self.client is None or self.role in (None, "", "public"):  # live data is not public
            return
        bbox = self.visible_bbox()
        if bbox is None:  # the map shows nothing yet (no extent): read when it does, on the next refresh
            return
        try:
            refresh_live(QgsProject.instance(), self.client, layers, bbox,
                         self.iface.mapCanvas().scale())
        except ApiFailure as failure:
            messages.warning(tr("Live states not read: {}", failure.message))

    def visible_bbox(self) -> tuple[float, float, float, float] | None:
        """What the map shows, in WGS84; None while it shows no area."""
        canvas = self.iface.mapCanvas()
        if canvas.extent().isEmpty():
            return None
        to_wgs84 = QgsCoordinateTransform(canvas.mapSettings().destinationCrs(),
                                          QgsCoordinateReferenceSystem("EPSG:4326"), QgsProject.instance())
        box = to_wgs84.transformBoundingBox(canvas.extent())
        if not box.width() > 0 or not box.height() > 0:
            return None
        return box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum()

    def edit_current(self) -> EditController | None:
        current = self._current_kind()
        if current is None or self.client is None:
            return None
        if not may_edit(self.role):
            messages.warning(tr("Your role may not edit the inventory"))
            return None
        _, kind = current
        layer = edit_layer(self.client, kind, language(), bbox=self.visible_bbox())
        controller = EditController(self.client, kind, layer, self.ask_conflict, self.saved)
        self.controllers.append(controller)
        QgsProject.instance().addMapLayer(layer)
        layer.startEditing()
        return controller

    def ask_conflict(self, outcome: Outcome) -> str:
        """The conflict dialog: the fields changed on both sides; "keep mine" or "take theirs"."""
        rows = "\n".join(f"• {name}: {tr('mine')} = {mine!s} · {tr('theirs')} = {theirs!s}"
                         for name, mine, theirs in conflict_rows(outcome))
        box = QMessageBox(QMessageBox.Icon.Warning, tr("Changed by someone else"),
                          tr("Asset {} was changed on the server since you loaded it.", outcome.change.asset_id)
                          + "\n\n" + rows, parent=self.iface.mainWindow())
        mine = box.addButton(tr("Keep mine"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(tr("Take theirs"), QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return "mine" if box.clickedButton() is mine else "theirs"

    def saved(self, outcomes: list[Outcome]) -> None:
        controller = next((c for c in self.controllers if c.outcomes is outcomes), None)
        problems = controller.problems(language()) if controller else []
        if problems:
            messages.error(tr("Refused by the server:") + " " + "; ".join(problems))
        else:
            messages.success(tr("{} change(s) saved in CityPilot", len(outcomes)))
        refresh(citypilot_layers(QgsProject.instance()))

    # -- tools ------------------------------------------------------------------------------------
    def pick_feeds(self) -> None:
        if self.client is None:
            return
        self.feeds_tool = FeedsTool(self.iface.mapCanvas(), self.client, self._report_feeds)
        self.iface.mapCanvas().setMapTool(self.feeds_tool)

    def _report_feeds(self, code: str, counts: dict[str, int]) -> None:
        total = sum(counts.values())
        messages.info(tr("{} feeds {} asset(s) on the map", code, total))

    def order_from_selection(self) -> None:
        current = self._current_kind()
        if current is None or self.client is None:
            return
        layer, kind = current
        if not may_create_order(self.role):
            messages.warning(tr("Your role may not open work orders"))
            return
        codes = selected_codes(layer)
        if not codes:
            messages.warning(tr("Select the assets first"))
            return
        description, ok = QInputDialog.getText(self.iface.mainWindow(), tr("Work order"), tr("Description"))
        if not ok:
            return
        try:
            order = create_order_for(self.client, kind.name, kind.family, codes, self.role, self.visible_bbox(),
                                     description)
        except (ApiFailure, ValueError) as exc:
            messages.error(str(exc))
            return
        messages.success(tr("Work order {} opened", order["id"]))
        for dock in self.docks:
            dock.reload()

    def import_current(self) -> None:
        """Dry run first (nothing written: what would be imported, rejected, set aside), then the import."""
        layer = self.iface.activeLayer()
        if self.client is None or not isinstance(layer, QgsVectorLayer) or not may_edit(self.role):
            messages.warning(tr("Connect as an editor and choose a layer"))
            return
        names = [k.label(language()) for k in self.kinds.values()]
        chosen, ok = QInputDialog.getItem(self.iface.mainWindow(), tr("Import"), tr("Asset kind"), names, 0, False)
        if not ok:
            return
        kind = list(self.kinds.values())[names.index(chosen)]
        try:
            trial = import_layer(self.client, layer, kind.name, dry_run=True)
            summary = tr("{} read, {} to import, {} rejected, {} probable duplicates", trial["read"],
                         trial["imported"], trial["rejected"], trial["duplicates"])
            answer = QMessageBox.question(self.iface.mainWindow(), tr("Import"),
                                          tr("Dry run:") + " " + summary + "\n\n" + tr("Import now?"))
            if answer != QMessageBox.StandardButton.Yes:
                return
            report = import_layer(self.client, layer, kind.name, dry_run=False)
        except (ApiFailure, RuntimeError) as exc:
            messages.error(str(exc))
            return
        rejects_layer(self.client, report, tr("{} — rejected rows", layer.name()))
        messages.success(tr("{} imported, {} rejected", report["imported"],
                                                            report["rejected"]))
        refresh(citypilot_layers(QgsProject.instance()))
