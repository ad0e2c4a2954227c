"""The demo's simulated crews against the real database: an assigned order sets off with its van sent to the
asset, and an order on site long enough is closed with its checklist ticked, its labour recorded and its
devices listed for repair — through the same rules as a real crew's (a required item left is never skipped)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from assets.db import unit_of_work
from assets.store import create_asset
from fieldservice import simulated_crews, worklog
from fieldservice.orders import create_order, transition
from tests.assets.helpers import MINIMAL, near
from tests.fieldservice.helpers import WHEN, crew_with_van, lighting_policy, user


def test_simulated_crews_set_off_and_close_through_the_rules(engine: Engine, db_url: str) -> None:
    lighting_policy(engine)
    crew_id = crew_with_van(engine, db_url, "Centre", 3000)
    boss = user(engine, "sup", "supervisor")
    with unit_of_work(engine, boss) as s:
        lamp = create_asset(s, "luminaire", {"code": "LUM-7", "geom": near(40, 30), **MINIMAL["luminaire"]}).id
        order = create_order(s, origin="alarm", category="lighting", priority="urgent", asset_ids=[lamp],
                             at=WHEN).id
        transition(s, order, "assigned", boss, crew_id=crew_id, at=WHEN + dt.timedelta(minutes=1))

    with unit_of_work(engine, None) as s:
        (sent,) = simulated_crews.play(s, now=WHEN + dt.timedelta(minutes=2), work_min=8)
        assert s.execute(text("SELECT state FROM work_orders WHERE id = :o"), {"o": order}).scalar() == "en_route"
    assert (sent.action, sent.order_id, sent.vehicle) == ("dispatch", order, "VEH-Centre")
    assert abs(sent.x - near(40, 30).x) < 0.01 and abs(sent.y - near(40, 30).y) < 0.01 and sent.stop_s > 8 * 60

    with unit_of_work(engine, None) as s:  # the van's arrival, as the visits scan stamps it
        transition(s, order, "on_site", None, position=near(45, 30), reason="vehicle arrived (geofence)",
                   at=WHEN + dt.timedelta(minutes=12))
    with unit_of_work(engine, None) as s:
        assert simulated_crews.play(s, now=WHEN + dt.timedelta(minutes=15), work_min=8) == []  # still working
    with unit_of_work(engine, None) as s:
        (closed,) = simulated_crews.play(s, now=WHEN + dt.timedelta(minutes=21), work_min=8)
        record = worklog.work_record(s, order)
    assert (closed.action, closed.assets) == ("repair", ["LUM-7"])
    assert record["state"] == "done" and all(i["done"] for i in record["checklist"] if i["required"])
    assert record["labour"][0]["hours"] == 0.15  # 12 → 21 min
    with unit_of_work(engine, None) as s:
        moves = s.execute(text("SELECT to_state FROM work_order_events WHERE order_id = :o ORDER BY id"),
                          {"o": order}).scalars().all()
    assert moves == ["new", "assigned", "en_route", "on_site", "made_safe", "done"]
