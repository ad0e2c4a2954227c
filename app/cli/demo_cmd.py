"""``citypilot demo load``: the generated Dijon Métropole, at the real scale."""

from __future__ import annotations

import time

import click

from app.cli.context import actor_id, engine, user_option
from assets.db import unit_of_work
from assets.demo import DEFAULT_SEED, load_demo
from assets.demo.accounts import ensure_demo_accounts


@click.group("demo")
def demo_group() -> None:
    """The demo city: a deterministic, generated Dijon Métropole."""


def _show_step(step: str, count: int, seconds: float) -> None:
    label = {"generate": "generated (assets)", "reset": "emptied the inventory"}.get(step, step)
    click.echo(f"  {label:<22} {count:>8,}  {seconds:6.1f} s" if step != "reset" else f"  {label}")


@demo_group.command("load")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Same seed, same city.")
@click.option("--reset", is_flag=True, help="Empty the inventory (assets, their history, streets) first.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation before --reset.")
@user_option
def load_cmd(seed: int, reset: bool, yes: bool, user: str | None) -> None:
    """Generate the demo city and load it in one transaction (does nothing if already loaded)."""
    if reset and not yes:
        click.confirm(
            "--reset deletes every asset, its history and the streets of this database. Continue?", abort=True
        )
    actor = actor_id(user)
    click.echo(f"demo city, seed {seed}:")
    started = time.perf_counter()
    result = load_demo(engine(), seed=seed, reset=reset, actor_id=actor, progress=_show_step)
    if not result.loaded:
        click.echo(result.message)
        return
    click.echo(
        f"{result.message} in {time.perf_counter() - started:.1f} s "
        f"(generation {result.generate_seconds:.1f} s, insert {result.insert_seconds:.1f} s)"
    )


@demo_group.command("accounts")
def accounts_cmd() -> None:
    """Create one demo account per role (demo-admin, demo-planner...) and print them."""
    with unit_of_work(engine(), None) as session:
        accounts = ensure_demo_accounts(session)
    click.echo(f"{'role':<11} {'user':<16} password")
    for account in accounts:
        click.echo(f"{account.role:<11} {account.name:<16} {account.password}")


@demo_group.command("history")
@click.option("--months", type=int, default=12, show_default=True, help="Months back from the current one.")
@click.option("--seed", type=int, default=2026, show_default=True, help="Same seed, same history.")
def history_cmd(months: int, seed: int) -> None:
    """A year of history for the contract: meter readings, outages with their alarms and orders, heartbeats
    (replaces the previous generated history, never a real row)."""
    from fieldservice.contract.history import generate_history

    started = time.perf_counter()

    def show(step: str, count: int, seconds: float) -> None:
        click.echo(f"  {step:<12} {count:>12,}  {seconds:6.1f} s")

    result = generate_history(engine(), months=months, seed=seed, progress=show)
    c = result.counts
    click.echo(f"history {result.lo.isoformat()} → {result.hi.isoformat()} in {time.perf_counter() - started:.1f} s: "
               f"{c['readings']:,} meter readings, {c['heartbeats']:,} heartbeats, {c['alarms']} alarms, "
               f"{c['orders']} orders ({c['orders_late']} late), {c['renovated']:,} lamps renovated "
               f"(savings ~40 %→{c['expected_end_savings']:.0%}); meter reset {c['reset_cabinet']}, "
               f"gap {c['gap_cabinet']}")


@demo_group.command("tablet")
def tablet_cmd() -> None:
    """Open orders for demo-crew's crew on the tablet (the simulated crews leave that crew's orders alone;
    does nothing once it has them; after demo fieldservice)."""
    from fieldservice.demo_tablet import DEMO_MEMBER, seed_tablet_orders

    with unit_of_work(engine(), None) as session:
        made = seed_tablet_orders(session)
    click.echo(f"crew tablet: {len(made)} new order(s) for {DEMO_MEMBER}'s crew" + (f" ({', '.join(map(str, made))})"
                                                                                   if made else ""))


def register(cli: click.Group) -> None:
    cli.add_command(demo_group)
