"""``citypilot crews create|list|show|add-member|remove-member|skills|vehicle|clearance|shift``: the field crews."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import click

from app.cli.assets_cmd import _resolve
from app.cli.context import engine
from app.cli.orders_cmd import parse_instant
from assets.db import unit_of_work
from assets.errors import FieldError, ValidationError
from assets.users import get_user
from fieldservice import crews
from fieldservice.models import CLEARANCES, SHIFT_KINDS, SKILLS

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: French day names a rota uses, too.
JOURS = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")


def register(cli: click.Group) -> None:
    cli.add_command(crews_group)


@click.group("crews")
def crews_group() -> None:
    """Field crews: members, skills, electrical clearances (NF C 18-510), vehicle, shifts and on-call."""


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _weekday(value: str | None) -> int | None:
    if value is None:
        return None
    word = value.strip().lower()[:3]
    if word.isdigit() and 0 <= int(word) <= 6:
        return int(word)
    for names in (WEEKDAYS, JOURS):
        if word in names:
            return names.index(word)
    raise ValidationError(FieldError("--weekday", f"{value!r}: expected mon…sun, lun…dim or 0 (Monday)…6"))


def _time(value: str, name: str) -> dt.time:
    found = re.fullmatch(r"(\d{1,2})(?:[:hH](\d{2})?)?", value.strip())
    if found is None or int(found[1]) > 24 or int(found[2] or 0) > 59 or (int(found[1]) == 24 and found[2] not in
                                                                          (None, "00")):
        raise ValidationError(FieldError(name, f"{value!r}: expected a time of day such as 08:00 or 8h30"))
    return dt.time(int(found[1]) % 24, int(found[2] or 0))


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise ValidationError(FieldError(name, f"{value!r}: expected a date such as 2027-06-30 or 30/06/2027"))


@crews_group.command("create")
@click.argument("name")
@click.option("--skill", "skills", multiple=True, type=click.Choice(SKILLS), help="Repeat.")
@click.option("--vehicle", default=None, help="Its vehicle (asset id or vehicle:CODE).")
def create_cmd(name: str, skills: tuple[str, ...], vehicle: str | None) -> None:
    """Create crew NAME."""
    with unit_of_work(engine(), None) as session:
        vehicle_id = _resolve(session, vehicle).id if vehicle else None
        crew = crews.create_crew(session, name, skills, vehicle_id)
        click.echo(f"created crew {crew.name}, id {crew.id}")


@crews_group.command("list")
@click.option("--at", "when", default=None, help="Availability at this time (ISO 8601; default now).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(when: str | None, as_json: bool) -> None:
    """Every crew: skills, vehicle, members, and whether it works (shift or on call) at --at."""
    at = parse_instant(when, "--at")
    with unit_of_work(engine(), None) as session:
        rows = crews.list_crews(session, at)
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        status = "available" if r["available"] else "off"
        click.echo(f"{r['id']:>4} {r['name']:<20} {status:<9} {','.join(r['skills']) or '-':<24} "
                   f"{r['vehicle'] or '-':<12} {', '.join(r['members'])}")
    click.echo(f"{len(rows)} crew(s)")


@crews_group.command("show")
@click.argument("crew")
@click.option("--at", "when", default=None, help="Availability and clearances at this time (ISO 8601).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_cmd(crew: str, when: str | None, as_json: bool) -> None:
    """One crew (id or name): members and their clearances, vehicle, calendar."""
    with unit_of_work(engine(), None) as session:
        detail = crews.crew_detail(session, crew, parse_instant(when, "--at"))
    if as_json:
        _echo_json(detail)
        return
    vehicle = detail["vehicle"]["code"] if detail["vehicle"] else "-"
    click.echo(f"crew {detail['id']} {detail['name']}: {'available' if detail['available'] else 'off'}; "
               f"skills {', '.join(detail['skills']) or '-'}; vehicle {vehicle}; "
               f"clearances {', '.join(detail['clearances']) or '-'}")
    for m in detail["members"]:
        held = ", ".join(f"{c['code']} until {c['expires_on']}{' (EXPIRED)' if c['expired'] else ''}"
                         for c in m["clearances"])
        click.echo(f"  member {m['name']:<16} {held or 'no clearance'}")
    for s in detail["shifts"]:
        when_ = s["day"] or WEEKDAYS[s["weekday"]]
        click.echo(f"  {s['id']:>4} {s['kind']:<8} {when_:<10} {s['starts']}–{s['ends']}")


@crews_group.command("add-member")
@click.argument("crew")
@click.argument("user")
def add_member_cmd(crew: str, user: str) -> None:
    """Put USER (a user with the crew role) in CREW."""
    with unit_of_work(engine(), None) as session:
        target = crews.get_crew(session, crew)
        crews.add_member(session, target.id, get_user(session, user).id)
    click.echo(f"{user} is in crew {target.name}")


@crews_group.command("remove-member")
@click.argument("crew")
@click.argument("user")
def remove_member_cmd(crew: str, user: str) -> None:
    """Take USER out of CREW."""
    with unit_of_work(engine(), None) as session:
        target = crews.get_crew(session, crew)
        crews.remove_member(session, target.id, get_user(session, user).id)
    click.echo(f"{user} left crew {target.name}")


@crews_group.command("skills")
@click.argument("crew")
@click.argument("skills", nargs=-1, type=click.Choice(SKILLS))
def skills_cmd(crew: str, skills: tuple[str, ...]) -> None:
    """Replace CREW's skills with SKILLS (none: no skill)."""
    with unit_of_work(engine(), None) as session:
        target = crews.set_skills(session, crew, skills)
    click.echo(f"crew {target.name}: skills {', '.join(target.skills) or '-'}")


@crews_group.command("vehicle")
@click.argument("crew")
@click.argument("vehicle", required=False)
@click.option("--none", "remove", is_flag=True, help="Take the crew's vehicle away.")
def vehicle_cmd(crew: str, vehicle: str | None, remove: bool) -> None:
    """Give CREW its VEHICLE (asset id or vehicle:CODE): dispatch follows that vehicle's live position."""
    if (vehicle is None) != remove:
        raise ValidationError(FieldError("vehicle", "give a vehicle, or --none to take it away"))
    with unit_of_work(engine(), None) as session:
        vehicle_id = None if remove else _resolve(session, vehicle).id
        target = crews.set_vehicle(session, crew, vehicle_id)
    click.echo(f"crew {target.name}: vehicle {vehicle or '-'}")


@crews_group.command("clearance")
@click.argument("user")
@click.argument("code", type=click.Choice(CLEARANCES, case_sensitive=False))
@click.option("--expires", required=True, help="Valid until this day (2027-06-30 or 30/06/2027).")
def clearance_cmd(user: str, code: str, expires: str) -> None:
    """Grant or renew USER's electrical clearance CODE (titre d'habilitation NF C 18-510) until --expires."""
    with unit_of_work(engine(), None) as session:
        row = crews.set_clearance(session, get_user(session, user).id, code, _date(expires, "--expires"))
        click.echo(f"{user}: {row.code} valid until {row.expires_on.isoformat()}")


@crews_group.command("shift")
@click.argument("crew")
@click.option("--kind", type=click.Choice(SHIFT_KINDS), default="shift", show_default=True,
              help="shift (works), off (an exception: does not), on_call (astreinte).")
@click.option("--weekday", default=None, help="Every week on this day (mon…sun, lun…dim).")
@click.option("--day", default=None, help="Only on this date (an exception or an on-call duty).")
@click.option("--from", "starts", required=True, help="Start, e.g. 07:30.")
@click.option("--to", "ends", required=True, help="End, e.g. 16:00; at or before the start: runs past midnight.")
def shift_cmd(crew: str, kind: str, weekday: str | None, day: str | None, starts: str, ends: str) -> None:
    """Add a line to CREW's calendar: weekly (--weekday) or on one --day."""
    with unit_of_work(engine(), None) as session:
        target = crews.get_crew(session, crew)
        row = crews.add_shift(session, target.id, _time(starts, "--from"), _time(ends, "--to"), kind=kind,
                              weekday=_weekday(weekday), day=_date(day, "--day"))
        when = row.day.isoformat() if row.day else WEEKDAYS[row.weekday or 0]
        click.echo(f"crew {target.name}: {kind} {when} {row.starts:%H:%M}–{row.ends:%H:%M} (line {row.id})")


@crews_group.command("unshift")
@click.argument("crew")
@click.argument("line", type=int)
def unshift_cmd(crew: str, line: int) -> None:
    """Remove calendar LINE (its id, as `crews show` lists it) from CREW."""
    with unit_of_work(engine(), None) as session:
        target = crews.get_crew(session, crew)
        crews.remove_shift(session, target.id, line)
    click.echo(f"crew {target.name}: line {line} removed")
