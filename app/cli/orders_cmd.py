"""``citypilot orders list|show|create|move|sync-alarms``: work orders from the command line."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click
from shapely.geometry import Point

from app.cli.assets_cmd import _geometry, _resolve
from app.cli.context import actor_id, engine, every_option, repeat, user_option
from assets.db import unit_of_work
from assets.errors import FieldError, ValidationError
from fieldservice import dispatch, from_alarms, orders, sla, visits, worklog
from fieldservice.crews import get_crew
from fieldservice.models import ORIGINS, PRIORITIES
from fieldservice.queries import MAX_LIMIT, STATE_FILTERS, OrderQuery, list_orders, order_detail, order_item
from fieldservice.states import STATES


def register(cli: click.Group) -> None:
    cli.add_command(orders_group)


@click.group("orders")
def orders_group() -> None:
    """Work orders: list, show, create, move through their states, open them from alarms."""


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _line(item: dict[str, Any]) -> str:
    crew = item["crew"]["name"] if item["crew"] else "-"
    due = item["resolution_due"] or item["response_due"] or "-"
    state = item["state"] + (f" ({item['waiting_reason']})" if item["waiting_reason"] else "")
    return (f"{item['id']:>7} {item['priority']:<7} {item['category']:<10} {state:<28} {crew:<16} "
            f"due {due[:16]:<16} {item['description'] or ''}")


def _position(at: str | None, crs: str) -> Point | None:
    return _geometry(at, None, crs).get("geom") if at else None


def parse_instant(value: str | None, name: str) -> dt.datetime | None:
    """An ISO 8601 time from the command line; without an offset, Europe/Paris."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(FieldError(name, f"{value!r}: expected an ISO 8601 time such as "
                                               "2026-11-03T21:00:00Z")) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=sla.PARIS)


@orders_group.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(STATE_FILTERS),
              help="Repeat; default: open (not done, verified or cancelled).")
@click.option("--category", "categories", multiple=True, type=click.Choice(orders.CATEGORIES))
@click.option("--priority", "priorities", multiple=True, type=click.Choice(PRIORITIES))
@click.option("--origin", "origins", multiple=True, type=click.Choice(ORIGINS))
@click.option("--crew", default=None, help="A crew's id or name.")
@click.option("--asset", default=None, help="Orders about this asset (id or KIND:CODE).")
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True, help="Skip this many (next page).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(states: tuple[str, ...], categories: tuple[str, ...], priorities: tuple[str, ...],
             origins: tuple[str, ...], crew: str | None, asset: str | None, limit: int, offset: int,
             as_json: bool) -> None:
    """Work orders, the most urgent first (earliest running due time), one page at a time."""
    with unit_of_work(engine(), None) as session:
        query = OrderQuery(states=list(states) or ["open"], categories=list(categories), priorities=list(priorities),
                           origins=list(origins), crew_id=get_crew(session, crew).id if crew else None,
                           asset_id=_resolve(session, asset).id if asset else None, limit=limit, offset=offset)
        page = list_orders(session, query)
    if as_json:
        _echo_json({"items": page.items, "total": page.total, "next_offset": page.next_offset})
        return
    for item in page.items:
        click.echo(_line(item))
    more = f"; next page: --offset {page.next_offset}" if page.next_offset is not None else ""
    click.echo(f"{len(page.items)} of {page.total} work order(s){more}")


@orders_group.command("show")
@click.argument("order_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_cmd(order_id: int, as_json: bool) -> None:
    """One order: its assets, alarms, clocks, history and the moves allowed next."""
    with unit_of_work(engine(), None) as session:
        detail = order_detail(session, order_id)
        record = worklog.work_record(session, order_id)
    if as_json:
        _echo_json({**detail, "work": record})
        return
    click.echo(_line(detail))
    click.echo(f"origin {detail['origin']}, version {detail['version']}, commune {detail['commune_insee'] or '-'}, "
               f"at {detail['lon']},{detail['lat']}")
    for a in detail["assets"]:
        click.echo(f"  asset {a['id']} {a['kind']} {a['code']}")
    for a in detail["alarms"]:
        click.echo(f"  alarm {a['id']} {a['type']} {a['state']}")
    for name, c in detail["clocks"].items():
        status = ("stopped " + c["stopped_at"][:16] if c["stopped_at"] else "paused" if c["paused"]
                  else f"{c['remaining_min']:g} min left")
        late = f", LATE {c['late_min']:g} min" if c["breached"] else ""
        click.echo(f"  clock {name:<10} due {(c['due'] or '-')[:16]:<16} {status}{late}")
    click.echo("history:")
    for e in detail["events"]:
        why = f" ({e['reason']})" if e["reason"] else ""
        click.echo(f"  {e['at'][:19]} {e['from'] or '-':>9} → {e['to']:<10} {e['actor'] or 'system'}{why}")
    click.echo(f"allowed moves: {', '.join(detail['allowed_moves']) or 'none (final state)'}")
    _echo_record(record)


def _echo_record(record: dict[str, Any]) -> None:
    """The work record: checklist, labour, parts, notes, photos and the proof of presence."""
    presence = record["presence"]
    near = f", nearest on-site position {presence['nearest_m']:g} m" if presence["nearest_m"] is not None else ""
    click.echo(f"presence on site: {'proven' if presence['proven'] else 'not proven'}{near}")
    if record["checklist"]:
        click.echo("checklist:")
    for item in record["checklist"]:
        mark = "x" if item["done"] else " "
        extra = f" — {item['note']}" if item["note"] else ""
        click.echo(f"  [{mark}] {item['label']}{' (required)' if item['required'] else ''}{extra}")
    for line in record["labour"]:
        click.echo(f"  labour {line['user']} {line['started_at'][:16]} → {line['ended_at'][11:16]} "
                   f"({line['hours']:g} h)")
    for part in record["parts"]:
        click.echo(f"  part {part['reference']} × {part['quantity']:g} {part['unit']} {part['label'] or ''}")
    for note in record["notes"]:
        click.echo(f"  note {note['at'][:16]} {note['author'] or '-'}: {note['text']}")
    for a in record["attachments"]:
        click.echo(f"  {a['kind']} {a['sha256'][:12]}… {a['size']:,} bytes {a['taken_at'] or ''}")


@orders_group.command("create")
@click.option("--category", required=True, type=click.Choice(orders.CATEGORIES), help="The skill it needs.")
@click.option("--priority", type=click.Choice(PRIORITIES), default="normal", show_default=True)
@click.option("--origin", type=click.Choice(ORIGINS), default="planner", show_default=True)
@click.option("--asset", "asset_refs", multiple=True, help="An asset it is about (id or KIND:CODE; repeat).")
@click.option("--at", default=None, metavar="X,Y", help="Where (lon,lat in WGS84 by default); else its first asset.")
@click.option("--crs", default="EPSG:4326", show_default=True, help="CRS of --at.")
@click.option("--description", default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@user_option
def create_cmd(category: str, priority: str, origin: str, asset_refs: tuple[str, ...], at: str | None, crs: str,
               description: str | None, as_json: bool, user: str | None) -> None:
    """Open a work order (state new) with its SLA clocks running."""
    who = actor_id(user)
    with unit_of_work(engine(), who) as session:
        ids = [_resolve(session, ref).id for ref in asset_refs]
        order = orders.create_order(session, origin=origin, category=category, priority=priority, actor_id=who,
                                    asset_ids=ids, location=_position(at, crs), description=description)
        item = order_item(session, order.id)
    if as_json:
        _echo_json(item)
        return
    click.echo(f"work order {item['id']} created")
    click.echo(_line(item))


@orders_group.command("move")
@click.argument("order_id", type=int)
@click.argument("state", type=click.Choice(STATES))
@click.option("--crew", default=None, help="For assigned: the crew's id or name (checked for skill and clearances).")
@click.option("--reason", default=None, help="Why (waiting: road_permit, supplier, police, access_refused; cancel).")
@click.option("--at", default=None, metavar="X,Y", help="Where the actor is (lon,lat in WGS84 by default).")
@click.option("--crs", default="EPSG:4326", show_default=True, help="CRS of --at.")
@click.option("--version", "expected", type=int, default=None, help="The version you saw (conflict check).")
@user_option
def move_cmd(order_id: int, state: str, crew: str | None, reason: str | None, at: str | None, crs: str,
             expected: int | None, user: str | None) -> None:
    """Move an order to STATE; an illegal move is refused, naming the state and the allowed moves."""
    who = actor_id(user)
    with unit_of_work(engine(), who) as session:
        if state == "assigned" and crew is not None:
            dispatch.assign(session, order_id, get_crew(session, crew).id, who, expected)
        elif state == "cancelled":
            orders.cancel(session, order_id, who, reason or "", expected_version=expected)
        else:
            orders.transition(session, order_id, state, who, position=_position(at, crs), reason=reason,
                              expected_version=expected)
        item = order_item(session, order_id)
    click.echo(_line(item))


@orders_group.command("propose")
@click.argument("order_id", type=int)
@click.option("--limit", type=click.IntRange(1, 20), default=3, show_default=True)
@click.option("--at", "when", default=None, help="At this time (ISO 8601; default now): shifts, clearances.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def propose_cmd(order_id: int, limit: int, when: str | None, as_json: bool) -> None:
    """The nearest crews that may take the order (skill, valid clearances, working or on call), by the live
    position of their vehicle: distance, travel time, queue and breach risk."""
    at = parse_instant(when, "--at")
    with unit_of_work(engine(), None) as session:
        found = dispatch.propose(session, order_id, when=at, limit=limit)
    if as_json:
        _echo_json([p.__dict__ for p in found])
        return
    for p in found:
        risk = ", ".join(c for c, late in (("response", p.response_breach), ("resolution", p.resolution_breach))
                         if late)
        click.echo(f"{p.crew_id:>5} {p.name:<20} {p.distance_m / 1000:6.2f} km {p.travel_min:5.0f} min "
                   f"queue {len(p.queue)}  eta {p.eta.astimezone(sla.PARIS):%d/%m %H:%M}  "
                   f"{'WOULD BREACH ' + risk if risk else 'in time'}")
    click.echo(f"{len(found)} crew(s) proposed" if found else "no qualified crew available")


@orders_group.command("assign-batch")
@click.argument("order_ids", type=int, nargs=-1, required=True)
@click.option("--crew", required=True, help="The crew's id or name.")
@user_option
def assign_batch_cmd(order_ids: tuple[int, ...], crew: str, user: str | None) -> None:
    """Assign several orders of one area to one crew in one action (all or none), with a suggested round
    from where its vehicle is, nearest next."""
    who = actor_id(user)
    with unit_of_work(engine(), who) as session:
        crew_id = get_crew(session, crew).id
        route = dispatch.assign_batch(session, list(order_ids), crew_id, who)
    click.echo(f"{len(route)} order(s) assigned to crew {crew_id}; suggested round: {' → '.join(map(str, route))}")


def _sync_once(since: dt.datetime | None, who: int) -> from_alarms.SyncResult:
    with unit_of_work(engine(), who) as session:
        return from_alarms.sync_alarms(session, since=since, actor_id=who)


def _report(result: from_alarms.SyncResult) -> str:
    return (f"{len(result.opened)} order(s) opened, {len(result.attached)} alarm(s) attached to an open order, "
            f"{len(result.verified)} order(s) verified, {len(result.skipped)} alarm(s) needing no order")


@orders_group.command("sync-alarms")
@click.option("--since", default=None, help="Only alarms raised since this time (ISO 8601; default: every active).")
@click.option("--every", "every_s", type=click.FloatRange(1), default=None, metavar="S",
              help="Repeat every S seconds until Ctrl-C or SIGTERM (default: one pass).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@user_option
def sync_alarms_cmd(since: str | None, every_s: float | None, as_json: bool, user: str | None) -> None:
    """Open one order per cause for the active alarms that need someone on site, attach the others to their
    asset's open order, and verify the orders done whose alarms have all cleared."""
    who = actor_id(user)
    start = parse_instant(since, "--since")

    def once() -> None:
        result = _sync_once(start, who)
        if as_json:
            _echo_json({"opened": result.opened, "attached": {str(k): v for k, v in result.attached.items()},
                        "verified": result.verified, "skipped": result.skipped})
        else:
            click.echo(_report(result))

    repeat(every_s, once)


@orders_group.command("visits")
@click.option("--at", "when", default=None, help="As if now were this time (ISO 8601).")
@every_option
def visits_cmd(when: str | None, every_s: float | None) -> None:
    """Stamp arrivals and departures from the crews' vehicle tracks (a stay near the order's assets; an
    order still on its way moves on site at the arrival)."""
    at = parse_instant(when, "--at")

    def once() -> None:
        with unit_of_work(engine(), None) as session:
            happened = visits.scan(session, now=at)
        for order_id, what in happened:
            click.echo(f"order {order_id}: vehicle {what}")
        click.echo(f"{sum(1 for _, w in happened if w == 'arrived')} arrival(s), "
                   f"{sum(1 for _, w in happened if w == 'departed')} departure(s)")

    repeat(every_s, once)
