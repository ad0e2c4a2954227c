"""Talking to one Modbus TCP unit with pymodbus 3: read a register map, write a coil or a register,
and the cabinet functions the command service calls.

Every failure is a :class:`ModbusFailure` whose ``reason`` says what happened in words (no TCP
connection, no answer within the timeout, the gateway's "target device failed to respond", or the
device's refusal such as "illegal data address"); ``reachable`` tells a device that answered with a
refusal from one that did not answer at all.

Cabinets (map ``citypilot-cabinet``, see ``resources/registers/citypilot-cabinet.json``):

- :func:`switch_cabinet` ``(host, port, unit_id, on, circuit=None)`` closes or opens the contactor of
  one circuit (``circuit`` 1..16) or of every fitted circuit; the cabinet then holds it (forced mode)
  until :func:`set_cabinet_forced` ``(..., False)`` gives it back to its astronomical clock;
- :func:`dim_cabinet` ``(host, port, unit_id, level)`` writes the dimming level (0–100 %);
- :func:`read_cabinet` ``(host, port, unit_id)`` reads everything back as a :class:`CabinetState`.

Each writes, then reads the cabinet back and returns what it now reports (the caller verifies). They
are blocking (safe to call from any thread, even one running an event loop); ``*_async`` variants
exist for asyncio code. Each opens its own connection (a command is rare; the poller keeps its own).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from assets.errors import CityPilotError
from connectors.modbus.registers import ReadBlock, RegisterMap, Value, load_map

CABINET_MAP = "citypilot-cabinet"
DEFAULT_TIMEOUT_S = 2.0
READERS = {"coil": "read_coils", "discrete": "read_discrete_inputs", "input": "read_input_registers",
           "holding": "read_holding_registers"}
TABLE_WORDS = {"coil": "coils", "discrete": "discrete inputs", "input": "input registers",
               "holding": "holding registers"}
#: Modbus exception codes, as the specification names them.
EXCEPTIONS = {
    1: "illegal function", 2: "illegal data address", 3: "illegal data value", 4: "server device failure",
    5: "acknowledge", 6: "server device busy", 8: "memory parity error", 10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}
#: Exceptions a gateway sends for a unit that does not answer behind it: the unit is unreachable.
GATEWAY_EXCEPTIONS = (10, 11)
T = TypeVar("T")


class ModbusFailure(CityPilotError):
    """A Modbus exchange that failed; ``reachable`` is True when the device answered (with a refusal)."""

    def __init__(self, reason: str, *, reachable: bool = False, code: int | None = None) -> None:
        self.reason = reason
        self.reachable = reachable
        self.code = code
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A Modbus unit: TCP ``host:port`` (the gateway) and ``unit_id`` behind it."""

    host: str
    port: int
    unit_id: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port} unit {self.unit_id}"


# -- connections and requests ------------------------------------------------------------------------
def make_client(host: str, port: int, timeout: float = DEFAULT_TIMEOUT_S) -> AsyncModbusTcpClient:
    """An asyncio client that never retries or reconnects by itself (callers decide), and does not
    drop its connection after a few unanswered requests (one silent unit must not cut off its gateway)."""
    client = AsyncModbusTcpClient(host, port=port, timeout=timeout, retries=0, reconnect_delay=0,
                                  name=f"{host}:{port}")
    client.set_max_no_responses(1 << 30)
    return client


async def connect(client: AsyncModbusTcpClient) -> None:
    """Open the client's TCP connection; ModbusFailure when there is none."""
    params = client.comm_params
    if not await client.connect():
        raise ModbusFailure(f"no TCP connection to {params.host}:{params.port} (refused, or no answer within "
                            f"{params.timeout_connect:g} s)")


def describe(block: ReadBlock | tuple[str, int, int], unit_id: int) -> str:
    """``input registers 0x0000-0x0049 of unit 3``: what a request was about, for messages."""
    table, address, count = (block.table, block.address, block.count) if isinstance(block, ReadBlock) else block
    last = address + count - 1
    span = f"0x{address:04X}" if count == 1 else f"0x{address:04X}-0x{last:04X}"
    return f"{TABLE_WORDS[table]} {span} of unit {unit_id}"


async def request(client: AsyncModbusTcpClient, what: str, call: Coroutine[Any, Any, Any], timeout: float) -> Any:
    """Await one request's response; ModbusFailure for no answer or an exception response."""
    try:
        async with asyncio.timeout(timeout + 0.5):  # pymodbus times out first; this is a fence
            response = await call
    except TimeoutError:
        raise ModbusFailure(f"no answer within {timeout:g} s to a request for {what}") from None
    except ModbusException as exc:
        text = str(exc)
        if "No response" in text or "retries" in text:
            raise ModbusFailure(f"no answer within {timeout:g} s to a request for {what}") from None
        raise ModbusFailure(f"{what}: {text.removeprefix('Modbus Error: ').strip()}") from None
    except OSError as exc:
        raise ModbusFailure(f"{what}: connection lost ({exc})") from None
    if response.isError():
        code = getattr(response, "exception_code", None)
        name = EXCEPTIONS.get(code, f"exception {code}")
        unreachable = code in GATEWAY_EXCEPTIONS
        raise ModbusFailure(f"{what}: {'gateway says ' if unreachable else 'refused: '}{name} (Modbus exception "
                            f"{code})", reachable=not unreachable, code=code)
    return response


async def read_block(client: AsyncModbusTcpClient, unit_id: int, block: ReadBlock, timeout: float) -> list:
    """The raw registers (or bits) of one planned request."""
    method = getattr(client, READERS[block.table])
    response = await request(client, describe(block, unit_id),
                             method(block.address, count=block.count, device_id=unit_id), timeout)
    data = list(response.bits if block.table in ("coil", "discrete") else response.registers)
    if len(data) < block.count:
        raise ModbusFailure(f"{describe(block, unit_id)}: {len(data)} value(s) in the answer, "
                            f"{block.count} asked for", reachable=True)
    return data[:block.count]


async def read_map(client: AsyncModbusTcpClient, unit_id: int, regmap: RegisterMap,
                   tables: tuple[str, ...] | None = None, timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, Value]:
    """Every field of ``regmap`` (of ``tables``) read from ``unit_id``, as metric values."""
    values: dict[str, Value] = {}
    for block in regmap.read_plan(tables):
        values.update(block.values(await read_block(client, unit_id, block, timeout)))
    return values


async def write_field(client: AsyncModbusTcpClient, unit_id: int, regmap: RegisterMap, name: str,
                      value: Value | Sequence[Value], timeout: float = DEFAULT_TIMEOUT_S) -> None:
    """Write the metric ``value`` of field ``name`` (a list writes consecutive coils from it); ValueError
    when the field is not writable or the value out of range, ModbusFailure when the device refuses."""
    f = regmap.field(name)
    if not f.writable:
        raise ValueError(f"{regmap.name}.{name} is not writable")
    what = describe((f.table, f.address, len(value) if isinstance(value, list | tuple) else f.size), unit_id)
    if f.table == "coil":
        bits = [bool(v) for v in value] if isinstance(value, list | tuple) else [f.to_wire(value)]
        call = (client.write_coils(f.address, bits, device_id=unit_id) if len(bits) > 1
                else client.write_coil(f.address, bits[0], device_id=unit_id))
    else:
        words = f.to_wire(value)  # type: ignore[arg-type]
        call = (client.write_registers(f.address, words, device_id=unit_id) if len(words) > 1
                else client.write_register(f.address, words[0], device_id=unit_id))
    await request(client, "writing " + what, call, timeout)


# -- one-off reads -----------------------------------------------------------------------------------
async def read_unit_async(host: str, port: int, unit_id: int, model: str | RegisterMap,
                          timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, Value]:
    """Connect, read every field of the map ``model``, close."""
    regmap = model if isinstance(model, RegisterMap) else load_map(model)
    client = make_client(host, port, timeout)
    try:
        await connect(client)
        return await read_map(client, unit_id, regmap, timeout=timeout)
    finally:
        client.close()


def read_unit(host: str, port: int, unit_id: int, model: str | RegisterMap,
              timeout: float = DEFAULT_TIMEOUT_S) -> dict[str, Value]:
    """Blocking :func:`read_unit_async`."""
    return run_blocking(read_unit_async(host, port, unit_id, model, timeout))


# -- cabinets ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CabinetState:
    """What a cabinet controller reports: contactor per fitted circuit, dimming, mode, alarms, meter block."""

    circuits: dict[int, bool]
    dim_level: int
    forced: bool
    tripped: bool
    door_open: bool
    power_w: float
    energy_total_kwh: float
    voltage_v: float
    values: dict[str, Value] = field(default_factory=dict, repr=False)

    @classmethod
    def from_values(cls, values: Mapping[str, Value]) -> CabinetState:
        count = max(0, min(int(values.get("circuit_count", 16)), 16))
        return cls(
            circuits={n: bool(values[f"circuit_{n}_on"]) for n in range(1, count + 1) if f"circuit_{n}_on" in values},
            dim_level=int(values.get("dim_level", 100)), forced=bool(values.get("forced", 0)),
            tripped=bool(values.get("tripped", False)), door_open=bool(values.get("door_open", False)),
            power_w=float(values.get("power_w", 0.0)), energy_total_kwh=float(values.get("energy_total_kwh", 0.0)),
            voltage_v=float(values.get("voltage_v", 0.0)), values=dict(values),
        )

    @property
    def lit(self) -> bool:
        """Some circuit closed and the breaker not tripped."""
        return not self.tripped and any(self.circuits.values())


async def _cabinet_session(host: str, port: int, unit_id: int, timeout: float, write: Any = None) -> CabinetState:
    regmap = load_map(CABINET_MAP)
    client = make_client(host, port, timeout)
    try:
        await connect(client)
        if write is not None:
            await write(client, regmap)
        return CabinetState.from_values(await read_map(client, unit_id, regmap, timeout=timeout))
    finally:
        client.close()


async def read_cabinet_async(host: str, port: int, unit_id: int, *, timeout: float = DEFAULT_TIMEOUT_S) -> CabinetState:
    """Everything the cabinet reports."""
    return await _cabinet_session(host, port, unit_id, timeout)


async def switch_cabinet_async(host: str, port: int, unit_id: int, on: bool, circuit: int | None = None, *,
                               timeout: float = DEFAULT_TIMEOUT_S) -> CabinetState:
    """Close (``on``) or open the contactor of ``circuit`` (1..16), or of every fitted circuit; the state after."""
    if circuit is not None and (isinstance(circuit, bool) or not 1 <= circuit <= 16):
        raise ValueError(f"circuit {circuit!r}: a cabinet has circuits 1 to 16")

    async def write(client: AsyncModbusTcpClient, regmap: RegisterMap) -> None:
        count_field = regmap.field("circuit_count")
        count = int((await read_block(client, unit_id, _single(count_field), timeout))[0])
        if circuit is None:
            await write_field(client, unit_id, regmap, "circuit_1_on", [bool(on)] * max(count, 1), timeout)
        elif circuit > count:
            raise ValueError(f"circuit {circuit}: the cabinet at {host}:{port} unit {unit_id} has {count} circuit(s)")
        else:
            await write_field(client, unit_id, regmap, f"circuit_{circuit}_on", bool(on), timeout)

    return await _cabinet_session(host, port, unit_id, timeout, write)


async def dim_cabinet_async(host: str, port: int, unit_id: int, level: int, *,
                            timeout: float = DEFAULT_TIMEOUT_S) -> CabinetState:
    """Set the cabinet's dimming level (0–100 %); the state after."""
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 <= level <= 100:
        raise ValueError(f"dimming level {level!r}: expected 0 to 100 (%)")

    async def write(client: AsyncModbusTcpClient, regmap: RegisterMap) -> None:
        await write_field(client, unit_id, regmap, "dim_level", level, timeout)

    return await _cabinet_session(host, port, unit_id, timeout, write)


async def set_cabinet_forced_async(host: str, port: int, unit_id: int, forced: bool, *,
                                   timeout: float = DEFAULT_TIMEOUT_S) -> CabinetState:
    """``forced=False`` gives the contactors back to the cabinet's astronomical clock; the state after."""

    async def write(client: AsyncModbusTcpClient, regmap: RegisterMap) -> None:
        await write_field(client, unit_id, regmap, "forced", int(bool(forced)), timeout)

    return await _cabinet_session(host, port, unit_id, timeout, write)


def read_cabinet(host: str, port: int, unit_id: int, *, timeout: float = DEFAULT_TIMEOUT_S) -> CabinetState:
    """Blocking :func:`read_cabinet_async`."""
    return run_blocking(read_cabinet_async(host, port, unit_id, timeout=timeout))


def switch_cabinet(host: str, port: int, unit_id: int, on: bool, circuit: int | None = None, *,
                   timeout: float = DEFAULT_TIMEOUT_S) -> CabinetState:
    """Blocking :func:`switch_cabinet_async`."""
    return run_blocking(switch_cabinet_async(host, port, unit_id, on, circuit, timeout=timeout))


def dim_cabinet(host: str, port: int, unit_id: int, level: int, *, timeout: float = DEFAULT_TIMEOUT_S) -> CabinetState:
    """Blocking :func:`dim_cabinet_async`."""
    return run_blocking(dim_cabinet_async(host, port, unit_id, level, timeout=timeout))


def set_cabinet_forced(host: str, port: int, unit_id: int, forced: bool, *,
                       timeout: float = DEFAULT_TIMEOUT_S) -> CabinetState:
    """Blocking :func:`set_cabinet_forced_async`."""
    return run_blocking(set_cabinet_forced_async(host, port, unit_id, forced, timeout=timeout))


def _single(f: Any) -> ReadBlock:
    return ReadBlock(f.table, f.address, f.size, (f,))


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end from synchronous code (in a helper thread when this one runs a loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
