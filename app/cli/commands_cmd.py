"""``citypilot command <action>|confirm|cancel|show|list`` (give and follow commands, through
:mod:`assets.commands.service`; one verb per action of :mod:`assets.commands.actions`, its options read
from the action's spec) and ``citypilot commands run`` (the worker)."""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from app.cli.context import actor_id, engine, user_option
from app.settings import Settings
from assets.commands import service, views
from assets.commands.actions import ACTIONS, KIND_ACTIONS, ActionSpec, ParamSpec, describe
from assets.commands.progress import Policy
from assets.commands.targets import ids_of_codes
from assets.commands.watch import follow as follow_command
from assets.db import unit_of_work
from assets.errors import CityPilotError
from connectors.commands.worker import CommandWorker, WorkerOptions
from connectors.modbus.cabinets import ModbusCabinets


def register(cli: click.Group) -> None:
    cli.add_command(command_group)
    cli.add_command(commands_group)


follow_option = click.option("--follow", "-f", is_flag=True,
                             help="Show device by device what happens, live, until the command is over.")
comment_option = click.option("--comment", default=None, metavar="TEXT", help="Why (kept in the audit).")


@click.group("command")
def command_group() -> None:
    """Send commands to devices and follow them (every command is audited)."""


def _give(action: str, params: dict[str, Any] | None, kind: str, codes: tuple[str, ...], user: str | None,
          comment: str | None, follow: bool, target: dict[str, Any] | None = None) -> None:
    who = actor_id(user)
    with unit_of_work(engine(), who) as session:
        if target is None:
            target = {"asset_ids": ids_of_codes(session, kind, codes)}
        command = service.create_command(session, who, action, params, target, comment)
        data = views.command_dict(session, command.id, targets_limit=1)
    skipped = data["target"].get("skipped") or 0
    line = f"command {data['id']}: {describe(action, data['params'])} on {data['targets_total']} device(s)"
    if skipped:
        line += f" ({skipped} without a device left out)"
    click.echo(f"{line}: {data['state'].replace('_', ' ')}")
    if data["state"] == "awaiting_confirmation":
        click.echo(f"a second person (admin, supervisor or operator) must confirm it: "
                   f"citypilot command confirm {data['id']} --user NAME")
        return
    if follow:
        _follow(data["id"])


def _target_options(spec: ActionSpec) -> list[Callable[[Callable[..., Any]], Callable[..., Any]]]:
    kinds = " or ".join(k.replace("_", " ") for k in spec.kinds)
    options = [click.option("--asset", f"--{spec.kinds[0].replace('_', '-')}", "assets", multiple=True,
                            metavar="CODE", help=f"A {kinds} by its code (repeat for several).")]
    if spec.name in KIND_ACTIONS.get("circuit", ()):
        options.append(click.option("--circuit", metavar="CODE", help=f"Every {kinds} of this circuit."))
    options.append(click.option(
        "--polygon", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="GEOJSON_FILE",
        help=f"Every {kinds} inside this polygon (GeoJSON, WGS84: a Polygon, a Feature or a collection of one)."))
    return options


def _param_option(param: ParamSpec) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    if param.type == "bool":
        on, off = param.words
        return click.option(f"--{on}/--{off}", param.name, required=True, default=None,
                            help=param.summary.capitalize() + ".")
    return click.option(f"--{param.name}", param.name, type=click.IntRange(0, 100), required=True,
                        help=param.summary.capitalize() + ".")


def _action_command(spec: ActionSpec) -> click.Command:
    """``citypilot command <action>``, its options read from the action's spec."""

    def give(assets: tuple[str, ...], polygon: Path | None, user: str | None, comment: str | None, follow: bool,
             circuit: str | None = None, **params: Any) -> None:
        if sum(bool(x) for x in (assets, circuit, polygon)) != 1:
            ways = ["--asset", *(["--circuit"] if spec.name in KIND_ACTIONS.get("circuit", ()) else []), "--polygon"]
            raise click.UsageError(f"give one of {', '.join(ways)}")
        target = None
        if circuit:
            with unit_of_work(engine(), None) as session:
                target = {"circuit_id": ids_of_codes(session, "circuit", [circuit])[0]}
        elif polygon:
            target = {"polygon": _read_polygon(polygon), "kind": spec.kinds[0]}
        _give(spec.name, params or None, spec.kinds[0], assets, user, comment, follow, target)

    summary = spec.summary[0].upper() + spec.summary[1:]
    if spec.two_person:
        summary += " (a second person must confirm)"
    for option in reversed([*_target_options(spec), *(_param_option(p) for p in spec.params), user_option,
                            comment_option, follow_option]):
        give = option(give)
    return click.command(spec.name, help=summary + ".")(give)


for _spec in ACTIONS.values():
    command_group.add_command(_action_command(_spec))


@command_group.command("confirm")
@click.argument("command_id", type=int)
@user_option
@follow_option
def confirm_cmd(command_id: int, user: str | None, follow: bool) -> None:
    """Confirm a command waiting for a second person (not the one who asked for it)."""
    who = actor_id(user)
    with unit_of_work(engine(), who) as session:
        service.confirm_command(session, command_id, who)
    click.echo(f"command {command_id}: confirmed, running")
    if follow:
        _follow(command_id)


@command_group.command("cancel")
@click.argument("command_id", type=int)
@click.option("--reason", default=None, metavar="TEXT", help="Why (kept in the audit).")
@user_option
def cancel_cmd(command_id: int, reason: str | None, user: str | None) -> None:
    """Cancel a command: what the devices have not acknowledged yet is not sent (done ones stay)."""
    who = actor_id(user)
    with unit_of_work(engine(), who) as session:
        service.cancel_command(session, command_id, who, reason)
        data = views.command_dict(session, command_id, targets_limit=1)
    counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in data["counts"].items() if n)
    click.echo(f"command {command_id}: cancelled ({counts})")


@command_group.command("show")
@click.argument("command_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--log", "with_log", is_flag=True, help="Also print the audit: every change, who, when, why.")
@follow_option
def show_cmd(command_id: int, as_json: bool, with_log: bool, follow: bool) -> None:
    """A command device by device (--follow: live, until it is over)."""
    if follow and not as_json:
        _follow(command_id)
    else:
        with unit_of_work(engine(), None) as session:
            data = views.command_dict(session, command_id, targets_limit=views.MAX_PAGE)
        if as_json:
            click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            _print_command(data)
    if with_log:
        with unit_of_work(engine(), None) as session:
            entries, _ = views.command_log(session, command_id, limit=5000)
        click.echo("audit:")
        for e in entries:
            target = f" {e['code']}" if e["code"] else ""
            click.echo(f"  {e['at'][:23]} {e['actor']:<10}{target} {e['from_state'] or '-'} → {e['to_state']}"
                       + (f": {e['detail']}" if e["detail"] else ""))


@command_group.command("list")
@click.option("--state", default=None, help="Only commands in this state (running, done, awaiting_confirmation...).")
@click.option("--limit", type=click.IntRange(1, views.MAX_PAGE), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(state: str | None, limit: int, as_json: bool) -> None:
    """The latest commands, newest first."""
    with unit_of_work(engine(), None) as session:
        items, total, _next = views.command_page(session, state, limit)
    if as_json:
        click.echo(json.dumps({"items": items, "total": total}, indent=2, ensure_ascii=False))
        return
    for c in items:
        counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in c["counts"].items() if n)
        click.echo(f"{c['id']:>6}  {c['requested_at'][:19]}  {c['requested_by']:<12} "
                   f"{describe(c['action'], c['params']):<14} {c['state']:<22} {counts}")
    click.echo(f"{len(items)} of {total} command(s)")


def _header(data: dict[str, Any]) -> str:
    confirmed = f", confirmed by {data['confirmed_by']}" if data["confirmed_by"] else ""
    cancelled = f", cancelled by {data['cancelled_by']}" if data["cancelled_by"] else ""
    return (f"command {data['id']}: {describe(data['action'], data['params'])}, asked by {data['requested_by']} "
            f"at {data['requested_at'][:19]}{confirmed}{cancelled}: {data['state'].replace('_', ' ')}")


def _counts(data: dict[str, Any]) -> str:
    return ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in data["counts"].items() if n)


def _print_command(data: dict[str, Any]) -> None:
    click.echo(_header(data))
    for t in data["targets"]:
        click.echo(f"  {t['code']:<16} {t['state']:<13} {t['detail'] or ''}")
    if data["targets_next"] is not None:
        click.echo(f"  … {data['targets_total'] - len(data['targets'])} more")
    click.echo(f"  {_counts(data)}")


def _follow(command_id: int) -> None:
    """Print each target as it changes, until the command is over."""
    seen: dict[int, str] = {}
    state = None
    for data in follow_command(engine(), command_id):
        if data["state"] != state:
            state = data["state"]
            click.echo(_header(data))
        for t in data["targets"]:
            if seen.get(t["asset_id"]) != t["state"]:
                seen[t["asset_id"]] = t["state"]
                click.echo(f"  {t['code']:<16} {t['state']:<13} {t['detail'] or ''}")
    click.echo(f"command {command_id} {data['state'].replace('_', ' ')}: {_counts(data)}")


def _read_polygon(path: Path) -> dict[str, Any]:
    """A polygon from a GeoJSON file: a geometry, a Feature, or a FeatureCollection of one feature."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CityPilotError(f"{path}: not a GeoJSON file ({exc})") from None
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        if len(features) != 1:
            raise CityPilotError(f"{path}: expected one polygon, found {len(features)} features")
        data = features[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict):
        raise CityPilotError(f"{path}: no geometry")
    return data


# -- the worker --------------------------------------------------------------------------------------------
@click.group("commands")
def commands_group() -> None:
    """The command worker."""


@commands_group.command("run")
@click.option("--client-id", default="citypilot-commands", show_default=True,
              help="MQTT client id: the persistent session that keeps acknowledgements while the worker is away "
                   "(one per worker process).")
@click.option("--poll", "poll_s", type=click.FloatRange(0.01, 10), default=0.25, show_default=True,
              help="Seconds between two passes at most.")
@click.option("--confirmation-wait", "confirmation_wait_s", type=click.FloatRange(10, 86_400), default=900,
              show_default=True, help="Seconds a two-person command waits for its second person before it expires.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def run_cmd(client_id: str, poll_s: float, confirmation_wait_s: float, verbose: bool) -> None:
    """Send queued commands and follow them to the end (acknowledgement, verification, timeouts, retries)
    until Ctrl-C or SIGTERM; restart-safe (it picks up where it was)."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.load()
    eng = engine()
    worker = CommandWorker(eng, settings.require_mqtt_url(), cabinets=ModbusCabinets(eng),
                           options=WorkerOptions(poll_s=poll_s, client_id=client_id,
                                                 policy=Policy(confirmation_wait_s=confirmation_wait_s)))
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop())
    worker.run()
    done = ", ".join(f"{state} {n}" for state, n in sorted(worker.totals.items())) or "nothing"
    click.echo(f"command worker stopped; moves: {done}")
