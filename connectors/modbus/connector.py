"""The ``modbus`` connector: a Modbus TCP gateway whose inventory devices are polled into the ingest.

Configuration: ``host`` and ``port`` of the gateway, and one device to prove it works: ``unit_id`` and
``model`` (a register map name: ``sdm630``, ``citypilot-cabinet``...); optional ``timeout_s``,
``unreachable_after``, ``backoff_max_s``. :meth:`ModbusConnector.check_config` connects and reads that
device's whole map: a wrong address, a refused connection, a silent unit or a map that does not fit
the device raises :class:`ConfigError` naming the field.

Saved and run by ``citypilot ingest`` (``citypilot connectors add modbus ...``), it polls every meter
and cabinet of the inventory behind that gateway and hands each reading to the ingest as a delivery
(same batching, same LiveWriter as MQTT) already typed — readings with their poll interval,
events, :class:`~assets.live.records.Unreachable` marks (``last_seen`` does not move) — exactly the
records ``citypilot modbus poll`` writes through :class:`~connectors.modbus.livesink.WriterSink`.
The whole city is better polled by ``citypilot modbus poll``.

It carries the ``modbus`` route of the command worker: :meth:`ModbusConnector.send` switches a lighting
cabinet (action ``switch``, ``{"on": bool}``) at the address the inventory gives and returns what its
contactors read back (:mod:`connectors.modbus.cabinets`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping
from typing import Any

from assets.live.records import Event, Reading, Record
from connectors.base import ConfigError, Connector, Delivery, DeviceCommand, FormatError, SendResult, Sent, Sink
from connectors.modbus.cabinets import CabinetControl, CabinetError, ModbusCabinets
from connectors.modbus.client import ModbusFailure, read_unit
from connectors.modbus.inventory import modbus_devices
from connectors.modbus.livesink import IntervalMemo, mark_record
from connectors.modbus.poller import SOURCE, Poller, PollOptions, StateMark, build_devices
from connectors.modbus.registers import RegisterMapError, load_map
from connectors.registry import register_connector

log = logging.getLogger(__name__)
DEFAULTS: dict[str, Any] = {"timeout_s": 2.0, "unreachable_after": 3, "backoff_max_s": 900.0}


@register_connector
class ModbusConnector(Connector):
    """Polls the inventory's meters and cabinets behind one Modbus TCP gateway."""

    name = "modbus"
    description = "a Modbus TCP gateway: energy meters and lighting cabinets of the inventory, polled"
    carries = ("modbus",)
    blocking = True

    def __init__(self, config: Mapping[str, Any], *, label: str | None = None, devices: Any = None,
                 cabinets: CabinetControl | None = None) -> None:
        super().__init__({**DEFAULTS, **config}, label=label, devices=devices)
        self.cabinets = cabinets  # how cabinets are switched (default: at the inventory's Modbus address)
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped = threading.Event()

    @classmethod
    def check_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """Check the fields, then read the named device's whole map from the real gateway."""
        merged = {**DEFAULTS, **config}
        host = merged.get("host")
        if not isinstance(host, str) or not host.strip():
            raise ConfigError("host", "missing: the gateway's address")
        for name, low, high in (("port", 1, 65535), ("unit_id", 0, 247), ("unreachable_after", 1, 1000)):
            value = merged.get(name, 502 if name == "port" else None)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(name, f"{value!r}: expected a whole number {low}..{high}")
            merged[name] = value
        for name in ("timeout_s", "backoff_max_s"):
            value = merged[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(name, f"{value!r}: expected a number of seconds above 0")
        try:
            regmap = load_map(str(merged.get("model") or ""))
        except RegisterMapError as exc:
            raise ConfigError("model", exc.errors[0].reason) from None
        try:
            read_unit(host, merged["port"], merged["unit_id"], regmap, timeout=float(merged["timeout_s"]))
        except ModbusFailure as exc:
            if exc.reason.startswith("no TCP connection"):
                field = "host"
            else:  # the gateway answered: the unit is silent, or refuses what the map asks for
                field = "model" if exc.code in (1, 2, 3) else "unit_id"
            raise ConfigError(field, f"{host}:{merged['port']} unit {merged['unit_id']} ({regmap.name}): "
                                     f"{exc.reason}") from None
        merged["host"] = host.strip()
        return merged

    # -- receiving ----------------------------------------------------------------------------------
    def run(self, sink: Sink) -> None:
        engine = getattr(self.devices, "engine", None)
        if engine is None:
            raise ConfigError("devices", "the modbus connector needs the inventory (a device directory)")
        with engine.connect() as conn:
            found, problems = modbus_devices(conn)
        mine = [d for d in found if (d.endpoint.host, d.endpoint.port) == (self.config["host"], self.config["port"])]
        polled, more = build_devices(mine)
        for problem in problems + more:
            log.warning("modbus %s: %s", self.label, problem)
        options = PollOptions(timeout_s=float(self.config["timeout_s"]),
                              unreachable_after=int(self.config["unreachable_after"]),
                              backoff_max_s=float(self.config["backoff_max_s"]))
        log.info("modbus %s: polling %d device(s) behind %s:%s", self.label, len(polled), self.config["host"],
                 self.config["port"])
        asyncio.run(self._run(polled, sink, options))

    async def _run(self, polled: list, sink: Sink, options: PollOptions) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if self._stopped.is_set():
            return
        await Poller(polled, _DeliverySink(self, sink), options).run(self._stop)

    def stop(self) -> None:
        self._stopped.set()
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    def parse(self, delivery: Delivery) -> list[Record]:
        """The poller's records, typed already (:class:`_DeliverySink`)."""
        if delivery.records is None:
            raise FormatError("not a Modbus poller delivery: it carries no records", SOURCE)
        return delivery.records

    # -- sending ------------------------------------------------------------------------------------
    def send(self, command: DeviceCommand) -> Sent:
        """Switch a cabinet's contactors and read them back (blocking): ``readback`` is True (all
        closed), False (all open), ``"mixed"`` or ``"tripped"``."""
        on = command.params.get("on")
        if command.action != "switch" or not isinstance(on, bool):
            return Sent(SendResult(f"a cabinet takes the action 'switch' with on=true|false, not {command.action} "
                                   f"{dict(command.params)}", permanent=True))
        cabinets = self.cabinets
        if cabinets is None:
            engine = getattr(self.devices, "engine", None)
            if engine is None:
                return Sent(SendResult("no inventory to find the cabinet's Modbus address in", permanent=True))
            cabinets = self.cabinets = ModbusCabinets(engine, timeout_s=float(self.config["timeout_s"]))
        try:
            return Sent(SendResult(readback=cabinets.switch(command.asset_id, on)))
        except CabinetError as exc:
            return Sent(SendResult(str(exc), permanent=exc.permanent))


class _DeliverySink:
    """The poller's output as ingest deliveries, one per device and pass, carrying typed records."""

    def __init__(self, connector: ModbusConnector, sink: Sink) -> None:
        self.connector = connector
        self.sink = sink
        self._intervals = IntervalMemo()

    def _put(self, endpoint: str, record: Record) -> None:
        payload = repr(record).encode()  # what a dead letter would keep
        self.sink.put(Delivery(self.connector, f"modbus/{endpoint}", payload, records=[record]))

    def reading(self, reading: Reading, interval_s: float) -> None:
        self._put(str(reading.asset_id), self._intervals.stamp(reading, interval_s))

    def event(self, event: Event) -> None:
        self._put(str(event.asset_id), event)

    def mark(self, mark: StateMark) -> None:
        self._put(mark.endpoint, mark_record(mark))

    def flush(self) -> None:
        pass
