"""``citypilot alarms run|list|show|ack|clear|thresholds``: the alarm engine and what it raised."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from typing import Any

import click

from app.cli.context import actor_id, engine, user_option
from assets.alarms.catalogue import SEVERITIES
from assets.alarms.engine import AlarmEngine, EngineOptions
from assets.alarms.lifecycle import acknowledge, clear_by_hand, user_actor
from assets.alarms.queries import STATE_FILTERS, AlarmQuery, alarm_detail, list_alarms
from assets.alarms.thresholds import (
    SENSOR_TYPES,
    Threshold,
    list_thresholds,
    remove_threshold,
    set_threshold,
)
from assets.db import unit_of_work

log = logging.getLogger("citypilot.alarms")


def register(cli: click.Group) -> None:
    cli.add_command(alarms)


@click.group("alarms")
def alarms() -> None:
    """Alarms: the engine that raises them, the list, acknowledging and clearing, sensor thresholds."""


@alarms.command("run")
@click.option("--sweep", "sweep_s", type=click.FloatRange(0.1), default=5.0, show_default=True, metavar="S",
              help="Seconds between two sweeps (silence, sensor thresholds, vehicles).")
@click.option("--reconcile", "reconcile_s", type=click.FloatRange(1), default=300.0, show_default=True, metavar="S",
              help="Seconds between two full reconciliations with the live state.")
@click.option("--silence-factor", type=click.FloatRange(1), default=3.0, show_default=True,
              help="A device is silent after this many times its expected interval.")
@click.option("--zone-tolerance", "zone_tolerance_m", type=click.FloatRange(0), default=500.0, show_default=True,
              metavar="M", help="Metres a vehicle may stray outside today's communes.")
@click.option("--ungroup-after", "ungroup_after_s", type=click.FloatRange(0), default=600.0, show_default=True,
              metavar="S", help="Seconds after its cause cleared that a still active alarm stands on its own.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def run_cmd(sweep_s: float, reconcile_s: float, silence_factor: float, zone_tolerance_m: float,
            ungroup_after_s: float, verbose: bool) -> None:
    """Raise and clear alarms as the live data changes, until Ctrl-C or SIGTERM (restart-safe: it resumes
    after the last device event it read and reconciles with the live state first)."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = EngineOptions(sweep_s=sweep_s, reconcile_s=reconcile_s, silence_factor=silence_factor,
                            zone_tolerance_m=zone_tolerance_m, ungroup_after_s=ungroup_after_s)
    alarm_engine = AlarmEngine(engine(), options)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: alarm_engine.stop())
    done = threading.Event()

    def report() -> None:
        while not done.wait(60):
            log.info("alarms: %s", ", ".join(f"{k} {v}" for k, v in sorted(alarm_engine.counts.items())))

    threading.Thread(target=report, name="alarms-report", daemon=True).start()
    try:
        alarm_engine.run(on_ready=lambda: log.info("alarm engine ready: listening, caught up"))
    finally:
        done.set()
    log.info("alarm engine stopped: %s", dict(alarm_engine.counts))


def _line(item: dict[str, Any]) -> str:
    ack = f" ack {item['acknowledged_by']}" if item["acknowledged_by"] else ""
    affected = f" ({item['affected_count']} affected)" if item["affected_count"] else ""
    grouped = f" [under {item['cause_id']}]" if item["cause_id"] else ""
    return (f"{item['id']:>7} {item['severity']:<8} {item['state']:<12} {item['raised_at'][:19]} "
            f"{item['type']:<20} {item['message']}{affected}{ack}{grouped}")


@alarms.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(STATE_FILTERS), help="Default: active.")
@click.option("--type", "types", multiple=True, help="Alarm type (repeat).")
@click.option("--severity", "severities", multiple=True, type=click.Choice(SEVERITIES))
@click.option("--children", is_flag=True, help="Also the alarms grouped under a cause.")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(states: tuple[str, ...], types: tuple[str, ...], severities: tuple[str, ...], children: bool, limit: int,
             as_json: bool) -> None:
    """Alarms, most severe then newest first (grouped ones left out unless --children)."""
    query = AlarmQuery(states=list(states) or ["active"], types=list(types), severities=list(severities),
                       include_children=children, limit=limit)
    with unit_of_work(engine(), None) as session:
        page = list_alarms(session, query)
    if as_json:
        click.echo(json.dumps({"items": page.items, "total": page.total}, indent=2, ensure_ascii=False))
        return
    for item in page.items:
        click.echo(_line(item))
    click.echo(f"{len(page.items)} of {page.total} alarm(s)")


@alarms.command("show")
@click.argument("alarm_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_cmd(alarm_id: int, as_json: bool) -> None:
    """One alarm: what it affects and its history."""
    with unit_of_work(engine(), None) as session:
        detail = alarm_detail(session, alarm_id)
    if as_json:
        click.echo(json.dumps(detail, indent=2, ensure_ascii=False))
        return
    click.echo(_line(detail))
    if detail["affected"]:
        click.echo(f"affects {len(detail['affected'])}:")
        for a in detail["affected"]:
            click.echo(f"  {a['kind']:<18} {a['code']:<24} {'alarm ' + str(a['alarm_id']) if a['alarm_id'] else ''}")
    click.echo("history:")
    for h in detail["history"]:
        extra = f" {json.dumps(h['detail'], ensure_ascii=False)}" if h["detail"] else ""
        click.echo(f"  {h['at'][:19]} {h['action']:<13} {h['actor']}{extra}")


def _transition(fn: Any, alarm_id: int, user: str | None, comment: str | None) -> None:
    who = actor_id(user)
    with unit_of_work(engine(), who) as session:
        item = fn(session, alarm_id, user_actor(session, who), comment)
    click.echo(_line(item))


@alarms.command("ack")
@click.argument("alarm_id", type=int)
@click.option("--comment", default=None, help="Why, what is being done.")
@user_option
def ack_cmd(alarm_id: int, comment: str | None, user: str | None) -> None:
    """Acknowledge an open alarm (and the alarms grouped under it)."""
    _transition(acknowledge, alarm_id, user, comment)


@alarms.command("clear")
@click.argument("alarm_id", type=int)
@click.option("--comment", default=None, help="Why it is cleared by hand.")
@user_option
def clear_cmd(alarm_id: int, comment: str | None, user: str | None) -> None:
    """Clear an alarm by hand (the device has not said so)."""
    _transition(clear_by_hand, alarm_id, user, comment)


@alarms.group("thresholds", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def thresholds(ctx: click.Context, as_json: bool) -> None:
    """Sensor thresholds (list them; `set` and `remove` change them)."""
    if ctx.invoked_subcommand is not None:
        return
    with unit_of_work(engine(), None) as session:
        found = list_thresholds(session)
    if as_json:
        click.echo(json.dumps([t.as_dict() for t in found], indent=2, ensure_ascii=False))
        return
    for t in found:
        limits = " ".join(x for x in (f"> {t.above:g}" if t.above is not None else "",
                                      f"< {t.below:g}" if t.below is not None else "") if x)
        window = f"{t.window_s} s mean" if t.window_s else "latest value"
        click.echo(f"{t.sensor_type:<12} {t.metric:<16} {limits:<14} ±{t.hysteresis:g} {window:<14} {t.severity:<8} "
                   f"{t.source or ''}")


@thresholds.command("set")
@click.argument("sensor_type", type=click.Choice(SENSOR_TYPES))
@click.argument("metric")
@click.option("--above", type=float, default=None, help="Alarm when the value is above this.")
@click.option("--below", type=float, default=None, help="Alarm when the value is below this.")
@click.option("--hysteresis", type=float, default=0.0, show_default=True,
              help="How far back inside the limit the value must come for the alarm to clear.")
@click.option("--window", "window_s", type=int, default=0, show_default=True, metavar="S",
              help="Judge the mean over the last S seconds (0: the latest value).")
@click.option("--severity", type=click.Choice(SEVERITIES), default="warning", show_default=True)
@click.option("--source", default=None, help="Where the limit comes from (a regulation, a guideline).")
def threshold_set(sensor_type: str, metric: str, above: float | None, below: float | None, hysteresis: float,
                  window_s: int, severity: str, source: str | None) -> None:
    """Create or replace the threshold on METRIC for SENSOR_TYPE sensors."""
    threshold = Threshold(sensor_type, metric.strip(), above, below, hysteresis, window_s, severity, source)
    with unit_of_work(engine(), None) as session:
        set_threshold(session, threshold)
    click.echo(f"threshold on {metric} for {sensor_type} sensors saved; the running engine uses it from its next sweep")


@thresholds.command("remove")
@click.argument("sensor_type", type=click.Choice(SENSOR_TYPES))
@click.argument("metric")
def threshold_remove(sensor_type: str, metric: str) -> None:
    """Remove the threshold on METRIC for SENSOR_TYPE sensors."""
    with unit_of_work(engine(), None) as session:
        remove_threshold(session, sensor_type, metric)
    click.echo(f"threshold on {metric} for {sensor_type} sensors removed")
