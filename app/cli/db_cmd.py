"""``citypilot db upgrade|downgrade|current``: schema migrations."""

from __future__ import annotations

import click
from sqlalchemy import text

from app.cli.context import engine
from assets.db.migrations import current_revision, downgrade, head_revision, upgrade


@click.group("db")
def db_group() -> None:
    """Create and migrate the database schema."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def upgrade_cmd(revision: str) -> None:
    """Migrate the schema up to REVISION (default: the newest)."""
    eng = engine()
    with eng.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    before = current_revision(eng)
    upgrade(eng, revision)
    after = current_revision(eng)
    click.echo(f"database at {after}" + ("" if before == after else f" (was {before or 'empty'})"))


@db_group.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def downgrade_cmd(revision: str, yes: bool) -> None:
    """Migrate the schema down to REVISION (``base`` drops every CityPilot table and its data)."""
    if not yes:
        click.confirm(f"Downgrade to {revision}? Tables added since are dropped with their data", abort=True)
    eng = engine()
    downgrade(eng, revision)
    click.echo(f"database at {current_revision(eng) or 'base (empty)'}")


@db_group.command("current")
def current_cmd() -> None:
    """Print the schema revision and whether it is the newest."""
    eng = engine()
    current, head = current_revision(eng), head_revision(eng)
    state = "up to date" if current == head else f"behind (newest is {head}): run `citypilot db upgrade`"
    click.echo(f"{current or 'empty'} {state}")


def register(cli: click.Group) -> None:
    cli.add_command(db_group)
