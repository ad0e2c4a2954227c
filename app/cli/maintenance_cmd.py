"""``citypilot maintenance prune|retention``: partitions ahead, history past its retention dropped."""

from __future__ import annotations

import click

from app.cli.context import engine
from assets.live.partitions import AGED, maintain, policies, set_retention


def register(cli: click.Group) -> None:
    cli.add_command(maintenance)


@click.group()
def maintenance() -> None:
    """Keep the live history partitioned and within its retention (the ingest also does it hourly)."""


@maintenance.command("prune")
def prune_cmd() -> None:
    """Create the coming partitions, drop those past the retention (vehicle tracks: CNIL, 60 days),
    delete device events and dead letters past theirs."""
    report = maintain(engine())
    for table, names in sorted(report.created.items()):
        click.echo(f"{table}: created {len(names)} partition(s) ({names[0]} … {names[-1]})")
    for table, names in sorted(report.dropped.items()):
        click.echo(f"{table}: dropped {len(names)} partition(s) ({names[0]} … {names[-1]})")
    for table, n in sorted(report.deleted_rows.items()):
        where = "" if table in AGED else " from the default partition"
        click.echo(f"{table}: deleted {n:,} row(s) past the retention{where}")
    if not (report.created or report.dropped or report.deleted_rows):
        click.echo("nothing to do")


@maintenance.command("retention")
@click.argument("table", required=False)
@click.argument("days", type=int, required=False)
@click.option("--interval", type=click.Choice(["day", "month"]), default=None,
              help="How future partitions are cut.")
def retention_cmd(table: str | None, days: int | None, interval: str | None) -> None:
    """Show the retention of each history table, or set TABLE's to DAYS."""
    with engine().begin() as conn:
        if table is not None:
            if days is None:
                raise click.UsageError("give the number of days to keep")
            set_retention(conn, table, days, interval)
        for p in policies(conn):
            if p.interval == "none":
                click.echo(f"{p.table:<18} keep {p.keep_days:>4} days, not partitioned (older rows deleted)")
            else:
                click.echo(f"{p.table:<18} keep {p.keep_days:>4} days, partitions by {p.interval}, "
                           f"{p.premake_days} days made ahead")
