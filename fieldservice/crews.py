"""Crews: members (users with the crew role), skills, electrical clearances with expiry, a vehicle, a
weekly calendar with exceptions, and the on-call rota (astreinte).

When a crew works is one rule, written once in SQL (:data:`AVAILABLE_SQL`) so dispatch filters thousands of
crews in the database and :func:`available_at` answers for one. At a Paris local time, a crew is available
when no ``off`` line covers it and a ``shift`` or ``on_call`` line does. A line covers ``starts``–``ends`` on
its day (``day``) or on its weekday (``weekday``, 0 = Monday); ``ends`` ≤ ``starts`` runs past midnight
(18:00–08:00, and 00:00–00:00 is the whole day). Weekly ``shift`` lines do not apply on French public
holidays; day lines and on-call lines do. A crew holds a clearance on a date when one of its members holds it
unexpired (``expires_on`` on or after the date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from assets.errors import FieldError, NotFoundError, ValidationError
from fieldservice import sla
from fieldservice.models import CLEARANCES, SHIFT_KINDS, SKILLS, Clearance, Crew, CrewMember, CrewShift

_COVER = """(
  ((s.day = :av_d0 OR (s.weekday = :av_wd0 AND NOT (s.kind = 'shift' AND :av_hol0)))
    AND s.starts <= :av_t AND (s.ends <= s.starts OR :av_t < s.ends))
  OR ((s.day = :av_d1 OR (s.weekday = :av_wd1 AND NOT (s.kind = 'shift' AND :av_hol1)))
    AND s.ends <= s.starts AND :av_t < s.ends))"""
# Both tests are scalar subqueries with LIMIT 1 on purpose: the planner keeps them per row (one index probe
# on ``crew_shifts.crew_id`` / the ``crew_members`` and ``clearances`` keys) instead of turning them into
# joins over every crew, so dispatch, walking the vehicles nearest first, stops at the first crew that fits.
_LINE = "coalesce((SELECT true FROM crew_shifts s WHERE s.crew_id = c.id AND s.kind {} 'off' AND {} LIMIT 1), false)"
#: ``c.id`` is available at the time of :func:`availability_params`.
AVAILABLE_SQL = f"(NOT {_LINE.format('=', _COVER)} AND {_LINE.format('<>', _COVER)})"
#: ``c.id`` holds every clearance of ``:q_needed`` on ``:q_day``.
QUALIFIED_SQL = ("(SELECT count(DISTINCT k.code) FROM crew_members m JOIN clearances k ON k.user_id = m.user_id "
                 "WHERE m.crew_id = c.id AND k.code = ANY(CAST(:q_needed AS text[])) AND k.expires_on >= :q_day) "
                 "= cardinality(CAST(:q_needed AS text[]))")


def availability_params(when: dt.datetime) -> dict[str, object]:
    """The parameters of :data:`AVAILABLE_SQL` for the instant ``when`` (aware)."""
    local = sla._aware(when).astimezone(sla.PARIS)
    day, before = local.date(), local.date() - dt.timedelta(days=1)
    return {"av_d0": day, "av_wd0": day.weekday(), "av_hol0": sla.is_public_holiday(day),
            "av_d1": before, "av_wd1": before.weekday(), "av_hol1": sla.is_public_holiday(before),
            "av_t": local.time().replace(tzinfo=None)}


def qualification_params(day: dt.date, needed: Iterable[str]) -> dict[str, object]:
    """The parameters of :data:`QUALIFIED_SQL`: every clearance of ``needed`` valid on ``day``."""
    return {"q_day": day, "q_needed": sorted(set(needed))}


def _skills(skills: Iterable[str]) -> list[str]:
    out = list(dict.fromkeys(s.strip().lower() for s in skills if s.strip()))
    bad = [s for s in out if s not in SKILLS]
    if bad:
        raise ValidationError(FieldError("skills", f"unknown skill(s) {', '.join(bad)}; skills: {', '.join(SKILLS)}"))
    return out


def _vehicle(session: Session, vehicle_id: int | None) -> int | None:
    if vehicle_id is None:
        return None
    kind = session.execute(text("SELECT kind FROM assets WHERE id = :id"), {"id": vehicle_id}).scalar()
    if kind != "vehicle":
        what = "not a vehicle" if kind else "unknown"
        raise ValidationError(FieldError("vehicle_id", f"asset {vehicle_id} is {what}"))
    return vehicle_id


def get_crew(session: Session, ref: int | str) -> Crew:
    """A crew by id or by name."""
    crew = session.get(Crew, int(ref)) if isinstance(ref, int) or str(ref).isdigit() else None
    crew = crew or session.scalars(select(Crew).where(Crew.name == str(ref).strip())).first()
    if crew is None:
        raise NotFoundError(f"crew {ref!r} does not exist")
    return crew


def create_crew(session: Session, name: str, skills: Sequence[str] = (), vehicle_id: int | None = None) -> Crew:
    """A new crew; its name is unique."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(FieldError("name", "is required"))
    if session.scalars(select(Crew).where(Crew.name == name)).first() is not None:
        raise ValidationError(FieldError("name", f"a crew named {name!r} already exists"))
    crew = Crew(name=name, skills=_skills(skills), vehicle_id=_vehicle(session, vehicle_id))
    session.add(crew)
    session.flush()
    return crew


def set_skills(session: Session, crew_id: int | str, skills: Sequence[str]) -> Crew:
    """Replace a crew's skills."""
    crew = get_crew(session, crew_id)
    crew.skills = _skills(skills)
    session.flush()
    return crew


def set_vehicle(session: Session, crew_id: int | str, vehicle_id: int | None) -> Crew:
    """Give a crew its vehicle (a vehicle asset), or take it away with None."""
    crew = get_crew(session, crew_id)
    crew.vehicle_id = _vehicle(session, vehicle_id)
    session.flush()
    return crew


def add_member(session: Session, crew_id: int, user_id: int) -> None:
    """Put a user with the crew role in a crew (once)."""
    get_crew(session, crew_id)
    role = session.execute(text("SELECT role FROM users WHERE id = :id"), {"id": user_id}).scalar()
    if role is None:
        raise ValidationError(FieldError("user", f"user {user_id} does not exist"))
    if role != "crew":
        raise ValidationError(FieldError("user", f"user {user_id} has the role {role}, not crew"))
    session.execute(text("INSERT INTO crew_members (crew_id, user_id) VALUES (:c, :u) ON CONFLICT DO NOTHING"),
                    {"c": crew_id, "u": user_id})


def remove_member(session: Session, crew_id: int, user_id: int) -> None:
    """Take a user out of a crew (their clearances stay theirs)."""
    session.execute(text("DELETE FROM crew_members WHERE crew_id = :c AND user_id = :u"), {"c": crew_id, "u": user_id})


def set_clearance(session: Session, user_id: int, code: str, expires_on: dt.date) -> Clearance:
    """Grant or renew a user's clearance (NF C 18-510) until ``expires_on``."""
    code = (code or "").strip().upper()
    if code not in CLEARANCES:
        raise ValidationError(FieldError("code", f"{code!r} is not one of {', '.join(CLEARANCES)}"))
    if session.execute(text("SELECT 1 FROM users WHERE id = :id"), {"id": user_id}).scalar() is None:
        raise ValidationError(FieldError("user", f"user {user_id} does not exist"))
    if not isinstance(expires_on, dt.date):
        raise ValidationError(FieldError("expires_on", "must be a date (YYYY-MM-DD)"))
    row = session.get(Clearance, (user_id, code)) or Clearance(user_id=user_id, code=code)
    row.expires_on = expires_on
    session.add(row)
    session.flush()
    return row


def add_shift(session: Session, crew_id: int, starts: dt.time, ends: dt.time, *, kind: str = "shift",
              weekday: int | None = None, day: dt.date | None = None) -> CrewShift:
    """One calendar line: weekly (``weekday``) or on one ``day``; kind shift, off or on_call."""
    get_crew(session, crew_id)
    errors = []
    if kind not in SHIFT_KINDS:
        errors.append(FieldError("kind", f"{kind!r} is not one of {', '.join(SHIFT_KINDS)}"))
    if (weekday is None) == (day is None):
        errors.append(FieldError("weekday", "give a weekday (weekly line) or a day (exception), not both"))
    elif weekday is not None and not 0 <= weekday <= 6:
        errors.append(FieldError("weekday", "must be 0 (Monday) to 6 (Sunday)"))
    for name, value in (("starts", starts), ("ends", ends)):
        if not isinstance(value, dt.time):
            errors.append(FieldError(name, "must be a time of day (HH:MM)"))
    if errors:
        raise ValidationError(errors)
    row = CrewShift(crew_id=crew_id, kind=kind, weekday=weekday, day=day, starts=starts, ends=ends)
    session.add(row)
    session.flush()
    return row


def qualified_on(session: Session, crew_id: int, day: dt.date) -> set[str]:
    """The clearances a crew holds on ``day`` (one unexpired holder among its members is enough)."""
    return set(session.execute(text(
        "SELECT DISTINCT k.code FROM crew_members m JOIN clearances k ON k.user_id = m.user_id "
        "WHERE m.crew_id = :c AND k.expires_on >= :d"), {"c": crew_id, "d": day}).scalars())


def available_at(session: Session, crew_id: int, when: dt.datetime) -> bool:
    """Whether the crew works (shift or on call, not off) at ``when``."""
    return bool(session.execute(text(f"SELECT {AVAILABLE_SQL} FROM crews c WHERE c.id = :id"),
                                {"id": crew_id, **availability_params(when)}).scalar())


def list_crews(session: Session, when: dt.datetime | None = None) -> list[dict[str, object]]:
    """Every crew with its members, vehicle and whether it is available at ``when`` (default now)."""
    when = when or dt.datetime.now(dt.UTC)
    rows = session.execute(text(
        f"SELECT c.id, c.name, c.skills, v.code AS vehicle, {AVAILABLE_SQL} AS available, "
        "ARRAY(SELECT u.name FROM crew_members m JOIN users u ON u.id = m.user_id WHERE m.crew_id = c.id "
        "ORDER BY u.name) AS members FROM crews c LEFT JOIN assets v ON v.id = c.vehicle_id ORDER BY c.name"),
        availability_params(when)).mappings().all()
    return [dict(r) for r in rows]


def members_of(session: Session, crew_id: int) -> list[int]:
    """The user ids of a crew's members."""
    return list(session.scalars(select(CrewMember.user_id).where(CrewMember.crew_id == crew_id)))


def remove_shift(session: Session, crew_id: int, shift_id: int) -> None:
    """Delete one line of a crew's calendar."""
    gone = session.execute(text("DELETE FROM crew_shifts WHERE id = :id AND crew_id = :c"),
                           {"id": shift_id, "c": crew_id}).rowcount
    if not gone:
        raise NotFoundError(f"crew {crew_id} has no calendar line {shift_id}")


def crew_detail(session: Session, ref: int | str, when: dt.datetime | None = None) -> dict[str, object]:
    """A crew with its members and their clearances (expired ones flagged at ``when``), its vehicle, its
    calendar and whether it is available at ``when`` (default now)."""
    when = when or dt.datetime.now(dt.UTC)
    crew = get_crew(session, ref)
    today = sla._aware(when).astimezone(sla.PARIS).date()
    members = []
    for user in session.execute(text(
            "SELECT u.id, u.name, u.full_name FROM crew_members m JOIN users u ON u.id = m.user_id "
            "WHERE m.crew_id = :c ORDER BY u.name"), {"c": crew.id}):
        held = session.execute(select(Clearance.code, Clearance.expires_on).where(Clearance.user_id == user.id)
                               .order_by(Clearance.code)).all()
        members.append({"id": user.id, "name": user.name, "full_name": user.full_name,
                        "clearances": [{"code": c.code, "expires_on": c.expires_on.isoformat(),
                                        "expired": c.expires_on < today} for c in held]})
    vehicle = session.execute(text("SELECT id, code FROM assets WHERE id = :id"), {"id": crew.vehicle_id}).first()
    shifts = session.scalars(select(CrewShift).where(CrewShift.crew_id == crew.id)
                             .order_by(CrewShift.day.nulls_first(), CrewShift.weekday, CrewShift.starts)).all()
    return {
        "id": crew.id, "name": crew.name, "skills": list(crew.skills),
        "vehicle": {"id": vehicle.id, "code": vehicle.code} if vehicle else None,
        "members": members, "clearances": sorted(qualified_on(session, crew.id, today)),
        "available": available_at(session, crew.id, when),
        "shifts": [{"id": s.id, "kind": s.kind, "weekday": s.weekday,
                    "day": s.day.isoformat() if s.day else None,
                    "starts": s.starts.strftime("%H:%M"), "ends": s.ends.strftime("%H:%M")} for s in shifts],
    }
