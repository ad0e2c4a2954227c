"""The plugin in QGIS (pytest-qgis's interface): connect, layers and docks, role-aware actions, work orders
from a selection, the feeds tool, and the token kept in QGIS's authentication database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from qgis.core import Qgis, QgsApplication, QgsProject

from citypilot_qgis.logic.orders import create_order_for
from citypilot_qgis.plugin import CityPilotPlugin
from citypilot_qgis.ui import auth
from citypilot_qgis.ui.connect_dialog import ConnectDialog
from citypilot_qgis.ui.feeds_tool import show_fed
from citypilot_qgis.ui.layers import GROUP, citypilot_layers, select_codes


@pytest.fixture
def plugin(qgis_iface, qgis_new_project) -> Iterator[CityPilotPlugin]:
    plugin = CityPilotPlugin(qgis_iface)
    plugin.initGui()
    yield plugin
    plugin.unload()


def test_connecting_as_an_operator_loads_the_group_and_docks(plugin, city) -> None:
    plugin.open(city.client("operator"), "operator")
    assert QgsProject.instance().layerTreeRoot().findGroup(GROUP) is not None
    alarms, orders = plugin.docks
    assert alarms.table.rowCount() == 3
    assert alarms.acknowledge_button.isVisibleTo(alarms)
    assert orders.assign_button.isVisibleTo(orders)
    assert not alarms.acknowledge_button.isEnabled()  # nothing selected yet
    alarms.table.selectRow(0)
    assert alarms.acknowledge_button.isEnabled()
    first = alarms.rows[0].id
    alarms.acknowledge()
    assert city.client("operator").get(f"/alarms/{first}")["state"] == "acknowledged"
    shown = next(row for row in alarms.rows if row.id == first)  # still active (not cleared), now acknowledged
    assert shown.cells[1] == "acknowledged"
    plugin.timer.stop()


def test_a_planner_sees_no_acknowledge_button_and_opens_an_order_from_a_selection(plugin, city) -> None:
    plugin.open(city.client("planner"), "planner")
    alarms, orders = plugin.docks
    assert not alarms.acknowledge_button.isVisibleTo(alarms)
    assert not orders.assign_button.isVisibleTo(orders)
    layer = next(la for la in citypilot_layers(QgsProject.instance()) if la.customProperty("citypilot/kind") ==
                 "cabinet")
    codes = sorted(f["code"] for f in layer.getFeatures())[:2]
    select_codes(layer, codes)
    order = create_order_for(plugin.client, "cabinet", "lighting", codes, "planner", description="Relamping")
    assert order["origin"] == "planned"
    assert order["category"] == "lighting"
    assert sorted(a["code"] for a in order["assets"]) == codes
    orders.reload()
    assert order["id"] in [row.id for row in orders.rows]
    plugin.timer.stop()


def test_a_supervisor_assigns_an_order_to_a_crew(plugin, city) -> None:
    planner = city.client("planner")
    cabinet = next(planner.pages("/assets", limit=1, kind="cabinet"))
    opened = planner.create_work_order({"origin": "planned", "category": "lighting", "asset_ids": [cabinet["id"]]})
    plugin.open(city.client("supervisor"), "supervisor")
    _, orders = plugin.docks
    orders.table.selectRow([row.id for row in orders.rows].index(opened["id"]))
    crew = city.client("supervisor").crews()[0]
    assert orders.assign(crew["id"])
    moved = city.client("supervisor").get(f"/work-orders/{opened['id']}")
    assert (moved["state"], moved["crew"]["id"]) == ("assigned", crew["id"])
    plugin.timer.stop()


def test_the_feeds_tool_selects_what_a_cabinet_feeds(plugin, city) -> None:
    plugin.open(city.client("planner"), "planner")
    project = QgsProject.instance()
    cabinet = next(city.client("planner").pages("/assets", limit=1, kind="cabinet"))
    counts = show_fed(plugin.client, project, "cabinet", cabinet["code"])
    fed = city.client("planner").feeds(cabinet["id"])
    expected_poles = sum(1 for item in fed["items"] if item["kind"] == "pole")
    assert expected_poles > 0
    assert counts["pole"] == expected_poles
    plugin.timer.stop()


def test_the_connect_dialog_checks_the_token_and_names_the_bad_field(qgis_app, city) -> None:
    dialog = ConnectDialog("not a url")
    dialog.token.setText(city.tokens["planner"])
    assert not dialog.check()
    assert "server URL" in dialog.error.text()
    dialog.url.setText(city.base)
    dialog.token.setText("cp_wrong")
    assert not dialog.check()
    assert "API token" in dialog.error.text()
    dialog.token.setText(city.tokens["planner"])
    assert dialog.check()
    assert dialog.me["role"] == "planner"


def test_signing_in_with_a_password_gets_a_token(qgis_app, city) -> None:
    dialog = ConnectDialog(city.base)
    dialog.username.setText("supervisor")
    dialog.password.setText("not the password")
    assert not dialog.check()
    assert dialog.error.text()
    assert dialog.client is None
    dialog.password.setText(city.password)
    assert dialog.check()
    assert dialog.me["name"] == "supervisor"
    assert dialog.client.token.startswith("cp_")
    assert dialog.client.token not in city.tokens.values()


def test_the_token_is_kept_in_the_auth_database_not_in_the_project(qgis_new_project, city, tmp_path) -> None:
    manager = QgsApplication.authManager()
    if not manager.masterPasswordIsSet():
        assert manager.setMasterPassword("qgis-tests-master", True)
    authcfg = auth.save_token(city.base, "planner", city.tokens["planner"])
    assert auth.load_token(authcfg) == city.tokens["planner"]
    assert auth.saved_connection() == (city.base, authcfg)
    project = QgsProject.instance()
    from citypilot_qgis.logic.kinds import parse_kinds
    from citypilot_qgis.ui.layers import load_group

    client = city.client("planner")
    load_group(project, city.base, parse_kinds(client.kinds()), ["cabinet"], "en")
    saved = tmp_path / "city.qgs"
    assert project.write(str(saved))
    assert city.tokens["planner"] not in saved.read_text()


def test_a_message_shows_in_the_bar_and_stays_in_the_citypilot_log(plugin, city, qgis_iface) -> None:
    """Through qgis-plugin-tools' loggers: the bar shows it, the log panel's "CityPilot" tab keeps it."""
    logged: list[tuple[str, str]] = []
    QgsApplication.messageLog().messageReceived.connect(lambda text, tag, level: logged.append((tag, text)))
    plugin.open(city.client("planner"), "planner")
    plugin.timer.stop()
    qgis_iface.messageBar().clear_messages()
    cabinets = next(la for la in citypilot_layers(QgsProject.instance())
                    if la.customProperty("citypilot/kind") == "cabinet")
    cabinets.removeSelection()
    qgis_iface.setActiveLayer(cabinets)
    plugin.order_from_selection()  # nothing selected
    QgsApplication.processEvents()
    assert qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning) == ["Select the assets first:"]
    assert ("CityPilot", "Select the assets first") in logged
    assert not any("Live states not read" in text for _, text in logged)  # a map with no area yet reads nothing
