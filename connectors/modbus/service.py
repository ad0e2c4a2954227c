"""Polling the inventory: the poller for every Modbus meter and cabinet in service, run once or on
schedule with a periodic summary and a periodic re-read of the inventory (what ``citypilot modbus
poll`` and the benchmark run)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from sqlalchemy import Engine

from connectors.modbus.inventory import KINDS, modbus_devices
from connectors.modbus.poller import PolledDevice, Poller, PollOptions, PollSink, build_devices

log = logging.getLogger(__name__)


def inventory_devices(engine: Engine, kinds: tuple[str, ...] = KINDS,
                      codes: list[str] | None = None) -> tuple[list[PolledDevice], list[str]]:
    """The inventory's Modbus devices in service (of ``kinds``, or named by ``codes``) with their maps, and
    the problems met (devices left out, and why)."""
    with engine.connect() as conn:
        devices, problems = modbus_devices(conn, kinds, codes=codes)
    polled, more = build_devices(devices)
    return polled, problems + more


def inventory_poller(engine: Engine, sink: PollSink, options: PollOptions | None = None, *,
                     kinds: tuple[str, ...] = KINDS, codes: list[str] | None = None) -> tuple[Poller, list[str]]:
    """A poller for :func:`inventory_devices`, and the problems met."""
    polled, problems = inventory_devices(engine, kinds, codes)
    return Poller(polled, sink, options), problems


def summary(poller: Poller) -> str:
    """One line: devices, gateways, answers, failures, unreachable now."""
    s = poller.stats
    unreachable = sum(1 for d in poller.devices if d.marked)
    gateways = len({d.gateway for d in poller.devices})
    return (f"{len(poller.devices)} device(s) on {gateways} gateway(s): {s.answered} answer(s), {s.failed} failure(s), "
            f"{unreachable} unreachable now, {s.connects} connection(s)")


async def poll_until_stopped(poller: Poller, report: Callable[[str], None], report_every_s: float = 60.0,
                             stop: asyncio.Event | None = None,
                             reload: Callable[[], list[PolledDevice]] | None = None,
                             reload_every_s: float = 300.0) -> None:
    """Run ``poller`` until SIGINT/SIGTERM (or ``stop``), reporting :func:`summary` every ``report_every_s``
    and taking the devices ``reload`` returns (the inventory read anew) every ``reload_every_s``."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            loop.add_signal_handler(signum, stop.set)

    async def every(seconds: float, action: Callable[[], object]) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)
            if not stop.is_set():
                await action()  # type: ignore[misc]

    async def report_now() -> None:
        report(summary(poller))

    async def reload_now() -> None:
        try:
            devices = await asyncio.to_thread(reload)  # type: ignore[arg-type]
        except Exception as exc:  # the database may be down: keep polling what we have
            log.warning("modbus: reading the inventory failed (%s); keeping the %d device(s) polled",
                        exc, len(poller.devices))
            return
        added, removed = poller.update(devices)
        if added or removed:
            report(f"inventory re-read: {added} device(s) new or changed, {removed} gone")

    tasks = [asyncio.create_task(every(report_every_s, report_now))]
    if reload is not None:
        tasks.append(asyncio.create_task(every(reload_every_s, reload_now)))
    try:
        await poller.run(stop)
    finally:
        for task in tasks:
            task.cancel()
    report(summary(poller))
