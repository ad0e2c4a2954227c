"""The planners' desktop against a real server (pytest-qt, offscreen): the sign-in failure shown in the dialog,
a form built from the kind spec that puts the server's refusal under the field it names, two planners' edits
ending in the conflict dialog (theirs / mine / merge), and undo/redo going back through the API."""

from __future__ import annotations

import pytest

from app.desktop.api import ApiClient, ApiError
from app.desktop.conflict import ConflictDialog
from app.desktop.edits import Conflict, EditSession
from app.desktop.form import AttributeForm
from app.desktop.signin import SignInDialog
from tests.desktop.conftest import DesktopCity
from tests.web.helpers import PASSWORD


def _client(city: DesktopCity, user: str = "planner") -> ApiClient:
    client = ApiClient(city.url)
    client.sign_in(user, PASSWORD)
    return client


def _kind(client: ApiClient, name: str) -> dict:
    return next(k for k in client.kinds() if k["name"] == name)


def test_sign_in_failure_is_shown_and_a_good_password_signs_in(qtbot, desktop_city: DesktopCity) -> None:
    dialog = SignInDialog(desktop_city.url, "planner", save=False)
    qtbot.addWidget(dialog)
    dialog.password.setText("wrong")
    assert dialog.try_sign_in() is False
    assert dialog.message.text() and dialog.client is None  # the reason, in the dialog that stays open
    dialog.password.setText(PASSWORD)
    assert dialog.try_sign_in() is True
    assert dialog.client is not None and dialog.me.get("role") == "planner"
    unreachable = SignInDialog("http://127.0.0.1:9", "planner", save=False)
    qtbot.addWidget(unreachable)
    unreachable.password.setText(PASSWORD)
    assert unreachable.try_sign_in() is False and unreachable.message.text()


def test_the_form_puts_the_servers_refusal_under_its_field(qtbot, desktop_city: DesktopCity) -> None:
    client = _client(desktop_city)
    form = AttributeForm()
    qtbot.addWidget(form)
    feature = client.asset(desktop_city.lamp)
    form.load(feature, _kind(client, "luminaire"))
    assert "power_w" in form.editors and "LUM-1" in form.title.text()
    form.editors["power_w"].set_value(-40)
    assert form.changes() == {"power_w": -40}
    with pytest.raises(ApiError) as refused:
        client.update_asset(desktop_city.lamp, form.changes(), form.version or 0)
    assert refused.value.status == 422
    assert form.show_errors(refused.value.fields) == []  # every field the server named is on the form
    assert form.error_of("power_w") and not form.error_of("code")


def test_two_planners_edits_end_in_the_conflict_dialog(qtbot, desktop_city: DesktopCity) -> None:
    alice, bob = EditSession(_client(desktop_city, "planner")), EditSession(_client(desktop_city, "admin"))
    seen_by_both = alice.client.asset(desktop_city.cabinet)
    alice.save(seen_by_both, {"contract_power_kva": 48})
    with pytest.raises(Conflict) as stale:
        bob.save(seen_by_both, {"contract_power_kva": 60, "name": "Armoire Darcy"})
    dialog = ConflictDialog(stale.value.mine, stale.value.edited_version, stale.value.current)
    qtbot.addWidget(dialog)
    rows = {field: (mine, theirs) for field, mine, theirs in dialog.rows()}
    assert rows["contract_power_kva"] == ("60", "48")
    dialog.keep["contract_power_kva"].setCurrentIndex(1)  # theirs for the power, mine for the name
    dialog.merge.click()
    assert dialog.resolved() == {"name": "Armoire Darcy"}
    saved = bob.save(stale.value.current, dialog.resolved(), version=dialog.theirs_version)
    assert saved["properties"]["contract_power_kva"] == 48 and saved["properties"]["name"] == "Armoire Darcy"
    take = ConflictDialog({"name": "x"}, 1, saved)
    qtbot.addWidget(take)
    take.take_theirs.click()
    assert take.resolved() == {}


def test_undo_and_redo_go_back_through_the_api(desktop_city: DesktopCity) -> None:
    session = EditSession(_client(desktop_city))
    before = session.client.asset(desktop_city.lamp)
    session.save(before, {"power_w": 35})
    assert session.can_undo and not session.can_redo
    (undone,) = session.undo()
    assert undone["properties"]["power_w"] == before["properties"]["power_w"]
    (redone,) = session.redo()
    assert redone["properties"]["power_w"] == 35
    history = session.client.history(desktop_city.lamp)
    assert len(history["items"]) >= 4  # created, saved, undone, redone: each a version in the history


def test_the_main_window_opens_lists_the_city_and_moves_an_asset(qtbot, desktop_city: DesktopCity,
                                                                  tmp_path) -> None:
    from app.desktop.window import MainWindow

    client = _client(desktop_city)
    window = MainWindow(client, client.me(), live=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.table.model.total >= 2, timeout=10_000)
    codes = {item["properties"]["code"] if "properties" in item else item.get("code")
             for item in window.table.model.items}
    assert {"ARM-1", "LUM-1"} <= codes
    before = client.asset(desktop_city.lamp)["properties"]["version"]
    assert window.move_asset(desktop_city.lamp, 5.0412, 47.3221) is True
    moved = client.asset(desktop_city.lamp)
    assert moved["properties"]["version"] == before + 1
    assert abs(moved["geometry"]["coordinates"][0] - 5.0412) < 1e-6
    assert window.undo() and client.asset(desktop_city.lamp)["properties"]["version"] == before + 2
    assert window.grab().save(str(tmp_path / "desktop.png"))
    window.close()  # the page goes before its profile: QtWebEngine must not outlive it at exit
    qtbot.wait(200)
