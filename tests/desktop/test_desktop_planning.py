"""Planning from the desktop's map against a real server: work orders opened from a selection (one, or one per
asset) with a category and priority, the open orders and active alarms drawn as layers, and what a cabinet feeds
highlighted on the map."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assets.alarms.lifecycle import raise_alarm
from assets.db import make_engine, unit_of_work
from tests.assets.alarm_helpers import Cabinet, lighting_cabinet, now
from tests.desktop.conftest import DesktopCity, open_window


@pytest.fixture(scope="module")
def street(desktop_city: DesktopCity) -> Cabinet:
    """A cabinet, its circuit, three poles and their lamps; the first lamp in alarm."""
    engine = make_engine(desktop_city.db_url)
    cab = lighting_cabinet(engine, None, code="ARM-PLAN", lamps=3, dx=400, eui_prefix="70B3D59BA00077")
    with unit_of_work(engine, None) as session:
        raise_alarm(session, cab.lamps[0], "lamp_failure", now())
    engine.dispose()
    return cab


@pytest.fixture
def window(qtbot, desktop_city: DesktopCity, street: Cabinet) -> Iterator:
    main = open_window(qtbot, desktop_city)
    yield main
    main.close()
    qtbot.wait(200)


def _drawn(qtbot, window, layer: str, expected: int) -> None:
    answers: list[int] = []

    def counted() -> bool:
        window.map.map_page.runJavaScript(f"window.cityMap.overlayCount('{layer}')", 0,
                                          lambda value: answers.append(int(value or 0)))
        qtbot.wait(150)
        return bool(answers) and answers[-1] == expected

    qtbot.waitUntil(counted, timeout=10_000)


def test_work_orders_from_a_selection_and_the_orders_layer(qtbot, window, street: Cabinet) -> None:
    window.selection = list(street.lamps)
    window._refresh_actions()
    assert window.plan_action.isEnabled()
    (one,) = window.plan_works({"category": "lighting", "priority": "high", "description": "Relamping rue Darcy",
                                "one_per_asset": False})
    assert one["priority"] == "high" and one["category"] == "lighting" and one["origin"] == "planner"
    assert sorted(a["id"] for a in one["assets"]) == sorted(street.lamps)
    each = window.plan_works({"category": None, "priority": "low", "description": "", "one_per_asset": True})
    assert len(each) == 3 and all(o["category"] == "lighting" for o in each)  # the lamps' family decides
    assert [[a["id"] for a in o["assets"]] for o in each] == [[lamp] for lamp in street.lamps]
    assert "#" in window.message.text()

    window.orders_action.setChecked(True)
    shown = window.toggle_orders()
    assert shown >= 4  # the four orders just opened, each at its assets
    _drawn(qtbot, window, "orders", shown)
    window.orders_action.setChecked(False)
    window.toggle_orders()
    _drawn(qtbot, window, "orders", 0)


def test_a_refused_order_is_said_not_raised(window, street: Cabinet) -> None:
    window.selection = [street.lamps[0]]
    assert window.plan_works({"category": "gardening", "priority": "normal", "description": "",
                              "one_per_asset": False}) == []
    assert "category" in window.message.text()


def test_the_alarms_layer_and_what_a_cabinet_feeds(qtbot, window, street: Cabinet) -> None:
    window.alarms_action.setChecked(True)
    assert window.toggle_alarms() >= 1
    window.overlay_picked("alarms", window.client.get(f"/api/v1/alarms?asset_id={street.lamps[0]}")["items"][0]["id"])
    assert window.form.asset_id == street.lamps[0]  # clicking an alarm opens its asset

    window.live_event("alarm", {"message": "lamp failure"})  # heard on the stream: the layer is read again
    assert window.alarms_timer.isActive()
    qtbot.waitUntil(lambda: not window.alarms_timer.isActive(), timeout=5_000)

    window.open_asset(street.cabinet)
    assert window.feeds_action.isEnabled()
    fed = window.show_feeds()
    assert fed is not None and fed["total"] == 7  # the circuit, three poles, three lamps
    kinds = sorted(f["properties"]["kind"] for f in fed["features"])
    assert kinds == ["luminaire"] * 3 + ["pole"] * 3  # the circuit has no line drawn: nothing to highlight
    _drawn(qtbot, window, "feeds", len(fed["features"]))
    assert "7" in window.message.text()
