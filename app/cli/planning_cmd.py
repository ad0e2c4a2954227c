"""``citypilot plans add|list|show|pause|resume|run`` and ``citypilot escalations run|list``: preventive
maintenance (RFC 5545 plans that make planned orders) and the escalation of orders before they breach."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click

from app.cli.context import actor_id, engine, every_option, repeat, user_option
from app.cli.orders_cmd import parse_instant
from assets.db import unit_of_work
from assets.errors import FieldError, ValidationError
from assets.kinds import all_kinds
from fieldservice import escalation, recurrence, sla
from fieldservice.demo import load_demo_fieldservice
from fieldservice.models import PRIORITIES
from fieldservice.orders import CATEGORIES
from fieldservice.planning_models import LEVELS, SPLITS


def register(cli: click.Group) -> None:
    cli.add_command(plans_group)
    cli.add_command(escalations_group)
    demo = cli.commands.get("demo")
    if isinstance(demo, click.Group):
        demo.add_command(demo_fieldservice_cmd)


@click.command("fieldservice")
@click.option("--seed", type=int, default=11, show_default=True, help="Same seed, same orders.")
def demo_fieldservice_cmd(seed: int) -> None:
    """Load the demo's example SLA policies, crews (members, vehicles, clearances, shifts, on call),
    maintenance plans and open and closed orders (does nothing if already loaded; the demo city first)."""
    with unit_of_work(engine(), None) as session:
        result = load_demo_fieldservice(session, seed=seed)
    if not result.loaded:
        click.echo("the demo's field service is already loaded")
        return
    click.echo(f"field service: {result.policies} example SLA policies, {result.crews} crews, {result.orders} orders, "
               f"{result.planned} planned orders, {result.escalations} escalation(s)")


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))




@click.group("plans")
def plans_group() -> None:
    """Preventive maintenance: plans whose RFC 5545 rule makes planned orders (monthly night patrols,
    annual camera cleaning, yearly cabinet inspections)."""


def _plan_line(item: dict[str, Any]) -> str:
    state = "active" if item["active"] else "paused"
    nxt = (f"next {dt.datetime.fromisoformat(item['next'][0]).astimezone(sla.PARIS):%Y-%m-%d %H:%M}"
           if item["next"] else "no next occurrence")
    return (f"{item['id']:>4} {item['name']:<36} {item['category']:<9} {item['rrule']:<32} {item['split']:<7} "
            f"{state:<6} {nxt}  {item['orders_made']} order(s) made")


@plans_group.command("add")
@click.argument("name")
@click.option("--category", required=True, type=click.Choice(CATEGORIES))
@click.option("--rrule", required=True, help="RFC 5545 rule, e.g. FREQ=MONTHLY;BYDAY=1TU.")
@click.option("--start", "dtstart", required=True, help="First occurrence (ISO 8601; without an offset, Paris).")
@click.option("--priority", type=click.Choice(PRIORITIES), default="low", show_default=True)
@click.option("--due-after", "due_after_min", type=click.IntRange(1), default=1440, show_default=True,
              help="Minutes after each occurrence its order is due.")
@click.option("--horizon", "horizon_days", type=click.IntRange(0, 366), default=31, show_default=True,
              help="Days ahead orders are made.")
@click.option("--kind", "asset_kind", type=click.Choice(all_kinds()), default=None, help="Assets of this kind.")
@click.option("--commune", "commune_insee", default=None, help="Only in this commune (INSEE code).")
@click.option("--asset", "asset_ids", type=int, multiple=True, help="These assets (repeat).")
@click.option("--split", type=click.Choice(SPLITS), default="plan", show_default=True,
              help="One order per occurrence for the plan, per commune or per asset.")
@click.option("--description", default=None)
@user_option
def add_cmd(name: str, category: str, rrule: str, dtstart: str, priority: str, due_after_min: int,
            horizon_days: int, asset_kind: str | None, commune_insee: str | None, asset_ids: tuple[int, ...],
            split: str, description: str | None, user: str | None) -> None:
    """Create a maintenance plan NAME."""
    who = actor_id(user)
    start = parse_instant(dtstart, "--start")
    if start is None:
        raise ValidationError(FieldError("--start", "is required"))
    with unit_of_work(engine(), who) as session:
        plan = recurrence.create_plan(
            session, name=name, category=category, rrule=rrule, dtstart=start, priority=priority,
            description=description, due_after_min=due_after_min, horizon_days=horizon_days, asset_kind=asset_kind,
            commune_insee=commune_insee, asset_ids=list(asset_ids), split=split, actor_id=who)
        click.echo(_plan_line(recurrence.plan_item(session, plan)))


@plans_group.command("list")
@click.option("--limit", type=click.IntRange(1, recurrence.MAX_LIMIT), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True, help="Skip this many (next page).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(limit: int, offset: int, as_json: bool) -> None:
    """The plans by name, with their next occurrence and the orders they made."""
    with unit_of_work(engine(), None) as session:
        items, total = recurrence.list_plans(session, limit, offset)
    if as_json:
        _echo_json({"items": items, "total": total})
        return
    for item in items:
        click.echo(_plan_line(item))
    shown = f"{offset + 1}–{offset + len(items)} of {total}" if items else f"none of {total}"
    click.echo(f"plans {shown}" + (f"; next page: --offset {offset + len(items)}" if offset + len(items) < total
                                   else ""))


@plans_group.command("show")
@click.argument("plan")
def show_cmd(plan: str) -> None:
    """One plan (id or name), as JSON."""
    with unit_of_work(engine(), None) as session:
        _echo_json(recurrence.plan_item(session, recurrence.get_plan(session, plan)))


@plans_group.command("pause")
@click.argument("plan")
def pause_cmd(plan: str) -> None:
    """Stop a plan making orders (those made stay)."""
    with unit_of_work(engine(), None) as session:
        click.echo(_plan_line(recurrence.plan_item(session, recurrence.set_active(session, plan, False))))


@plans_group.command("resume")
@click.argument("plan")
def resume_cmd(plan: str) -> None:
    """Let a paused plan make orders again."""
    with unit_of_work(engine(), None) as session:
        click.echo(_plan_line(recurrence.plan_item(session, recurrence.set_active(session, plan, True))))


@plans_group.command("run")
@click.option("--plan", "plan_ref", default=None, help="Only this plan (id or name).")
@click.option("--at", "when", default=None, help="As if now were this time (ISO 8601).")
@every_option
def run_cmd(plan_ref: str | None, when: str | None, every_s: float | None) -> None:
    """Make the orders of every active plan's occurrences up to its horizon; each occurrence once, so
    running again changes nothing."""
    at = parse_instant(when, "--at")

    def once() -> None:
        with unit_of_work(engine(), None) as session:
            made = recurrence.generate(session, now=at, plan_ref=plan_ref)
        for name, ids in made.orders.items():
            if ids:
                click.echo(f"{name}: {len(ids)} order(s) made ({ids[0]}…{ids[-1]})")
        click.echo(f"{made.count} order(s) made")

    repeat(every_s, once)


@click.group("escalations")
def escalations_group() -> None:
    """Orders escalated before a clock breaches, and breaches, each recorded once."""


@escalations_group.command("run")
@click.option("--at", "when", default=None, help="As if now were this time (ISO 8601).")
@every_option
def escalations_run_cmd(when: str | None, every_s: float | None) -> None:
    """Escalate the open orders whose clock is about to breach and record the breaches (announced on the live
    stream for the supervisors, with the standby crew)."""
    at = parse_instant(when, "--at")

    def once() -> None:
        with unit_of_work(engine(), None) as session:
            found = escalation.escalate(session, now=at)
        for e in found:
            left = f"{e.remaining_min:.0f} min left" if e.remaining_min >= 0 else f"{-e.remaining_min:.0f} min late"
            click.echo(f"order {e.order_id}: {e.clock} {e.level.replace('_', ' ')} ({left})"
                       + (f"; standby crew {e.crew_id}" if e.crew_id else ""))
        click.echo(f"{len(found)} escalation(s)")

    repeat(every_s, once)


@escalations_group.command("list")
@click.option("--order", "order_id", type=int, default=None)
@click.option("--level", type=click.Choice(LEVELS), default=None)
@click.option("--open", "open_only", is_flag=True, help="Only orders still open.")
@click.option("--limit", type=click.IntRange(1, escalation.MAX_LIMIT), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def escalations_list_cmd(order_id: int | None, level: str | None, open_only: bool, limit: int, offset: int,
                         as_json: bool) -> None:
    """Escalations, newest first."""
    with unit_of_work(engine(), None) as session:
        items, total = escalation.list_escalations(session, order_id=order_id, level=level, open_only=open_only,
                                                   limit=limit, offset=offset)
    if as_json:
        _echo_json({"items": items, "total": total})
        return
    for i in items:
        crew = i["standby_crew"]["name"] if i["standby_crew"] else "-"
        click.echo(f"{i['at'][:16]} order {i['order_id']:>6} {i['clock']:<10} {i['level']:<8} "
                   f"{i['remaining_min']:>8.1f} min  standby {crew}  ({i['order_state']})")
    click.echo(f"{len(items)} of {total} escalation(s)")
