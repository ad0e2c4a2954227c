"""The simulator's control faults over the real broker: a cabinet trip (the cabinet's event and state, its
lamps' last gasps and silence, the reset), a fibre cut (what loses every path falls silent, the PoP reports
link_down) — and, end to end through the real ingest and ``citypilot alarms run``, a cabinet trip that ends
as ONE alarm naming the cabinet with its lamps listed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from app.servers.broker import PrivateBroker
from assets.alarms.queries import AlarmQuery, alarm_detail, list_alarms
from assets.db import unit_of_work
from assets.live.devices import DeviceDirectory
from connectors.simulators import SimOptions, Simulator, faults_control, inject, load_fleet
from connectors.simulators import control as sim_control
from connectors.simulators.fleet_model import SimulationError
from tests.assets.alarm_helpers import alarm_rows, lighting_cabinet, meshed_fibre
from tests.connectors.ingest_support import mqtt_connector, running_ingest, wait_until
from tests.connectors.test_simulators import Watcher, decode_uplink

QUIET = SimOptions(lamps_rate=0, sensors_rate=0, vehicles=0, shared_account=True, seed=4)


@pytest.fixture
def watcher(broker: PrivateBroker) -> Iterator[Watcher]:
    w = Watcher(broker)
    yield w
    w.close()


def _json_on(watcher: Watcher, mark: float, topic: str) -> list[dict[str, Any]]:
    return [json.loads(p) for t, p in watcher.since(mark) if t == topic]


def _lamp_values(watcher: Watcher, mark: float) -> dict[str, dict[str, Any]]:
    found = {}
    for topic, payload in watcher.since(mark):
        if topic.startswith(("application/", "v3/")):
            _net, eui, values, _obj = decode_uplink(topic, json.loads(payload))
            found[eui] = values
    return found


def test_a_cabinet_trip_and_its_reset(engine: Engine, planner_id: int, mqtt_url: str, watcher: Watcher) -> None:
    cab = lighting_cabinet(engine, planner_id, code="ARM-0412", lamps=3)
    sim = Simulator(load_fleet(engine), None, mqtt_url, {}, QUIET, engine=engine)
    sim.connect()
    hooked: list[tuple[str, bool]] = []

    def hook(_sim: Simulator, code: str, tripped: bool) -> None:
        hooked.append((code, tripped))

    faults_control.CABINET_HOOKS.append(hook)
    try:
        mark = time.monotonic()
        lines = inject(sim, "cabinet-trip", ["arm-0412"])
        sim.pool.flush(5)
        assert lines == ["ARM-0412: tripped; 3 lamp controller(s) sent a last gasp and fell silent"]
        wait_until(lambda: len(_lamp_values(watcher, mark)) == 3 and
                   _json_on(watcher, mark, "citypilot/v1/devices/ARM-0412/state"), 5, "the trip's messages")
        events = _json_on(watcher, mark, "citypilot/v1/devices/ARM-0412/event")
        assert [(e["event"], e["detail"]) for e in events] == [("cabinet_trip", {"breaker": "main", "lamps": 3})]
        state = _json_on(watcher, mark, "citypilot/v1/devices/ARM-0412/state")[0]
        assert state["state"] == "fault" and state["values"] == {"tripped": True}
        for values in _lamp_values(watcher, mark).values():  # the last gasps: no supply, no light
            assert values["lamp_failure"] is True and values["lamp_on"] is False and values["voltage_v"] == 0
        assert {d.code for d in sim.fleet.lamps if d.key in sim.silenced} == set(cab.codes.values())
        assert inject(sim, "cabinet-trip", ["ARM-0412"]) == ["ARM-0412: already tripped"]
        with pytest.raises(SimulationError, match="NOPE: no lighting cabinet"):
            inject(sim, "cabinet-trip", ["NOPE"])

        mark = time.monotonic()
        assert inject(sim, "clear", ["all"]) == [
            "ARM-0412: reset; 3 lamp controller(s) powered up and reported"]
        sim.pool.flush(5)
        wait_until(lambda: len(_lamp_values(watcher, mark)) == 3, 5, "the lamps' power-up reports")
        assert [e["event"] for e in _json_on(watcher, mark, "citypilot/v1/devices/ARM-0412/event")] == ["cabinet_reset"]
        assert all(v["lamp_failure"] is False for v in _lamp_values(watcher, mark).values())
        assert not sim.silenced and hooked == [("ARM-0412", True), ("ARM-0412", False)]
    finally:
        faults_control.CABINET_HOOKS.remove(hook)  # only ours: the Modbus simulator registers its own
        sim.close()


def test_a_fibre_cut_and_its_repair(engine: Engine, planner_id: int, mqtt_url: str, watcher: Watcher) -> None:
    ids = meshed_fibre(engine, planner_id)
    sim = Simulator(load_fleet(engine), None, mqtt_url, {}, QUIET, engine=engine)
    sim.connect()
    cut_off: list[tuple[frozenset[int], bool]] = []

    def hook(_sim: Simulator, assets: frozenset[int], down: bool) -> None:
        cut_off.append((assets, down))

    faults_control.LINK_HOOKS.append(hook)
    try:
        mark = time.monotonic()
        assert inject(sim, "fibre-cut", ["N-A"]) == [
            "N-A: cut; 7 asset(s) lost every path to a PoP, 2 simulated device(s) fell silent; N-P reported link_down"]
        assert {"CTRL-B", "CAM-D"} <= sim.silenced  # the controller and the camera behind the cut
        sim.pool.flush(5)
        wait_until(lambda: _json_on(watcher, mark, "citypilot/v1/devices/N-P/event"), 5, "link_down")
        down = _json_on(watcher, mark, "citypilot/v1/devices/N-P/event")[0]
        assert down["event"] == "link_down" and down["detail"] == {"element": "N-A", "kind": "fibre_node", "cut_off": 7}
        expected = {ids[k] for k in ("cab", "meter", "ctrl", "cam", "B", "C", "D")}
        assert cut_off == [(frozenset(expected), True)]
        assert inject(sim, "fibre-repair", ["N-A"]) == ["N-A: repaired; 2 device(s) reported again"]
        assert not sim.silenced
        sim.pool.flush(5)
        wait_until(lambda: len(_json_on(watcher, mark, "citypilot/v1/devices/N-P/event")) == 2, 5, "link_up")
        assert cut_off[-1] == (frozenset(expected), False)
        with pytest.raises(SimulationError, match="S-XX: no fibre segment or node"):
            inject(sim, "fibre-cut", ["S-XX"])
    finally:
        faults_control.LINK_HOOKS.remove(hook)
        sim.close()
    blind = Simulator(load_fleet(engine), None, mqtt_url, {}, QUIET)
    with pytest.raises(SimulationError, match="need the inventory"):
        inject(blind, "fibre-cut", ["S-CD"])


# -- end to end ------------------------------------------------------------------------------------------------
ALARMS_RUN = (
    "from app.cli import alarms_cmd, build_cli, feature_modules\n"
    "modules = feature_modules()\n"
    "build_cli(*(modules if alarms_cmd in modules else [*modules, alarms_cmd]))"
    ".main(['alarms', 'run', '--sweep', '1'], prog_name='citypilot')\n"
)


class AlarmProcess:
    """``citypilot alarms run`` in its own process; ready once it logged so."""

    def __init__(self, db_url: str, home: Path) -> None:
        env = {**os.environ, "DATABASE_URL": db_url, "CITYPILOT_HOME": str(home)}
        env.pop("MQTT_URL", None)
        self.lines: list[str] = []
        self.ready = threading.Event()
        self.process = subprocess.Popen([sys.executable, "-c", ALARMS_RUN], env=env, stderr=subprocess.PIPE,
                                        stdout=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if "alarm engine ready" in line:
                self.ready.set()

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(15)


def test_a_simulated_cabinet_trip_through_broker_and_ingest_is_one_alarm(
    engine: Engine, db_url: str, planner_id: int, mqtt_url: str, tmp_path: Path
) -> None:
    cab = lighting_cabinet(engine, planner_id, code="ARM-0412", lamps=3)
    lighting_cabinet(engine, planner_id, code="ARM-0413", lamps=2, dx=400, eui_prefix="70B3D59BA00002")
    alarms = AlarmProcess(db_url, tmp_path)
    sim = Simulator(load_fleet(engine), None, mqtt_url, {}, QUIET, engine=engine)
    player = threading.Thread(target=sim.run, kwargs={"duration": 60}, daemon=True)
    connector = mqtt_connector(mqtt_url, DeviceDirectory(engine), "alarm-e2e", "alarm-e2e")
    try:
        with running_ingest(engine, db_url, [connector]):
            player.start()
            assert alarms.ready.wait(20), "".join(alarms.lines)
            wait_until(lambda: sim._connected, 10, "the simulator")
            started = time.monotonic()
            reply = sim_control.send(mqtt_url, sim_control.request("inject", fault="cabinet-trip",
                                                                   targets=["ARM-0412"]))[0]
            assert reply["ok"], reply

            def grouped() -> bool:
                rows = alarm_rows(engine)
                return len(rows) == 4 and all(r.cause_id is not None for r in rows if r.type == "lamp_failure")

            wait_until(grouped, 20, "the cabinet's alarm with its lamps grouped")
            elapsed = time.monotonic() - started
            with unit_of_work(engine, None) as s:
                shown = list_alarms(s, AlarmQuery()).items
                detail = alarm_detail(s, shown[0]["id"])
            assert [(a["type"], a["asset"]["code"], a["affected_count"]) for a in shown] == [
                ("cabinet_trip", "ARM-0412", 3)]
            assert [a["code"] for a in detail["affected"]] == sorted(cab.codes.values())
            assert all(a["alarm_id"] is not None for a in detail["affected"])
            print(f"\ncabinet trip injected -> one alarm with its 3 lamps grouped: {elapsed * 1000:.0f} ms")

            reply = sim_control.send(mqtt_url, sim_control.request("inject", fault="cabinet-reset",
                                                                   targets=["ARM-0412"]))[0]
            assert reply["ok"], reply
            wait_until(lambda: {r.state for r in alarm_rows(engine)} == {"cleared"}, 20, "everything cleared")
    finally:
        sim.stop()
        player.join(10)
        code = alarms.stop()
    assert code == 0, "".join(alarms.lines[-20:])
    assert any("alarm engine stopped" in line for line in alarms.lines)
