"""Crews against the real database: members with the crew role, clearances that expire, a vehicle that is a
vehicle, and when a crew works (weekly shifts, nights, public holidays, exceptions, on call)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from assets.db import unit_of_work
from assets.errors import NotFoundError, ValidationError
from assets.store import create_asset
from fieldservice import crews
from fieldservice.sla import PARIS
from tests.assets.helpers import MINIMAL, near
from tests.fieldservice.helpers import user


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def crew_id(engine: Engine) -> int:
    with unit_of_work(engine, None) as s:
        return crews.create_crew(s, "Équipe Centre", ["lighting", " Signals "]).id


def test_create_validates_name_skills_vehicle(engine: Engine, planner_id: int, crew_id: int) -> None:
    with unit_of_work(engine, planner_id) as s:
        assert crews.get_crew(s, "Équipe Centre").skills == ["lighting", "signals"]
        assert crews.get_crew(s, str(crew_id)).name == "Équipe Centre"
        van = create_asset(s, "vehicle", {"code": "VEH-1", "geom": near(), **MINIMAL["vehicle"]}).id
        cabinet = create_asset(s, "cabinet", {"code": "AR-1", "geom": near(), **MINIMAL["cabinet"]}).id
    cases = [
        (lambda s: crews.create_crew(s, "Équipe Centre"), "name: a crew named 'Équipe Centre' already exists"),
        (lambda s: crews.create_crew(s, "  "), "name: is required"),
        (lambda s: crews.create_crew(s, "B", ["plumbing"]), "skills: unknown skill(s) plumbing"),
        (lambda s: crews.set_vehicle(s, crew_id, cabinet), f"vehicle_id: asset {cabinet} is not a vehicle"),
        (lambda s: crews.set_vehicle(s, crew_id, 999999), "vehicle_id: asset 999999 is unknown"),
    ]
    for call, message in cases:
        with unit_of_work(engine, None) as s, pytest.raises(ValidationError) as caught:
            call(s)
        assert str(caught.value).startswith(message)
    with unit_of_work(engine, None) as s, pytest.raises(NotFoundError, match="crew 'Nobody' does not exist"):
        crews.get_crew(s, "Nobody")
    with unit_of_work(engine, None) as s:
        assert crews.set_vehicle(s, crew_id, van).vehicle_id == van
        assert crews.crew_detail(s, crew_id)["vehicle"] == {"id": van, "code": "VEH-1"}
        assert crews.set_vehicle(s, crew_id, None).vehicle_id is None


def test_members_need_the_crew_role_and_clearances_expire(engine: Engine, planner_id: int, crew_id: int) -> None:
    gus, ines = user(engine, "gus"), user(engine, "ines")
    message = f"user: user {planner_id} has the role planner, not crew"
    with unit_of_work(engine, None) as s, pytest.raises(ValidationError, match=message):
        crews.add_member(s, crew_id, planner_id)
    with unit_of_work(engine, None) as s:
        crews.add_member(s, crew_id, gus)
        crews.add_member(s, crew_id, gus)  # once
        crews.add_member(s, crew_id, ines)
        crews.set_clearance(s, gus, "br", dt.date(2026, 12, 31))
        crews.set_clearance(s, ines, "B1V", dt.date(2026, 6, 30))
        assert sorted(crews.members_of(s, crew_id)) == [gus, ines]
        assert crews.qualified_on(s, crew_id, dt.date(2026, 6, 30)) == {"BR", "B1V"}
        assert crews.qualified_on(s, crew_id, dt.date(2026, 7, 1)) == {"BR"}
        assert crews.qualified_on(s, crew_id, dt.date(2027, 1, 1)) == set()
        crews.set_clearance(s, gus, "BR", dt.date(2029, 12, 31))  # renewed
        assert crews.qualified_on(s, crew_id, dt.date(2027, 1, 1)) == {"BR"}
        detail = crews.crew_detail(s, crew_id, paris(2026, 11, 9, 10))
        ines_row = next(m for m in detail["members"] if m["name"] == "ines")
        assert ines_row["clearances"] == [{"code": "B1V", "expires_on": "2026-06-30", "expired": True}]
        assert detail["clearances"] == ["BR"]
        crews.remove_member(s, crew_id, gus)
        assert crews.qualified_on(s, crew_id, dt.date(2027, 1, 1)) == set()
    with unit_of_work(engine, None) as s, pytest.raises(ValidationError, match="code: 'B9' is not one of B0"):
        crews.set_clearance(s, gus, "B9", dt.date(2027, 1, 1))
    with unit_of_work(engine, None) as s, pytest.raises(ValidationError, match="user: user 4242 does not exist"):
        crews.set_clearance(s, 4242, "BR", dt.date(2027, 1, 1))


def test_weekly_shifts_nights_holidays_exceptions_and_on_call(engine: Engine, crew_id: int) -> None:
    with unit_of_work(engine, None) as s:
        for weekday in range(5):
            crews.add_shift(s, crew_id, dt.time(7, 30), dt.time(16, 0), weekday=weekday)
        crews.add_shift(s, crew_id, dt.time(20, 0), dt.time(6, 0), weekday=4)  # Friday night
        crews.add_shift(s, crew_id, dt.time(0, 0), dt.time(0, 0), kind="on_call", day=dt.date(2026, 11, 11))
        crews.add_shift(s, crew_id, dt.time(12, 0), dt.time(16, 0), kind="off", day=dt.date(2026, 11, 10))
    cases = [
        (paris(2026, 11, 9, 7, 29), False),  # Monday before the shift
        (paris(2026, 11, 9, 7, 30), True),
        (paris(2026, 11, 9, 15, 59), True),
        (paris(2026, 11, 9, 16, 0), False),  # the end is not in the shift
        (paris(2026, 11, 10, 11, 59), True),
        (paris(2026, 11, 10, 12, 30), False),  # Tuesday afternoon off (an exception)
        (paris(2026, 11, 11, 10, 0), True),  # 11 November: no weekly shift, but on call all day
        (paris(2026, 11, 11, 23, 59), True),
        (paris(2026, 11, 13, 23, 0), True),  # Friday night
        (paris(2026, 11, 14, 5, 59), True),  # … into Saturday morning
        (paris(2026, 11, 14, 6, 0), False),
        (paris(2026, 11, 15, 10, 0), False),  # Sunday
        (paris(2026, 7, 14, 10, 0), False),  # 14 July, a Tuesday: a holiday, no weekly shift
        (dt.datetime(2026, 11, 9, 6, 45, tzinfo=dt.UTC), True),  # 07:45 in Paris (UTC+1 in winter)
        (dt.datetime(2026, 7, 13, 5, 45, tzinfo=dt.UTC), True),  # 07:45 in Paris (UTC+2 in summer)
    ]
    with unit_of_work(engine, None) as s:
        got = [(when, crews.available_at(s, crew_id, when)) for when, _ in cases]
        listed = crews.list_crews(s, paris(2026, 11, 10, 12, 30))
    assert got == cases
    assert [(r["name"], r["available"]) for r in listed] == [("Équipe Centre", False)]


def test_bad_calendar_lines_name_the_field(engine: Engine, crew_id: int) -> None:
    cases = [
        ({"weekday": 7}, "weekday: must be 0 (Monday) to 6 (Sunday)"),
        ({}, "weekday: give a weekday (weekly line) or a day (exception), not both"),
        ({"weekday": 1, "day": dt.date(2026, 1, 1)}, "weekday: give a weekday"),
        ({"weekday": 1, "kind": "holiday"}, "kind: 'holiday' is not one of shift, off, on_call"),
    ]
    for extra, message in cases:
        with unit_of_work(engine, None) as s, pytest.raises(ValidationError) as caught:
            crews.add_shift(s, crew_id, dt.time(8), dt.time(12), **extra)
        assert str(caught.value).startswith(message)
    with unit_of_work(engine, None) as s:
        line = crews.add_shift(s, crew_id, dt.time(8), dt.time(12), weekday=0).id
        crews.remove_shift(s, crew_id, line)
        with pytest.raises(NotFoundError, match=f"has no calendar line {line}"):
            crews.remove_shift(s, crew_id, line)
