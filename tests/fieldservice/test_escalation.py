"""Escalation against the real database: an order's clock is escalated once before it breaches, its breach
recorded once, a paused clock left alone, the standby crew named, and the supervisors told on the stream."""

from __future__ import annotations

import datetime as dt
import json

import psycopg
from sqlalchemy import Engine, text

from assets.db import unit_of_work
from assets.live.channels import LIVE_CHANNEL
from fieldservice.escalation import escalate, list_escalations
from fieldservice.from_alarms import open_orders_for_alarms
from fieldservice.orders import create_order, transition
from tests.assets.alarm_helpers import lighting_cabinet
from tests.assets.helpers import near
from tests.fieldservice.helpers import WHEN, crew_with_van, lighting_policy


def minutes(n: float) -> dt.datetime:
    return WHEN + dt.timedelta(minutes=n)


def _order(engine: Engine) -> int:
    lighting_policy(engine)  # urgent: response 120, make safe 240, resolution 480 min, calendar time
    with unit_of_work(engine, None) as s:
        return create_order(s, origin="planner", category="lighting", priority="urgent", location=near(),
                            at=WHEN).id


def _run(engine: Engine, at: dt.datetime) -> list[tuple[str, str]]:
    with unit_of_work(engine, None) as s:
        return [(e.clock, e.level) for e in escalate(s, now=at)]


def test_escalated_once_before_the_breach_then_breached_once(engine: Engine, db_url: str) -> None:
    standby = crew_with_van(engine, db_url, "Astreinte", 300)
    order_id = _order(engine)
    assert _run(engine, minutes(80)) == []  # 40 min left on the response clock: more than a quarter of 120
    assert _run(engine, minutes(95)) == [("response", "at_risk")]
    assert _run(engine, minutes(100)) == []
    assert _run(engine, minutes(121)) == [("response", "breached")]
    assert _run(engine, minutes(130)) == []
    assert _run(engine, minutes(185)) == [("make_safe", "at_risk")]  # 55 min left of 240
    with unit_of_work(engine, None) as s:
        items, total = list_escalations(s, order_id=order_id)
    assert total == 3
    assert [(i["clock"], i["level"]) for i in items] == [("make_safe", "at_risk"), ("response", "breached"),
                                                         ("response", "at_risk")]
    assert items[2]["remaining_min"] == 25.0 and items[1]["remaining_min"] == -1.0
    assert items[0]["standby_crew"] == {"id": standby, "name": "Astreinte"}


def test_an_order_first_seen_late_is_recorded_breached_only_and_a_stopped_clock_not_at_all(engine: Engine) -> None:
    order_id = _order(engine)
    with unit_of_work(engine, None) as s:
        transition(s, order_id, "assigned", None, crew_id=_crew(engine), at=minutes(10))
        transition(s, order_id, "en_route", None, at=minutes(20))
        transition(s, order_id, "on_site", None, at=minutes(60))  # the response clock stops on time
    assert _run(engine, minutes(250)) == [("make_safe", "breached")]
    assert _run(engine, minutes(260)) == []


def _crew(engine: Engine) -> int:
    from tests.fieldservice.helpers import crew

    return crew(engine, "Équipe B")


def test_a_paused_clock_is_not_escalated(engine: Engine) -> None:
    order_id = _order(engine)
    with unit_of_work(engine, None) as s:
        transition(s, order_id, "assigned", None, crew_id=_crew(engine), at=minutes(5))
        transition(s, order_id, "en_route", None, at=minutes(10))
        transition(s, order_id, "on_site", None, at=minutes(30))
        transition(s, order_id, "waiting", None, reason="road_permit", at=minutes(40))
    assert _run(engine, minutes(235)) == []  # make safe and resolution paused while waiting for the permit


def test_the_escalation_is_announced_on_the_live_stream(engine: Engine, db_url: str) -> None:
    order_id = _order(engine)
    with psycopg.connect(db_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as listener:
        listener.execute(f'LISTEN "{LIVE_CHANNEL}"')
        _run(engine, minutes(100))
        events = [json.loads(n.payload) for n in listener.notifies(timeout=2, stop_after=1)]
    assert events == [{"type": "escalation", "order_id": order_id, "clock": "response", "level": "at_risk",
                       "due": minutes(120).astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
                       "remaining_min": 20.0, "crew_id": None, "alarm_id": None}]  # a place: no asset to alarm


def _escalation_alarms(engine: Engine) -> list[tuple[str, str, str, int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT type, severity, state, (detail->>'order_id')::int FROM alarms "
            "WHERE type IN ('sla_at_risk', 'sla_breached') ORDER BY id"))]


def test_an_escalation_is_an_alarm_on_the_asset_cleared_when_nothing_runs_behind_it(engine: Engine,
                                                                                     planner_id: int) -> None:
    lighting_policy(engine)
    cab = lighting_cabinet(engine, planner_id, lamps=1)
    with unit_of_work(engine, None) as s:
        order_id = create_order(s, origin="planner", category="lighting", priority="urgent",
                                asset_ids=[cab.lamps[0]], at=WHEN).id
    _run(engine, minutes(95))
    assert _escalation_alarms(engine) == [("sla_at_risk", "major", "open", order_id)]
    with unit_of_work(engine, None) as s:
        assert open_orders_for_alarms(s).opened == []  # an escalation alarm never opens an order of its own
        message = s.execute(text("SELECT message FROM alarms WHERE type = 'sla_at_risk'")).scalar()
    assert message == f"Lamp {cab.codes[cab.lamps[0]]}: order {order_id} response at risk (25 min left)"
    _run(engine, minutes(121))  # the breach replaces the warning
    assert _escalation_alarms(engine) == [("sla_at_risk", "major", "cleared", order_id),
                                          ("sla_breached", "critical", "open", order_id)]
    with unit_of_work(engine, None) as s:
        transition(s, order_id, "assigned", None, crew_id=_crew(engine), at=minutes(122))
        transition(s, order_id, "en_route", None, at=minutes(123))
        transition(s, order_id, "on_site", None, at=minutes(130))  # the late response clock stops
    _run(engine, minutes(131))
    assert _escalation_alarms(engine)[-1] == ("sla_breached", "critical", "cleared", order_id)
    _run(engine, minutes(185))  # 55 min left of 240 to make safe: a new warning
    assert _escalation_alarms(engine)[-1] == ("sla_at_risk", "major", "open", order_id)
    with unit_of_work(engine, None) as s:
        transition(s, order_id, "made_safe", None, at=minutes(190))
        transition(s, order_id, "done", None, at=minutes(200))
    _run(engine, minutes(201))
    assert all(state == "cleared" for _, _, state, _ in _escalation_alarms(engine))
