"""``citypilot stats [--json]``: what the inventory holds; ``citypilot quality``: what its records lack."""

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
    shares = stats.pop("complete_records", {})
    listed = [f"{kind} {v['share']:.0%}" for kind, v in shares.items() if v["share"] is not None]
    for key, value in stats.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in value.items())
        elif isinstance(value, int):
            value = f"{value:,}"
        lines.append(f"{key.replace('_', ' '):<20} {value}")
    if listed:
        lines.append(f"{'complete records':<20} " + ", ".join(listed))
    return "\n".join(lines)


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats_cmd(as_json: bool) -> None:
    """Counts per kind and status, fibre and street kilometres, communes, lighting figures."""
    with unit_of_work(engine(), None) as session:
        stats = inventory_stats(session)
    click.echo(json.dumps(stats, indent=2, ensure_ascii=False) if as_json else _table(stats))


@click.command("quality")
@click.option("--kind", "-k", help="One asset kind (default: every kind).")
@click.option("--commune", multiple=True, help="Only these communes, by INSEE code or name (repeatable).")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="Assets per page.")
@click.option("--after", "after_id", type=click.IntRange(0), default=None, metavar="ID",
              help="The page after this asset id (the last id of the previous page).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def quality_cmd(kind: str | None, commune: tuple[str, ...], limit: int, after_id: int | None, as_json: bool) -> None:
    """Incomplete assets: what each lacks of a complete record of its kind (power, LED flag, model...),
    with the count per missing attribute; a page at a time, by id."""
    from assets.kinds import spec_for
    from assets.quality import incomplete_assets

    if kind:
        spec_for(kind)
    with unit_of_work(engine(), None) as session:
        found = incomplete_assets(session, kind=kind, commune=list(commune), after_id=after_id, limit=limit)
    if as_json:
        click.echo(json.dumps({"items": found.items, "total": found.total, "missing": found.missing,
                               "assets": found.assets, "next_after": found.next_after}, indent=2, ensure_ascii=False))
        return
    complete = sum(found.assets.values()) - found.total
    click.echo(f"incomplete: {found.total:,} of {sum(found.assets.values()):,} assets ({complete:,} complete)")
    for name, lacking in found.missing.items():
        click.echo(f"  {name:<18} " + ", ".join(f"{attr} {n:,}" for attr, n in lacking.items()))
    if found.items:
        click.echo("")
        click.echo(f"{'id':>8}  {'kind':<16} {'code':<16} {'commune':<22} missing")
        for item in found.items:
            click.echo(f"{item['id']:>8}  {item['kind']:<16} {item['code']:<16} {(item['commune'] or ''):<22} "
                       + ", ".join(item["missing"]))
    if found.next_after is not None:
        more = " ".join(f"--commune {c!r}" for c in commune)
        click.echo(f"next page: citypilot quality{' --kind ' + kind if kind else ''} {more} --after {found.next_after}"
                   .replace("  ", " "))


def register(cli: click.Group) -> None:
    cli.add_command(stats_cmd)
    cli.add_command(quality_cmd)
