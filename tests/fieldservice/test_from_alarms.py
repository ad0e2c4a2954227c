"""From alarm to order against the real database: one order per cabinet trip, a second alarm attaches,
closure only when the device confirms (the alarms clear)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from assets.alarms.lifecycle import clear_active, raise_alarm
from assets.db import unit_of_work
from assets.errors import ValidationError
from fieldservice.from_alarms import open_orders_for_alarms, sync_alarms
from fieldservice.models import WorkOrder
from fieldservice.orders import create_order, transition
from tests.assets.alarm_helpers import lighting_cabinet
from tests.fieldservice.helpers import crew, user

T0 = dt.datetime(2026, 11, 3, 21, 0, tzinfo=dt.UTC)


def _assets_of(engine: Engine, order_id: int) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT asset_id FROM work_order_assets WHERE order_id = :o"),
                                {"o": order_id}).scalars())


def _alarms_of(engine: Engine, order_id: int) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT alarm_id FROM work_order_alarms WHERE order_id = :o"),
                                {"o": order_id}).scalars())


def _finish(engine: Engine, order_id: int) -> WorkOrder:
    actor, crew_id = user(engine, "gus"), crew(engine)
    with unit_of_work(engine, actor) as s:
        for state in ("assigned", "en_route", "on_site", "done"):
            order = transition(s, order_id, state, actor, crew_id=crew_id)
        s.expunge(order)
        return order


def test_a_cabinet_trip_is_one_order_for_its_lamps(engine, planner_id) -> None:
    cab = lighting_cabinet(engine, planner_id, lamps=4)
    with unit_of_work(engine, None) as s:
        trip = raise_alarm(s, cab.cabinet, "cabinet_trip", T0)
        lamps = [raise_alarm(s, lamp, "lamp_failure", T0 + dt.timedelta(seconds=5)) for lamp in cab.lamps]
        result = open_orders_for_alarms(s)
    assert len(result.opened) == 1 and set(result.attached) == set(lamps)
    order_id = result.opened[0]
    assert _assets_of(engine, order_id) == {cab.cabinet, *cab.lamps}
    assert _alarms_of(engine, order_id) == {trip, *lamps}
    with unit_of_work(engine, None) as s:
        order = s.get(WorkOrder, order_id)
        assert (order.origin, order.category, order.priority, order.alarm_id) == ("alarm", "lighting", "urgent", trip)
        raised_at = s.execute(text("SELECT raised_at FROM alarms WHERE id = :id"), {"id": trip}).scalar()
        assert order.created_at == raised_at and order.commune_insee == "21231"  # Dijon
        again = open_orders_for_alarms(s)
    assert again.opened == [] and again.attached == {}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM work_orders")).scalar() == 1


def test_a_second_alarm_on_an_asset_attaches_to_its_open_order(engine, planner_id) -> None:
    cab = lighting_cabinet(engine, planner_id, lamps=2)
    lamp = cab.lamps[0]
    with unit_of_work(engine, None) as s:
        first = raise_alarm(s, lamp, "lamp_failure", T0)
        opened = open_orders_for_alarms(s).opened
        second = raise_alarm(s, lamp, "device_silent", T0 + dt.timedelta(minutes=30))
        other = raise_alarm(s, cab.lamps[1], "lamp_failure", T0 + dt.timedelta(minutes=31))
        result = open_orders_for_alarms(s, since=T0 + dt.timedelta(minutes=10))
    assert len(opened) == 1
    assert result.attached == {second: opened[0]}
    assert len(result.opened) == 1  # the other lamp is another fault: its own order
    assert _alarms_of(engine, opened[0]) == {first, second}
    assert _assets_of(engine, opened[0]) == {lamp}
    with unit_of_work(engine, None) as s:
        assert s.get(WorkOrder, result.opened[0]).priority == "normal" and other


def test_an_alarm_order_is_verified_only_when_the_device_says_ok(engine, planner_id) -> None:
    cab = lighting_cabinet(engine, planner_id, lamps=2)
    with unit_of_work(engine, None) as s:
        raise_alarm(s, cab.cabinet, "cabinet_trip", T0)
        for lamp in cab.lamps:
            raise_alarm(s, lamp, "lamp_failure", T0 + dt.timedelta(seconds=5))
        order_id = open_orders_for_alarms(s).opened[0]
    order = _finish(engine, order_id)
    assert order.state == "done" and order.waiting_reason == "awaiting_device"
    with unit_of_work(engine, None) as s, pytest.raises(ValidationError, match="awaiting the device"):
        transition(s, order_id, "verified", None)
    with unit_of_work(engine, None) as s:
        clear_active(s, cab.cabinet, "cabinet_trip", T0 + dt.timedelta(hours=1))
        clear_active(s, cab.lamps[0], "lamp_failure", T0 + dt.timedelta(hours=1))
        assert sync_alarms(s).verified == []  # one lamp still failed
        clear_active(s, cab.lamps[1], "lamp_failure", T0 + dt.timedelta(hours=1))
        assert sync_alarms(s).verified == [order_id]
        verified = s.get(WorkOrder, order_id)
        assert verified.state == "verified" and verified.waiting_reason is None



def test_a_trip_on_a_cabinet_with_an_open_order_joins_it_with_its_lamps(engine, planner_id) -> None:
    cab = lighting_cabinet(engine, planner_id, lamps=3)
    with unit_of_work(engine, planner_id) as s:
        inspection = create_order(s, origin="inspection", category="lighting", actor_id=planner_id,
                                  asset_ids=[cab.cabinet], at=T0 - dt.timedelta(days=1)).id
        trip = raise_alarm(s, cab.cabinet, "cabinet_trip", T0)
        lamp = raise_alarm(s, cab.lamps[0], "lamp_failure", T0 + dt.timedelta(seconds=5))
        result = open_orders_for_alarms(s)
    assert result.opened == [] and result.attached == {trip: inspection, lamp: inspection}
    assert _assets_of(engine, inspection) == {cab.cabinet, *cab.lamps}
    assert _alarms_of(engine, inspection) == {trip, lamp}


def test_alarms_that_need_no_one_on_site_open_no_order(engine, planner_id) -> None:
    cab = lighting_cabinet(engine, planner_id, lamps=1)
    with unit_of_work(engine, None) as s:
        raise_alarm(s, cab.lamps[0], "lamp_failure", T0)
        s.execute(text("UPDATE alarms SET type = 'sensor_threshold'"))
        result = open_orders_for_alarms(s)
    assert result.opened == [] and result.attached == {}
