"""Dispatch against the real database: the nearest crew by its vehicle's live position (written through the
live writer, as the GPS ingest does) that has the skill, unexpired clearances and is working or on call."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from assets.db import unit_of_work
from assets.errors import NotFoundError, ValidationError
from fieldservice import dispatch
from fieldservice.orders import create_order, transition
from fieldservice.sla import PARIS
from tests.assets.helpers import near
from tests.fieldservice.helpers import WHEN, crew_with_van, lighting_policy


def _order(engine: Engine, **extra: object) -> int:
    with unit_of_work(engine, None) as s:
        return create_order(s, origin="planner", category="lighting", priority="urgent", location=near(),
                            at=WHEN - dt.timedelta(minutes=30), **extra).id


@pytest.mark.parametrize("first_batch", [32, 1])  # 1: the 5 nearer unfit vans fill the first batches
def test_the_nearest_qualified_available_crew_is_proposed(engine: Engine, db_url: str, first_batch: int,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatch, "FIRST_BATCH", first_batch)
    lighting_policy(engine, "urgent")  # respond within 2 h
    order = _order(engine)
    skipped = {
        "No BR": crew_with_van(engine, db_url, "No BR", 100, clearance=None),
        "Expired": crew_with_van(engine, db_url, "Expired", 150, clearance=("BR", dt.date(2026, 11, 8))),
        "Signals": crew_with_van(engine, db_url, "Signals", 200, skills=("signals",)),
        "Off": crew_with_van(engine, db_url, "Off", 250, kind=None),
        "No van": crew_with_van(engine, db_url, "No van", 50, vehicle=False),
    }
    far = crew_with_van(engine, db_url, "Far", 9000)
    on_call = crew_with_van(engine, db_url, "On call", 3000, kind="on_call")
    near_ok = crew_with_van(engine, db_url, "Near", 1000)
    with unit_of_work(engine, None) as s:
        proposals = dispatch.propose(s, order, when=WHEN, limit=5)
    assert [p.crew_id for p in proposals] == [near_ok, on_call, far]
    assert not {p.crew_id for p in proposals} & set(skipped.values())
    first = proposals[0]
    assert first.distance_m == pytest.approx(1000, abs=1)
    assert first.travel_min == pytest.approx(1000 * 1.4 / 500)  # 30 km/h, detour 1.4
    assert first.position_at == WHEN - dt.timedelta(minutes=2)
    assert first.queue == [] and not first.response_breach
    assert (first.eta - WHEN).total_seconds() == pytest.approx(168, abs=0.1)
    assert first.response_due == WHEN + dt.timedelta(minutes=90)
    # 9 km × 1.4 at 30 km/h: 25.2 min, still in time for the response
    assert proposals[2].travel_min == pytest.approx(25.2) and not proposals[2].response_breach

    # the nearest one gets busy: its queue delays it past the response due time
    with unit_of_work(engine, None) as s:
        for _ in range(2):
            other = _order(engine)
            dispatch.assign(s, other, near_ok, None, None, at=WHEN)
        busy = dispatch.propose(s, order, when=WHEN, limit=1)[0]
    assert busy.crew_id == near_ok and len(busy.queue) == 2 and busy.response_breach
    # an expiring clearance: the same crew the next year is no longer proposed
    with unit_of_work(engine, None) as s:
        later = dispatch.propose(s, order, when=dt.datetime(2028, 1, 3, 10, tzinfo=PARIS))
    assert later == []


def test_assign_refuses_an_unqualified_crew_naming_what_it_lacks(engine: Engine, db_url: str) -> None:
    order = _order(engine)
    signals = crew_with_van(engine, db_url, "Signals", 200, skills=("signals",), clearance=None)
    with unit_of_work(engine, None) as s, pytest.raises(ValidationError) as caught:
        dispatch.assign(s, order, signals, None, 1, at=WHEN)
    assert str(caught.value) == ("crew_id: crew 'Signals' lacks the skill lighting and holds no valid BR clearance "
                                 "on 2026-11-09")
    good = crew_with_van(engine, db_url, "Good", 400)
    with unit_of_work(engine, None) as s:
        assigned = dispatch.assign(s, order, good, None, 1, at=WHEN)
        assert (assigned.state, assigned.crew_id, assigned.version) == ("assigned", good, 2)
        transition(s, order, "cancelled", None, reason="duplicate")
        with pytest.raises(ValidationError, match="is cancelled: nothing to dispatch"):
            dispatch.propose(s, order, when=WHEN)


def test_a_round_through_several_orders_visits_the_nearest_next(engine: Engine) -> None:
    with unit_of_work(engine, None) as s:
        ids = {dx: create_order(s, origin="planner", category="lighting", location=near(dx)).id
               for dx in (3000, 1000, 2000, -500)}
        route = dispatch.visiting_order(s, list(ids.values()), (near(0).x, near(0).y))
    assert route == [ids[-500], ids[1000], ids[2000], ids[3000]]


def test_a_batch_of_orders_goes_to_one_crew_with_a_round_from_its_van(engine: Engine, db_url: str) -> None:
    lighting_policy(engine)
    crew_id = crew_with_van(engine, db_url, "Centre", 0)
    other = crew_with_van(engine, db_url, "Vidéo", 100, skills=("video",))
    with unit_of_work(engine, None) as s:
        ids = {dx: create_order(s, origin="planner", category="lighting", location=near(dx)).id
               for dx in (3000, -800, 1200)}
        video = create_order(s, origin="planner", category="video", location=near(50)).id
    with unit_of_work(engine, None) as s:
        route = dispatch.assign_batch(s, [ids[3000], ids[-800], ids[1200]], crew_id, None, at=WHEN)
        states = s.execute(text("SELECT DISTINCT state, crew_id FROM work_orders WHERE id = ANY(:i)"),
                           {"i": list(ids.values())}).all()
    assert route == [ids[-800], ids[1200], ids[3000]]  # nearest next from the van at place Darcy
    assert [tuple(r) for r in states] == [("assigned", crew_id)]
    with unit_of_work(engine, None) as s, pytest.raises(NotFoundError):
        dispatch.assign_batch(s, [video], other + 1000, None, at=WHEN)
    with unit_of_work(engine, None) as s, pytest.raises(ValidationError) as empty:
        dispatch.assign_batch(s, [], crew_id, None, at=WHEN)
    assert empty.value.errors[0].field == "order_ids"
    with unit_of_work(engine, None) as s, pytest.raises(ValidationError) as unqualified:
        dispatch.assign_batch(s, [video, ids[3000]], crew_id, None, at=WHEN)
    assert unqualified.value.errors[0].field == f"order_ids.{video}"
    with unit_of_work(engine, None) as s:
        assert s.execute(text("SELECT state FROM work_orders WHERE id = :o"), {"o": video}).scalar() == "new"
