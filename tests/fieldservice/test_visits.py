"""Arrival and departure from the crew's vehicle track, against the real database: a stay of a dwell time near
the asset moves the order on site at the arrival's time (the response clock stops there), a drive-by does
not, leaving stamps the departure, and scanning again changes nothing."""

from __future__ import annotations

import datetime as dt

from shapely.geometry import Point
from sqlalchemy import Engine, text

from assets.db import unit_of_work
from assets.store import create_asset
from fieldservice import visits
from fieldservice.orders import create_order, transition
from fieldservice.proof_map import proof_map, thinned
from gis.crs import from_storage
from gis.geometry import reproject
from tests.assets.alarm_helpers import position, write
from tests.assets.helpers import MINIMAL, near
from tests.fieldservice.helpers import WHEN, crew_with_van, lighting_policy, user


def _lonlat(dx: float) -> tuple[float, float]:
    point = reproject(near(dx, 0), from_storage())
    assert isinstance(point, Point)
    return point.x, point.y


def _fix(dx: float, seconds: float) -> visits.Fix:
    return visits.Fix(WHEN + dt.timedelta(seconds=seconds), abs(dx), b"")


def test_a_stay_is_an_arrival_and_a_drive_by_is_not() -> None:
    inside = [(_fix(10, t), 50.0) for t in range(0, 121, 30)]
    assert [(v.arrived_at, v.departed_at) for v in visits.stays([*inside, (_fix(500, 200), 50.0)])] == [
        (WHEN, WHEN + dt.timedelta(seconds=200))]
    drive_by = [(_fix(400, 0), 50.0), (_fix(20, 10), 50.0), (_fix(30, 40), 50.0), (_fix(400, 60), 50.0)]
    assert visits.stays(drive_by) == []
    ongoing = visits.stays(inside)
    assert len(ongoing) == 1 and ongoing[0].departed_at is None and ongoing[0].nearest_m == 10


def test_the_vehicle_track_stamps_arrival_and_departure(engine: Engine, db_url: str) -> None:
    lighting_policy(engine)
    crew_id = crew_with_van(engine, db_url, "Centre", 3000)
    boss = user(engine, "sup", "supervisor")
    with unit_of_work(engine, boss) as s:
        lamp = create_asset(s, "luminaire", {"code": "LUM-1", "geom": near(), **MINIMAL["luminaire"]}).id
        drive_by = create_asset(s, "luminaire", {"code": "LUM-2", "geom": near(1500), **MINIMAL["luminaire"]}).id
        order = create_order(s, origin="alarm", category="lighting", priority="urgent", asset_ids=[lamp],
                             at=WHEN).id
        other = create_order(s, origin="alarm", category="lighting", priority="urgent", asset_ids=[drive_by],
                             at=WHEN).id
        for o in (order, other):
            transition(s, o, "assigned", boss, crew_id=crew_id, at=WHEN + dt.timedelta(minutes=1))
        van = s.execute(text("SELECT vehicle_id FROM crews WHERE id = :c"), {"c": crew_id}).scalar_one()
    # The van drives west past LUM-2 without stopping, stops 20 m from LUM-1 for 4 minutes, then leaves.
    track = [(1500 + 200, 5 * 60), (1500, 5 * 60 + 20), (1500 - 200, 5 * 60 + 40)]
    track += [(20, 10 * 60 + 30 * i) for i in range(9)] + [(600, 16 * 60)]
    write(db_url, *(position(van, WHEN + dt.timedelta(seconds=t), *_lonlat(dx)) for dx, t in track))

    with unit_of_work(engine, None) as s:
        happened = visits.scan(s, now=WHEN + dt.timedelta(minutes=30))
    assert happened == [(order, "arrived"), (order, "departed")]
    with unit_of_work(engine, None) as s:
        stamped = s.execute(text("SELECT state, arrived_at FROM work_orders WHERE id = :o"), {"o": order}).one()
        assert stamped.state == "on_site" and stamped.arrived_at == WHEN + dt.timedelta(minutes=10)
        assert s.execute(text("SELECT state FROM work_orders WHERE id = :o"), {"o": other}).scalar() == "assigned"
        (visit,) = visits.visits_of(s, order)
        assert dt.datetime.fromisoformat(visit["departed_at"]) == WHEN + dt.timedelta(minutes=16)
        assert abs(visit["nearest_m"] - 20) < 1
        reasons = s.execute(text("SELECT to_state, actor_id, reason, proven FROM work_order_events "
                                 "WHERE order_id = :o ORDER BY id"), {"o": order}).all()
    assert [(r.to_state, r.actor_id, r.reason) for r in reasons[-2:]] == [
        ("en_route", None, visits.SYSTEM_REASON), ("on_site", None, visits.SYSTEM_REASON)]
    assert reasons[-1].proven is True
    with unit_of_work(engine, None) as s:
        assert visits.scan(s, now=WHEN + dt.timedelta(minutes=40)) == []
        shown = proof_map(s, order)
    by_role = {role: [f for f in shown["features"] if f["properties"]["role"] == role]
               for role in ("asset", "move", "track")}
    assert [f["properties"]["code"] for f in by_role["asset"]] == ["LUM-1"]
    on_site = by_role["move"][-1]["properties"]
    assert (on_site["state"], on_site["proven"], on_site["by_vehicle"]) == ("on_site", True, True)
    (line,) = by_role["track"]
    # From 15 min before the arrival (the van's fix at the depot 2 min before WHEN included) to 5 min after leaving.
    assert line["properties"]["fixes"] == len(track) + 1
    coordinates = line["geometry"]["coordinates"]
    assert coordinates[0] == [round(c, 7) for c in _lonlat(3000)]
    assert coordinates[-1] == [round(c, 7) for c in _lonlat(600)]


def test_a_long_track_is_thinned_keeping_its_ends() -> None:
    assert thinned(list(range(10)), 4) == [0, 3, 6, 9]
    assert thinned(list(range(3)), 4) == [0, 1, 2]
