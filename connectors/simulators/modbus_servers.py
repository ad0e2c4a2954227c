"""Simulated Modbus TCP gateways: one pymodbus server per ``host:port`` of the inventory's meters, each
answering for its unit ids with the real register layout of each meter's model, and cabinets (map
``citypilot-cabinet``, at their meter's unit) that obey contactor and dimming writes.

Values follow the load (:mod:`.modbus_loads`): a cabinet's meter reads its lamps (the lamp simulator's
own state when linked through :class:`SimulatorLamps`, else a night/day schedule at the dimming
level), a building's meter its use and floor area. Registers a device does not have answer
"illegal data address" (except inside the span of a map that allows reading across gaps, as Eastron
meters do); writes outside writable fields are refused the same way, out-of-range values with
"illegal data value". A unit the gateway does not know gets "gateway target device failed to
respond", as from a real TCP-to-RS-485 gateway.

Control, for faults and tests (thread-safe enough: plain attribute changes):

- :func:`trip_cabinet` ``(code)`` / :func:`reset_cabinet` ``(code)``: the cabinet's trip input goes
  to 1 (and its load to 0) / back to 0 — the alarm engineer's ``cabinet-trip`` fault calls them;
- fault ``meter-offline METER`` (a meter or cabinet code): the unit stops answering (``silent``, the
  default: no answer at all) or its gateway answers "target device failed to respond" (param
  ``mode: gateway``); fault ``meter-online METER|all`` brings it back.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pymodbus.constants import ExcCodes
from pymodbus.datastore import ModbusServerContext
from pymodbus.exceptions import NoSuchIdException
from pymodbus.server import ModbusTcpServer
from sqlalchemy import Engine, text

from connectors.modbus.client import Endpoint
from connectors.modbus.inventory import modbus_devices
from connectors.modbus.registers import BIT_TABLES, Field, RegisterMap, RegisterMapError, load_map
from connectors.simulators.faults import fault
from connectors.simulators.faults_control import CABINET_HOOKS, LINK_HOOKS
from connectors.simulators.fleet_model import Fleet, SimulationError, unit_hash
from connectors.simulators.lamps import FAILED_DRIVER_W
from connectors.simulators.modbus_loads import (
    HOURS_LIT_PER_YEAR,
    BuildingLoad,
    CabinetModel,
    Lamp,
    LampLink,
    MeterModel,
    initial_energy_kwh,
)

if TYPE_CHECKING:
    from connectors.simulators.runner import Simulator

log = logging.getLogger(__name__)

FUNCTION_TABLE = {1: "coil", 5: "coil", 15: "coil", 2: "discrete", 4: "input",
                  3: "holding", 6: "holding", 16: "holding", 22: "holding", 23: "holding"}
OFFLINE_MODES = ("silent", "gateway")
PHASES = {"sdm120": 1}
Values = dict[str, float | int | bool]


@dataclass
class Source:
    """One register map of a unit and where its values come from (and where its writes go)."""

    regmap: RegisterMap
    values: Callable[[float], Values]
    write: Callable[[str, float | int | bool, float], None] | None = None


class SimUnit:
    """One simulated unit behind a gateway: the fields of its maps, answered from their sources."""

    def __init__(self, unit_id: int, sources: list[Source], codes: Iterable[str] = (),
                 clock: Callable[[], float] = time.time, asset_ids: Iterable[int] = ()) -> None:
        self.unit_id = unit_id
        self.sources = sources
        self.codes = list(codes)
        self.asset_ids = frozenset(asset_ids)
        self.clock = clock
        self.offline: str | None = None  # the meter-offline fault: silent | gateway
        self.link_down = False  # cut off by a fibre cut: silent
        self._fields: dict[str, list[tuple[Field, int]]] = {}
        self._gap_spans: dict[str, list[tuple[int, int]]] = {}
        for i, source in enumerate(sources):
            for table in source.regmap.tables():
                fields = source.regmap.table_fields(table)
                self._fields.setdefault(table, []).extend((f, i) for f in fields)
                if source.regmap.read_across_gaps:
                    self._gap_spans.setdefault(table, []).append((fields[0].address, max(f.end for f in fields)))
        for table in self._fields:
            self._fields[table].sort(key=lambda entry: entry[0].address)

    def read(self, table: str, address: int, count: int) -> list[int] | list[bool] | ExcCodes:
        """What a read request of ``count`` registers (bits) of ``table`` from ``address`` returns."""
        bits = table in BIT_TABLES
        out: list[Any] = [False] * count if bits else [0] * count
        covered = [False] * count
        t = self.clock()
        values: dict[int, Values] = {}
        for f, i in self._fields.get(table, ()):
            if f.end <= address or f.address >= address + count:
                continue
            if i not in values:
                values[i] = self.sources[i].values(t)
            try:
                wire = f.to_wire(values[i].get(f.name, 0))
            except ValueError:
                wire = False if bits else [0] * f.size
            words = [wire] if bits else wire
            for k, word in enumerate(words):  # type: ignore[arg-type]
                pos = f.address + k - address
                if 0 <= pos < count:
                    out[pos], covered[pos] = word, True
        for pos, ok in enumerate(covered):
            if not ok and not self._in_gap_span(table, address + pos):
                return ExcCodes.ILLEGAL_ADDRESS
        return out

    @property
    def silence(self) -> str | None:
        """How the unit fails to answer now (``silent``, ``gateway``), or None when it answers."""
        return self.offline or ("silent" if self.link_down else None)

    def _in_gap_span(self, table: str, address: int) -> bool:
        return any(start <= address < end for start, end in self._gap_spans.get(table, ()))

    def write(self, table: str, address: int, values: list[int] | list[bool]) -> ExcCodes | None:
        """Apply a write request; an exception code when the device refuses it."""
        end = address + len(values)
        targets = [(f, i) for f, i in self._fields.get(table, ()) if f.address < end and f.end > address]
        if sum(f.size for f, _ in targets) != len(values):
            return ExcCodes.ILLEGAL_ADDRESS  # a register that is not a field's
        decoded = []
        for f, i in targets:
            if not f.writable or self.sources[i].write is None or f.address < address or f.end > end:
                return ExcCodes.ILLEGAL_ADDRESS
            value = f.from_wire(values[f.address - address:f.end - address])
            if (f.minimum is not None and value < f.minimum) or (f.maximum is not None and value > f.maximum):
                return ExcCodes.ILLEGAL_VALUE
            decoded.append((f, i, value))
        t = self.clock()
        for f, i, value in decoded:
            self.sources[i].write(f.name, value, t)  # type: ignore[misc]
        return None


class GatewayContext(ModbusServerContext):
    """The datastore of one simulated gateway: its units answer from their models, never from stored
    registers. (Deliberately does not call ``ModbusServerContext.__init__``: pymodbus 3.16 serves any
    context with ``old_simulator`` set through ``async_getValues``/``async_setValues``.)"""

    def __init__(self, units: Mapping[int, SimUnit]) -> None:
        self.units = dict(units)
        self.simdevices: list = []
        self.old_simulator = True

    def device_ids(self) -> list[int]:
        return list(self.units)

    def _unit(self, device_id: int) -> SimUnit | ExcCodes:
        unit = self.units.get(device_id)
        if unit is None or unit.silence == "gateway":
            return ExcCodes.GATEWAY_NO_RESPONSE
        if unit.silence == "silent":
            raise NoSuchIdException(f"unit {device_id} is offline")  # the server then sends nothing
        return unit

    async def async_getValues(self, device_id: int, func_code: int, address: int, count: int = 1) -> Any:
        unit = self._unit(device_id)
        return unit if isinstance(unit, ExcCodes) else unit.read(FUNCTION_TABLE[func_code], address, count)

    async def async_setValues(self, device_id: int, func_code: int, address: int, values: Any) -> ExcCodes | None:
        unit = self._unit(device_id)
        if isinstance(unit, ExcCodes):
            return unit
        return unit.write(FUNCTION_TABLE[func_code], address, list(values))


# -- the lamp simulator hook ---------------------------------------------------------------------------
class SimulatorLamps:
    """The lamp simulator as the cabinets see it: a lamp's power by its own schedule and state, and the
    switching/dimming a cabinet passes on to its lamps (they report it with their next message)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def lamp_power(self, dev_eui: str, t: float) -> float | None:
        controller = self.sim.city.lamps.get(dev_eui)
        if controller is None:
            return None
        on, dim = controller.scheduled(t)
        state = controller.state
        if not on:
            return 0.0
        if state.lamp_failure or state.driver_fault:
            return FAILED_DRIVER_W
        return controller.device.power_w * dim / 100

    def command(self, dev_euis: Iterable[str], on: bool | None, dim: int | None) -> None:
        for dev_eui in dev_euis:
            controller = self.sim.city.lamps.get(dev_eui)
            if controller is not None:
                controller.state.command(on=on, dim=dim)


# -- the city's gateways -------------------------------------------------------------------------------
Gateway = tuple[str, int]
#: Where to listen instead of a gateway's inventory address: a mapping, or a function (None: the address itself).
Bind = Mapping[Gateway, Gateway] | Callable[[Gateway], Gateway | None]
_RUNNING: list[ModbusCity] = []


class ModbusCity:
    """Every simulated gateway of a city, their units, and the faults applied to them."""

    def __init__(self, gateways: Mapping[Gateway, Mapping[int, SimUnit]], *,
                 cabinets: Mapping[str, CabinetModel] | None = None, bind: Bind | None = None,
                 ignored: list[str] | None = None) -> None:
        self.gateways = {gw: dict(units) for gw, units in gateways.items()}
        self.cabinets = {code.upper(): c for code, c in (cabinets or {}).items()}
        self.bind = bind if callable(bind) else dict(bind or {}).get  # gateway → address to listen on (or None)
        self.ignored = list(ignored or [])
        self.addresses: dict[Gateway, Gateway] = {}
        self.failed: dict[Gateway, str] = {}
        self.requests: Counter[tuple[Gateway, int]] = Counter()
        self._servers: dict[Gateway, ModbusTcpServer] = {}
        self._units_by_code: dict[str, tuple[Gateway, SimUnit]] = {
            code.upper(): (gw, unit) for gw, units in self.gateways.items() for unit in units.values()
            for code in unit.codes
        }
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def __len__(self) -> int:
        return sum(len(units) for units in self.gateways.values())

    # -- building from the inventory ----------------------------------------------------------------
    @classmethod
    def from_inventory(cls, engine: Engine, *, lamps: LampLink | None = None,
                       bind: Bind | None = None,
                       clock: Callable[[], float] = time.time) -> ModbusCity:
        """Every meter and cabinet of the inventory (not removed), at its inventory address."""
        with engine.connect() as conn:
            devices, ignored = modbus_devices(conn, statuses=None)
            circuits = _cabinet_circuits(conn)
            counters = _last_counters(conn)
            buildings = {row[0]: (row[1], row[2]) for row in conn.execute(text(
                "SELECT energy_meter_id, building_use, floor_area_m2 FROM assets "
                "WHERE kind = 'building' AND energy_meter_id IS NOT NULL AND status <> 'removed'"))}
        at: dict[str, dict[tuple[str, int, int], Any]] = {"energy_meter": {}, "cabinet": {}}
        for d in devices:
            at[d.kind].setdefault((d.endpoint.host, d.endpoint.port, d.endpoint.unit_id), d)
        units: dict[Gateway, dict[int, SimUnit]] = {}
        cabinets: dict[str, CabinetModel] = {}
        for host, port, unit_id in sorted({*at["energy_meter"], *at["cabinet"]}):
            meter, cabinet = at["energy_meter"].get((host, port, unit_id)), at["cabinet"].get((host, port, unit_id))
            model = None
            if cabinet is not None:
                model = cabinets[cabinet.code] = _cabinet_model(cabinet.code, circuits.get(cabinet.asset_id), lamps,
                                                               counters.get(cabinet.asset_id))
            unit = _unit(unit_id, meter, cabinet, model, buildings, clock, ignored)
            if unit is not None:
                units.setdefault((host, port), {})[unit_id] = unit
        return cls(units, cabinets=cabinets, bind=bind, ignored=ignored)

    # -- life cycle ---------------------------------------------------------------------------------
    async def start(self) -> dict[Gateway, Gateway]:
        """Listen on every gateway's address (or its ``bind`` replacement; port 0: any free one); the
        addresses actually listened on. A gateway that cannot listen is logged and left out."""
        for gw, units in self.gateways.items():
            address = self.bind(gw) or gw
            server = ModbusTcpServer(GatewayContext(units), address=address, ignore_missing_devices=True,
                                     trace_pdu=self._counter(gw))
            try:
                await server.serve_forever(background=True)
            except (RuntimeError, OSError) as exc:
                self.failed[gw] = f"cannot listen on {address[0]}:{address[1]}: {exc}"
                log.warning("modbus simulator: %s", self.failed[gw])
                continue
            sock = server.transport.sockets[0].getsockname()
            self._servers[gw] = server
            self.addresses[gw] = (address[0], sock[1])
        if self.gateways and not self._servers:
            raise SimulationError("no simulated Modbus gateway could listen: " + "; ".join(self.failed.values()))
        _RUNNING.append(self)
        log.info("modbus simulator: %d unit(s) on %d gateway(s) %s", len(self), len(self._servers),
                 ", ".join(f"{h}:{p}" for h, p in sorted(self.addresses.values())))
        return dict(self.addresses)

    def _counter(self, gw: Gateway) -> Callable[[bool, Any], Any]:
        def trace(sending: bool, pdu: Any) -> Any:
            if not sending:
                self.requests[(gw, pdu.dev_id)] += 1
            return pdu

        return trace

    async def stop(self) -> None:
        if self in _RUNNING:
            _RUNNING.remove(self)
        for server in self._servers.values():
            await server.shutdown()
        self._servers.clear()

    def start_in_thread(self, timeout: float = 30.0) -> dict[Gateway, Gateway]:
        """Run the servers on an event loop of their own, in a daemon thread; the addresses listened on."""
        ready = threading.Event()
        errors: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def main() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # reported to the starting thread
                errors.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=main, name="modbus-simulator", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise SimulationError(f"the Modbus simulator did not start within {timeout:g} s")
        if errors:
            raise errors[0]
        return dict(self.addresses)

    def stop_thread(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop = self._thread = None

    # -- look-ups and control -----------------------------------------------------------------------
    def endpoint(self, code: str) -> Endpoint:
        """Where the meter or cabinet ``code`` answers now (after ``bind``)."""
        gw, unit = self._unit(code)
        host, port = self.addresses.get(gw) or self.bind(gw) or gw
        return Endpoint(host, port, unit.unit_id)

    def _unit(self, code: str) -> tuple[Gateway, SimUnit]:
        try:
            return self._units_by_code[code.strip().upper()]
        except KeyError:
            raise SimulationError(f"{code}: no simulated Modbus meter or cabinet has this code") from None

    def has(self, code: str) -> bool:
        return code.strip().upper() in self._units_by_code

    def cabinet(self, code: str) -> CabinetModel:
        try:
            return self.cabinets[code.strip().upper()]
        except KeyError:
            raise SimulationError(f"{code}: not a simulated cabinet") from None

    def set_offline(self, code: str, mode: str | None = "silent") -> Endpoint:
        """Make the unit of meter/cabinet ``code`` stop answering (mode ``silent`` or ``gateway``), or answer
        again (None)."""
        if mode is not None and mode not in OFFLINE_MODES:
            raise SimulationError(f"offline mode {mode!r}: expected {' or '.join(OFFLINE_MODES)}")
        _gw, unit = self._unit(code)
        unit.offline = mode
        return self.endpoint(code)

    def set_link_down(self, asset_ids: frozenset[int], down: bool) -> int:
        """Cut off (or reconnect) the units of these assets (a fibre cut); how many units changed."""
        changed = 0
        for units in self.gateways.values():
            for unit in units.values():
                if unit.asset_ids & asset_ids and unit.link_down != down:
                    unit.link_down = down
                    changed += 1
        return changed

    def offline_codes(self) -> list[str]:
        return sorted({unit.codes[0] for _gw, unit in self._units_by_code.values() if unit.offline and unit.codes})

    def requests_to(self, code: str) -> int:
        """Requests received so far for the unit of ``code`` (answered or not)."""
        gw, unit = self._unit(code)
        return self.requests[(gw, unit.unit_id)]

    def status(self) -> dict[str, Any]:
        return {"gateways": len(self._servers), "units": len(self), "cabinets": len(self.cabinets),
                "tripped": sorted(c.code for c in self.cabinets.values() if c.tripped),
                "offline": self.offline_codes(), "failed": dict((f"{h}:{p}", r) for (h, p), r in self.failed.items()),
                "requests": sum(self.requests.values())}


def _cabinet_model(code: str, circuits: dict[int, list[Lamp]] | None, lamps: LampLink | None,
                   last_kwh: float | None = None) -> CabinetModel:
    """A cabinet's model; its energy counter goes on from the last one stored (a restart of the simulator, or
    ``citypilot demo history`` before it, is not a meter reset), else from a plausible age."""
    model = CabinetModel(code, circuits or {1: []}, lamps=lamps)
    lamps_w = sum(lamp.power_w for ls in model.circuits.values() for lamp in ls)
    model.energy_kwh = last_kwh if last_kwh is not None else initial_energy_kwh(code, lamps_w, HOURS_LIT_PER_YEAR)
    return model


_LAST_COUNTERS_SQL = text("""
    SELECT cab.id, last.value FROM assets cab
    CROSS JOIN LATERAL (SELECT t.value FROM telemetry t
                         WHERE t.asset_id = coalesce(cab.energy_meter_id, cab.id) AND t.value IS NOT NULL
                           AND t.metric_id = (SELECT id FROM live_metrics WHERE name = 'energy_total_kwh')
                         ORDER BY t.ts DESC LIMIT 1) AS last
    WHERE cab.kind = 'cabinet' AND cab.status <> 'removed'
""")


def _last_counters(conn: Any) -> dict[int, float]:
    """Per cabinet id: the last energy counter stored for it (its meter's, else its own)."""
    return {cabinet_id: float(value) for cabinet_id, value in conn.execute(_LAST_COUNTERS_SQL)}


def _unit(unit_id: int, meter: Any, cabinet: Any, model: CabinetModel | None,
          buildings: Mapping[int, tuple[str | None, float | None]], clock: Callable[[], float],
          ignored: list[str]) -> SimUnit | None:
    """The unit of a meter and/or a cabinet controller (None when no map of theirs can be used)."""
    sources: list[Source] = []
    meter_model = None
    if meter is not None:
        try:
            regmap = load_map(meter.map_name)
        except RegisterMapError as exc:
            ignored.append(f"energy_meter {meter.code}: {exc}")
        else:
            meter_model = _meter_model(meter.code, meter.map_name, model, buildings.get(meter.asset_id))
            sources.append(Source(regmap, meter_model.values))
    if model is not None:
        try:
            sources.append(Source(load_map(cabinet.map_name), _cabinet_values(model, meter_model), model.write))
        except RegisterMapError as exc:
            ignored.append(f"cabinet {cabinet.code}: {exc}")
    if not sources:
        return None
    present = [d for d in (meter, cabinet) if d is not None]
    return SimUnit(unit_id, sources, [d.code for d in present], clock, [d.asset_id for d in present])


def _meter_model(code: str, map_name: str, cabinet: CabinetModel | None,
                 building: tuple[str | None, float | None] | None) -> MeterModel:
    phases = PHASES.get(map_name, 3)
    if cabinet is not None:
        return MeterModel(code, phases, cabinet.power_w, energy=cabinet.energy, power_factor=0.96)
    load = BuildingLoad(code, *(building or (None, None)))
    meter = MeterModel(code, phases, load.power_w, power_factor=round(0.88 + 0.08 * unit_hash(code, "pf"), 3))
    meter.energy_kwh = initial_energy_kwh(code, load.power_w(0) * 1.6, 8760)
    return meter


def _cabinet_values(cabinet: CabinetModel, meter: MeterModel | None) -> Callable[[float], Values]:
    def values(t: float) -> Values:
        voltage = meter.voltage(t) if meter is not None else 230.0
        return cabinet.values(t, voltage)

    return values


_LAMPS_SQL = text("""
    SELECT cab.id, c.id, c.circuit_number, upper(l.dev_eui), coalesce(l.power_w, 0)
    FROM assets l
    JOIN assets p ON p.id = l.parent_id AND p.kind = 'pole'
    JOIN assets c ON c.id = p.parent_id AND c.kind = 'circuit'
    JOIN assets cab ON cab.id = c.parent_id AND cab.kind = 'cabinet'
    WHERE l.kind = 'luminaire' AND l.status <> 'removed'
    ORDER BY cab.id, c.circuit_number NULLS LAST, c.id, l.id
""")


def _cabinet_circuits(conn: Any) -> dict[int, dict[int, list[Lamp]]]:
    """Per cabinet id: circuit number (1..16; unnumbered circuits take the next free numbers) → lamps."""
    by_circuit: dict[int, dict[int, tuple[int | None, list[Lamp]]]] = {}
    for cabinet_id, circuit_id, number, dev_eui, power in conn.execute(_LAMPS_SQL):
        entry = by_circuit.setdefault(cabinet_id, {}).setdefault(circuit_id, (number, []))
        entry[1].append(Lamp(dev_eui, float(power)))
    out: dict[int, dict[int, list[Lamp]]] = {}
    for cabinet_id, circuits in by_circuit.items():
        numbered: dict[int, list[Lamp]] = {}
        spare = []
        for number, lamps in circuits.values():
            if number is not None and 1 <= number <= 16 and number not in numbered:
                numbered[number] = lamps
            else:
                spare.append(lamps)
        for lamps in spare:
            free = next((n for n in range(1, 17) if n not in numbered), 16)
            numbered.setdefault(free, []).extend(lamps)
        out[cabinet_id] = dict(sorted(numbered.items()))
    return out


# -- what faults and other engineers call --------------------------------------------------------------
def running() -> list[ModbusCity]:
    """The simulated Modbus cities running in this process."""
    return list(_RUNNING)


def _city_with(code: str) -> ModbusCity:
    for city in _RUNNING:
        if city.has(code):
            return city
    if not _RUNNING:
        raise SimulationError("no simulated Modbus gateway runs in this process (simulator started with --no-modbus?)")
    raise SimulationError(f"{code}: no simulated Modbus meter or cabinet has this code")


def trip_cabinet(code: str) -> str:
    """Trip the simulated cabinet ``code`` (its trip input reads 1, its load drops to 0); what was done."""
    cabinet = _city_with(code).cabinet(code)
    cabinet.tripped = True
    return f"{cabinet.code}: tripped (Modbus trip input 1, no load)"


def reset_cabinet(code: str) -> str:
    """Reset the simulated cabinet ``code`` after a trip; what was done."""
    cabinet = _city_with(code).cabinet(code)
    cabinet.tripped = False
    return f"{cabinet.code}: reset (trip input 0)"


@dataclass(frozen=True, slots=True)
class ModbusTarget:
    """What a Modbus fault names: a meter or cabinet by its code."""

    code: str
    family: str = "modbus"

    @property
    def key(self) -> str:
        return self.code


def _resolve_units(_fleet: Fleet, targets: list[str]) -> list[Any]:
    if [t.strip().lower() for t in targets] == ["all"]:
        return [ModbusTarget(code) for city in _RUNNING for code in city.offline_codes()]
    for target in targets:
        _city_with(target)
    return [ModbusTarget(t.strip().upper()) for t in targets]


@fault("meter-offline", "a Modbus meter's unit stops answering (a cabinet controller at the same unit too); "
       "params: mode silent (no answer, default) or gateway (exception 11)", ("modbus",), resolve=_resolve_units)
def meter_offline(sim: Simulator, targets: list[Any], params: dict[str, Any]) -> list[str]:
    mode = str(params.get("mode") or "silent")
    return [f"{t.code} ({_city_with(t.code).set_offline(t.code, mode)}): offline ({mode})" for t in targets]


@fault("meter-online", "a Modbus unit taken offline answers again ('all': every one)", ("modbus",),
       resolve=_resolve_units)
def meter_online(sim: Simulator, targets: list[Any], params: dict[str, Any]) -> list[str]:
    return [f"{t.code} ({_city_with(t.code).set_offline(t.code, None)}): answering again" for t in targets] or [
        "no Modbus unit was offline"]


def _on_cabinet_trip(_sim: Simulator, code: str, tripped: bool) -> None:
    """``cabinet-trip`` / ``cabinet-reset`` (faults_control): the Modbus cabinet's trip input follows."""
    for city in _RUNNING:
        if code.strip().upper() in city.cabinets:
            (trip_cabinet if tripped else reset_cabinet)(code)


def _on_link(_sim: Simulator, asset_ids: frozenset[int], down: bool) -> None:
    """``fibre-cut`` / ``fibre-repair`` (faults_control): the Modbus units cut off stop (resume) answering."""
    for city in _RUNNING:
        city.set_link_down(asset_ids, down)


CABINET_HOOKS.append(_on_cabinet_trip)
LINK_HOOKS.append(_on_link)
