"""``citypilot open311 register NAME`` / ``open311 reports``: apps that post citizen reports, and the reports."""

from __future__ import annotations

import json

import click

from app.cli.context import engine
from assets.db import unit_of_work


@click.group("open311")
def open311_group() -> None:
    """Citizen reports through Open311 GeoReport v2 (/open311/v2)."""


@open311_group.command("register")
@click.argument("name")
def register_cmd(name: str) -> None:
    """Register an app (a city portal, DansMaRue...) and print its api_key, shown only this once."""
    from assets.reports.intake import create_client

    with unit_of_work(engine(), None) as session:
        key = create_client(session, name)
    click.echo(f"api_key for {name}: {key}")


@open311_group.command("reports")
@click.option("--status", type=click.Choice(["open", "closed"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def reports_cmd(status: str | None, as_json: bool) -> None:
    """The last 90 days' reports, newest first, with the asset each was snapped to."""
    from assets.reports.intake import find_reports

    with unit_of_work(engine(), None) as session:
        rows = find_reports(session, statuses=[status] if status else [])
    if as_json:
        click.echo(json.dumps(rows, default=str, indent=2, ensure_ascii=False))
        return
    for r in rows:
        same = f" (same as {r['duplicate_of']})" if r["duplicate_of"] else ""
        click.echo(f"{r['id']:>7}  {r['requested_at']:%Y-%m-%d %H:%M}  {r['service_code']:<18} {r['status']:<6} "
                   f"{r['asset_code'] or '—':<14}{same}  {(r['description'] or '')[:60]}")


def register(cli: click.Group) -> None:
    cli.add_command(open311_group)
