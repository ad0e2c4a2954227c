"""The planners' main window: the map in the centre, the layer tree, the asset table, the attribute form.

Every change goes through :class:`EditSession` (the API with the asset's version); a stale one opens the
conflict dialog, a refused field shows the server's reason under it.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.desktop.api import ApiClient, ApiError
from app.desktop.conflict import TAKE_THEIRS, ConflictDialog
from app.desktop.edits import GEOMETRY, Conflict, EditSession
from app.desktop.fibre import LASSO_MAX, SNAP_M, Drawing, Snap, lasso, reshaped
from app.desktop.i18n import tr
from app.desktop.layertree import LayerTree
from app.desktop.live import LiveStream
from app.desktop.mapview import MapView
from app.desktop.plan_dialog import PlanDialog
from app.desktop.planning import alarms_layer, create_orders, feeds_layer, order_choices, orders_layer
from app.desktop.table import AssetPanel

BOX_LIMIT = 500  # assets a rectangle selects at most (one page of the API)
POLES_OF = {"luminaire": "pole"}  # attaching a luminaire to a circuit attaches the support carrying it
ALARMS_REFRESH_MS = 2000  # the alarms layer read again this long after the last alarm heard
POSITIONS_FLUSH_MS = 200  # vehicle positions heard within this time are drawn together
DRAWN_FIELDS = ("from_node_id", "to_node_id")  # what a drawn segment's snapped ends give its new form
ORDER_CREATORS = ("admin", "planner", "supervisor", "operator")  # the server refuses the others (403)


class MainWindow(QMainWindow):
    """``client`` is signed in; ``me`` is its ``/me``. ``live=False``: no stream (tests of other parts)."""

    def __init__(self, client: ApiClient, me: dict[str, Any], *, live: bool = True) -> None:
        super().__init__()
        self.client = client
        self.me = me
        self.setWindowTitle(tr("app_title"))
        self.resize(1400, 850)
        self.kinds = {k["name"]: k for k in client.kinds()}
        self.edits = EditSession(client)
        self.selection: list[int] = []
        self.new_geometry: dict[str, Any] | None = None  # the point of an asset being added
        self.resolve_conflict = self._ask_conflict  # tests answer the dialog themselves
        self.import_dialog: Any = None
        self.drawing = Drawing.empty()
        self.alarms_timer = QTimer(self, singleShot=True, interval=ALARMS_REFRESH_MS)
        self.alarms_timer.timeout.connect(self.toggle_alarms)
        layers = client.layers()
        labels = {name: k.get("label") or name for name, k in self.kinds.items()}
        self.map = MapView(client, layers, list(self.kinds.values()), self)
        self.setCentralWidget(self.map)
        self.tree = LayerTree(layers, labels)
        self.tree.layerToggled.connect(self.map.set_layer_shown)
        self.tree.stateToggled.connect(lambda state, on: self.map.call("setStateShown", state, on))
        self._dock(tr("layers"), self.tree, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.table = AssetPanel(client, list(self.kinds.values()))
        self.table.assetChosen.connect(self.open_asset)
        self._dock(tr("assets"), self.table, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._dock(tr("attributes"), self._form_panel(), Qt.DockWidgetArea.RightDockWidgetArea)
        self._toolbar()
        self._search_bar()
        self._vehicles_layer()
        self.map.bridge.featureClicked.connect(self.open_asset)
        self.map.bridge.extentChanged.connect(self.table.follow_extent)
        self.map.bridge.mapClickedAt.connect(self.map_clicked)
        self.map.bridge.pointDragged.connect(self.move_asset)
        self.map.bridge.boxChosen.connect(self.select_box)
        self.map.bridge.overlayPicked.connect(self.overlay_picked)
        self.map.bridge.vertexAdded.connect(self.add_vertex)
        self.map.bridge.drawingDone.connect(self.finish_drawing)
        self.map.bridge.vertexMoved.connect(self.reshape_vertex)
        self.map.bridge.lassoChosen.connect(self.select_lasso)
        self.connection = QLabel()
        self.statusBar().addPermanentWidget(self.connection)  # type: ignore[union-attr]
        self.who = QLabel(tr("signed_in_as", user=me.get("name"), role=me.get("role"), server=client.server))
        self.statusBar().addPermanentWidget(self.who)  # type: ignore[union-attr]
        self.stream: LiveStream | None = None
        self._connected(False)
        if live:
            self.stream = LiveStream(client, self)
            self.stream.event.connect(self.live_event)
            self.stream.connected.connect(self._connected)
            self.stream.start()
        self.table.reload()
        self._refresh_actions()

    # -- layout -------------------------------------------------------------------------------------

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _form_panel(self) -> QWidget:
        from app.desktop.form import AttributeForm

        self.form = AttributeForm()
        self.save_button = QPushButton(tr("save"))
        self.save_button.clicked.connect(self.save_form)
        self.message = QLabel()
        self.message.setObjectName("form_message")
        self.message.setWordWrap(True)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        panel = QWidget()
        panel.setMinimumWidth(340)
        layout = QVBoxLayout(panel)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.message)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        return panel

    def _toolbar(self) -> None:
        bar = QToolBar(tr("tools"))
        bar.setObjectName("tools")
        self.addToolBar(bar)
        self.add_kind = QComboBox()
        for name, kind in self.kinds.items():
            if "Point" in (kind.get("geometry_types") or []):
                self.add_kind.addItem(kind.get("label") or name, name)
        self.add_action = self._action(bar, tr("add_point"), self.toggle_add, checkable=True)
        bar.addWidget(self.add_kind)
        bar.addSeparator()
        self.draw_action = self._action(bar, tr("draw_fibre"), self.toggle_draw, checkable=True)
        bar.addSeparator()
        self.select_action = self._action(bar, tr("select_box"), self.toggle_select, checkable=True)
        self.lasso_action = self._action(bar, tr("lasso"), self.toggle_lasso, checkable=True)
        self.selected_label = QLabel()
        bar.addWidget(self.selected_label)
        self.bulk_action = self._action(bar, tr("bulk_edit"), self.bulk_edit)
        self.attach_action = self._action(bar, tr("attach_circuit"), self.attach_to_circuit)
        self.retire_action = self._action(bar, tr("retire"), self.retire_selected)
        bar.addSeparator()
        self.undo_action = self._action(bar, tr("undo"), self.undo, QKeySequence.StandardKey.Undo)
        self.redo_action = self._action(bar, tr("redo"), self.redo, QKeySequence.StandardKey.Redo)
        bar.addSeparator()
        self.plan_action = self._action(bar, tr("plan_works"), self.plan_works)
        self.orders_action = self._action(bar, tr("orders_layer"), self.toggle_orders, checkable=True)
        self.alarms_action = self._action(bar, tr("alarms_layer"), self.toggle_alarms, checkable=True)
        self.feeds_action = self._action(bar, tr("feeds"), self.show_feeds)
        bar.addSeparator()
        self.import_action = self._action(bar, tr("import"), self.open_import)

    def _search_bar(self) -> None:
        """"Find a street or a code" above the map: the chosen match is brought into view (an asset opens)."""
        from app.desktop.place_search import PlaceSearch

        bar = QToolBar(tr("find_place"))
        bar.setObjectName("find")
        self.addToolBar(bar)
        self.place_search = PlaceSearch(self.client)
        self.place_search.placeChosen.connect(self.show_place)
        self.place_search.failed.connect(self.say)
        bar.addWidget(self.place_search)

    def _vehicles_layer(self) -> None:
        """The fleet on the map, moved by the stream's positions (a burst drawn in one go): for the roles the
        server gives positions to; the others get no layer."""
        self.positions: dict[int, list[Any]] = {}
        self.positions_timer = QTimer(self, singleShot=True, interval=POSITIONS_FLUSH_MS)
        self.positions_timer.timeout.connect(self.draw_positions)
        self.vehicles_action = QAction(tr("vehicles_layer"), self, checkable=True, checked=True)
        self.vehicles_action.toggled.connect(lambda on: self.map.call("setVehiclesShown", on))
        fleet = self.client.vehicles()
        self.vehicles_shown = fleet is not None
        if fleet is None:
            return
        self.positions.update({int(v["asset_id"]): [int(v["asset_id"]), v.get("lon"), v.get("lat"), v.get("code")]
                               for v in fleet})
        self.findChild(QToolBar, "tools").addAction(self.vehicles_action)  # type: ignore[union-attr]
        self.map.bridge.ready.connect(self.positions_timer.start)

    def vehicle_moved(self, data: dict[str, Any]) -> None:
        """A ``position`` event: drawn with the others of its burst."""
        asset_id = int(data["asset_id"])
        self.positions[asset_id] = [asset_id, data.get("lon"), data.get("lat"), None]
        if self.map.ready and not self.positions_timer.isActive():
            self.positions_timer.start()

    def draw_positions(self) -> None:
        if self.positions:
            self.map.call("vehiclesAt", list(self.positions.values()))
            self.positions = {}

    def show_place(self, place: dict[str, Any]) -> None:
        self.map.call("showPlace", place)
        if place.get("type") == "asset" and place.get("asset_id"):
            self.open_asset(int(place["asset_id"]))

    def _action(self, bar: QToolBar, text: str, slot: Any, shortcut: Any = None, *, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setCheckable(checkable)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        bar.addAction(action)
        return action

    def _refresh_actions(self) -> None:
        self.undo_action.setEnabled(self.edits.can_undo)
        self.redo_action.setEnabled(self.edits.can_redo)
        many = len(self.selection)
        self.bulk_action.setEnabled(many > 0)
        self.attach_action.setEnabled(many > 0)
        self.retire_action.setEnabled(self.form.feature is not None and self.form.asset_id is not None)
        self.plan_action.setEnabled(bool(self.planned_ids()) and self.me.get("role") in ORDER_CREATORS)
        self.feeds_action.setEnabled(self.form.asset_id is not None)
        self.selected_label.setText(tr("selected", count=many) if many else "")

    def _connected(self, on: bool) -> None:
        self.connection.setText(tr("live_on") if on else tr("live_off"))
        self.connection.setStyleSheet("color: #2e7d32;" if on else "color: #b00020;")

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.statusBar().showMessage(text, 8000)  # type: ignore[union-attr]

    # -- one asset ----------------------------------------------------------------------------------

    def open_asset(self, asset_id: int) -> None:
        """Show the asset in the form, highlighted on the map (its point draggable)."""
        try:
            feature = self.client.asset(asset_id)
        except ApiError as exc:
            self.say(tr("fix_fields", reason=exc.message))
            return
        self.show_feature(feature)

    def show_feature(self, feature: dict[str, Any]) -> None:
        kind = self.kinds.get(feature["properties"].get("kind"), {"name": feature["properties"].get("kind")})
        self.form.load(feature, kind)
        self.message.clear()
        if feature.get("id") is not None:
            self.map.select(int(feature["id"]), feature.get("geometry"))
        self._refresh_actions()

    def save_form(self) -> bool:
        """Save the form: a new asset is created, a loaded one PATCHed with its version."""
        feature = self.form.feature
        if feature is None:
            return False
        self.form.show_errors({})
        if feature.get("id") is None:
            return self._create(feature)
        changes = self.form.changes()
        if not changes:
            self.say(tr("nothing_changed"))
            return False
        return self._save(feature, changes, "edit")

    def _save(self, feature: dict[str, Any], values: dict[str, Any], label: str) -> bool:
        try:
            saved = self.edits.save(feature, values, label)
        except Conflict as conflict:
            return self._conflict(conflict, feature, label)
        except ApiError as exc:
            return self._refused(exc)
        self._saved([saved])
        return True

    def _create(self, feature: dict[str, Any]) -> bool:
        drawn = {k: v for k, v in feature["properties"].items() if k in DRAWN_FIELDS and v is not None}
        values = {**drawn, **{k: v for k, v in self.form.values().items() if v is not None}}
        try:
            created = self.client.create_asset(feature["properties"]["kind"], feature.get("geometry"), values)
        except ApiError as exc:
            return self._refused(exc)
        self.edits.created(created)
        self.add_action.setChecked(False)
        self.toggle_add()
        self._saved([created])
        return True

    def _refused(self, exc: ApiError) -> bool:
        """A 422 names its fields: each reason under its field; the others in the message line."""
        others = self.form.show_errors(exc.fields) if exc.status == 422 else []
        reason = "; ".join(f"{f}: {exc.fields[f]}" for f in others) if others else exc.message
        self.say(tr("fix_fields", reason=reason))
        return False

    def _saved(self, features: list[dict[str, Any]]) -> None:
        for saved in features:
            self.table.model.replace({"id": saved["id"], **saved["properties"]})
        if features:
            last = features[-1]
            if self.form.feature is None or self.form.asset_id in (None, int(last["id"])):
                self.show_feature(last)
            self.say(tr("saved", version=last["properties"]["version"]))
            self.map.call("refreshAll")
        self._refresh_actions()

    def _conflict(self, conflict: Conflict, feature: dict[str, Any] | None, label: str) -> bool:
        """Someone saved meanwhile: the planner chooses; what is kept is saved over the server's version."""
        keep = self.resolve_conflict(conflict)
        current = conflict.current
        if not keep:
            self.show_feature(current)
            self.say(tr("took_theirs", version=current["properties"]["version"]))
            return False
        return self._save(current, keep, label)

    def _ask_conflict(self, conflict: Conflict) -> dict[str, Any]:
        dialog = ConflictDialog(conflict.mine, conflict.edited_version, conflict.current, self)
        dialog.exec()
        return {} if dialog.choice in (None, TAKE_THEIRS) else dialog.resolved()

    def move_asset(self, asset_id: int, lon: float, lat: float) -> bool:
        """A point dropped on the map: saved with the version the planner had in the form."""
        feature = self.form.feature if self.form.asset_id == asset_id else self.client.asset(asset_id)
        assert feature is not None
        return self._save(feature, {GEOMETRY: {"type": "Point", "coordinates": [lon, lat]}}, "move")

    # -- adding -------------------------------------------------------------------------------------

    def _set_mode(self, mode: str, action: QAction) -> None:
        """One drawing or selecting mode at a time; unchecking goes back to browsing."""
        on = action.isChecked()
        for other in (self.add_action, self.draw_action, self.select_action, self.lasso_action):
            if other is not action:
                other.setChecked(False)
        if mode != "draw" or not on:
            self.drawing = Drawing.empty()
            self.map.call("drawing", None)
        self.map.call("setMode", mode if on else "browse")

    def toggle_add(self) -> None:
        self._set_mode("add", self.add_action)

    def map_clicked(self, lon: float, lat: float) -> None:
        """In "add" mode: a new asset of the chosen kind at the click, its form to fill and save."""
        if not self.add_action.isChecked():
            return
        kind = self.add_kind.currentData()
        point = {"type": "Point", "coordinates": [lon, lat]}
        self.show_feature({"type": "Feature", "id": None, "geometry": point,
                           "properties": {"kind": kind, "version": 0, "code": None}})
        self.map.call("highlight", [point])
        self.say(tr("fill_new", kind=self.add_kind.currentText()))

    # -- selections ---------------------------------------------------------------------------------

    def toggle_select(self) -> None:
        self._set_mode("select", self.select_action)

    def toggle_lasso(self) -> None:
        self._set_mode("lasso", self.lasso_action)

    def select_lasso(self, ring: list[tuple[float, float]]) -> list[int]:
        """The assets inside the freehand ring (the table's kind filter applies): the selection."""
        features, total = lasso(self.client, ring, self.table.kind.currentData())
        self.selection = [int(f["id"]) for f in features]
        self.map.call("highlight", [f["geometry"] for f in features])
        if total > LASSO_MAX:
            self.say(tr("selection_capped", count=len(self.selection), total=total))
        self._refresh_actions()
        return self.selection

    # -- fibre ----------------------------------------------------------------------------------------

    def toggle_draw(self) -> None:
        self._set_mode("draw", self.draw_action)
        if self.draw_action.isChecked():
            self.say(tr("draw_hint", metres=int(SNAP_M)))

    def add_vertex(self, lon: float, lat: float) -> Snap | None:
        """A click while drawing: a vertex, snapped onto a node, cabinet or camera within the tolerance."""
        if not self.draw_action.isChecked():
            return None
        snapped = self.drawing.add(self.client, lon, lat)
        self.map.call("drawing", self.drawing.geometry()["coordinates"])
        self.statusBar().showMessage(tr("snapped", code=snapped.code) if snapped else tr("not_snapped"), 5000)  # type: ignore[union-attr]
        return snapped

    def finish_drawing(self) -> bool:
        """Double-click: the drawn line becomes a new fibre segment's form, its ends' nodes set."""
        if len(self.drawing.vertices) < 2:
            self.say(tr("draw_more"))
            return False
        geometry, ends = self.drawing.geometry(), self.drawing.ends()
        self.draw_action.setChecked(False)
        self.toggle_draw()
        self.show_feature({"type": "Feature", "id": None, "geometry": geometry,
                           "properties": {"kind": "fibre_segment", "version": 0, "code": None, **ends}})
        self.map.call("highlight", [geometry])
        missing = [name for name in DRAWN_FIELDS if name not in ends]
        self.say(tr("fill_new", kind=self.kinds.get("fibre_segment", {}).get("label", "fibre_segment"))
                 + (" " + tr("ends_missing", fields=", ".join(missing)) if missing else ""))
        return True

    def reshape_vertex(self, asset_id: int, index: int, lon: float, lat: float) -> bool:
        """A segment's vertex dragged: the new line (snapped) saved with the version the planner had."""
        feature = self.form.feature if self.form.asset_id == asset_id else self.client.asset(asset_id)
        assert feature is not None
        changes = reshaped(self.client, feature, index, lon, lat)
        return self._save(feature, {GEOMETRY: changes.pop("geometry"), **changes}, "reshape")

    def select_box(self, west: float, south: float, east: float, north: float) -> list[int]:
        """The assets in the rectangle (the table's kind filter applies): the selection."""
        kind = self.table.kind.currentData()
        answer = self.client.assets(bbox=(west, south, east, north), kinds=[kind] if kind else None, limit=BOX_LIMIT)
        self.selection = [int(item["id"]) for item in answer["items"]]
        collection = self.client.get(f"/api/v1/assets?f=geojson&limit={BOX_LIMIT}&bbox="
                                     f"{west:.6f},{south:.6f},{east:.6f},{north:.6f}"
                                     + (f"&kind={kind}" if kind else ""))
        self.map.call("highlight", [f["geometry"] for f in collection["features"] if f.get("geometry")])
        if answer["total"] > len(self.selection):
            self.say(tr("selection_capped", count=len(self.selection), total=answer["total"]))
        self._refresh_actions()
        return self.selection

    def bulk_edit(self, name: str | None = None, value: Any = None) -> int:
        """Set one attribute on every selected asset (one undo step); answers how many were saved."""
        features = [self.client.asset(i) for i in self.selection]
        if name is None:
            names = sorted({a["name"] for f in features for a in self.kinds[f["properties"]["kind"]]["attributes"]
                            if a["type"] in ("text", "integer", "number", "boolean", "date")})
            name, ok = QInputDialog.getItem(self, tr("bulk_edit"), tr("field"), names, 0, False)
            if not ok:
                return 0
            text, ok = QInputDialog.getText(self, tr("bulk_edit"), name)
            if not ok:
                return 0
            value = text
        return self._save_all([(f, {name: value}) for f in features], "bulk")

    def attach_to_circuit(self, circuit_id: int | None = None) -> int:
        """Attach the selected luminaires (through their support) and supports to a circuit."""
        if circuit_id is None:
            number, ok = QInputDialog.getInt(self, tr("attach_circuit"), tr("circuit_id"), 1, 1)
            if not ok:
                return 0
            circuit_id = number
        targets: dict[int, dict[str, Any]] = {}
        for asset_id in self.selection:
            feature = self.client.asset(asset_id)
            kind = feature["properties"]["kind"]
            if kind in POLES_OF and feature["properties"].get("parent_id"):
                feature = self.client.asset(int(feature["properties"]["parent_id"]))
                kind = feature["properties"]["kind"]
            if "circuit" in (self.kinds.get(kind, {}).get("parents") or []):
                targets[int(feature["id"])] = feature
        if not targets:
            self.say(tr("nothing_to_attach"))
            return 0
        return self._save_all([(f, {"parent_id": circuit_id}) for f in targets.values()], "attach")

    def _save_all(self, changes: list[tuple[dict[str, Any], dict[str, Any]]], label: str) -> int:
        try:
            saved = self.edits.save_many(changes, label)
        except Conflict as conflict:
            self._conflict(conflict, None, label)
            return 0
        except ApiError as exc:
            self._refused(exc)
            self._refresh_actions()
            return 0
        self._saved(saved)
        self.say(tr("saved_many", count=len(saved)))
        return len(saved)

    def retire_selected(self) -> bool:
        feature = self.form.feature
        if feature is None or feature.get("id") is None:
            return False
        try:
            saved = self.edits.retire(feature)
        except Conflict as conflict:
            return self._conflict(conflict, feature, "retire")
        except ApiError as exc:
            return self._refused(exc)
        self._saved([saved])
        return True

    # -- undo / redo --------------------------------------------------------------------------------

    def undo(self) -> list[dict[str, Any]]:
        return self._replay(self.edits.undo)

    def redo(self) -> list[dict[str, Any]]:
        return self._replay(self.edits.redo)

    def _replay(self, how: Any) -> list[dict[str, Any]]:
        try:
            saved = how()
        except Conflict as conflict:
            self._conflict(conflict, None, "undo")
            return []
        except ApiError as exc:
            self._refused(exc)
            return []
        self._saved(saved)
        return saved

    # -- live ---------------------------------------------------------------------------------------

    def live_event(self, name: str, data: dict[str, Any]) -> None:
        """A state change restyles its asset on the map; an alarm is said in the status bar (and the alarms
        layer, when shown, is read again a moment later: one read for a burst of alarms)."""
        if name == "state" and data.get("asset_id") is not None:
            self.map.call("liveState", int(data["asset_id"]), data.get("kind"), data.get("state"))
        elif name == "alarm":
            self.statusBar().showMessage(tr("alarm", text=str(data.get("message") or data.get("kind") or "")), 8000)  # type: ignore[union-attr]
            if self.alarms_action.isChecked():
                self.alarms_timer.start()
        elif name == "position" and data.get("asset_id") is not None:
            self.vehicle_moved(data)
        elif name == "resync":
            self.map.call("resync")

    # -- planning -------------------------------------------------------------------------------------

    def planned_ids(self) -> list[int]:
        """What works are planned for: the selection, else the asset in the form."""
        if self.selection:
            return list(self.selection)
        return [self.form.asset_id] if self.form.asset_id is not None else []

    def plan_works(self, values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Open work orders for the selection (``values``: category, priority, description, one_per_asset;
        asked in a dialog when not given); answers the orders opened."""
        ids = self.planned_ids()
        if not ids:
            self.say(tr("no_selection"))
            return []
        if values is None:
            dialog = PlanDialog(len(ids), *order_choices(self.client), parent=self)
            if not dialog.exec():
                return []
            values = dialog.values()
        try:
            made = create_orders(self.client, ids, **values)
        except ApiError as exc:
            self.say(tr("fix_fields", reason="; ".join(f"{f}: {r}" for f, r in exc.fields.items()) or exc.message))
            return []
        self.say(tr("orders_made", count=len(made), ids=", ".join(f"#{o['id']}" for o in made)))
        if self.orders_action.isChecked():
            self.toggle_orders()
        return made

    def toggle_orders(self) -> int:
        """The open orders layer on (drawn from the API) or off; answers how many are drawn."""
        return self._overlay("orders", self.orders_action, orders_layer, tr("orders_layer"))

    def toggle_alarms(self) -> int:
        return self._overlay("alarms", self.alarms_action, alarms_layer, tr("alarms_layer"))

    def _overlay(self, name: str, action: QAction, read: Any, label: str) -> int:
        if not action.isChecked():
            self.map.call("overlay", name, None)
            return 0
        try:
            collection = read(self.client)
        except ApiError as exc:
            self.say(tr("fix_fields", reason=exc.message))
            action.setChecked(False)
            return 0
        self.map.call("overlay", name, collection)
        shown = len(collection["features"])
        self.statusBar().showMessage(tr("layer_shown", layer=label, shown=shown, total=collection["total"]), 8000)  # type: ignore[union-attr]
        return shown

    def show_feeds(self) -> dict[str, Any] | None:
        """What the asset in the form feeds (a cabinet's circuits and lamps, what a fibre cut cuts off), on the map."""
        asset_id, feature = self.form.asset_id, self.form.feature
        if asset_id is None or feature is None:
            self.say(tr("no_selection"))
            return None
        try:
            collection = feeds_layer(self.client, asset_id)
        except ApiError as exc:
            self.say(tr("fix_fields", reason=exc.message))
            return None
        code = feature["properties"].get("code") or asset_id
        self.map.call("overlay", "feeds", collection if collection["features"] else None)
        self.say(tr("feeds_shown", code=code, total=collection["total"]) if collection["total"]
                 else tr("feeds_none", code=code))
        return collection

    def overlay_picked(self, layer: str, item_id: int) -> None:
        """An alarm opens its asset; a fed asset opens in the form; an order is named in the status bar."""
        if layer == "feeds" and item_id:
            self.open_asset(item_id)
        elif layer == "alarms" and item_id:
            alarm = self.client.get(f"/api/v1/alarms/{item_id}")
            self.open_asset(int(alarm["asset"]["id"]))
        elif layer == "orders":
            self.statusBar().showMessage(tr("order_picked", id=item_id), 8000)  # type: ignore[union-attr]

    # -- import -------------------------------------------------------------------------------------

    def open_import(self) -> Any:
        """The import dialog, beside the map (not modal: the planner pans and zooms over the preview)."""
        from app.desktop.importer import ImportDialog

        if self.import_dialog is None:
            self.import_dialog = ImportDialog(self.client, list(self.kinds.values()), self.map, self)
            self.import_dialog.finished_call.connect(self._imported)
        self.import_dialog.show()
        self.import_dialog.raise_()
        return self.import_dialog

    def _imported(self, report: dict[str, Any]) -> None:
        if not report.get("dry_run"):
            self.table.reload()

    def closeEvent(self, event: Any) -> None:
        if self.stream is not None:
            self.stream.stop()
        self.map.release()
        super().closeEvent(event)


def confirm(parent: QWidget, text: str) -> bool:
    return QMessageBox.question(parent, tr("app_title"), text) == QMessageBox.StandardButton.Yes
