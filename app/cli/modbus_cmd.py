"""``citypilot modbus poll|read|maps|serve``: the Modbus poller, one-off reads, the register maps, and the
simulated gateways alone (``citypilot simulate`` runs them too)."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
import threading

import click

from app.cli.context import engine
from app.settings import Settings
from assets.live.writer import LiveWriter
from connectors.modbus.client import read_unit
from connectors.modbus.inventory import KINDS
from connectors.modbus.livesink import WriterSink
from connectors.modbus.poller import PollOptions
from connectors.modbus.registers import load_map, map_names
from connectors.modbus.service import inventory_devices, inventory_poller, poll_until_stopped, summary

log = logging.getLogger("citypilot.modbus")
#: The unit of a metric, by its name's suffix (CityPilot's naming: power_w is in W whatever the meter sends).
_UNITS = {"_kwh": "kWh", "_v": "V", "_a": "A", "_w": "W", "_hz": "Hz", "_level": "%"}


def register(cli: click.Group) -> None:
    cli.add_command(modbus)


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not verbose:  # pymodbus logs every unanswered request; the poller reports them its own way
        logging.getLogger("pymodbus").setLevel(logging.CRITICAL)


@click.group("modbus")
def modbus() -> None:
    """Modbus TCP energy meters and lighting cabinets."""


@modbus.command("poll")
@click.option("--once", is_flag=True, help="Read every device once, store, print a summary and exit.")
@click.option("--kind", "kinds", type=click.Choice(["energy_meter", "cabinet"]), multiple=True,
              help="Only this kind (repeat; default both).")
@click.option("--code", "codes", multiple=True, metavar="CODE", help="Only this asset (repeat).")
@click.option("--interval", type=click.FloatRange(0.1, 86400), default=None, metavar="S",
              help="Read every device every S seconds (default: its map's interval, or attrs.poll_interval_s).")
@click.option("--timeout", type=click.FloatRange(0.05, 60), default=2.0, show_default=True,
              help="Seconds to wait for each answer.")
@click.option("--unreachable-after", type=click.IntRange(1, 100), default=3, show_default=True,
              help="Failures in a row after which a device's live state becomes unreachable.")
@click.option("--backoff-max", type=click.FloatRange(1, 86400), default=900.0, show_default=True,
              help="Longest wait (s) between two attempts on a failing device.")
@click.option("--connections", type=click.IntRange(1, 16), default=1, show_default=True,
              help="TCP connections per gateway.")
@click.option("--max-in-flight", type=click.IntRange(1, 10_000), default=64, show_default=True,
              help="Devices read at the same time, all gateways together.")
@click.option("--report-every", type=click.FloatRange(1, 86400), default=60.0, show_default=True,
              help="Seconds between two summary lines in the log.")
@click.option("--reload-every", type=click.FloatRange(1, 86400), default=300.0, show_default=True,
              help="Seconds between two readings of the inventory (meters and cabinets added, moved, removed).")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging (pymodbus included).")
def poll_cmd(once: bool, kinds: tuple[str, ...], codes: tuple[str, ...], interval: float | None, timeout: float,
             unreachable_after: int,
             backoff_max: float, connections: int, max_in_flight: int, report_every: float, reload_every: float,
             verbose: bool) -> None:
    """Read every energy meter and cabinet in service on schedule into the live state and the history
    (until Ctrl-C or SIGTERM)."""
    _logging(verbose)
    options = PollOptions(timeout_s=timeout, unreachable_after=unreachable_after, backoff_max_s=backoff_max,
                          connections_per_gateway=connections, max_in_flight=max_in_flight, interval_s=interval)
    writer = LiveWriter(Settings.load().require_database_url(), client="modbus")
    sink = WriterSink(writer)
    chosen = {"kinds": kinds or KINDS, "codes": list(codes) or None}
    poller, problems = inventory_poller(engine(), sink, options, **chosen)
    for problem in problems:
        log.warning("left out: %s", problem)
    if not poller.devices:
        click.echo("no Modbus meter or cabinet in service in the inventory (`citypilot demo load` makes some)")
        return
    try:
        if once:
            seconds = asyncio.run(_once(poller))
            click.echo(f"{summary(poller)}; one round in {seconds:.2f} s; "
                       f"{sink.written.telemetry_rows} values stored")
            return
        log.info("polling %d device(s) on %d gateway(s)", len(poller.devices), len({d.gateway for d in poller.devices}))
        asyncio.run(poll_until_stopped(poller, log.info, report_every,
                                       reload=lambda: inventory_devices(engine(), **chosen)[0],
                                       reload_every_s=reload_every))
    finally:
        writer.close()


async def _once(poller) -> float:
    try:
        return await poller.poll_once()
    finally:
        await poller.close()


@modbus.command("read")
@click.argument("address", metavar="HOST:PORT")
@click.option("--unit", "unit_id", type=click.IntRange(0, 247), required=True, help="Unit id behind the gateway.")
@click.option("--model", required=True, help="Register map: " + ", ".join(map_names()) + ".")
@click.option("--timeout", type=click.FloatRange(0.05, 60), default=2.0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def read_cmd(address: str, unit_id: int, model: str, timeout: float, as_json: bool) -> None:
    """Read one unit's whole register map once and print its values."""
    _logging(False)
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise click.BadParameter("expected HOST:PORT, e.g. 127.0.0.1:15020", param_hint="HOST:PORT")
    regmap = load_map(model)
    values = read_unit(host, int(port), unit_id, regmap, timeout)
    if as_json:
        click.echo(json.dumps(values, indent=2))
        return
    for f in regmap.fields:
        if f.name in values:
            unit = next((u for suffix, u in _UNITS.items() if f.name.endswith(suffix)), "")
            click.echo(f"{f.name:<22} {values[f.name]!s:>14} {unit:<4} {f.table} {f.doc_address} (wire {f.address})")


@modbus.command("maps")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def maps_cmd(name: str | None, as_json: bool) -> None:
    """The register maps (resources/registers/*.json), or one map's fields."""
    maps = [load_map(name)] if name else [load_map(n) for n in map_names()]
    if as_json:
        click.echo(json.dumps([
            {"name": m.name, "title": m.title, "source": dict(m.source),
             "addressing": {"style": m.style, "base": m.base}, "interval_s": m.interval_s,
             "fields": [{"name": f.name, "table": f.table, "doc_address": f.doc_address, "address": f.address,
                         "type": f.type, "word_order": f.word_order, "scale": f.scale, "unit": f.unit,
                         "writable": f.writable} for f in m.fields]}
            for m in maps], indent=2, ensure_ascii=False))
        return
    for m in maps:
        base = "Modicon numbers from 1" if m.style == "modicon" else f"addresses from {m.base}"
        click.echo(f"{m.name:<18} {m.title}")
        click.echo(f"{'':<18} {len(m.fields)} fields in {', '.join(m.tables())}; document {base}; every "
                   f"{m.interval_s:g} s")
        if name:
            for f in m.fields:
                click.echo(f"  {f.name:<20} {f.table:<8} doc {f.doc_address:<7} wire {f.address:<6} {f.type:<7} "
                           f"{f.word_order:<6} ×{f.scale:g} {f.unit}{'  (writable)' if f.writable else ''}")


@modbus.command("serve")
@click.option("--duration", type=float, default=None, metavar="S", help="Stop after S seconds (default: run on).")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def serve_cmd(duration: float | None, verbose: bool) -> None:
    """Run only the simulated Modbus gateways of the inventory's meters and cabinets (`citypilot simulate`
    runs them with the other devices), until Ctrl-C or SIGTERM."""
    from connectors.simulators.modbus_servers import ModbusCity

    _logging(verbose)
    city = ModbusCity.from_inventory(engine())
    for problem in city.ignored:
        log.warning("left out: %s", problem)
    addresses = city.start_in_thread()
    click.echo(f"simulating {len(city)} Modbus unit(s) on {len(addresses)} gateway(s): "
               + ", ".join(f"{h}:{p}" for h, p in sorted(addresses.values())))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait(duration)
    city.stop_thread()
    click.echo(f"stopped; {city.status()['requests']} request(s) answered or refused")
