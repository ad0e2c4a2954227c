"""``citypilot kpis --month YYYY-MM``: the month's contract figures (on-time rate, breaches, penalties)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import click

from app.cli.context import engine
from assets.db import unit_of_work
from fieldservice import sla
from fieldservice.kpis import KpiRow, month_kpis

COLUMNS = ("category", "priority", "clock", "counted", "closed", "on_time", "open_overdue", "breaches", "rate",
           "mean_min", "mean_late_min", "penalties")


def register(cli: click.Group) -> None:
    cli.add_command(kpis_cmd)


def _line(row: KpiRow) -> str:
    rate = "-" if row.rate is None else f"{row.rate:.1%}"
    mean = "-" if row.mean_min is None else f"{row.mean_min:.0f} min"
    late = "" if row.mean_late_min is None else f", {row.mean_late_min:.0f} min late on average"
    return (f"{row.category:<10} {row.priority:<7} {row.clock:<10} on time {rate:>6} ({row.on_time}/"
            f"{row.closed + row.open_overdue}) mean {mean:>8}; {row.breaches} breach(es){late}; "
            f"penalties {row.penalties}")


@click.command("kpis")
@click.option("--month", default=None, metavar="YYYY-MM", help="The month (Europe/Paris; default: this month).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def kpis_cmd(month: str | None, as_csv: bool, as_json: bool) -> None:
    """The month's compliance per category, priority and clock: orders counted in the month their due time
    falls, on time ÷ (closed + open overdue), mean time, breaches and penalties."""
    month = month or sla.month_of(dt.datetime.now(dt.UTC))
    with unit_of_work(engine(), None) as session:
        rows = month_kpis(session, month)
    if as_json:
        click.echo(json.dumps({"month": month, "rows": [r.as_dict() for r in rows]}, indent=2, ensure_ascii=False))
    elif as_csv:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(r.as_dict() for r in rows)
        click.echo(out.getvalue(), nl=False)
    else:
        for row in rows:
            click.echo(_line(row))
        click.echo(f"{month}: {len(rows)} row(s)" if rows else f"{month}: no order due this month")
