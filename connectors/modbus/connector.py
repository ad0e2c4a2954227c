"""The ``modbus`` connector: a Modbus TCP gateway whose inventory devices are polled into the ingest.

Configuration: ``host`` and ``port`` of the gateway, and one device to prove it works: ``unit_id`` and
``model`` (a register map name: ``sdm630``, ``citypilot-cabinet``...); optional ``timeout_s``,
``unreachable_after``, ``backoff_max_s``. :meth:`ModbusConnector.check_config` connects and reads that
device's whole map: a wrong address, a refused connection, a silent unit or a map that does not fit
the device raises :class:`ConfigError` naming the field.

Saved and run by ``citypilot ingest`` (``citypilot connectors add modbus ...``), it polls every meter
and cabinet of the inventory behind that gateway and hands each reading to the ingest as a delivery
(same batching, same LiveWriter as MQTT). In that path a device that stops answering becomes
``unreachable`` through a reading with no values (so its ``last_seen`` moves: ``citypilot modbus poll``
writes through :class:`~connectors.modbus.livesink.WriterSink`, which keeps it). The whole city is
better polled by ``citypilot modbus poll``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import threading
from collections.abc import Mapping
from typing import Any

from assets.live.records import Event, Reading, Record
from connectors.base import ConfigError, Connector, Delivery, FormatError, Sink
from connectors.modbus.client import ModbusFailure, read_unit
from connectors.modbus.inventory import modbus_devices
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

    def __init__(self, config: Mapping[str, Any], *, label: str | None = None, devices: Any = None) -> None:
        super().__init__({**DEFAULTS, **config}, label=label, devices=devices)
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
        """A delivery carries one reading (``{"asset_id", "ts", "values", "state"}``) or one unreachable
        mark (``{"asset_id", "ts", "unreachable": reason, "failures"}``) or one event."""
        try:
            body = json.loads(delivery.payload)
            asset_id, ts = int(body["asset_id"]), dt.datetime.fromisoformat(body["ts"])
        except (ValueError, KeyError, TypeError) as exc:
            raise FormatError(f"not a Modbus poller record: {exc}", SOURCE) from None
        if "unreachable" in body:
            detail = {"reason": body["unreachable"], "failures": body.get("failures"), "source": SOURCE}
            return [Reading(asset_id, ts, {}, state="unreachable", source=SOURCE),
                    Event(asset_id, ts, "unreachable", detail, source=SOURCE)]
        if "event" in body:
            return [Event(asset_id, ts, str(body["event"]), dict(body.get("detail") or {}), source=SOURCE)]
        return [Reading(asset_id, ts, dict(body.get("values") or {}), state=body.get("state"), source=SOURCE)]


class _DeliverySink:
    """The poller's output as ingest deliveries (parsed back by :meth:`ModbusConnector.parse`)."""

    def __init__(self, connector: ModbusConnector, sink: Sink) -> None:
        self.connector = connector
        self.sink = sink

    def _put(self, endpoint: str, body: dict[str, Any]) -> None:
        payload = json.dumps(body, default=str).encode()
        self.sink.put(Delivery(self.connector, f"modbus/{endpoint}", payload))

    def reading(self, reading: Reading, interval_s: float) -> None:
        self._put(str(reading.asset_id), {"asset_id": reading.asset_id, "ts": reading.ts.isoformat(),
                                          "values": reading.values, "state": reading.state})

    def event(self, event: Event) -> None:
        self._put(str(event.asset_id), {"asset_id": event.asset_id, "ts": event.ts.isoformat(), "event": event.name,
                                        "detail": event.detail})

    def mark(self, mark: StateMark) -> None:
        self._put(mark.endpoint, {"asset_id": mark.asset_id, "ts": mark.ts.isoformat(), "unreachable": mark.reason,
                                  "failures": mark.failures})

    def flush(self) -> None:
        pass
