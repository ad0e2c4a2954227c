"""Benchmark: one full Modbus poll round of the demo city, against bare pymodbus reads of the same registers.

    .venv/bin/python benchmarks/bench_modbus.py [--admin-url URL] [--rounds 3]

Loads the demo city into a fresh database (1,195 meters on 10 gateways, 1,015 cabinets at their
meters' units), starts the simulated gateways in a separate process (on free ports, so a running demo
is not disturbed) and, in this process:

1. **bare**: the same read requests as the poller's plan (2 per meter), through one
   ``AsyncModbusTcpClient`` per gateway, gateways in parallel, no decoding: the floor;
2. **poll**: ``Poller.poll_once`` over every meter (plan, decode, Readings) into memory;
3. **stored**: the same round into PostGIS through the LiveWriter (``WriterSink``), as ``citypilot modbus poll``;
4. **city**: meters and cabinets (cabinets: 4 requests each), stored.

The four alternate, ``--rounds`` times; each figure is the median. Prints ``bench.modbus.*`` lines.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import multiprocessing as mp
import statistics
import time

from support import admin_url_argument, figure, postgres_admin_url  # first: puts the project on sys.path

from assets.db import make_engine
from assets.db.admin import create_migrated_database, drop_database
from assets.demo import load_demo
from assets.live.writer import LiveWriter
from connectors.modbus.client import READERS, make_client
from connectors.modbus.inventory import modbus_devices
from connectors.modbus.livesink import MemorySink, WriterSink
from connectors.modbus.poller import Poller, PollOptions, build_devices

DATABASE = "cp_bench_modbus"


def serve(url: str, conn: mp.connection.Connection) -> None:
    """The simulated gateways of the inventory on free ports (child process): sends the addresses, runs
    until told to stop."""
    from connectors.simulators.modbus_servers import ModbusCity

    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    engine = make_engine(url)
    city = ModbusCity.from_inventory(engine, bind=lambda gw: ("127.0.0.1", 0))
    engine.dispose()
    conn.send(city.start_in_thread())
    conn.recv()
    city.stop_thread()


async def bare_round(devices: list) -> tuple[float, int]:
    """Every planned request of every device through raw pymodbus, one connection per gateway."""
    by_gateway: dict[tuple[str, int], list] = {}
    for d in devices:
        by_gateway.setdefault(d.gateway, []).append(d)

    async def gateway(host: str, port: int, members: list) -> int:
        client = make_client(host, port, 2.0)
        await client.connect()
        count = 0
        for d in members:
            for block in d.regmap.read_plan():
                response = await getattr(client, READERS[block.table])(
                    block.address, count=block.count, device_id=d.device.endpoint.unit_id)
                assert not response.isError(), response
                count += 1
        client.close()
        return count

    started = time.perf_counter()
    counts = await asyncio.gather(*(gateway(h, p, m) for (h, p), m in by_gateway.items()))
    return time.perf_counter() - started, sum(counts)


async def poll_round(devices: list, sink: object) -> float:
    for d in devices:
        d.failures, d.marked = 0, False
    poller = Poller(devices, sink, PollOptions(timeout_s=5.0, max_in_flight=64))  # type: ignore[arg-type]
    try:
        seconds = await poller.poll_once()
        assert poller.stats.failed == 0, poller.stats
        return seconds
    finally:
        await poller.close()


def run(admin_url: str, rounds: int) -> None:
    engine = create_migrated_database(admin_url, DATABASE)
    url = engine.url.render_as_string(hide_password=False)
    parent, child = mp.Pipe()
    server = mp.get_context("spawn").Process(target=serve, args=(url, child), daemon=True)
    try:
        started = time.perf_counter()
        load_demo(engine)
        figure("modbus.demo_load_seconds", time.perf_counter() - started, "s")
        server.start()
        addresses = parent.recv()
        with engine.connect() as conn:
            found, problems = modbus_devices(conn)
        assert not problems, problems

        def moved(kinds: tuple[str, ...]) -> list:
            chosen = [d for d in found if d.kind in kinds]
            gw = lambda d: addresses[(d.endpoint.host, d.endpoint.port)]  # noqa: E731
            relocated = [dataclasses.replace(d, endpoint=dataclasses.replace(d.endpoint, host=gw(d)[0], port=gw(d)[1]))
                         for d in chosen]
            return build_devices(relocated)[0]

        meters, city = moved(("energy_meter",)), moved(("energy_meter", "cabinet"))
        figure("modbus.meters", len(meters), "meters")
        figure("modbus.gateways", len(addresses), "gateways")
        asyncio.run(bare_round(meters))  # warm-up: connections, imports
        writer = LiveWriter(url, client="modbus")
        times: dict[str, list[float]] = {"bare": [], "poll": [], "stored": [], "city": []}
        requests = 0
        for _ in range(rounds):  # alternating, so that a busy moment of the machine hits all four alike
            seconds, requests = asyncio.run(bare_round(meters))
            times["bare"].append(seconds)
            times["poll"].append(asyncio.run(poll_round(meters, MemorySink())))
            times["stored"].append(asyncio.run(poll_round(meters, WriterSink(writer))))
            times["city"].append(asyncio.run(poll_round(city, WriterSink(writer))))
        bare_s, poll_s, stored_s, city_s = (statistics.median(times[k]) for k in ("bare", "poll", "stored", "city"))
        figure("modbus.bare_round_seconds", bare_s, "s")
        figure("modbus.bare_requests_per_s", requests / bare_s, "requests/s", ".0f")
        figure("modbus.poll_round_seconds", poll_s, "s")
        figure("modbus.poll_ratio_to_bare", poll_s / bare_s, "", ".2f")
        figure("modbus.stored_round_seconds", stored_s, "s")
        figure("modbus.stored_ratio_to_bare", stored_s / bare_s, "", ".2f")
        figure("modbus.city_devices", len(city), "devices")
        figure("modbus.city_round_seconds", city_s, "s")
        writer.close()
    finally:
        parent.send("stop")
        server.join(10)
        engine.dispose()
        drop_database(admin_url, DATABASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    admin_url_argument(parser)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    with postgres_admin_url(args.admin_url) as admin_url:
        run(admin_url, args.rounds)


if __name__ == "__main__":
    main()
