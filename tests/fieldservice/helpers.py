"""What the field service tests share: users, a crew, a policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from shapely.geometry import Point
from sqlalchemy import Engine

from assets.db import unit_of_work
from assets.store import create_asset
from assets.users import create_user
from fieldservice import crews
from fieldservice.models import Crew, SlaPolicy
from fieldservice.sla import PARIS
from gis.crs import from_storage
from gis.geometry import reproject
from tests.assets.alarm_helpers import position, write
from tests.assets.helpers import near

WHEN = dt.datetime(2026, 11, 9, 10, 0, tzinfo=PARIS)  # a Monday morning
MONDAY = 0


def crew_with_van(engine: Engine, db_url: str, name: str, dx: float, *, skills: tuple[str, ...] = ("lighting",),
          clearance: tuple[str, dt.date] | None = ("BR", dt.date(2027, 12, 31)), kind: str | None = "shift",
          vehicle: bool = True) -> int:
    """A crew of one, its van ``dx`` metres east of place Darcy (live position), working on Mondays."""
    member = user(engine, name.lower().replace(" ", "-"))
    with unit_of_work(engine, None) as s:
        plate = f"AB-{abs(hash(name)) % 1000:03d}-CD"
        van = create_asset(s, "vehicle", {"code": f"VEH-{name}", "geom": near(), "plate": plate}).id
        crew = crews.create_crew(s, name, skills, van if vehicle else None).id
        crews.add_member(s, crew, member)
        if clearance:
            crews.set_clearance(s, member, *clearance)
        if kind:
            crews.add_shift(s, crew, dt.time(7, 30), dt.time(16), kind=kind, weekday=MONDAY)
    lonlat = reproject(near(dx), from_storage())
    assert isinstance(lonlat, Point)
    write(db_url, position(van, WHEN - dt.timedelta(minutes=2), lonlat.x, lonlat.y))
    return crew


def crew(engine: Engine, name: str = "Équipe 1", skills: tuple[str, ...] = ("lighting",),
         vehicle_id: int | None = None) -> int:
    with unit_of_work(engine, None) as s:
        row = Crew(name=name, skills=list(skills), vehicle_id=vehicle_id)
        s.add(row)
        s.flush()
        return row.id


def user(engine: Engine, name: str, role: str = "crew") -> int:
    with unit_of_work(engine, None) as s:
        return create_user(s, name, role, name.title()).id


def lighting_policy(engine: Engine, priority: str = "urgent") -> int:
    with unit_of_work(engine, None) as s:
        row = SlaPolicy(category="lighting", priority=priority, calendar="calendar", response_min=120,
                        make_safe_min=240, resolution_min=480, pause_reasons=["road_permit", "supplier"],
                        penalty_fixed=Decimal("100"), penalty_per_hour=Decimal("50"), penalty_cap=Decimal("400"))
        s.add(row)
        s.flush()
        return row.id
