"""Every message the simulator sends, built from the devices' simulated state: LoRaWAN uplinks of
lamp controllers and sensors (through their network server) and vehicle GPS fixes. Also the
message sets the ingest benchmark reuses: one message from every device of the city at once
(:func:`city_burst_messages`) and a backlog of N messages (:func:`backlog_messages`)."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from connectors.simulators.fleet_model import Fleet, LampDevice, LoraDevice, SensorDevice, VehicleDevice, load_fleet
from connectors.simulators.lamps import LampController
from connectors.simulators.sensors import SensorController
from connectors.simulators.street_graph import StreetGraph
from connectors.simulators.uplinks import LoraSession, new_session, uplink
from connectors.simulators.vehicles import VehicleDriver, gps_message

DEVICE_TOPIC = "citypilot/v1/devices/{device_id}/{channel}"
#: The live mix of the simulator's defaults (each lamp every 10 min, each sensor every minute, each
#: vehicle every 5 s), used to interleave a backlog.
DEFAULT_LAMP_PERIOD_S, DEFAULT_SENSOR_PERIOD_S, DEFAULT_GPS_INTERVAL_S = 600.0, 60.0, 5.0

Message = tuple[str, bytes]


@dataclass(frozen=True)
class Outgoing:
    """One message to send: ``link`` is the network server (``chirpstack`` / ``tts``) or the tracker id."""

    link: str
    topic: str
    payload: bytes


def dumps(message: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as the network servers write it."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()


def iso_utc(t: float) -> str:
    """``2026-11-29T21:00:00.120Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


class CityMessages:
    """The simulated devices of a fleet (controllers, sessions, drivers) and the messages they send."""

    def __init__(
        self,
        fleet: Fleet,
        graph: StreetGraph | None = None,
        *,
        seed: int = 0,
        chirpstack_share: float = 0.5,
        undecoded_share: float = 0.3,
        gps_noise_m: float = 1.5,
        now: float | None = None,
    ) -> None:
        now = time.time() if now is None else now
        self.fleet = fleet
        self.graph = graph
        self.rng = random.Random(seed)
        self.gps_noise_m = gps_noise_m
        self.lamps = {d.dev_eui: LampController(d, now) for d in fleet.lamps}
        self.sensors = {d.dev_eui: SensorController(d) for d in fleet.sensors}
        self.drivers = {d.tracker_id: VehicleDriver(d, graph, now, seed) for d in fleet.vehicles}
        session_rng = random.Random(f"{seed}:sessions:{now}")
        self.sessions: dict[str, LoraSession] = {
            d.dev_eui: new_session(d, chirpstack_share, undecoded_share, session_rng)
            for d in (*fleet.lamps, *fleet.sensors)
        }

    # -- normal messages ----------------------------------------------------------------------------
    def values(self, device: LoraDevice, t: float) -> dict[str, Any]:
        """What a LoRaWAN device measures at ``t`` (advances its state: burning hours)."""
        if isinstance(device, LampDevice):
            return self.lamps[device.dev_eui].values_at(t, self.rng)
        return self.sensors[device.dev_eui].values_at(t, self.rng)

    def lora(self, device: LoraDevice, t: float, values: dict[str, Any] | None = None, **kw: Any) -> Outgoing:
        """The uplink a lamp controller or sensor sends at ``t``, through its network server."""
        session = self.sessions[device.dev_eui]
        topic, message = uplink(device, session, self.values(device, t) if values is None else values, t,
                                self.rng, **kw)
        return Outgoing(session.network, topic, dumps(message))

    def gps(self, device: VehicleDevice, t: float) -> Outgoing:
        """The GPS fix a tracker sends at ``t`` on its own topic."""
        fix = self.drivers[device.tracker_id].fix_at(t, self.gps_noise_m)
        message = gps_message(device.tracker_id, fix, str(uuid.uuid4()), iso_utc(t))
        return Outgoing(device.tracker_id, gps_topic(device.tracker_id), dumps(message))

    def message(self, device: LampDevice | SensorDevice | VehicleDevice, t: float) -> Outgoing:
        """The next normal message of any device."""
        if isinstance(device, VehicleDevice):
            return self.gps(device, t)
        return self.lora(device, t)


def gps_topic(tracker_id: str) -> str:
    return DEVICE_TOPIC.format(device_id=tracker_id, channel="gps")


def burst_messages(fleet: Fleet, *, seed: int = 0, chirpstack_share: float = 0.5, undecoded_share: float = 0.3,
                   now: float | None = None) -> list[Message]:
    """One message from every device of ``fleet`` at ``now`` (vehicles parked at their depots)."""
    now = time.time() if now is None else now
    city = CityMessages(fleet, None, seed=seed, chirpstack_share=chirpstack_share,
                        undecoded_share=undecoded_share, gps_noise_m=0.0, now=now)
    out = []
    for i, device in enumerate(fleet.devices()):
        sent = city.message(device, now + i * 1e-6)
        out.append((sent.topic, sent.payload))
    return out


def city_burst_messages(engine: Engine, **kw: Any) -> list[Message]:
    """One message from every device of the city in the database, as (topic, payload): every LoRaWAN
    luminaire and sensor through ChirpStack or TTS, every tracker's GPS on its own topic (publish
    those with the tracker's account or the service account). Keywords as :func:`burst_messages`."""
    return burst_messages(load_fleet(engine), **kw)


def backlog_messages(
    source: Engine | Fleet,
    n: int,
    *,
    seed: int = 0,
    start: float | None = None,
    spacing_s: float = 0.01,
    graph: StreetGraph | None = None,
    chirpstack_share: float = 0.5,
    undecoded_share: float = 0.3,
) -> list[Message]:
    """``n`` simulator-shaped messages as (topic, payload), in the live mix of the simulator's defaults
    (lamps every 10 min, sensors every minute, vehicles every 5 s), device times ``spacing_s`` apart
    starting at ``start`` (default: so that the last one is now), increasing per device."""
    return list(iter_backlog(source, n, seed=seed, start=start, spacing_s=spacing_s, graph=graph,
                             chirpstack_share=chirpstack_share, undecoded_share=undecoded_share))


def iter_backlog(
    source: Engine | Fleet, n: int, *, seed: int = 0, start: float | None = None, spacing_s: float = 0.01,
    graph: StreetGraph | None = None, chirpstack_share: float = 0.5, undecoded_share: float = 0.3,
) -> Iterator[Message]:
    """The generator behind :func:`backlog_messages` (for publishers that stream)."""
    fleet = source if isinstance(source, Fleet) else load_fleet(source)
    if not len(fleet):
        return
    start = time.time() - n * spacing_s if start is None else start
    city = CityMessages(fleet, graph, seed=seed, chirpstack_share=chirpstack_share,
                        undecoded_share=undecoded_share, now=start)
    families = [
        (fleet.lamps, len(fleet.lamps) / DEFAULT_LAMP_PERIOD_S),
        (fleet.sensors, len(fleet.sensors) / DEFAULT_SENSOR_PERIOD_S),
        (fleet.vehicles, len(fleet.vehicles) / DEFAULT_GPS_INTERVAL_S),
    ]
    families = [(devices, rate) for devices, rate in families if devices]
    total = sum(rate for _, rate in families)
    credit = [0.0] * len(families)
    cursor = [0] * len(families)
    for i in range(n):
        for k, (_, rate) in enumerate(families):  # smooth interleaving by rate (weighted round robin)
            credit[k] += rate / total
        k = max(range(len(families)), key=credit.__getitem__)
        credit[k] -= 1.0
        devices = families[k][0]
        device = devices[cursor[k] % len(devices)]
        cursor[k] += 1
        sent = city.message(device, start + i * spacing_s)
        yield sent.topic, sent.payload

