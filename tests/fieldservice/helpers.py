"""What the field service tests share: users, a crew, a policy."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Engine

from assets.db import unit_of_work
from assets.users import create_user
from fieldservice.models import Crew, SlaPolicy


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
