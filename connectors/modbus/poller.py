"""The Modbus poller: every energy meter and cabinet of the inventory, each on its own schedule.

- **Schedule**: each device is read every ``interval_s`` (its map's default, or ``attrs.poll_interval_s``);
  the first reads are spread over the interval so the city is not read all at once.
- **Few connections**: one TCP connection per gateway ``host:port`` (``connections_per_gateway`` to
  allow more), its unit ids multiplexed on it one request at a time, as gateways want; gateways are read
  in parallel, at most ``max_in_flight`` devices at once.
- **Failures**: every request has a ``timeout_s``; after a failure without a Modbus answer the connection
  is reopened (no late answer can be taken for the next request's). A failing device is retried after
  ``interval × 2^(failures−1)``, at most ``backoff_max_s``; after ``unreachable_after`` failures in a row
  its live state becomes ``unreachable`` (with the reason: a :class:`StateMark`), and it is ``ok`` again
  with its next answer. A gateway that refuses connections is retried with its own back-off (at most
  60 s) meanwhile (its devices fail at once, without a connection attempt each).
- **Output**: a :class:`assets.live.records.Reading` per read (metrics named by the maps: ``power_w``
  in W whatever the meter...; a cabinet's state is ``fault`` while its breaker is tripped), the
  state marks and ``reachable`` events go to a :class:`PollSink` (``connectors.modbus.livesink``: the
  LiveWriter) that a background thread flushes every ``flush_s``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import heapq
import itertools
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from pymodbus.client import AsyncModbusTcpClient

from assets.live.records import Event, Reading
from connectors.modbus.client import ModbusFailure, connect, make_client, read_map
from connectors.modbus.inventory import ModbusDevice
from connectors.modbus.registers import RegisterMap, RegisterMapError, Value, load_map

log = logging.getLogger(__name__)
SOURCE = "modbus"


@dataclass
class PollOptions:
    """How the poller reads (see the module docstring)."""

    timeout_s: float = 2.0
    unreachable_after: int = 3
    backoff_max_s: float = 900.0
    connections_per_gateway: int = 1
    max_in_flight: int = 64
    spread_start: bool = True
    flush_s: float = 1.0
    interval_s: float | None = None  # every device at this interval instead of its own


@dataclass(frozen=True, slots=True)
class StateMark:
    """A device that stopped answering: its live state becomes ``unreachable`` with ``reason``."""

    asset_id: int
    kind: str
    code: str
    ts: dt.datetime
    reason: str
    failures: int
    interval_s: float
    endpoint: str


class PollSink(Protocol):
    """Where the poller's output goes; ``flush`` (blocking) stores what is pending."""

    def reading(self, reading: Reading, interval_s: float) -> None: ...

    def event(self, event: Event) -> None: ...

    def mark(self, mark: StateMark) -> None: ...

    def flush(self) -> None: ...


@dataclass(eq=False)
class PolledDevice:
    """A device as the poller follows it."""

    device: ModbusDevice
    regmap: RegisterMap
    interval_s: float
    next_due: float = 0.0
    failures: int = 0
    attempts: int = 0
    marked: bool = False
    last_error: str | None = None
    last_ok: float | None = None
    removed: bool = False  # left the inventory: no longer read

    @property
    def gateway(self) -> tuple[str, int]:
        return self.device.endpoint.host, self.device.endpoint.port


@dataclass
class PollStats:
    """What the poller did since it started."""

    polls: int = 0
    answered: int = 0
    failed: int = 0
    attempts: int = 0  # polls that went on the wire (not failed at once for a gateway in back-off)
    marked_unreachable: int = 0
    recovered: int = 0
    connects: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(eq=False)
class _Gateway:
    host: str
    port: int
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    down_until: float = 0.0
    down_reason: str = ""
    connect_failures: int = 0


Outcome = dict[str, Value] | ModbusFailure


def build_devices(devices: Iterable[ModbusDevice]) -> tuple[list[PolledDevice], list[str]]:
    """The devices with their maps loaded; those whose map cannot be used are left out (the problems)."""
    out, problems = [], []
    for d in devices:
        try:
            regmap = load_map(d.map_name)
        except RegisterMapError as exc:
            problems.append(f"{d.kind} {d.code}: {exc}")
            continue
        out.append(PolledDevice(d, regmap, d.interval_s or regmap.interval_s))
    return out, problems


class Poller:
    """Polls ``devices`` into ``sink`` (see the module docstring); ``run`` until stopped, or ``poll_once``."""

    def __init__(self, devices: list[PolledDevice], sink: PollSink, options: PollOptions | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 client_factory: Callable[[str, int, float], AsyncModbusTcpClient] = make_client) -> None:
        self.sink = sink
        self.options = options or PollOptions()
        self.devices = self._with_interval(devices)
        self.clock = clock
        self.client_factory = client_factory
        self.stats = PollStats()
        self._gateways: dict[tuple[str, int], _Gateway] = {}
        self._heap: list[tuple[float, int, PolledDevice]] = []
        self._seq = itertools.count()
        self._workers: list[asyncio.Task] = []
        self._slots: asyncio.Semaphore | None = None
        self._wake: asyncio.Event | None = None
        self._db = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="modbus-sink")

    def _with_interval(self, devices: list[PolledDevice]) -> list[PolledDevice]:
        if self.options.interval_s:
            for d in devices:
                d.interval_s = self.options.interval_s
        return list(devices)

    # -- life cycle ---------------------------------------------------------------------------------
    def _start_workers(self) -> None:
        """The workers of every gateway not served yet (one per connection)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.options.max_in_flight)
            self._wake = asyncio.Event()
        for d in self.devices:
            if d.gateway not in self._gateways:
                gw = self._gateways[d.gateway] = _Gateway(*d.gateway)
                for _ in range(max(1, self.options.connections_per_gateway)):
                    self._workers.append(asyncio.create_task(self._worker(gw), name=f"modbus {gw.host}:{gw.port}"))

    def update(self, devices: list[PolledDevice]) -> tuple[int, int]:
        """Take the inventory's devices anew: those unchanged keep their schedule and failure count, new or
        changed ones are read at once, gone ones are dropped; (added or changed, removed)."""
        current = {(d.device.asset_id, d.device.kind): d for d in self.devices}
        kept: list[PolledDevice] = []
        fresh: list[PolledDevice] = []
        now = self.clock()
        for d in self._with_interval(devices):
            old = current.pop((d.device.asset_id, d.device.kind), None)
            if old is not None and old.device == d.device and old.interval_s == d.interval_s:
                kept.append(old)
                continue
            if old is not None:
                old.removed = True
            d.next_due = now
            kept.append(d)
            fresh.append(d)
        for old in current.values():
            old.removed = True
        self.devices = kept
        if self._workers:
            self._start_workers()
            for d in fresh:
                self._push(d)
        return len(fresh), len(current)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll on schedule until ``stop`` is set, flushing the sink every ``flush_s``; flush once more at the end."""
        self._start_workers()
        now = self.clock()
        for i, d in enumerate(self.devices):
            offset = (i * 0.618034 % 1.0) * d.interval_s if self.options.spread_start else 0.0
            d.next_due = now + offset
            self._push(d)
        scheduler = asyncio.create_task(self._scheduler(stop))
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.options.flush_s)
                await self.flush()
        finally:
            scheduler.cancel()
            await self.close()

    async def poll_once(self) -> float:
        """Read every device once, now, and flush; the seconds it took."""
        self._start_workers()
        started = time.perf_counter()
        for d in self.devices:
            self._gateways[d.gateway].queue.put_nowait(d)
        await asyncio.gather(*(gw.queue.join() for gw in self._gateways.values()))
        await self.flush()
        return time.perf_counter() - started

    async def flush(self) -> None:
        """Store what the sink holds (in the sink's own thread)."""
        try:
            await asyncio.get_running_loop().run_in_executor(self._db, self.sink.flush)
        except Exception as exc:  # the sink keeps what it could not store; the poller goes on
            log.warning("modbus: storing readings failed (%s); retrying at the next flush", exc)

    async def close(self) -> None:
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()
        await self.flush()
        self._db.shutdown(wait=True)

    # -- scheduling ---------------------------------------------------------------------------------
    def _push(self, d: PolledDevice) -> None:
        heapq.heappush(self._heap, (d.next_due, next(self._seq), d))
        if self._wake is not None:
            self._wake.set()

    async def _scheduler(self, stop: asyncio.Event) -> None:
        assert self._wake is not None
        while not stop.is_set():
            now = self.clock()
            while self._heap and self._heap[0][0] <= now:
                _due, _seq, d = heapq.heappop(self._heap)
                if not d.removed:
                    self._gateways[d.gateway].queue.put_nowait(d)
            wait = self._heap[0][0] - now if self._heap else 1.0
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(max(wait, 0.002), 1.0))

    # -- polling ------------------------------------------------------------------------------------
    async def _worker(self, gw: _Gateway) -> None:
        client: AsyncModbusTcpClient | None = None
        assert self._slots is not None
        try:
            while True:
                d = await gw.queue.get()
                try:
                    if d.removed:
                        continue
                    async with self._slots:
                        client, outcome = await self._read(gw, client, d)
                    self._done(d, outcome)
                except Exception as exc:  # a bug must not kill the gateway's worker
                    log.exception("modbus: polling %s failed", d.device.code)
                    self._done(d, ModbusFailure(f"internal error: {exc}"))
                finally:
                    gw.queue.task_done()
        finally:
            if client is not None:
                client.close()

    async def _read(self, gw: _Gateway, client: AsyncModbusTcpClient | None,
                    d: PolledDevice) -> tuple[AsyncModbusTcpClient | None, Outcome]:
        timeout = self.options.timeout_s
        if gw.down_until > self.clock():
            return client, ModbusFailure(gw.down_reason)
        d.attempts += 1
        self.stats.attempts += 1
        if client is None or not client.connected:
            if client is not None:
                client.close()
            client = self.client_factory(gw.host, gw.port, timeout)
            self.stats.connects += 1
            try:
                await connect(client)
            except ModbusFailure as failure:
                client.close()
                gw.connect_failures += 1
                backoff = min(timeout * 2 ** min(gw.connect_failures - 1, 30), self.options.backoff_max_s, 60.0)
                gw.down_until, gw.down_reason = self.clock() + backoff, failure.reason
                return None, failure
            gw.connect_failures, gw.down_until = 0, 0.0
        try:
            return client, await read_map(client, d.device.endpoint.unit_id, d.regmap, timeout=timeout)
        except ModbusFailure as failure:
            if failure.code is None:  # no Modbus answer at all: start the next request on a fresh stream
                client.close()
                client = None
            return client, failure

    def _done(self, d: PolledDevice, outcome: Outcome) -> None:
        now = self.clock()
        self.stats.polls += 1
        ts = dt.datetime.now(dt.UTC)
        if isinstance(outcome, ModbusFailure):
            self.stats.failed += 1
            d.failures += 1
            d.last_error = outcome.reason
            if d.failures >= self.options.unreachable_after and not d.marked:
                d.marked = True
                self.stats.marked_unreachable += 1
                log.info("modbus: %s %s unreachable after %d failures: %s", d.device.kind, d.device.code, d.failures,
                         outcome.reason)
                self.sink.mark(StateMark(d.device.asset_id, d.device.kind, d.device.code, ts, outcome.reason,
                                         d.failures, d.interval_s, str(d.device.endpoint)))
            delay = min(d.interval_s * 2 ** min(d.failures - 1, 30), max(self.options.backoff_max_s, d.interval_s))
            d.next_due = now + delay
        else:
            self.stats.answered += 1
            if d.marked:
                self.stats.recovered += 1
                log.info("modbus: %s %s answers again", d.device.kind, d.device.code)
                self.sink.event(Event(d.device.asset_id, ts, "reachable", {"after_failures": d.failures,
                                                                           "source": SOURCE}, source=SOURCE))
            d.failures, d.marked, d.last_ok = 0, False, now
            self.sink.reading(reading_of(d, outcome, ts), d.interval_s)
            d.next_due = d.next_due + d.interval_s
            if d.next_due <= now:
                d.next_due = now + d.interval_s
        if self._wake is not None and self._workers and not d.removed:
            self._push(d)


def reading_of(d: PolledDevice, values: dict[str, Value], ts: dt.datetime) -> Reading:
    """The Reading of one answer: a cabinet keeps the contactors of its fitted circuits only, and its state
    is ``fault`` while its breaker is tripped."""
    state = "ok"
    if d.device.kind == "cabinet":
        count = int(values.get("circuit_count", 16) or 0)
        values = {k: v for k, v in values.items()
                  if not (k.startswith("circuit_") and k.endswith("_on") and int(k.split("_")[1]) > count)}
        if values.get("tripped"):
            state = "fault"
    return Reading(d.device.asset_id, ts, dict(values), state=state, source=SOURCE)
