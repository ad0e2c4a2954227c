"""The Modbus poller against the simulated gateways (real pymodbus TCP servers) and the test database:
readings land in the history and the live state through the LiveWriter; a unit that stops answering
becomes unreachable after the configured failures, with back-off and the reason, then ok again; cabinets
obey contactor and dimming writes; the simulator serves the demo city's meters; the connector's check
talks to the real device."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text

from app.cli import build_cli, modbus_cmd
from assets.db import unit_of_work
from assets.live.devices import DeviceDirectory
from assets.live.records import Reading
from assets.live.writer import LiveWriter
from assets.stats import inventory_stats
from assets.store import create_asset
from connectors.base import ConfigError, Delivery, DeviceCommand, Route
from connectors.modbus.client import (
    Endpoint,
    ModbusFailure,
    connect,
    dim_cabinet,
    make_client,
    read_cabinet,
    read_unit,
    set_cabinet_forced,
    switch_cabinet,
)
from connectors.modbus.inventory import ModbusDevice, cabinet_endpoint, modbus_devices
from connectors.modbus.livesink import MemorySink, WriterSink
from connectors.modbus.poller import Poller, PollOptions, build_devices
from connectors.modbus.registers import load_map
from connectors.modbus.service import inventory_poller
from connectors.registry import build, connector_class
from connectors.simulators.faults import FAULTS
from connectors.simulators.faults_control import CABINET_HOOKS, LINK_HOOKS
from connectors.simulators.fleet_model import load_fleet
from connectors.simulators.modbus_loads import CabinetModel, Lamp, MeterModel
from connectors.simulators.modbus_servers import (
    ModbusCity,
    SimulatorLamps,
    SimUnit,
    Source,
    reset_cabinet,
    trip_cabinet,
)
from connectors.simulators.runner import SimOptions, Simulator
from connectors.simulators.sun import is_night
from tests.assets.helpers import MINIMAL, near

HOST = "127.0.0.1"


# -- helpers -----------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], Any], timeout: float, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


@contextlib.contextmanager
def running(city: ModbusCity) -> Iterator[ModbusCity]:
    city.start_in_thread()
    try:
        yield city
    finally:
        city.stop_thread()


@contextlib.contextmanager
def polling(poller: Poller) -> Iterator[asyncio.AbstractEventLoop]:
    """``poller.run`` on its own event loop in a thread (yielded), stopped on exit."""
    holder: dict[str, Any] = {}
    started = threading.Event()

    async def main() -> None:
        holder["stop"], holder["loop"] = asyncio.Event(), asyncio.get_running_loop()
        started.set()
        await poller.run(holder["stop"])

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    started.wait(5)
    try:
        yield holder["loop"]
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(10)


def poll_once(poller: Poller) -> float:
    async def go() -> float:
        try:
            return await poller.poll_once()
        finally:
            await poller.close()

    return asyncio.run(go())


def live(engine: Engine, asset_id: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(text("SELECT state, state_since, last_seen, expected_interval_s, values, source "
                                 "FROM live_state WHERE asset_id = :id"), {"id": asset_id}).first()


@dataclass(frozen=True)
class Site:
    port: int
    iem: int
    sdm630: int
    sdm120: int
    cabinet: int


def make_site(engine: Engine, actor: int, port: int) -> Site:
    """Three meters behind one gateway (iEM3000 unit 1 feeding cabinet ARM-T1, SDM630 unit 2, SDM120 unit 3
    read every 30 s), the cabinet with two circuits: 2 × 40 W and 1 × 60 W."""
    with unit_of_work(engine, actor) as session:
        def make(kind: str, dx: float, **values: Any) -> int:
            record = {**MINIMAL[kind], **values}
            if kind != "circuit":
                record["geom"] = near(dx)
            return create_asset(session, kind, record).id

        gateway = {"modbus_host": HOST, "modbus_port": port}
        iem = make("energy_meter", 0, code="CPT-T1", meter_model="iem3000", unit_id=1, **gateway)
        sdm630 = make("energy_meter", 5, code="CPT-T2", meter_model="sdm630", unit_id=2, **gateway)
        sdm120 = make("energy_meter", 9, code="CPT-T3", meter_model="sdm120", unit_id=3, attrs={"poll_interval_s": 30},
                      **gateway)
        cabinet = make("cabinet", 1, code="ARM-T1", energy_meter_id=iem)
        for number, lamps in ((1, (40, 40)), (2, (60,))):
            circuit = make("circuit", 0, code=f"DEP-T{number}", parent_id=cabinet, circuit_number=number)
            for k, watts in enumerate(lamps):
                pole = make("pole", 20 * number + 3 * k, code=f"SUP-T{number}{k}", parent_id=circuit)
                make("luminaire", 20 * number + 3 * k, code=f"LUM-T{number}{k}", parent_id=pole, power_w=watts)
    return Site(port, iem, sdm630, sdm120, cabinet)


class FakeLamps:
    """A lamp simulator stand-in: no lamp of its own (the cabinet's schedule rules), records commands."""

    def __init__(self) -> None:
        self.commands: list[tuple[list[str], bool | None, int | None]] = []

    def lamp_power(self, dev_eui: str, t: float) -> float | None:
        return None

    def command(self, dev_euis: Any, on: bool | None, dim: int | None) -> None:
        self.commands.append((sorted(dev_euis), on, dim))


def one_cabinet(lamps: Any = None) -> tuple[ModbusCity, CabinetModel]:
    """Unit 5 of a gateway on a free port: an SDM630 and cabinet ARM-W1 (2 × 40 W on circuit 1, 100 W on 2)."""
    cabinet = CabinetModel("ARM-W1", {1: [Lamp("EUI1", 40.0), Lamp("EUI2", 40.0)], 2: [Lamp(None, 100.0)]},
                           lamps=lamps)
    meter = MeterModel("CPT-W1", 3, cabinet.power_w, energy=cabinet.energy)
    unit = SimUnit(5, [Source(load_map("sdm630"), meter.values),
                       Source(load_map("citypilot-cabinet"), lambda t: cabinet.values(t, meter.voltage(t)),
                              cabinet.write)], ["CPT-W1", "ARM-W1"], asset_ids=[101, 102])
    city = ModbusCity({(HOST, 1): {5: unit}}, cabinets={"ARM-W1": cabinet}, bind=lambda gw: (HOST, 0))
    return city, cabinet


# -- readings into the live state and the history --------------------------------------------------------
def test_readings_land_in_telemetry_and_live_state(engine: Engine, db_url: str, planner_id: int) -> None:
    site = make_site(engine, planner_id, free_port())
    with running(ModbusCity.from_inventory(engine)) as city:
        assert city.endpoint("ARM-T1") == city.endpoint("CPT-T1")  # the cabinet answers at its meter's unit
        switch_cabinet(HOST, site.port, 1, True)  # forced on: its lamps burn whatever the hour
        writer = LiveWriter(db_url, client="modbus")
        poller, problems = inventory_poller(engine, WriterSink(writer), PollOptions(timeout_s=1.0))
        assert problems == [] and len(poller.devices) == 4
        poll_once(poller)

        rows = {a: live(engine, a) for a in (site.iem, site.sdm630, site.sdm120, site.cabinet)}
        assert {a: (r.state, r.source) for a, r in rows.items()} == {a: ("ok", "modbus") for a in rows}
        assert [rows[a].expected_interval_s for a in (site.iem, site.sdm630, site.sdm120, site.cabinet)] == [
            60, 60, 30, 15]
        iem, cab = rows[site.iem].values, rows[site.cabinet].values
        assert iem["power_w"] == pytest.approx(140.0) and cab["power_w"] == 140  # kW on the wire, W stored
        assert 225 < iem["voltage_v"] < 240 and iem["frequency_hz"] == pytest.approx(50, abs=0.1)
        assert {k: cab[k] for k in ("circuit_1_on", "circuit_2_on", "tripped", "dim_level", "forced")} == {
            "circuit_1_on": True, "circuit_2_on": True, "tripped": False, "dim_level": 100, "forced": 1}
        assert "circuit_3_on" not in cab  # two circuits fitted
        with engine.connect() as conn:
            stored = conn.execute(text(
                "SELECT t.value FROM telemetry t JOIN live_metrics m ON m.id = t.metric_id "
                "WHERE t.asset_id = :a AND m.name = 'power_w'"), {"a": site.iem}).scalars().all()
            counted = conn.execute(text("SELECT messages FROM ingest_counts WHERE client = 'modbus'")).scalar()
        assert stored == [pytest.approx(140.0)] and counted == 4
        with unit_of_work(engine, None) as session:
            figures = inventory_stats(session)["modbus"]
        assert (figures["meters"], figures["meters_reporting"], figures["cabinets_reporting"]) == (3, 3, 1)

        trip_cabinet("ARM-T1")
        poller, _ = inventory_poller(engine, WriterSink(writer), PollOptions(timeout_s=1.0), codes=["ARM-T1", "CPT-T1"])
        poll_once(poller)
        assert live(engine, site.cabinet).state == "fault" and live(engine, site.cabinet).values["tripped"] is True
        assert live(engine, site.iem).values["power_w"] == 0
        writer.close()
    with engine.connect() as conn:
        assert cabinet_endpoint(conn, site.cabinet) == city.endpoint("ARM-T1")


def test_a_restarted_simulator_goes_on_from_the_last_stored_counter(engine: Engine, db_url: str,
                                                                    planner_id: int) -> None:
    site = make_site(engine, planner_id, free_port())
    fresh = ModbusCity.from_inventory(engine, bind=lambda gw: (HOST, 0)).cabinets["ARM-T1"].energy_kwh
    with LiveWriter(db_url, client="modbus") as writer:  # what the poller stored before the restart (or demo history)
        writer.write([Reading(site.iem, dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
                              {"energy_total_kwh": fresh + 1234.5}, source="modbus")])
    again = ModbusCity.from_inventory(engine, bind=lambda gw: (HOST, 0)).cabinets["ARM-T1"]
    assert again.energy_kwh == pytest.approx(fresh + 1234.5)  # not a meter reset


# -- unreachable ---------------------------------------------------------------------------------------------
def test_a_silent_meter_becomes_unreachable_with_backoff_then_ok_again(
    engine: Engine, db_url: str, planner_id: int
) -> None:
    port = free_port()
    with unit_of_work(engine, planner_id) as session:
        meter = create_asset(session, "energy_meter", {**MINIMAL["energy_meter"], "geom": near(), "code": "CPT-U1",
                                                       "modbus_host": HOST, "modbus_port": port, "unit_id": 4,
                                                       "attrs": {"poll_interval_s": 0.2}}).id
    writer = LiveWriter(db_url, client="modbus")
    options = PollOptions(timeout_s=0.2, unreachable_after=3, backoff_max_s=1.6, flush_s=0.05)
    poller, _ = inventory_poller(engine, WriterSink(writer), options)
    with running(ModbusCity.from_inventory(engine)) as city, polling(poller):
        assert wait_until(lambda: (live(engine, meter) or (None,))[0] == "ok", 3)
        heard = live(engine, meter).last_seen

        city.set_offline("CPT-U1")  # no answer at all
        before, t0 = city.requests_to("CPT-U1"), time.monotonic()
        assert wait_until(lambda: live(engine, meter).state == "unreachable", 4)
        assert city.requests_to("CPT-U1") - before == 3  # unreachable after the 3rd failure, not before
        time.sleep(2.6)
        window, attempts = time.monotonic() - t0, city.requests_to("CPT-U1") - before
        # every 0.4 s (interval + timeout) without back-off; 0.2, 0.4, 0.8, 1.6 s apart with it
        assert 4 <= attempts <= 5 and attempts < window / 0.4 * 0.6, (attempts, window)
        row = live(engine, meter)
        assert row.last_seen == heard  # marking it unreachable is not hearing from it
        with engine.connect() as conn:
            event = conn.execute(text("SELECT detail FROM device_events WHERE asset_id = :a AND name = 'unreachable'"),
                                 {"a": meter}).scalar_one()
        assert "no answer within 0.2 s" in event["reason"] and event["failures"] == 3
        assert f"{HOST}:{port} unit 4" in event["endpoint"]
        with unit_of_work(engine, None) as session:
            assert inventory_stats(session)["modbus"]["meters_unreachable"] == 1

        city.set_offline("CPT-U1", None)
        assert wait_until(lambda: live(engine, meter).state == "ok", 1.6 + 1.5)
        assert live(engine, meter).last_seen > heard
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM device_events WHERE asset_id = :a AND name = 'reachable'"),
                                {"a": meter}).scalar_one() == 1
    writer.close()


def test_gateway_answers_for_an_offline_unit_and_a_closed_port_is_unreachable() -> None:
    city, _cabinet = one_cabinet()
    with running(city):
        endpoint = city.endpoint("CPT-W1")
        city.set_offline("CPT-W1", "gateway")
        with pytest.raises(ModbusFailure, match="gateway target device failed to respond") as caught:
            read_unit(endpoint.host, endpoint.port, 5, "sdm630", timeout=0.5)
        assert not caught.value.reachable
        with pytest.raises(ModbusFailure, match="gateway target device failed to respond"):
            read_unit(endpoint.host, endpoint.port, 77, "sdm630", timeout=0.5)  # a unit the gateway does not have

    port = free_port()
    devices, _ = modbus_devices_for([("CPT-Z1", port)])
    sink = MemorySink()
    poller = Poller(devices, sink, PollOptions(timeout_s=0.2, unreachable_after=2))

    async def twice() -> None:
        await poller.poll_once()
        await poller.poll_once()
        await poller.close()

    asyncio.run(twice())
    assert poller.stats.polls == 2 and poller.stats.attempts == 1  # the gateway is in back-off: no 2nd connection
    assert [m.code for m in sink.marks] == ["CPT-Z1"]
    assert sink.marks[0].reason.startswith(f"no TCP connection to {HOST}:{port}")


def modbus_devices_for(codes_ports: list[tuple[str, int]]) -> tuple[list, list]:
    return build_devices([ModbusDevice(i + 1, "energy_meter", code, Endpoint(HOST, port, 1), "sdm630")
                          for i, (code, port) in enumerate(codes_ports)])


def test_the_poller_takes_inventory_changes() -> None:
    city, _cabinet = one_cabinet()
    with running(city):
        ep = city.endpoint("CPT-W1")
        meter = ModbusDevice(1, "energy_meter", "CPT-W1", ep, "sdm630", 0.2)
        cabinet = ModbusDevice(2, "cabinet", "ARM-W1", ep, "citypilot-cabinet")
        sink = MemorySink()
        poller = Poller(build_devices([meter])[0], sink, PollOptions(timeout_s=0.5, flush_s=0.05, interval_s=0.2))
        with polling(poller) as loop:
            assert wait_until(lambda: sink.readings, 2)

            def update(devices: list[ModbusDevice]) -> tuple[int, int]:
                async def on_the_loop() -> tuple[int, int]:
                    return poller.update(build_devices(devices)[0])

                return asyncio.run_coroutine_threadsafe(on_the_loop(), loop).result(2)

            assert update([meter, cabinet]) == (1, 0)
            assert wait_until(lambda: any(r.asset_id == 2 for r in sink.readings), 2)
            assert update([cabinet]) == (0, 1)
            time.sleep(0.3)
            count = sum(r.asset_id == 1 for r in sink.readings)
            time.sleep(0.6)
            assert sum(r.asset_id == 1 for r in sink.readings) == count  # the meter left: no longer read
            assert sum(r.asset_id == 2 for r in sink.readings) >= 3  # every 0.2 s (PollOptions.interval_s)


# -- cabinets ------------------------------------------------------------------------------------------------
def test_cabinet_obeys_contactor_and_dimming_writes() -> None:
    lamps = FakeLamps()
    city, cabinet = one_cabinet(lamps)
    with running(city):
        ep = city.endpoint("ARM-W1")
        night = is_night(time.time())
        state = read_cabinet(ep.host, ep.port, ep.unit_id)
        assert state.circuits == {1: night, 2: night} and not state.forced and state.dim_level == 100

        state = switch_cabinet(ep.host, ep.port, ep.unit_id, True)
        assert state.circuits == {1: True, 2: True} and state.forced and state.power_w == 180
        assert read_unit(ep.host, ep.port, ep.unit_id, "sdm630")["power_w"] == pytest.approx(180)  # its meter too
        assert lamps.commands[-1] == (["EUI1", "EUI2"], True, None)  # the lamps are told

        state = switch_cabinet(ep.host, ep.port, ep.unit_id, False, circuit=2)
        assert state.circuits == {1: True, 2: False} and state.power_w == 80
        state = dim_cabinet(ep.host, ep.port, ep.unit_id, 50)
        assert state.dim_level == 50 and state.power_w == 40 and lamps.commands[-1] == (["EUI1", "EUI2"], True, 50)
        state = set_cabinet_forced(ep.host, ep.port, ep.unit_id, False)
        assert not state.forced and state.circuits == {1: night, 2: night}
        assert lamps.commands[-1] == (["EUI1", "EUI2"], None, 50)  # back to their schedule, still dimmed

        with pytest.raises(ValueError, match="has 2 circuit"):
            switch_cabinet(ep.host, ep.port, ep.unit_id, True, circuit=3)
        with pytest.raises(ValueError, match="0 to 100"):
            dim_cabinet(ep.host, ep.port, ep.unit_id, 150)

        async def raw_writes() -> list[str]:
            client = make_client(ep.host, ep.port, 1.0)
            await connect(client)
            out = []
            for address, value in ((0x1000, 150), (0x1005, 1)):  # dimming out of range; not a register
                response = await client.write_register(address, value, device_id=ep.unit_id)
                out.append(getattr(response, "exception_code", None))
            client.close()
            return out

        assert asyncio.run(raw_writes()) == [3, 2]  # illegal data value, illegal data address
        assert cabinet.dim_level == 50

        assert "tripped" in trip_cabinet("arm-w1")
        state = read_cabinet(ep.host, ep.port, ep.unit_id)
        assert state.tripped and state.power_w == 0 and not state.lit
        reset_cabinet("ARM-W1")
        assert not read_cabinet(ep.host, ep.port, ep.unit_id).tripped

        for hook in CABINET_HOOKS:  # the alarm engineer's cabinet-trip fault
            hook(None, "ARM-W1", True)  # type: ignore[arg-type]
        assert read_cabinet(ep.host, ep.port, ep.unit_id).tripped
        for hook in CABINET_HOOKS:
            hook(None, "ARM-W1", False)  # type: ignore[arg-type]
        for hook in LINK_HOOKS:  # a fibre cut cuts the unit off
            hook(None, frozenset({102, 999}), True)  # type: ignore[arg-type]
        with pytest.raises(ModbusFailure, match="no answer"):
            read_cabinet(ep.host, ep.port, ep.unit_id, timeout=0.3)
        for hook in LINK_HOOKS:
            hook(None, frozenset({102}), False)  # type: ignore[arg-type]
        assert not read_cabinet(ep.host, ep.port, ep.unit_id).tripped

        spec = FAULTS["meter-offline"]  # the simulator's fault, as `citypilot simulate inject` applies it
        spec.action(None, spec.resolve(None, ["CPT-W1"]), {"mode": "gateway"})  # type: ignore[arg-type,misc]
        with pytest.raises(ModbusFailure, match="exception 11"):
            read_cabinet(ep.host, ep.port, ep.unit_id, timeout=0.5)
        back = FAULTS["meter-online"]
        assert back.action(None, back.resolve(None, ["all"]), {})  # type: ignore[arg-type,misc]
        assert read_cabinet(ep.host, ep.port, ep.unit_id).dim_level == 50


def test_cabinet_switching_reaches_the_simulated_lamps(engine: Engine, planner_id: int) -> None:
    """With the lamp simulator linked, the cabinet's load is its lamps' own, and switching or dimming the
    cabinet switches and dims them (they report it with their next message)."""
    site = make_site(engine, planner_id, free_port())
    with engine.begin() as conn:
        conn.execute(text("UPDATE assets SET dev_eui = '70B3D59BA00010' || lpad(id::text, 2, '0') "
                          "WHERE kind = 'luminaire' AND parent_id IN (SELECT id FROM assets WHERE code = 'SUP-T10')"))
    sim = Simulator(load_fleet(engine), None, f"mqtt://u:p@{HOST}:1", options=SimOptions(shared_account=True))
    (lamp,) = sim.fleet.lamps
    controller = sim.city.lamps[lamp.dev_eui]
    with running(ModbusCity.from_inventory(engine, lamps=SimulatorLamps(sim))):
        state = switch_cabinet(HOST, site.port, 1, False, circuit=1)
        assert state.circuits[1] is False and controller.state.command_on is False
        state = switch_cabinet(HOST, site.port, 1, True)
        assert controller.state.command_on is True and state.power_w == 140  # the linked lamp draws its 40 W
        controller.state.lamp_failure = True
        assert read_cabinet(HOST, site.port, 1).power_w == 101  # 40 + 60 + the failed driver's 0.8 W, in whole W
        state = dim_cabinet(HOST, site.port, 1, 30)
        assert controller.state.command_dim == 30
        assert controller.values_at(time.time())["dim_level"] == 30 and controller.values_at(time.time())["lamp_on"]


# -- the demo city -------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_simulator_serves_the_demo_city_meters(demo_engine: Engine) -> None:
    city = ModbusCity.from_inventory(demo_engine, bind=lambda gw: (HOST, 0))
    with demo_engine.connect() as conn:
        meters = conn.execute(text("SELECT count(*) FROM assets WHERE kind = 'energy_meter'")).scalar_one()
        cabinets = conn.execute(text("SELECT count(*) FROM assets WHERE kind = 'cabinet' AND energy_meter_id "
                                     "IS NOT NULL")).scalar_one()
        picks = conn.execute(text(
            "SELECT DISTINCT ON (meter_model) code, meter_model FROM assets WHERE kind = 'energy_meter' "
            "ORDER BY meter_model, id")).all()
        cabinet, circuits = conn.execute(text(
            "SELECT c.code, count(k.id) FROM assets c JOIN assets k ON k.parent_id = c.id AND k.kind = 'circuit' "
            "WHERE c.kind = 'cabinet' GROUP BY c.id, c.code ORDER BY c.id LIMIT 1")).one()
        devices, problems = modbus_devices(conn, codes=[cabinet, *(code for code, _ in picks)])
    assert (len(city), len(city.cabinets), city.ignored) == (meters, cabinets, [])
    assert {model for _, model in picks} == {"sdm120", "sdm630", "iem3000"} and meters == 1195
    with running(city):
        assert len(city.addresses) == 10
        for code, model in picks:
            ep = city.endpoint(code)
            values = read_unit(ep.host, ep.port, ep.unit_id, model)
            assert 225 < values["voltage_v"] < 240 and values["energy_total_kwh"] > 0, (code, values)
            assert values["frequency_hz"] == pytest.approx(50, abs=0.1)
        ep = city.endpoint(cabinet)
        state = read_cabinet(ep.host, ep.port, ep.unit_id)
        assert len(state.circuits) == circuits
        moved = [dataclasses.replace(d, endpoint=city.endpoint(d.code)) for d in devices]
        polled, more = build_devices(moved)
        sink = MemorySink()
        poll_once(Poller(polled, sink, PollOptions(timeout_s=1.0)))
        assert more == problems == [] and {r.asset_id for r in sink.readings} == {d.asset_id for d in devices}


# -- the connector and the command line ----------------------------------------------------------------------
def test_connector_check_talks_to_the_real_device() -> None:
    city, _cabinet = one_cabinet()
    modbus = connector_class("modbus")
    with running(city):
        ep = city.endpoint("CPT-W1")
        good = {"host": ep.host, "port": ep.port, "unit_id": 5, "model": "sdm630", "timeout_s": 0.5}
        assert modbus.check_config(good)["unreachable_after"] == 3
        assert modbus.check_config({**good, "model": "citypilot-cabinet"})["model"] == "citypilot-cabinet"
        for change, field in (({"model": "iem3000"}, "model"), ({"unit_id": 99}, "unit_id"),
                              ({"port": free_port()}, "host"), ({"host": ""}, "host"), ({"model": "nope"}, "model"),
                              ({"port": 0}, "port")):
            with pytest.raises(ConfigError) as caught:
                modbus.check_config({**good, **change})
            assert caught.value.errors[0].field == field, (change, caught.value)


def test_the_connector_polls_its_gateway_into_the_ingest(engine: Engine, planner_id: int) -> None:
    site = make_site(engine, planner_id, free_port())
    received: queue.Queue[Delivery] = queue.Queue()
    with running(ModbusCity.from_inventory(engine)):
        connector = build("modbus", {"host": HOST, "port": site.port, "unit_id": 1, "model": "iem3000"},
                          devices=DeviceDirectory(engine))
        thread = threading.Thread(target=connector.run, args=(SimpleNamespace(put=received.put),), daemon=True)
        thread.start()
        first = received.get(timeout=5)  # the first device is read at once, the others spread over 15-60 s
        connector.stop()
        thread.join(5)
    assert not thread.is_alive() and first.topic.startswith("modbus/")
    (reading,) = connector.parse(first)
    assert reading.asset_id in (site.iem, site.sdm630, site.sdm120, site.cabinet) and reading.state in ("ok", "fault")
    assert reading.values and reading.source == "modbus"
    assert reading.interval_s is not None and reading.interval_s >= 1  # silence detection learns the poll period


def test_the_connector_refuses_what_a_cabinet_cannot_do() -> None:
    connector = build("modbus", {}, devices=None)
    route = Route("modbus", None, "ARM-1")
    for action, params in (("dim", {"level": 50}), ("switch", {"on": "yes"}), ("switch", {})):
        outcome = connector.send(DeviceCommand(1, 7, route, action, params)).result(1)
        assert outcome.permanent and "switch" in outcome.error and outcome.readback is None, (action, params)
    outcome = connector.send(DeviceCommand(1, 7, route, "switch", {"on": True})).result(1)
    assert outcome.permanent and "inventory" in outcome.error


def test_cli_reads_a_unit_and_lists_the_maps() -> None:
    city, _cabinet = one_cabinet()
    cli = build_cli(modbus_cmd)
    with running(city):
        ep = city.endpoint("CPT-W1")
        result = CliRunner().invoke(cli, ["modbus", "read", f"{ep.host}:{ep.port}", "--unit", "5", "--model", "sdm630"])
        assert result.exit_code == 0, result.output
        assert "voltage_v" in result.output and "30043 (wire 42)" in result.output
    result = CliRunner().invoke(cli, ["modbus", "maps"])
    assert result.exit_code == 0 and "Modicon numbers from 1" in result.output and "iem3000" in result.output
