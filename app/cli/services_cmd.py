"""``citypilot services up|down|status``: the private PostgreSQL + PostGIS and Mosquitto."""

from __future__ import annotations

import json
import logging

import click

from app.servers import services as servers
from app.settings import Settings


def register(cli: click.Group) -> None:
    cli.add_command(services)


@click.group()
def services() -> None:
    """The private database and broker under the data folder (CITYPILOT_HOME, default ./var)."""


@services.command()
def up() -> None:
    """Create and start them (idempotent); DATABASE_URL / MQTT_URL replace the matching one."""
    with _notes():
        statuses = servers.up(Settings.load())
    _print(statuses)


@services.command()
@click.option("--purge", is_flag=True, help="Also delete their data (databases, broker sessions).")
def down(purge: bool) -> None:
    """Stop them (fine when already stopped)."""
    with _notes():
        servers.down(Settings.load(), purge=purge)
    click.echo("private servers stopped" + (" and their data deleted" if purge else ""))


@services.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(as_json: bool) -> None:
    """Print each server's URL, folder and whether it runs."""
    statuses = servers.status(Settings.load())
    if as_json:
        click.echo(json.dumps({s.name: s.as_dict() for s in statuses}, indent=2))
    else:
        _print(statuses)


def _print(statuses: list[servers.ServerStatus]) -> None:
    for s in statuses:
        state = "running" if s.running else ("unreachable" if s.mode == "external" else "stopped")
        label = f"{state} ({s.mode})"
        click.echo(f"{s.name:<9} {label:<22} {s.url or '-'}")
        if s.folder:
            click.echo(f"{'':<9} files in {s.folder}")
        if s.note and not s.running:
            click.echo(f"{'':<9} {s.note}")


class _notes:
    """Show the servers' notes (a port that changed, a folder that moved) while a command runs."""

    def __enter__(self) -> None:
        self.handler = logging.StreamHandler()
        self.handler.setFormatter(logging.Formatter("note: %(message)s"))
        self.logger = logging.getLogger("app.servers")
        self.logger.addHandler(self.handler)
        self.logger.setLevel(logging.INFO)

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)
