"""``citypilot simulate`` (play the demo city's devices over the broker), ``simulate inject|status|stop``
(talk to a running simulator through the control topic) and ``devices provision`` (broker accounts
of the trackers and the LoRaWAN network servers)."""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from typing import Any

import click

from app.cli.context import engine, every_option, repeat
from app.servers.services import private_broker
from app.servers.state import read_state
from app.settings import Settings
from assets.db import unit_of_work
from connectors.simulators import (
    FAULTS,
    SimOptions,
    SimulationError,
    Simulator,
    StreetGraph,
    accounts_path,
    device_usernames,
    load_accounts,
    load_fleet,
    provision,
)
from connectors.simulators import control as sim_control
from fieldservice import simulated_crews


def register(cli: click.Group) -> None:
    cli.add_command(simulate)
    cli.add_command(devices)


def _share(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not 0 <= value <= 1:
        raise click.BadParameter("must be between 0 and 1")
    return value


@click.group(invoke_without_command=True)
@click.option("--lamps-rate", type=float, default=None, metavar="R",
              help="Lamp controller messages per second, spread evenly (default: each lamp every 10 min).")
@click.option("--sensors-rate", type=float, default=None, metavar="R",
              help="Sensor messages per second (default: each sensor every minute).")
@click.option("--vehicles", type=int, default=None, metavar="N", help="How many vehicles drive (default: all).")
@click.option("--gps-interval", type=float, default=5.0, show_default=True, metavar="S",
              help="Seconds between two fixes of one vehicle.")
@click.option("--duration", type=float, default=None, metavar="S", help="Stop after S seconds (default: run on).")
@click.option("--chirpstack-share", type=float, default=0.5, show_default=True, callback=_share,
              help="Share of LoRaWAN devices on ChirpStack v4 (the rest on The Things Stack v3).")
@click.option("--undecoded-share", type=float, default=0.3, show_default=True, callback=_share,
              help="Share of LoRaWAN devices whose network server has no codec (base64 payload only).")
@click.option("--osmand-url", default=None, metavar="URL",
              help="Send some vehicles' fixes as OsmAnd HTTP GETs to this URL (phone trackers).")
@click.option("--osmand-share", type=float, default=0.2, show_default=True, callback=_share,
              help="Share of vehicles that are phone trackers when --osmand-url is given.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same simulated values.")
@click.option("--burst", is_flag=True, help="Send ONE message from every device at once, as fast as possible, "
              "and exit.")
@click.option("--shared-account", is_flag=True,
              help="Send everything with the broker URL's account (external brokers without device accounts).")
@click.option("--modbus/--no-modbus", default=True, show_default=True,
              help="Also serve the inventory's energy meters and cabinets as Modbus TCP gateways.")
@click.option("-v", "--verbose", is_flag=True, help="Log every control request and connection in detail.")
@click.pass_context
def simulate(ctx: click.Context, lamps_rate: float | None, sensors_rate: float | None, vehicles: int | None,
             gps_interval: float, duration: float | None, chirpstack_share: float, undecoded_share: float,
             osmand_url: str | None, osmand_share: float, seed: int, burst: bool, shared_account: bool,
             modbus: bool, verbose: bool) -> None:
    """Play the city's lamp controllers, sensors and vehicles over the broker (until Ctrl-C, SIGTERM,
    --duration or `citypilot simulate stop`)."""
    if ctx.invoked_subcommand is not None:
        return
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.load()
    mqtt_url = settings.require_mqtt_url()
    db = engine()
    fleet = load_fleet(db)
    if not len(fleet):
        raise SimulationError("the inventory has no LoRaWAN luminaire, sensor or tracked vehicle: load the demo "
                              "city first (`citypilot demo load`)")
    graph = StreetGraph.from_db(db) if fleet.vehicles and vehicles != 0 and not burst else None
    if fleet.vehicles and graph is None and not burst:
        click.echo("note: no streets in the database; vehicles stay at their depots", err=True)
    options = SimOptions(
        lamps_rate=lamps_rate, sensors_rate=sensors_rate, vehicles=vehicles, gps_interval_s=gps_interval,
        chirpstack_share=chirpstack_share, undecoded_share=undecoded_share, osmand_url=osmand_url,
        osmand_share=osmand_share, seed=seed, shared_account=shared_account,
    )
    accounts = {} if shared_account else load_accounts(accounts_path(settings.home))
    sim = Simulator(fleet, graph, mqtt_url, accounts, options, engine=db)
    if burst:
        sent, seconds = sim.burst()
        click.echo(f"burst: {sent} messages (one per device) sent and acknowledged in {seconds:.2f} s "
                   f"({sent / max(seconds, 1e-9):,.0f}/s)")
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: sim.stop())
    gateways = _start_modbus(db, sim, verbose) if modbus else None
    try:
        counts = sim.run(duration)
    finally:
        if gateways is not None:
            gateways.stop_thread()
    click.echo("simulator stopped; sent " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing"))


def _start_modbus(db: Any, sim: Simulator, verbose: bool) -> Any:
    """The simulated Modbus gateways of the inventory, their cabinets linked to the simulated lamps."""
    from connectors.simulators.modbus_servers import ModbusCity, SimulatorLamps

    if not verbose:  # pymodbus announces every listener and logs every unanswered request
        logging.getLogger("pymodbus").setLevel(logging.WARNING)
    city = ModbusCity.from_inventory(db, lamps=SimulatorLamps(sim))
    if not len(city):
        return None
    addresses = city.start_in_thread()
    click.echo(f"Modbus: {len(city)} unit(s) on {len(addresses)} gateway(s)", err=True)
    return city


@simulate.command("inject")
@click.argument("fault", type=click.Choice(sorted(FAULTS)))
@click.argument("targets", nargs=-1)
@click.option("--count", type=int, default=None, help="Malformed messages to send (default 1).")
@click.option("--value", type=float, default=None, help="The spike's value (dB(A), µg/m³ of NO2 or °C).")
@click.option("--fields", default=None, metavar="A,B.C",
              help="missing-fields: dotted paths to remove (default: the DevEUI and payload; lat,lon for GPS).")
@click.option("--timeout", type=float, default=5.0, show_default=True, help="Seconds to wait for the simulator.")
def inject_cmd(fault: str, targets: tuple[str, ...], count: int | None, value: float | None, fields: str | None,
               timeout: float) -> None:
    """Inject FAULT into the running simulator, on TARGETS (asset codes, DevEUIs, tracker ids or plates;
    'all' with clear). Malformed ones (bad-json, wrong-length, unknown-deveui, missing-fields) take any
    device's shape when no target is given."""
    params: dict[str, Any] = {k: v for k, v in (("count", count), ("value", value), ("fields", fields))
                              if v is not None}
    reply = _ask(sim_control.request("inject", fault=fault, targets=list(targets), params=params), timeout)
    click.echo(reply.get("message", ""))
    for line in reply.get("details") or []:
        click.echo(f"  {line}")


@simulate.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--timeout", type=float, default=3.0, show_default=True)
def status_cmd(as_json: bool, timeout: float) -> None:
    """What the running simulator(s) do: devices, rates, messages sent, faults in force."""
    replies = sim_control.send(Settings.load().require_mqtt_url(), sim_control.request("status"), timeout,
                               wait_all=True)
    statuses = [r.get("status", {}) for r in replies]
    if as_json:
        click.echo(json.dumps(statuses, indent=2, ensure_ascii=False))
        return
    for s in statuses:
        d = s.get("devices", {})
        click.echo(f"simulator pid {s.get('pid')}, up {s.get('uptime_s')} s: {d.get('lamps')} lamps, "
                   f"{d.get('sensors')} sensors, {d.get('vehicles')} vehicles ({d.get('phone_trackers')} phones)")
        click.echo("  rates/s: " + ", ".join(f"{k} {v}" for k, v in s.get("rates", {}).items()))
        click.echo("  sent:    " + ", ".join(f"{k} {v}" for k, v in sorted(s.get("sent", {}).items())))
        click.echo("  faults:  " + (", ".join(s.get("faults", [])) or "none"))


@simulate.command("stop")
@click.option("--timeout", type=float, default=3.0, show_default=True)
def stop_cmd(timeout: float) -> None:
    """Stop every simulator running against this broker."""
    try:
        replies = sim_control.send(Settings.load().require_mqtt_url(), sim_control.request("stop"), timeout,
                                   wait_all=True)
    except SimulationError:
        click.echo("no simulator was running")
        return
    click.echo(f"stopping {len(replies)} simulator(s)")


RESEND_S = 300


@simulate.command("crews")
@click.option("--work-min", type=click.FloatRange(0.5), default=8.0, show_default=True,
              help="Minutes a crew works on site before it makes safe and closes.")
@every_option
@click.option("--timeout", type=float, default=3.0, show_default=True)
def crews_cmd(work_min: float, every_s: float | None, timeout: float) -> None:
    """Play the demo's crews (never against a real city): an assigned order sets off and its van is sent
    there by the running simulator; the arrival is stamped from the van's track (`citypilot orders visits`);
    after WORK_MIN on site the crew ticks its checklist, makes safe and closes, and the devices are repaired."""

    sent: dict[int, float] = {}  # order → when its van was last sent (sent again every 5 min until it arrives)

    def once() -> None:
        with unit_of_work(engine(), None) as session:
            todo = simulated_crews.play(session, work_min=work_min)
        for step in todo:
            if step.action == "dispatch":
                if time.monotonic() - sent.get(step.order_id, -1e9) < RESEND_S:
                    continue
                try:
                    _ask(sim_control.request("dispatch", vehicle=step.vehicle, x=step.x, y=step.y,
                                             stop_s=step.stop_s), timeout)
                    sent[step.order_id] = time.monotonic()
                    click.echo(f"order {step.order_id}: {step.vehicle} sent")
                except SimulationError as exc:
                    click.echo(f"order {step.order_id}: en route, but the van was not sent (simulator: {exc})")
                continue
            repaired = 0
            for code in step.assets:  # one at a time: poles and circuits are not devices of the simulator
                try:
                    _ask(sim_control.request("inject", fault="clear", targets=[code], params={}), timeout)
                    repaired += 1
                except SimulationError:
                    pass
            click.echo(f"order {step.order_id}: closed, {repaired} device(s) repaired")

    repeat(every_s, once)


def _ask(message: dict[str, Any], timeout: float) -> dict[str, Any]:
    reply = sim_control.send(Settings.load().require_mqtt_url(), message, timeout)[0]
    if not reply.get("ok"):
        raise SimulationError(reply.get("message") or "the simulator refused")
    return reply


@click.group("devices")
def devices() -> None:
    """Device accounts on the broker."""


@devices.command("provision")
@click.option("--rotate", is_flag=True, help="Give every account a new password.")
def provision_cmd(rotate: bool) -> None:
    """Create the broker accounts of every vehicle tracker and of the LoRaWAN network servers
    (chirpstack, tts) on the private broker; passwords go to $CITYPILOT_HOME/device-accounts.json (0600)."""
    settings = Settings.load()
    path = accounts_path(settings.home)
    if settings.external_mqtt:
        raise SimulationError(
            "MQTT_URL points at an external broker: CityPilot cannot create accounts there. Create one account per "
            f"tracker (username = tracker id) and the accounts chirpstack and tts, and list them in {path} as "
            '{"accounts": {"username": "password"}} (or run the simulator with --shared-account)'
        )
    if "mqtt" not in read_state(settings.home):
        raise SimulationError("no private broker yet: run `citypilot services up` first")
    fleet = load_fleet(engine())
    result = provision(private_broker(settings.home), device_usernames(fleet), path, rotate=rotate)
    click.echo(f"{result.created + result.kept} broker accounts ({len(fleet.vehicles)} trackers, "
               f"{len(fleet.equipment)} signal controllers and cameras, 2 network servers): "
               f"{result.created} created, {result.kept} kept; passwords in {result.path}")
