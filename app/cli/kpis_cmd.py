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
from fieldservice.kpis import GROUPINGS, KpiRow, breakdown, month_kpis

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
@click.option("--by", type=click.Choice(sorted(GROUPINGS)), default=None,
              help="Per commune or per crew: opened, closed, on-time %, time to intervene and to repair, backlog.")
def kpis_cmd(month: str | None, as_csv: bool, as_json: bool, by: str | None) -> None:
    """The month's compliance per category, priority and clock: orders counted in the month their due time
    falls, on time ÷ (closed + open overdue), mean time, breaches and penalties; or, with --by, per commune
    or crew."""
    month = month or sla.month_of(dt.datetime.now(dt.UTC))
    if by is not None:
        _breakdown(month, by, as_csv, as_json)
        return
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


BY_COLUMNS = ("key", "label", "opened", "closed", "response_rate", "response_median", "response_p90",
              "resolution_rate", "resolution_median", "resolution_p90", "backlog", "backlog_gt_7d")


def _rate(value: object) -> str:
    return "-" if value is None else f"{float(value):.1%}"  # type: ignore[arg-type]


def _breakdown(month: str, by: str, as_csv: bool, as_json: bool) -> None:
    """``kpis --by commune|crew``."""
    with unit_of_work(engine(), None) as session:
        rows = breakdown(session, month, by)
    if as_json:
        click.echo(json.dumps({"month": month, "by": by, "rows": rows}, indent=2, ensure_ascii=False))
        return
    flat = [{"key": r["key"], "label": r["label"], "opened": r["opened"], "closed": r["closed"],
             **{f"{c}_{k}": r[c][k] for c in ("response", "resolution") for k in ("rate", "median", "p90")},
             "backlog": r["backlog"]["total"], "backlog_gt_7d": r["backlog"]["gt_7d"]} for r in rows]
    if as_csv:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=BY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(flat)
        click.echo(out.getvalue(), nl=False)
        return
    for r in flat:
        name = r["label"] or ("no commune" if by == "commune" else "unassigned")
        median = "-" if r["resolution_median"] is None else f"{r['resolution_median']:.0f} min"
        click.echo(f"{name:<24} opened {r['opened']:>5} closed {r['closed']:>5}  response on time "
                   f"{_rate(r['response_rate']):>6}  resolution on time {_rate(r['resolution_rate']):>6} "
                   f"(median {median})  backlog {r['backlog']} ({r['backlog_gt_7d']} over 7 days)")
    click.echo(f"{month}: {len(flat)} {by}(s)" if flat else f"{month}: no order this month")
