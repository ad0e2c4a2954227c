"""What the command tests share: a small lit street in the database (a cabinet with its Modbus meter, a
circuit of LoRaWAN lamps, a signal controller, a camera, people of each role) and the whole chain
running on the test broker and database — the ingest, the simulator (lamps, signals, cameras, Modbus
servers) and the command worker."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from app.servers.broker import PrivateBroker
from assets.commands.progress import Policy
from assets.commands.views import command_dict
from assets.db import unit_of_work
from assets.live.devices import DeviceDirectory
from assets.store import create_asset
from assets.users import create_user
from connectors.commands.worker import CommandWorker, WorkerOptions
from connectors.modbus.cabinets import ModbusCabinets
from connectors.simulators import SimOptions, Simulator, device_usernames, load_accounts, load_fleet, provision
from connectors.simulators import control as sim_control
from connectors.simulators.modbus_servers import ModbusCity
from connectors.simulators.uplinks import network_of
from tests.assets.helpers import MINIMAL, near
from tests.connectors.ingest_support import mqtt_connector, running_ingest

LAMPS = 8
FAST = Policy(
    ack_timeout_s={"mqtt": 1.5, "chirpstack": 1.5, "tts": 1.5, "modbus": 3.0},
    verify_timeout_s={"dim": 3.0, "flash": 3.0, "normal": 3.0, "switch": 3.0, "reboot": 10.0},
    backoff_base_s=0.3, backoff_max_s=1.0, route_wait_s=30.0,
)


def lamp_eui(i: int) -> str:
    return f"70B3D59BC00000{i:02X}"


@dataclass
class City:
    """Asset ids by code and user ids by name."""

    assets: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)

    @property
    def lamps(self) -> list[int]:
        return [self.assets[f"LUM-C{i:02d}"] for i in range(1, LAMPS + 1)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_city(engine: Engine) -> City:
    """A cabinet (its controller behind its meter's Modbus gateway) → a circuit → 8 lamps with controllers
    (on both network servers) and one without; a signal controller; a camera; people of every role."""
    city = City()
    with unit_of_work(engine, None) as session:
        for name, role in (("olga", "operator"), ("otto", "operator"), ("sam", "supervisor"), ("carl", "crew"),
                           ("pat", "planner")):
            city.users[name] = create_user(session, name, role, name.title()).id
    with unit_of_work(engine, city.users["pat"]) as session:
        def make(kind: str, code: str, dx: float | None, dy: float = 0.0, **values: Any) -> int:
            geom = None if dx is None else near(dx, dy)
            city.assets[code] = create_asset(session, kind, {**MINIMAL[kind], "code": code, "geom": geom,
                                                             **values}).id
            return city.assets[code]

        meter = make("energy_meter", "MET-C1", 0, 5, modbus_host="127.0.0.1", modbus_port=free_port(), unit_id=3)
        cabinet = make("cabinet", "ARM-C1", 0, energy_meter_id=meter)
        circuit = make("circuit", "ARM-C1-D1", None, parent_id=cabinet, circuit_number=1)
        for i in range(1, LAMPS + 2):
            pole = make("pole", f"SUP-C{i:02d}", 30 * i, 12, parent_id=circuit)
            extra = {"dev_eui": lamp_eui(i)} if i <= LAMPS else {}
            make("luminaire", f"LUM-C{i:02d}", 30 * i, 12, parent_id=pole, **extra)
        make("signal_controller", "CRF-C1", 400, 0)
        make("camera", "CAM-C1", 420, 0)
    assert {network_of(lamp_eui(i), 0.5) for i in range(1, LAMPS + 1)} == {"chirpstack", "tts"}
    return city


@dataclass
class Stack:
    engine: Engine
    mqtt_url: str
    city: City
    sim: Simulator
    worker: CommandWorker
    worker_thread: threading.Thread
    modbus: ModbusCity

    def inject(self, fault: str, *targets: str) -> dict[str, Any]:
        reply = sim_control.send(self.mqtt_url, sim_control.request("inject", fault=fault, targets=list(targets)))[0]
        assert reply["ok"], reply
        return reply

    def command(self, command_id: int, limit: int = 100) -> dict[str, Any]:
        with unit_of_work(self.engine, None) as session:
            return command_dict(session, command_id, targets_limit=limit)

    def wait(self, command_id: int, predicate: Any, timeout: float = 15.0, what: str = "") -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            data = self.command(command_id)
            if predicate(data):
                return data
            if time.monotonic() > deadline:
                raise AssertionError(f"command {command_id}: timed out waiting for {what or predicate}: "
                                     f"{data['state']} {data['counts']} "
                                     f"{[(t['code'], t['state'], t['detail']) for t in data['targets']]}")
            time.sleep(0.05)

    def wait_done(self, command_id: int, timeout: float = 15.0) -> dict[str, Any]:
        return self.wait(command_id, lambda d: d["state"] in ("done", "partly_failed", "failed", "cancelled")
                         and not any(d["counts"][s] for s in ("queued", "sent", "acknowledged")), timeout, "the end")

    def log(self, command_id: int) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return conn.execute(text(
                "SELECT asset_id, from_state, to_state, actor_id, detail FROM command_log WHERE command_id = :id "
                "ORDER BY id"), {"id": command_id}).all()


def start_worker(engine: Engine, mqtt_url: str, client_id: str | None = None, policy: Policy = FAST
                 ) -> tuple[CommandWorker, threading.Thread]:
    worker = CommandWorker(engine, mqtt_url, cabinets=ModbusCabinets(engine, timeout_s=1.0),
                           options=WorkerOptions(policy=policy, poll_s=0.05,
                                                 client_id=client_id or f"cmd-test-{uuid.uuid4().hex[:8]}"))
    thread = threading.Thread(target=worker.run, name="command-worker", daemon=True)
    thread.start()
    return worker, thread


@contextmanager
def running_stack(engine: Engine, db_url: str, broker: PrivateBroker, mqtt_url: str, home: Path,
                  city: City) -> Iterator[Stack]:
    """Modbus servers, the ingest, the worker, then the simulator (so the worker hears the first uplinks)."""
    fleet = load_fleet(engine)
    path = home / "device-accounts.json"
    provision(broker, device_usernames(fleet), path)
    modbus = ModbusCity.from_inventory(engine)
    modbus.start_in_thread()
    tag = uuid.uuid4().hex[:6]
    connector = mqtt_connector(mqtt_url, DeviceDirectory(engine), f"ingest-{tag}", f"ingest-{tag}")
    with running_ingest(engine, db_url, [connector], flush_ms=20):
        worker, worker_thread = start_worker(engine, mqtt_url)
        deadline = time.monotonic() + 10
        while not worker.connected and time.monotonic() < deadline:
            time.sleep(0.02)
        options = SimOptions(lamps_rate=LAMPS / 2.0, sensors_rate=0, vehicles=0, seed=4)
        sim = Simulator(fleet, None, mqtt_url, load_accounts(path), options)
        sim.commands.period_s = 30.0
        sim_thread = threading.Thread(target=sim.run, name="simulator", daemon=True)
        sim_thread.start()
        stack = Stack(engine, mqtt_url, city, sim, worker, worker_thread, modbus)
        try:
            deadline = time.monotonic() + 10
            while len(worker.routes) < LAMPS:
                assert time.monotonic() < deadline, f"routes learnt: {len(worker.routes)} of {LAMPS}"
                time.sleep(0.05)
            yield stack
        finally:
            sim.stop()
            sim_thread.join(10)
            stack.worker.stop()
            stack.worker_thread.join(10)
            modbus.stop_thread()
