"""``citypilot contract energy --month YYYY-MM`` (the energy clause, per commune) and ``citypilot contract
explain energy --month YYYY-MM --cabinet CODE`` (what one cabinet's figure was made of); ``citypilot contract
explain delays --month YYYY-MM`` (every breach and its penalty); ``citypilot contract availability`` and
``explain availability`` (equipment and IT, the outages and down minutes behind them); ``citypilot heartbeat``
(the recorder of the platform's heartbeats)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from app.cli.context import engine, every_option, repeat
from app.settings import Settings
from assets.commands.targets import ids_of_codes
from assets.db import unit_of_work
from fieldservice.contract import availability, heartbeats, penalties
from fieldservice.contract.burning import load_schedule
from fieldservice.contract.delays import month_delays
from fieldservice.contract.energy import TARGET, energy_month, explain


def register(cli: click.Group) -> None:
    cli.add_command(contract_group)
    cli.add_command(heartbeat_cmd)
    cli.add_command(report_group)


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


maintenance_option = click.option(
    "--maintenance", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
    help="Planned maintenance windows instead of resources/contract/maintenance.json.")


def _availability(month: str, schedule: Path | None, maintenance: Path | None) -> tuple[Any, Any]:
    with unit_of_work(engine(), None) as session:
        equipment = availability.equipment_month(session, month, schedule=load_schedule(schedule))
        it = availability.it_month(session, month, windows=availability.load_windows(maintenance))
    return equipment, it


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "NOT met", None: "no data"}[met]


@contract_group.command("availability")
@month_option
@schedule_option
@maintenance_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def availability_cmd(month: str, schedule: Path | None, maintenance: Path | None, as_json: bool) -> None:
    """Equipment availability (light points lit when they should be) and IT availability (heartbeats)."""
    equipment, it = _availability(month, schedule, maintenance)
    e, i = equipment.summary(), it.summary()
    if as_json:
        click.echo(json.dumps({"equipment": e, "it": i}, indent=2, ensure_ascii=False))
        return
    click.echo(f"equipment {month}: 1 − {e['lost_lamp_h']:,.1f} lamp-h lost ÷ {e['due_lamp_h']:,.0f} lamp-h due "
               f"({e['lamps']} lamps) = {_pct(e['availability'])} (clause {e['target']:.1%} — {_verdict(e['met'])}); "
               f"{e['outages_counted']} of {e['outages']} outages counted (tolerance {e['tolerance_h']:g} h)")
    click.echo(f"IT {month}: {i['up_min']:,} up ÷ {i['due_min']:,} min due (maintenance {i['maintenance_min']:,} min "
               f"excluded) = {_pct(i['availability'])} (clause {i['target']:.1%} — {_verdict(i['met'])})")
    for c in i["components"]:
        click.echo(f"  {c['component']:<9} {_pct(c['availability']):>7}  down {c['down_min']:,} min, "
                   f"not recorded {c['not_recorded_min']:,} min")


@explain_group.command("availability")
@month_option
@schedule_option
@maintenance_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def explain_availability_cmd(month: str, schedule: Path | None, maintenance: Path | None, as_json: bool) -> None:
    """Each night's lamp-hours due and lost, every outage, every down run and maintenance window."""
    equipment, it = _availability(month, schedule, maintenance)
    data = {"equipment": {**equipment.summary(),
                          "nights": [{"night": n.day.isoformat(), "due_lamp_h": round(n.due_h, 2),
                                      "lost_lamp_h": round(n.lost_h, 3), "availability": n.availability}
                                     for n in equipment.nights],
                          "rows": [o.as_dict() for o in equipment.outages]},
            "it": {**it.summary(), "rows": [d.as_dict() for d in it.downs]}}
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        return
    e, i = data["equipment"], data["it"]
    click.echo(f"equipment {month}: {_pct(e['availability'])} = 1 − lost ÷ due over {len(e['nights'])} nights")
    for n in e["nights"]:
        click.echo(f"  night {n['night']}  due {n['due_lamp_h']:>12,.1f} lamp-h  lost {n['lost_lamp_h']:>9,.2f}  "
                   f"{_pct(n['availability'])}")
    for o in e["rows"]:
        click.echo(f"  outage {o['lamp']:<14} {o['alarm']:<13} known {o['known']}  cleared {o['cleared'] or 'open'}  "
                   f"lit hours lost {o['lost_h']:.2f}  {'counted' if o['counted'] else 'within tolerance'}")
    click.echo(f"IT {month}: {_pct(i['availability'])} = {i['up_min']:,} up ÷ {i['due_min']:,} min due")
    for w in i["maintenance_windows"]:
        click.echo(f"  maintenance {w['start']} → {w['end']}  {w['components']}  {w['reason']}")
    for d in i["rows"]:
        click.echo(f"  {d['component']:<9} {d['why']:<12} {d['start']} → {d['end']}  {d['minutes']} min")


@click.command("heartbeat")
@click.option("--web-url", default="http://127.0.0.1:8000/healthz", show_default=True,
              help="The web server's health page.")
@every_option
def heartbeat_cmd(web_url: str, every_s: float | None) -> None:
    """Record whether ingest, web, broker and database answer (one row each per minute), for IT availability."""
    settings = Settings.load()
    eng = engine()
    probes = {
        "database": lambda now: heartbeats.probe_database(eng),
        "ingest": lambda now: heartbeats.probe_ingest(eng, now),
        "web": lambda now: heartbeats.probe_web(web_url),
        "broker": lambda now: heartbeats.probe_broker(settings.require_mqtt_url()),
    }
    recorder = heartbeats.Recorder(eng, probes)

    def once() -> None:
        beats = recorder.beat()
        click.echo(" ".join(f"{b.component}={'up' if b.ok else 'DOWN'}" for b in beats)
                   + (f" ({len(recorder.pending)} beats waiting for the database)" if recorder.pending else ""))
    repeat(every_s, once)


@click.group("report")
def report_group() -> None:
    """The contract's reports."""


@report_group.command("month")
@click.argument("month", metavar="YYYY-MM")
@click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="The folder the files go to.")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
def report_month_cmd(month: str, folder: Path, lang: str) -> None:
    """HTML (charts, map), PDF, XLSX (a sheet per clause) and CSV of the month's clauses, method, completeness."""
    from app.reports.month import write_month
    from fieldservice.contract.month import contract_month

    with unit_of_work(engine(), None) as session:
        data = contract_month(session, month)
    for path in write_month(data, folder, lang):
        click.echo(str(path))


@contract_group.command("close-month")
@click.option("--month", "months", multiple=True, metavar="YYYY-MM", help="A closed month (repeatable); "
              "default: the latest closed ones (--last).")
@click.option("--last", type=click.IntRange(1, 13), default=1, show_default=True,
              help="Without --month: this many latest closed months.")
@click.option("--recompute", is_flag=True, help="Recompute even when the stored figures' stamp still holds.")
def close_month_cmd(months: tuple[str, ...], last: int, recompute: bool) -> None:
    """Store closed months' clause figures (what the control room's trend reads), recomputed from raw data
    when their rows or the contract's terms changed since (docs/CONTRACT.md)."""
    import datetime as dt

    from fieldservice.contract import stored

    now = dt.datetime.now(dt.UTC)
    with unit_of_work(engine(), None) as session:
        done = stored.close_months(session, list(months) or stored.last_closed(now, last), now, recompute=recompute)
    for month, f, fresh in done:
        click.echo(f"{month}: energy {_pct(f['energy']['value'])}, equipment {_pct(f['equipment']['value'])}, "
                   f"IT {_pct(f['it']['value'])}, on time {_pct(f['delays']['value'])}, "
                   f"penalties {f['penalties_eur']} € ({'computed' if fresh else 'stored, unchanged'})")
