"""``citypilot users create|list|disable``: the people who act."""

from __future__ import annotations

import json

import click

from app.cli.context import engine
from assets.db import unit_of_work
from assets.identity import ROLES
from assets.users import create_user, disable_user, list_users


@click.group("users")
def users_group() -> None:
    """Manage the people (and processes) who act on the system."""


@users_group.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--full-name", default=None, help="Display name, e.g. 'Alice Martin'.")
def create_cmd(name: str, role: str, full_name: str | None) -> None:
    """Create user NAME with a role."""
    with unit_of_work(engine(), None) as session:
        user = create_user(session, name, role, full_name)
        click.echo(f"created user {user.name} ({user.role}), id {user.id}")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(as_json: bool) -> None:
    """List users."""
    with unit_of_work(engine(), None) as session:
        users = list_users(session)
        rows = [
            {"id": u.id, "name": u.name, "role": u.role, "full_name": u.full_name, "disabled": u.disabled}
            for u in users
        ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(f"{'id':>4}  {'name':<16} {'role':<11} {'status':<9} full name")
    for r in rows:
        status = "disabled" if r["disabled"] else "active"
        click.echo(f"{r['id']:>4}  {r['name']:<16} {r['role']:<11} {status:<9} {r['full_name'] or ''}")


@users_group.command("disable")
@click.argument("name")
def disable_cmd(name: str) -> None:
    """Disable user NAME (their history stays)."""
    with unit_of_work(engine(), None) as session:
        disable_user(session, name)
    click.echo(f"disabled user {name}")


def register(cli: click.Group) -> None:
    cli.add_command(users_group)
