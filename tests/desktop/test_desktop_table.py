"""The asset table speaks the planner's language: statuses and kinds in French or English, never raw values."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PyQt6.QtCore import Qt

from app.desktop.api import ApiClient
from app.desktop.i18n import set_language
from app.desktop.table import COLUMNS, AssetPanel
from tests.desktop.conftest import DesktopCity
from tests.web.helpers import PASSWORD


@pytest.fixture
def restore_language() -> Iterator[None]:
    yield
    set_language(None)


def _row(panel: AssetPanel, code: str) -> dict[str, str]:
    model = panel.model
    row = next(n for n, item in enumerate(model.items) if item.get("code") == code)
    return {name: model.data(model.index(row, col), Qt.ItemDataRole.DisplayRole) for col, name in enumerate(COLUMNS)}


def test_status_and_kind_in_the_interface_language(qtbot, desktop_city: DesktopCity, restore_language) -> None:
    client = ApiClient(desktop_city.url)
    client.sign_in("planner", PASSWORD)
    set_language("fr")
    panel = AssetPanel(client, client.kinds())
    qtbot.addWidget(panel)
    panel.reload()
    french = _row(panel, "LUM-1")
    assert (french["status"], french["kind"]) == ("En service", "Luminaire")
    assert _row(panel, "ARM-1")["kind"] == "Armoire de commande"
    assert panel.kind.itemText(panel.kind.findData("cabinet")) == "Armoire de commande"  # the kind filter too
    set_language("en")
    english = AssetPanel(client, client.kinds())
    qtbot.addWidget(english)
    english.reload()
    assert (_row(english, "LUM-1")["status"], _row(english, "ARM-1")["kind"]) == ("In service", "Lighting cabinet")
