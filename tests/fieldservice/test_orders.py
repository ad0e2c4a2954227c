"""Work orders against the real database: every illegal transition refused naming the state and the
allowed moves, every transition stamped, a stale version refused, due times kept as the clocks run."""

from __future__ import annotations

import datetime as dt

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import Engine, select

from assets.db import unit_of_work
from assets.errors import ConflictError, ValidationError
from fieldservice.models import WorkOrder, WorkOrderEvent
from fieldservice.orders import create_order, transition
from fieldservice.states import MOVES, STATES, IllegalTransition
from tests.assets.helpers import near
from tests.fieldservice.helpers import crew, lighting_policy, user

T0 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
PATH = {  # a legal way to reach each state from new
    "new": [], "assigned": ["assigned"], "en_route": ["assigned", "en_route"],
    "on_site": ["assigned", "en_route", "on_site"], "made_safe": ["assigned", "en_route", "on_site", "made_safe"],
    "waiting": ["assigned", "en_route", "on_site", "waiting"], "done": ["assigned", "en_route", "on_site", "done"],
    "verified": ["assigned", "en_route", "on_site", "done", "verified"], "cancelled": ["cancelled"],
}
ILLEGAL = [(a, b) for a in STATES for b in STATES if b not in MOVES[a]]


def _order(engine: Engine, actor: int | None = None) -> int:
    with unit_of_work(engine, actor) as s:
        return create_order(s, origin="citizen", category="lighting", priority="urgent", actor_id=actor,
                            location=near(10, 10), description="lamp out", at=T0).id


def _walk(engine: Engine, order_id: int, states: list[str], actor: int, crew_id: int) -> None:
    with unit_of_work(engine, actor) as s:
        for i, state in enumerate(states):
            transition(s, order_id, state, actor, crew_id=crew_id, reason="supplier" if state == "waiting" else None,
                       at=T0 + dt.timedelta(minutes=10 * (i + 1)))


@pytest.mark.parametrize(("current", "to"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_every_illegal_transition_is_refused(engine, current: str, to: str) -> None:
    actor, crew_id = user(engine, "bob", "supervisor"), crew(engine)
    order_id = _order(engine, actor)
    _walk(engine, order_id, PATH[current], actor, crew_id)
    with unit_of_work(engine, actor) as s, pytest.raises(IllegalTransition) as caught:
        transition(s, order_id, to, actor, reason="supplier")
    message = str(caught.value)
    assert f"from {current} to {to}" in message
    assert all(move in message for move in MOVES[current]) and (MOVES[current] or "final" in message)


def test_transitions_are_stamped_with_who_when_where(engine) -> None:
    actor, crew_id = user(engine, "carl"), crew(engine)
    order_id = _order(engine, actor)
    with unit_of_work(engine, actor) as s:
        transition(s, order_id, "assigned", actor, crew_id=crew_id, at=T0 + dt.timedelta(minutes=5))
        transition(s, order_id, "en_route", actor, at=T0 + dt.timedelta(minutes=6))
        transition(s, order_id, "on_site", actor, position=near(12, 9), at=T0 + dt.timedelta(minutes=30))
    with unit_of_work(engine, None) as s:
        events = s.scalars(select(WorkOrderEvent).where(WorkOrderEvent.order_id == order_id)
                           .order_by(WorkOrderEvent.id)).all()
        order = s.get(WorkOrder, order_id)
        assert [(e.from_state, e.to_state) for e in events] == [
            (None, "new"), ("new", "assigned"), ("assigned", "en_route"), ("en_route", "on_site")]
        assert all(e.actor_id == actor for e in events)
        assert events[-1].at == T0 + dt.timedelta(minutes=30)
        assert to_shape(events[-1].geom).equals_exact(near(12, 9), 0.01)
        assert order.state == "on_site" and order.version == 4 and order.crew_id == crew_id


def test_a_stale_version_is_a_conflict(engine) -> None:
    actor, crew_id = user(engine, "dora"), crew(engine)
    order_id = _order(engine, actor)
    with unit_of_work(engine, actor) as s:
        transition(s, order_id, "assigned", actor, crew_id=crew_id, expected_version=1)
    with unit_of_work(engine, actor) as s, pytest.raises(ConflictError) as caught:
        transition(s, order_id, "en_route", actor, expected_version=1)
    assert caught.value.current_version == 2


def test_bad_input_names_the_field(engine) -> None:
    actor = user(engine, "eve")
    order_id = _order(engine, actor)
    with unit_of_work(engine, actor) as s, pytest.raises(ValidationError, match="crew_id"):
        transition(s, order_id, "assigned", actor)
    with unit_of_work(engine, actor) as s, pytest.raises(ValidationError) as caught:
        create_order(s, origin="fax", category="", priority="asap", asset_ids=[999999])
    assert {e.field for e in caught.value.errors} == {"origin", "category", "priority", "asset_ids"}
    with unit_of_work(engine, actor) as s, pytest.raises(ValidationError, match="reason"):
        _walk(engine, order_id, ["assigned", "en_route", "on_site"], actor, crew(engine))
        transition(s, order_id, "waiting", actor, reason="coffee")


def test_due_times_follow_the_policy_and_the_pauses(engine) -> None:
    lighting_policy(engine)
    actor, crew_id = user(engine, "finn"), crew(engine)
    order_id = _order(engine, actor)
    with unit_of_work(engine, None) as s:
        order = s.get(WorkOrder, order_id)
        assert order.response_due == T0 + dt.timedelta(hours=2)
        assert order.resolution_due == T0 + dt.timedelta(hours=8)
    with unit_of_work(engine, actor) as s:
        for state, minutes in (("assigned", 5), ("en_route", 10), ("on_site", 60)):
            transition(s, order_id, state, actor, crew_id=crew_id, at=T0 + dt.timedelta(minutes=minutes))
        order = transition(s, order_id, "waiting", actor, reason="road_permit", at=T0 + dt.timedelta(hours=2))
        assert order.resolution_due is None and order.waiting_reason == "road_permit"
        order = transition(s, order_id, "on_site", actor, at=T0 + dt.timedelta(hours=5))
        assert order.resolution_due == T0 + dt.timedelta(hours=11)
        assert order.response_due == T0 + dt.timedelta(hours=2)
