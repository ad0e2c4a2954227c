"""``citypilot stats [--json]``: what the inventory holds."""

from __future__ import annotations

import json
from typing import Any

import click

from app.cli.context import engine
from assets.db import unit_of_work
from assets.stats import inventory_stats


def _table(stats: dict[str, Any]) -> str:
    lines = [f"{'kind':<20} {'count':>9}"]
    lines += [f"{kind:<20} {n:>9,}" for kind, n in stats.pop("counts").items()]
    lines.append("")
    for key, value in stats.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in value.items())
        elif isinstance(value, int):
            value = f"{value:,}"
        lines.append(f"{key.replace('_', ' '):<20} {value}")
    return "\n".join(lines)


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats_cmd(as_json: bool) -> None:
    """Counts per kind and status, fibre and street kilometres, communes, lighting figures."""
    with unit_of_work(engine(), None) as session:
        stats = inventory_stats(session)
    click.echo(json.dumps(stats, indent=2, ensure_ascii=False) if as_json else _table(stats))


def register(cli: click.Group) -> None:
    cli.add_command(stats_cmd)
