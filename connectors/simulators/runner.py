"""The simulator: plays a fleet's devices over the real broker at configurable rates.

One thread does everything: a scheduler spreads each family's messages evenly over time (round
robin, ``rate`` messages per second), and a :class:`ClientPool` drives a paho client per network
server, one per MQTT tracker (each with its own broker account) and one on the service account for
the control topic. Phone trackers go over OsmAnd HTTP from a background thread.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from connectors.simulators import faults_control  # noqa: F401  (registers cabinet trips and fibre cuts)
from connectors.simulators.commands_sim import EQUIPMENT_FAMILIES, CommandSim
from connectors.simulators.control import CONTROL_TOPIC
from connectors.simulators.faults import FAULTS, faulty_devices, inject
from connectors.simulators.fleet_model import Device, Fleet, SimulationError, VehicleDevice, unit_hash
from connectors.simulators.messages import (
    DEFAULT_GPS_INTERVAL_S,
    DEFAULT_LAMP_PERIOD_S,
    DEFAULT_SENSOR_PERIOD_S,
    CityMessages,
    Outgoing,
)
from connectors.simulators.mqtt_pool import BrokerAddress, ClientPool, Link
from connectors.simulators.osmand import OsmandSender
from connectors.simulators.street_graph import StreetGraph
from connectors.simulators.uplinks import NETWORK_SERVERS
from connectors.simulators.vehicles import osmand_query

log = logging.getLogger(__name__)


@dataclass
class SimOptions:
    """Rates are messages per second per family (default: each lamp every 10 min, each sensor every
    minute); ``vehicles`` how many vehicles drive (default all), each reporting every ``gps_interval_s``."""

    lamps_rate: float | None = None
    sensors_rate: float | None = None
    vehicles: int | None = None
    gps_interval_s: float = DEFAULT_GPS_INTERVAL_S
    chirpstack_share: float = 0.5
    undecoded_share: float = 0.3
    osmand_url: str | None = None
    osmand_share: float = 0.2
    gps_noise_m: float = 1.5
    seed: int = 0
    qos: int = 1
    shared_account: bool = False  # every client on the service account (external brokers)
    stats_every_s: float = 60.0

    def check(self) -> None:
        for name in ("chirpstack_share", "undecoded_share", "osmand_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise SimulationError(f"{name.replace('_', '-')} must be between 0 and 1")
        for name in ("lamps_rate", "sensors_rate"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise SimulationError(f"{name.replace('_', '-')} must be zero or more")
        if self.gps_interval_s <= 0:
            raise SimulationError("gps-interval must be more than 0 s")
        if self.vehicles is not None and self.vehicles < 0:
            raise SimulationError("vehicles must be zero or more")
        if self.qos not in (0, 1, 2):
            raise SimulationError("qos must be 0, 1 or 2")


class Cadence:
    """One family's schedule: ``rate`` messages per second, round robin over its devices, evenly spread."""

    def __init__(self, name: str, devices: list[Device], rate: float, start: float,
                 send: Callable[[Device, float], None], seed: int = 0) -> None:
        self.name = name
        self.devices = list(devices)
        random.Random(f"{seed}:{name}").shuffle(self.devices)  # no street reports all at once
        self.rate = rate if devices else 0.0
        self.start = start
        self.send = send
        self.done = 0
        self.cursor = 0

    def next_time(self) -> float:
        return self.start + (self.done + 1) / self.rate if self.rate > 0 else float("inf")

    def run(self, now: float) -> int:
        """Send what is due at ``now``; after a stall, skip rather than burst more than 2 s' worth."""
        if self.rate <= 0:
            return 0
        due = int((now - self.start) * self.rate) - self.done
        if due > max(self.rate * 2, 1):
            self.done += due - int(max(self.rate * 2, 1))
            due = int(max(self.rate * 2, 1))
        for _ in range(max(due, 0)):
            device = self.devices[self.cursor]
            self.cursor = (self.cursor + 1) % len(self.devices)
            self.send(device, now)
        self.done += max(due, 0)
        return max(due, 0)


class Simulator:
    """Plays ``fleet`` over the broker at ``mqtt_url`` (the service account: the control topic);
    ``accounts`` holds the network servers' and trackers' passwords; ``engine`` the inventory (fibre cuts)."""

    def __init__(
        self,
        fleet: Fleet,
        graph: StreetGraph | None,
        mqtt_url: str,
        accounts: Mapping[str, str] | None = None,
        options: SimOptions | None = None,
        clock: Callable[[], float] = time.time,
        engine: Engine | None = None,
    ) -> None:
        self.options = options or SimOptions()
        self.options.check()
        self.engine = engine  # the inventory, for faults that need the topology (fibre cuts)
        self.fleet = fleet.take_vehicles(self.options.vehicles)
        self.commands = CommandSim(self)  # lamps, signal controllers and cameras obey commands
        self.clock = clock
        self.started = clock()
        self.city = CityMessages(
            self.fleet, graph, seed=self.options.seed, chirpstack_share=self.options.chirpstack_share,
            undecoded_share=self.options.undecoded_share, gps_noise_m=self.options.gps_noise_m, now=self.started,
        )
        self.address = BrokerAddress.parse(mqtt_url)
        self.accounts = dict(accounts or {})
        self.silenced: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.pool = ClientPool()
        self.osmand: OsmandSender | None = None
        self.phones = {
            v.tracker_id for v in self.fleet.vehicles
            if self.options.osmand_url and unit_hash(v.tracker_id, "osmand") < self.options.osmand_share
        }
        self._stop = threading.Event()
        self._connected = False
        self._in_control = False
        self._cadences: list[Cadence] = []
        self._last_stats = (time.monotonic(), Counter[str]())

    # -- life cycle ---------------------------------------------------------------------------------
    def connect(self) -> None:
        """Open every client (network servers, MQTT trackers, control) and wait until the broker accepts them."""
        if self._connected:
            return
        suffix = f"{os.getpid()}-{uuid.uuid4().hex[:4]}"
        used = {s.network for s in self.city.sessions.values()}
        for name in NETWORK_SERVERS:
            if name in used:
                self.pool.add(Link(name, self._account(name), f"sim-{name}-{suffix}", max_inflight=200,
                                   max_queued=200_000, **self.commands.network_link(name)))
        for vehicle in self.fleet.vehicles:
            if vehicle.tracker_id not in self.phones:
                self.pool.add(Link(vehicle.tracker_id, self._account(vehicle.tracker_id),
                                   f"sim-{vehicle.tracker_id}-{suffix}"))
        self.commands.connect(suffix)
        self.pool.add(Link("control", self.address, f"sim-control-{suffix}", subscriptions=(CONTROL_TOPIC,),
                           on_message=self._on_control))
        if self.options.osmand_url and self.phones:
            self.osmand = OsmandSender(self.options.osmand_url)
        try:
            self.pool.connect()
        except SimulationError:
            self.close()
            raise
        self._connected = True
        log.info("simulator connected: %d lamps, %d sensors, %d vehicles (%d phone trackers) on %s:%d",
                 len(self.fleet.lamps), len(self.fleet.sensors), len(self.fleet.vehicles), len(self.phones),
                 self.address.host, self.address.port)

    def _account(self, username: str) -> BrokerAddress:
        if self.options.shared_account:
            return self.address
        password = self.accounts.get(username)
        if password is None:
            raise SimulationError(
                f"no broker account for {username}: run `citypilot devices provision` (private broker), "
                "or --shared-account to send everything with the service account"
            )
        return self.address.as_user(username, password)

    def run(self, duration: float | None = None) -> Counter[str]:
        """Play until ``duration`` seconds passed or :meth:`stop`; what was sent, per family."""
        self.connect()
        opts = self.options
        now = self.clock()
        lamps_rate = len(self.fleet.lamps) / DEFAULT_LAMP_PERIOD_S if opts.lamps_rate is None else opts.lamps_rate
        sensors_rate = (len(self.fleet.sensors) / DEFAULT_SENSOR_PERIOD_S if opts.sensors_rate is None
                        else opts.sensors_rate)
        self._cadences = [
            Cadence("lamps", list(self.fleet.lamps), lamps_rate, now, self._scheduled, opts.seed),
            Cadence("sensors", list(self.fleet.sensors), sensors_rate, now, self._scheduled, opts.seed),
            Cadence("vehicles", list(self.fleet.vehicles), len(self.fleet.vehicles) / opts.gps_interval_s, now,
                    self._scheduled, opts.seed),
            Cadence("equipment", self.commands.devices(), len(self.commands.devices()) / self.commands.period_s, now,
                    self.commands.scheduled, opts.seed),
        ]
        end = None if duration is None else time.monotonic() + duration
        try:
            while not self._stop.is_set() and (end is None or time.monotonic() < end):
                now = self.clock()
                for cadence in self._cadences:
                    cadence.run(now)
                self.commands.tick(self.clock())  # after the scheduled uplinks: a later time than theirs
                wait = min(*(c.next_time() for c in self._cadences), self.commands.next_time()) - self.clock()
                self.pool.poll(min(max(wait, 0.02), 0.25))
                self._log_stats()
        finally:
            self.close()
        return Counter(self.counts)

    def burst(self) -> tuple[int, float]:
        """Send one message from every device at once, as fast as possible, and wait for the broker's
        acknowledgements; (messages, seconds)."""
        self.connect()
        started = time.perf_counter()
        sent = 0
        try:
            for device in self.fleet.devices():
                self._scheduled(device, self.clock())
                sent += 1
                if sent % 200 == 0:
                    self.pool.poll(0)
            left = self.pool.flush(timeout=120)
            if left:
                log.warning("burst: %d messages still unacknowledged", left)
        finally:
            self.close()
        return sent, time.perf_counter() - started

    def stop(self) -> None:
        """Ask :meth:`run` to finish (from any thread or a signal handler)."""
        self._stop.set()

    def close(self) -> None:
        if self.pool.links:
            self.pool.flush(timeout=3)
            self.pool.close()
            self.pool = ClientPool()
        if self.osmand is not None:
            self.osmand.close()
            self.osmand = None
        self._connected = False

    # -- sending ------------------------------------------------------------------------------------
    def _scheduled(self, device: Device, now: float) -> None:
        if device.key in self.silenced:
            self.counts["silenced"] += 1
            return
        self.report_now(device, now)

    def report_now(self, device: Device, now: float | None = None) -> None:
        """Send the device's normal message now (nothing when it is silenced)."""
        if device.key in self.silenced:
            return
        if device.family in EQUIPMENT_FAMILIES:
            self.commands.report(device, now)  # type: ignore[arg-type]
            return
        now = self.clock() if now is None else now
        if isinstance(device, VehicleDevice) and device.tracker_id in self.phones:
            fix = self.city.drivers[device.tracker_id].fix_at(now, self.city.gps_noise_m)
            self.send_osmand(osmand_query(device.tracker_id, fix), "osmand")
            return
        self.send(self.city.message(device, now), device.family)

    def send(self, message: Outgoing, family: str) -> None:
        """Publish on the link the message belongs to (its network server or its tracker's account)."""
        link = self.pool.links.get(message.link)
        if link is None:
            if message.link in self.phones:
                raise SimulationError(f"{message.link} is a phone tracker: it sends OsmAnd HTTP requests, not MQTT "
                                      "messages (missing-fields works on it)")
            raise SimulationError(f"no MQTT client for {message.link}")
        if link.in_flight >= link.max_inflight and not self._in_control:  # no event loop inside a callback
            self.pool.make_room(link)
        if link.publish(message.topic, message.payload, self.options.qos):
            self.counts[family] += 1
        else:
            self.counts["dropped"] += 1

    def send_osmand(self, query: str, family: str) -> None:
        """Queue one phone-tracker request (sent by the OsmAnd thread)."""
        if self.osmand is None:
            raise SimulationError("no --osmand-url: there are no phone trackers")
        self.osmand.submit(query)
        self.counts[family] += 1

    def new_id(self) -> str:
        return str(uuid.uuid4())

    # -- control ------------------------------------------------------------------------------------
    def _on_control(self, _topic: str, payload: bytes) -> None:
        try:
            req = json.loads(payload)
            if not isinstance(req, dict):
                raise ValueError("not an object")
        except ValueError:
            log.warning("control: ignored a message that is not a JSON object")
            return
        reply: dict[str, Any] = {"id": req.get("id"), "ok": True}
        self._in_control = True
        try:
            action = req.get("action")
            if action == "inject":
                details = inject(self, str(req.get("fault")), [str(t) for t in req.get("targets") or []],
                                 req.get("params") or {})
                reply.update(message=f"{req.get('fault')}: {len(details)} effect(s)", details=details)
                log.info("control: %s %s", req.get("fault"), "; ".join(details))
            elif action == "dispatch":
                details = self.dispatch(str(req.get("vehicle") or ""), req.get("x"), req.get("y"),
                                        req.get("stop_s", 1200))
                reply.update(message="dispatched", details=details)
            elif action == "status":
                reply.update(message="running", details=[], status=self.status())
            elif action == "stop":
                reply.update(message="stopping", details=[])
                self.stop()
            else:
                raise SimulationError(f"unknown action {action!r} (inject, dispatch, status, stop)")
        except SimulationError as exc:
            reply.update(ok=False, message=str(exc), details=[])
        except Exception as exc:  # a control message never kills the simulator
            log.exception("control: %s failed", req.get("action"))
            reply.update(ok=False, message=f"{type(exc).__name__}: {exc}", details=[])
        finally:
            self._in_control = False
        reply_to = req.get("reply_to")
        if isinstance(reply_to, str) and reply_to:
            self.pool.links["control"].publish(reply_to, json.dumps(reply, ensure_ascii=False).encode(), qos=1)

    def dispatch(self, vehicle: str, x: Any, y: Any, stop_s: Any) -> list[str]:
        """Send a vehicle (code, plate or tracker id) to a work site (Lambert-93 x, y) for ``stop_s`` seconds."""
        device = self.fleet.find(vehicle) if vehicle else None
        if not isinstance(device, VehicleDevice) or device.tracker_id not in self.city.drivers:
            raise SimulationError(f"no simulated vehicle {vehicle!r}")
        try:
            target, stop = (float(x), float(y)), float(stop_s)
        except (TypeError, ValueError):
            raise SimulationError("dispatch needs numbers x, y (Lambert-93) and stop_s") from None
        self.city.drivers[device.tracker_id].send_to(target, stop)
        return [f"{device.code}: to {target[0]:.0f}, {target[1]:.0f} for {stop:.0f} s"]

    def status(self) -> dict[str, Any]:
        """What the simulator does: devices, rates, messages sent, faults in force."""
        return {
            "pid": os.getpid(),
            "uptime_s": round(self.clock() - self.started, 1),
            "devices": {"lamps": len(self.fleet.lamps), "sensors": len(self.fleet.sensors),
                        "vehicles": len(self.fleet.vehicles), "phone_trackers": len(self.phones)},
            "rates": {c.name: round(c.rate, 3) for c in self._cadences},
            "sent": dict(self.counts),
            "in_flight": sum(max(link.in_flight, 0) for link in self.pool.links.values()),
            "faults": [f"{d.code} ({d.key})" for d in faulty_devices(self)],
            "known_faults": sorted(FAULTS),
        }

    def _log_stats(self) -> None:
        last_t, last_counts = self._last_stats
        now = time.monotonic()
        if now - last_t < self.options.stats_every_s:
            return
        span = now - last_t
        rates = ", ".join(f"{k} {(v - last_counts.get(k, 0)) / span:.1f}/s" for k, v in sorted(self.counts.items()))
        in_flight = sum(max(link.in_flight, 0) for link in self.pool.links.values())
        log.info("sent %s (total %d); in flight %d", rates or "nothing", sum(self.counts.values()), in_flight)
        self._last_stats = (now, Counter(self.counts))
