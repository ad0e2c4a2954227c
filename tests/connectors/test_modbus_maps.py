"""Register maps against a real pymodbus TCP server whose memory the test fills itself: each value put at
the address the *document* gives (converted by the test, not by the map) with the documented encoding
(struct, not our codec) is read back through the map, and a value written through the map lands there;
a map that took the document's 1-based number as the wire address reads something else."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import struct
from typing import Any

import pytest
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from connectors.modbus import codec
from connectors.modbus.client import ModbusFailure, connect, make_client, read_map
from connectors.modbus.registers import Field, RegisterMap, RegisterMapError, load_map, map_names, parse_map

UNIT = 7
MAPS = ("sdm120", "sdm630", "iem3000", "citypilot-cabinet")
FC_READ = {"coil": 1, "discrete": 2, "holding": 3, "input": 4}
FMT = {"uint16": ">H", "int16": ">h", "uint32": ">I", "int32": ">i", "float32": ">f"}


# -- the test's own reading of the documents ------------------------------------------------------------
def wire_address(f: Field, regmap: RegisterMap) -> int:
    """The wire address the document means, worked out here: Modicon 30001 → 0; hex offsets as they are."""
    if regmap.style == "modicon":
        assert f.doc_address[0] == {"input": "3", "holding": "4", "coil": "0", "discrete": "1"}[f.table]
        return int(f.doc_address[1:]) - 1
    return int(f.doc_address, 16) - regmap.base


def words_of(f: Field, raw: float | int) -> list[int]:
    """The documented encoding, by struct: big-endian bytes, then the word order."""
    data = struct.pack(FMT[f.type], raw)
    words = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
    return words[::-1] if f.word_order == "little" else words


def sample(f: Field, i: int) -> float | int | bool:
    """A distinct device-side (raw) value per field."""
    if f.type == "bool":
        return i % 3 != 1
    if f.maximum is not None:  # within the range the device accepts
        low = int(f.minimum or 0)
        return low + (7 * i + 3) % (int(f.maximum) - low + 1)
    if f.type == "float32":
        return round(100.0 + 37.25 * i + 0.5, 2)
    return 1000 + 17 * i if f.type.startswith("uint") else -500 + 13 * i


def expected(f: Field, raw: float | int | bool) -> float | int | bool:
    return raw if f.type == "bool" else raw * f.scale


# -- a pymodbus server with the registers the test put there ------------------------------------------------
def memory(regmap: RegisterMap, values: dict[str, Any]) -> dict[str, dict[int, Any]]:
    """Per table: wire address → register word (or bit), from document addresses and struct encoding."""
    mem: dict[str, dict[int, Any]] = {t: {} for t in FC_READ}
    for f in regmap.fields:
        address = wire_address(f, regmap)
        if f.type == "bool":
            mem[f.table][address] = bool(values[f.name])
        else:
            for k, word in enumerate(words_of(f, values[f.name])):
                mem[f.table][address + k] = word
    return mem


def sim_device(mem: dict[str, dict[int, Any]]) -> SimDevice:
    """Non-shared blocks, zero-padded 4 registers (16 bits) around what the map uses, so that a shifted
    read gets other values rather than an error."""
    blocks = []
    for table in ("coil", "discrete", "holding", "input"):
        cells = mem[table]
        if not cells:
            blocks.append([SimData(0xF000, values=[False] * 16 if table in ("coil", "discrete") else [0],
                                   datatype=DataType.BITS if table in ("coil", "discrete") else DataType.REGISTERS)])
            continue
        if table in ("coil", "discrete"):
            start = (min(cells) // 16) * 16 - 16
            end = (max(cells) // 16) * 16 + 32
            blocks.append([SimData(start, values=[bool(cells.get(a, False)) for a in range(start, end)],
                                   datatype=DataType.BITS)])
        else:
            start, end = max(min(cells) - 4, 0), max(cells) + 5
            blocks.append([SimData(start, values=[int(cells.get(a, 0)) for a in range(start, end)],
                                   datatype=DataType.REGISTERS)])
    return SimDevice(UNIT, simdata=tuple(blocks))  # type: ignore[arg-type]


async def with_server(regmap: RegisterMap, values: dict[str, Any], action: Any) -> Any:
    server = ModbusTcpServer(sim_device(memory(regmap, values)), address=("127.0.0.1", 0))
    await server.serve_forever(background=True)
    port = server.transport.sockets[0].getsockname()[1]
    client = make_client("127.0.0.1", port, timeout=2.0)
    try:
        await connect(client)
        return await action(client, server)
    finally:
        client.close()
        await server.shutdown()


def raw_values(regmap: RegisterMap) -> dict[str, Any]:
    return {f.name: sample(f, i) for i, f in enumerate(regmap.fields)}


def read_through(regmap_on_server: RegisterMap, regmap_read: RegisterMap) -> tuple[dict[str, Any], dict[str, Any]]:
    values = raw_values(regmap_on_server)

    async def read(client: Any, _server: Any) -> dict[str, Any]:
        return await read_map(client, UNIT, regmap_read)

    return values, asyncio.run(with_server(regmap_on_server, values, read))


def matches(regmap: RegisterMap, raw: dict[str, Any], got: dict[str, Any]) -> bool:
    return all(got.get(f.name) == pytest.approx(expected(f, raw[f.name]), rel=1e-6) for f in regmap.fields)


# -- the maps ----------------------------------------------------------------------------------------------
def test_every_shipped_map_loads_and_states_its_addressing() -> None:
    assert set(MAPS) <= set(map_names())
    for name in MAPS:
        regmap = load_map(name)
        assert regmap.source["document"] and regmap.style in ("modicon", "offset") and regmap.base in (0, 1)
        for f in regmap.fields:
            assert f.address == wire_address(f, regmap), f.name
    sdm = load_map("sdm120")
    assert (sdm.style, sdm.base) == ("modicon", 1)
    assert {f.name: (f.doc_address, f.address) for f in sdm.fields if f.name in ("voltage_v", "energy_total_kwh")} == {
        "voltage_v": ("30001", 0x0000), "energy_total_kwh": ("30343", 0x0156)}
    facts = {"voltage_v": 0x0000, "current_a": 0x0006, "power_w": 0x000C, "power_factor": 0x001E,
             "frequency_hz": 0x0046, "energy_import_kwh": 0x0048, "energy_total_kwh": 0x0156}
    assert {name: sdm.field(name).address for name in facts} == facts  # the reference notes' addresses
    iem = load_map("iem3000")
    blocks = {"voltage_v": 0x5000, "frequency_hz": 0x5008, "current_a": 0x500A, "power_w": 0x5012,
              "energy_total_kwh": 0x6000}
    assert {name: iem.field(name).address for name in blocks} == blocks
    assert {f.table for f in iem.fields} == {"holding"} and {f.table for f in sdm.fields} == {"input"}


@pytest.mark.parametrize("name", MAPS)
def test_values_round_trip_at_the_documented_addresses(name: str) -> None:
    regmap = load_map(name)
    raw, got = read_through(regmap, regmap)
    for f in regmap.fields:
        assert got[f.name] == pytest.approx(expected(f, raw[f.name]), rel=1e-6), f"{name}.{f.name} at {f.doc_address}"


@pytest.mark.parametrize("name", MAPS)
def test_the_document_number_used_as_wire_address_reads_something_else(name: str) -> None:
    """The test distinguishes: the same map shifted by one register (Modicon 30001 taken as address 1, or a
    0-based hex address taken as 1-based) does not read the values back."""
    regmap = load_map(name)
    shifted = RegisterMap(regmap.name, regmap.title, regmap.source, regmap.style, regmap.base,
                          tuple(dataclasses.replace(f, address=f.address + 1) for f in regmap.fields),
                          regmap.interval_s, regmap.max_registers_per_read, regmap.read_across_gaps)
    try:
        raw, got = read_through(regmap, shifted)
    except ModbusFailure:
        return  # refused is a failure too
    assert not matches(regmap, raw, got)
    wrong = [f.name for f in regmap.fields if got[f.name] != pytest.approx(expected(f, raw[f.name]), rel=1e-6)]
    assert len(wrong) >= len(regmap.fields) // 2


def test_word_order_and_scale_on_the_wire() -> None:
    """Eastron float32 high word first; our cabinet's int32/uint32 low word first; iEM kW become W."""
    sdm, cabinet, iem = load_map("sdm630"), load_map("citypilot-cabinet"), load_map("iem3000")
    assert sdm.field("voltage_v").to_wire(230.0) == [0x4366, 0x0000]
    assert sdm.field("voltage_v").from_wire([0x4366, 0x0000]) == 230.0
    assert cabinet.field("power_w").to_wire(70000) == [0x1170, 0x0001]  # 0x00011170, low word first
    assert cabinet.field("power_w").from_wire([0x1170, 0x0001]) == 70000
    assert cabinet.field("energy_total_kwh").to_wire(1234.567) == [0xD687, 0x0012]  # 1 234 567 Wh
    assert iem.field("power_w").from_wire(words_of(iem.field("power_w"), 1.25)) == pytest.approx(1250.0)
    assert cabinet.field("voltage_v").to_wire(231.4) == [2314]


def test_iem3000_kilowatts_are_read_as_watts_from_the_server() -> None:
    iem = load_map("iem3000")
    values = {**raw_values(iem), "power_w": 0.0384, "power_l1_w": 12.5}

    async def read(client: Any, _server: Any) -> dict[str, Any]:
        return await read_map(client, UNIT, iem)

    got = asyncio.run(with_server(iem, values, read))
    assert got["power_w"] == pytest.approx(38.4) and got["power_l1_w"] == pytest.approx(12500.0)


@pytest.mark.parametrize("name", ["iem3000", "citypilot-cabinet"])  # the maps with writable tables
def test_values_written_through_the_map_land_at_the_documented_address(name: str) -> None:
    """The reverse: encode through the map, write at the map's address, then look at the server's memory
    where the document says, and decode it with struct."""
    regmap = load_map(name)
    fields = [f for f in regmap.fields if f.table in ("holding", "coil")]
    zeros = {f.name: False if f.type == "bool" else 0 for f in regmap.fields}
    wanted = {f.name: sample(f, i + 3) for i, f in enumerate(fields)}

    async def write_then_peek(client: Any, server: Any) -> dict[str, Any]:
        for f in fields:
            metric = expected(f, wanted[f.name])
            wire = f.to_wire(metric)
            if f.table == "coil":
                await client.write_coil(f.address, wire, device_id=UNIT)
            else:
                await client.write_registers(f.address, wire, device_id=UNIT)
        seen = {}
        for f in fields:
            cells = await server.context.async_getValues(UNIT, FC_READ[f.table], wire_address(f, regmap), f.size)
            if f.type == "bool":
                seen[f.name] = bool(cells[0])
            else:
                words = list(cells)[::-1] if f.word_order == "little" else list(cells)
                seen[f.name] = struct.unpack(FMT[f.type], b"".join(w.to_bytes(2, "big") for w in words))[0]
        return seen

    seen = asyncio.run(with_server(regmap, zeros, write_then_peek))
    for f in fields:
        assert seen[f.name] == pytest.approx(wanted[f.name], rel=1e-6), f"{name}.{f.name}"


# -- bad map files -----------------------------------------------------------------------------------------
def _document(**changes: Any) -> dict[str, Any]:
    document = json.loads(load_map("sdm120").path.read_text())
    for path, value in changes.items():
        target = document
        *parents, last = path.split("__")
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is None:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return document


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"fields__2__type": "flaot32"}, "fields[2].type", "'flaot32' is not one of"),
    ({"fields__0__address": 1}, "fields[0].address", "1 does not match doc_address 30001"),
    ({"fields__0__doc_address": "40001"}, "fields[0].doc_address",
     "numbers a holding register (first digit 4), but the field's table is input"),
    ({"fields__1__word_order": "middle"}, "fields[1].word_order", "expected big or little"),
    ({"source": None}, "source.document", "missing"),
    ({"document_addressing": None}, "document_addressing", "0- or 1-based"),
    ({"document_addressing__base": 0}, "document_addressing.base", "Modicon register numbers count from 1"),
    ({"fields__1__address": 1, "fields__1__doc_address": "30002"}, "current_a", "overlaps voltage_v"),
    ({"fields__0__writable": True}, "fields[0].writable", "cannot be written"),
])
def test_a_bad_map_names_the_field_and_the_reason(changes: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(RegisterMapError) as caught:
        parse_map(_document(**changes), "sdm120.json")
    messages = [f"{e.field}: {e.reason}" for e in caught.value.errors]
    assert any(m.startswith(f"sdm120.json: {field}") and reason in m for m in messages), messages


def test_an_unknown_map_lists_the_known_ones() -> None:
    with pytest.raises(RegisterMapError, match=r"no register map 'sdm999' .*sdm630"):
        load_map("sdm999")


# -- the codec ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("data_type", ["uint16", "int16", "uint32", "int32", "float32", "uint64", "int64", "float64"])
@pytest.mark.parametrize("word_order", ["big", "little"])
@pytest.mark.parametrize("byte_order", ["big", "little"])
def test_codec_round_trips(data_type: str, word_order: str, byte_order: str) -> None:
    value = {"uint16": 65535, "int16": -32768, "uint32": 4_000_000_000, "int32": -2_000_000_000,
             "float32": 1234.5, "uint64": 2**63 + 5, "int64": -(2**62), "float64": 0.1}[data_type]
    words = codec.encode(value, data_type, word_order, byte_order)
    assert len(words) == codec.register_count(data_type) and all(0 <= w <= 0xFFFF for w in words)
    assert codec.decode(words, data_type, word_order, byte_order) == value


def test_codec_orders_and_errors() -> None:
    assert codec.encode(0x11223344, "uint32") == [0x1122, 0x3344]
    assert codec.encode(0x11223344, "uint32", "little") == [0x3344, 0x1122]
    assert codec.encode(0x11223344, "uint32", "big", "little") == [0x2211, 0x4433]
    with pytest.raises(codec.CodecError, match="does not fit uint16"):
        codec.encode(70000, "uint16")
    with pytest.raises(codec.CodecError, match="not a whole number"):
        codec.encode(1.5, "int32")
    with pytest.raises(codec.CodecError, match="spans 2 register"):
        codec.decode([1], "float32")
