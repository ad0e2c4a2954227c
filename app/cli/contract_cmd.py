"""``citypilot contract energy --month YYYY-MM`` (the energy clause, per commune) and ``citypilot contract
explain energy --month YYYY-MM --cabinet CODE`` (what one cabinet's figure was made of); ``citypilot contract
explain delays --month YYYY-MM`` (every breach and its penalty)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from app.cli.context import engine
from assets.commands.targets import ids_of_codes
from assets.db import unit_of_work
from fieldservice.contract import penalties
from fieldservice.contract.burning import load_schedule
from fieldservice.contract.delays import month_delays
from fieldservice.contract.energy import TARGET, energy_month, explain


def register(cli: click.Group) -> None:
    cli.add_command(contract_group)


month_option = click.option("--month", required=True, metavar="YYYY-MM", help="The month, e.g. 2026-11.")
schedule_option = click.option(
    "--schedule", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
    help="A switching schedule (night cuts per commune) instead of resources/contract/switching.json.")


@click.group("contract")
def contract_group() -> None:
    """The contract's performance clauses, computed from raw data, each figure with its evidence."""


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


@contract_group.command("energy")
@month_option
@click.option("--commune", default=None, metavar="INSEE", help="Only the cabinets of this commune.")
@schedule_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def energy_cmd(month: str, commune: str | None, schedule: Path | None, as_json: bool) -> None:
    """Energy saved against the pre-LED baseline (the 65 % clause), measured where cabinets are metered."""
    with unit_of_work(engine(), None) as session:
        summary = energy_month(session, month, commune=commune, schedule=load_schedule(schedule)).summary()
    if as_json:
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    verdict = {True: "met", False: "NOT met", None: "no baseline"}[summary["met"]]
    click.echo(f"energy {month}: baseline {summary['baseline_kwh']:,.0f} kWh, actual {summary['actual_kwh']:,.0f} kWh, "
               f"savings {_pct(summary['savings'])} (clause: {TARGET:.0%} — {verdict})".replace("65%", "65 %"))
    click.echo(f"  measured share of the baseline {_pct(summary['measured_share'])}; {summary['cabinets']} cabinets "
               f"({summary['modelled_cabinets']} modelled); {summary['lamps']} lamps: estimated "
               f"{summary['lamps_estimated']}, left out {summary['lamps_left_out']}; meter resets "
               f"{summary['meter_resets']}, gaps {summary['meter_gaps']}")
    for code, figures in summary["communes"].items():
        click.echo(f"  {code:<8} baseline {figures['baseline_kwh']:>12,.0f} kWh  "
                   f"actual {figures['actual_kwh']:>12,.0f} kWh  savings {_pct(figures['savings'])}")
    click.echo(f"  schedule: {summary['schedule']}")


@contract_group.group("explain")
def explain_group() -> None:
    """What a figure was made of, row by row."""


@explain_group.command("energy")
@month_option
@click.option("--cabinet", required=True, metavar="CODE", help="The cabinet (its code).")
@schedule_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def explain_energy_cmd(month: str, cabinet: str, schedule: Path | None, as_json: bool) -> None:
    """The meter readings, burning hours and baseline lamps behind one cabinet's energy figure."""
    with unit_of_work(engine(), None) as session:
        (cabinet_id,) = ids_of_codes(session, "cabinet", [cabinet])
        data = explain(session, month, cabinet_id, load_schedule(schedule))
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print_explained(data)


def _print_explained(data: dict[str, Any]) -> None:
    if not data.get("lamps"):
        click.echo(f"{data['month']}: {data.get('note')}")
        return
    method = data["method"] + (f", {data['reason']}" if data["reason"] else "")
    click.echo(f"{data['cabinet']} ({data['commune']}) {data['month']}: baseline {data['baseline_kwh']:,.1f} kWh, "
               f"actual {data['actual_kwh']:,.1f} kWh ({method}), savings {_pct(data['savings'])}")
    cut = f", night cut {data['cut'][0]}–{data['cut'][1]}" if data["cut"] else ""
    click.echo(f"burning hours {data['burning_hours']:,.1f} over {len(data['nights'])} nights{cut} "
               f"({data['schedule']})")
    for night in data["nights"][:3]:
        click.echo(f"  {night['on']} → {night['off']}  {night['hours']:.2f} h")
    if len(data["nights"]) > 3:
        click.echo(f"  … {len(data['nights']) - 3} more nights")
    click.echo("baseline lamps:")
    for lamp in data["lamps"]:
        watts = "-" if lamp["baseline_w"] is None else f"{lamp['baseline_w']:g} W"
        click.echo(f"  {lamp['code']:<16} {watts:>8}  {lamp['how']:<14} now {lamp['power_w'] or '-'} W "
                   f"{lamp['dimming_profile'] or ''}")
    meter = data["meter"]
    if meter:
        click.echo(f"meter: {len(meter['readings'])} readings, coverage {meter['coverage']:.1%}, "
                   f"resets {meter['resets']}, gaps {len(meter['gaps'])}")
        for reading in meter["readings"][:3] + meter["readings"][-3:]:
            click.echo(f"  {reading['ts']}  {reading['kwh']:,.3f} kWh")



@explain_group.command("delays")
@month_option
@click.option("--penalties", "penalty_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="A penalty schedule instead of resources/contract/penalties.json.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def explain_delays_cmd(month: str, penalty_file: Path | None, as_json: bool) -> None:
    """The on-time rate, and every breach (closed late or open overdue) with its penalty."""
    with unit_of_work(engine(), None) as session:
        clause = month_delays(session, month, penalties.load_schedule(penalty_file))
    data = {"month": month, **clause.as_dict(), "rows": [b.as_dict() for b in clause.breaches]}
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(f"delays {month}: on time {data['on_time']} ÷ (closed {data['closed']} + open overdue "
               f"{data['open_overdue']}) = {_pct(clause.rate)}; {data['breaches']} breaches, penalties "
               f"{data['breach_penalties']} + shortfall {data['shortfall_penalty']} = {data['total_penalty']} EUR")
    for row in data["rows"]:
        state = "open" if row["open"] else f"stopped {row['stop']}"
        click.echo(f"  order {row['order_id']:<7} {row['clock']:<10} {row['priority']:<7} due {row['due']}  "
                   f"{state}  late {row['late_min']:,.0f} min  penalty {row['penalty'] or '-'}")
