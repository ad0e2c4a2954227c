"""Fault injection: what a running simulator can be told to do to its devices, by name.

Each fault is registered with :func:`fault` (name, the device families it applies to, a summary)
and is a function ``(simulator, devices, params) -> details`` that changes the devices' state or
sends messages at once. A fault may bring its own target resolver (a cabinet trip names a cabinet,
not a device): the next issue adds cabinet trips, fibre cuts, devices that acknowledge a command and
do not obey, and Modbus faults the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from connectors.lorawan.codecs import codec_for
from connectors.simulators.fleet_model import (
    Device,
    Fleet,
    LampDevice,
    LoraDevice,
    SensorDevice,
    SimulationError,
    VehicleDevice,
)
from connectors.simulators.malformed import DEFAULT_MISSING, bad_json, drop_fields, unknown_device, wrong_length
from connectors.simulators.messages import Outgoing, dumps, gps_topic, iso_utc
from connectors.simulators.uplinks import new_session, uplink
from connectors.simulators.vehicles import gps_message, osmand_params

if TYPE_CHECKING:
    from connectors.simulators.runner import Simulator

ALL_FAMILIES = ("lamp", "sensor", "vehicle")
LORA_FAMILIES = ("lamp", "sensor")
FaultAction = Callable[["Simulator", list[Device], dict[str, Any]], list[str]]
Resolver = Callable[[Fleet, list[str]], list[Device]]


@dataclass(frozen=True)
class FaultSpec:
    """A fault the simulator knows: ``families`` it applies to; ``target_optional``: may be sent without
    targets; ``resolve`` turns the CLI's targets into devices (default: codes, DevEUIs, tracker ids)."""

    name: str
    summary: str
    families: tuple[str, ...]
    action: FaultAction
    target_optional: bool = False
    resolve: Resolver | None = None


FAULTS: dict[str, FaultSpec] = {}
#: What ``clear all`` also undoes beyond device faults (cabinets reset, fibre repaired): one line per effect.
CLEAR_ALL_HOOKS: list[Callable[[Simulator], list[str]]] = []


def fault(
    name: str, summary: str, families: tuple[str, ...] = ALL_FAMILIES, *, target_optional: bool = False,
    resolve: Resolver | None = None,
) -> Callable[[FaultAction], FaultAction]:
    """Register a fault under ``name``."""

    def decorate(action: FaultAction) -> FaultAction:
        FAULTS[name] = FaultSpec(name, summary, families, action, target_optional, resolve)
        return action

    return decorate


def inject(sim: Simulator, name: str, targets: list[str], params: dict[str, Any] | None = None) -> list[str]:
    """Apply fault ``name`` to ``targets`` on a running simulator; one line per effect."""
    spec = FAULTS.get(name)
    if spec is None:
        raise SimulationError(f"unknown fault {name!r} (known: {', '.join(sorted(FAULTS))})")
    params = dict(params or {})
    if not targets and not spec.target_optional:
        raise SimulationError(f"{name} needs at least one target (an asset code, DevEUI or tracker id)")
    devices = (spec.resolve or Fleet.resolve)(sim.fleet, list(targets))
    wrong = [d for d in devices if d.family not in spec.families]
    if wrong:
        raise SimulationError(
            f"{name} applies to {' and '.join(f + 's' for f in spec.families)}; "
            + ", ".join(f"{d.code} is a {d.family}" for d in wrong)
        )
    return spec.action(sim, devices, params)


def _count(params: dict[str, Any]) -> int:
    try:
        count = int(params.get("count", 1))
    except (TypeError, ValueError):
        raise SimulationError("count must be a whole number") from None
    if not 1 <= count <= 1000:
        raise SimulationError("count must be between 1 and 1000")
    return count


def _label(device: Device) -> str:
    return f"{device.code} ({device.key})"


# -- device faults -------------------------------------------------------------------------------------
@fault("lamp-failure", "the lamp fails: its controller reports lamp_failure (live state fault)", ("lamp",))
def lamp_failure(sim: Simulator, devices: list[Device], params: dict[str, Any]) -> list[str]:
    for device in devices:
        sim.city.lamps[device.key].state.lamp_failure = True
        sim.report_now(device)
    return [f"{_label(d)}: lamp failure, reported now" for d in devices]


@fault("driver-fault", "the LED driver fails: the controller reports driver_fault (live state fault)", ("lamp",))
def driver_fault(sim: Simulator, devices: list[Device], params: dict[str, Any]) -> list[str]:
    for device in devices:
        sim.city.lamps[device.key].state.driver_fault = True
        sim.report_now(device)
    return [f"{_label(d)}: driver fault, reported now" for d in devices]


@fault("silence", "the device stops sending (until cleared)")
def silence(sim: Simulator, devices: list[Device], params: dict[str, Any]) -> list[str]:
    sim.silenced.update(d.key for d in devices)
    return [f"{_label(d)}: silent" for d in devices]


@fault("spike", "a sensor sends a threshold-crossing value (params: value) until cleared", ("sensor",))
def spike(sim: Simulator, devices: list[Device], params: dict[str, Any]) -> list[str]:
    value = params.get("value")
    try:
        value = None if value is None else float(value)
    except (TypeError, ValueError):
        raise SimulationError(f"spike value {value!r} is not a number") from None
    lines = []
    for device in devices:
        sent = sim.city.sensors[device.key].set_spike(value)
        sim.report_now(device)
        lines.append(f"{_label(device)}: spike {sent}, reported now")
    return lines


def _resolve_clear(fleet: Fleet, targets: list[str]) -> list[Device]:
    return [] if [t.strip().lower() for t in targets] == ["all"] else fleet.resolve(targets)


@fault("clear", "clear every fault of the targets ('all': of every device with a fault)", resolve=_resolve_clear)
def clear(sim: Simulator, devices: list[Device], params: dict[str, Any]) -> list[str]:
    restored = [] if devices else [line for hook in CLEAR_ALL_HOOKS for line in hook(sim)]
    devices = devices or faulty_devices(sim)
    for device in devices:
        sim.silenced.discard(device.key)
        sim.commands.clear(device)
        if isinstance(device, LampDevice):
            sim.city.lamps[device.key].state.clear_faults()
        elif isinstance(device, SensorDevice):
            sim.city.sensors[device.key].clear_faults()
        sim.report_now(device)
    return [f"{_label(d)}: back to normal, reported now" for d in devices] + restored or ["no device had a fault"]


def faulty_devices(sim: Simulator) -> list[Device]:
    """Every device with a fault set (what ``clear all`` clears)."""
    out: list[Device] = []
    for device in sim.fleet.devices():
        if device.key in sim.silenced:
            out.append(device)
        elif isinstance(device, LampDevice):
            state = sim.city.lamps[device.key].state
            if state.lamp_failure or state.driver_fault:
                out.append(device)
        elif isinstance(device, SensorDevice) and sim.city.sensors[device.key].state.spike:
            out.append(device)
    return out + [d for d in sim.commands.faulty() if d not in out]  # disobedient; silent signals and cameras


# -- malformed messages ----------------------------------------------------------------------------
def _default_target(sim: Simulator, devices: list[Device], families: tuple[str, ...]) -> list[Device]:
    if devices:
        return devices
    pool = [d for d in (*sim.fleet.lamps, *sim.fleet.sensors) if d.family in families]
    if not pool:
        raise SimulationError("no simulated LoRaWAN device to take the shape of")
    return [pool[sim.city.rng.randrange(len(pool))]]


def _lora_message(sim: Simulator, device: LoraDevice, t: float, **kw: Any) -> tuple[str, dict[str, Any]]:
    return uplink(device, sim.city.sessions[device.dev_eui], sim.city.values(device, t), t, sim.city.rng, **kw)


@fault("bad-json", "messages that are not JSON (cut in the middle) on the device's topic (params: count)",
       target_optional=True)
def malformed_json(sim: Simulator, devices: list[Device], params: dict[str, Any]) -> list[str]:
    lines = []
    for device in _default_target(sim, devices, LORA_FAMILIES):
        for _ in range(_count(params)):
            good = sim.city.message(device, sim.clock())
            sim.send(Outgoing(good.link, good.topic, bad_json(good.payload)), "malformed")
        lines.append(f"{_label(device)}: {_count(params)} message(s) of bad JSON on {good.topic}")
    return lines


@fault("wrong-length", "uplinks whose payload is 2 bytes short for the device's codec (params: count)",
       LORA_FAMILIES, target_optional=True)
def malformed_length(sim: Simulator, devices: list[Device], params: dict[str, Any]) -> list[str]:
    lines = []
    for device in _default_target(sim, devices, LORA_FAMILIES):
        assert isinstance(device, LampDevice | SensorDevice)
        codec = codec_for(device.model)
        for _ in range(_count(params)):
            t = sim.clock()
            raw = wrong_length(codec.encode(sim.city.values(device, t)))
            topic, message = uplink(device, sim.city.sessions[device.dev_eui], {}, t, sim.city.rng, payload=raw,
                                    decoded=False)
            sim.send(Outgoing(sim.city.sessions[device.dev_eui].network, topic, dumps(message)), "malformed")
        lines.append(f"{_label(device)}: {_count(params)} uplink(s) of {len(raw)} bytes on fPort {codec.f_port} "
                     f"({codec.model} needs {len(raw) + 2}) on {topic}")
    return lines


@fault("unknown-deveui", "well-formed uplinks from a DevEUI the inventory does not know, shaped like the "
       "target's (params: count)", LORA_FAMILIES, target_optional=True)
def malformed_unknown(sim: Simulator, devices: list[Device], params: dict[str, Any]) -> list[str]:
    lines = []
    for device in _default_target(sim, devices, LORA_FAMILIES):
        assert isinstance(device, LampDevice | SensorDevice)
        own = sim.city.sessions[device.dev_eui]
        ghost = unknown_device(device, sim.city.rng)
        session = dataclasses.replace(new_session(ghost, 0.0, 0.0, sim.city.rng), network=own.network,
                                      decoded=own.decoded)
        for _ in range(_count(params)):
            t = sim.clock()
            topic, message = uplink(ghost, session, sim.city.values(device, t), t, sim.city.rng)
            sim.send(Outgoing(own.network, topic, dumps(message)), "malformed")
        lines.append(f"{_label(device)}: {_count(params)} uplink(s) from unknown DevEUI {ghost.dev_eui} "
                     f"({ghost.code}) on {topic}")
    return lines


@fault("missing-fields", "messages without required fields (params: count, fields: dotted paths; default "
       "the DevEUI and payload of an uplink, lat/lon of a GPS fix)", target_optional=True)
def malformed_missing(sim: Simulator, devices: list[Device], params: dict[str, Any]) -> list[str]:
    fields = params.get("fields")
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",") if f.strip()]
    lines = []
    for device in _default_target(sim, devices, LORA_FAMILIES):
        for _ in range(_count(params)):
            where, removed = _send_without(sim, device, list(fields or []), sim.clock())
        lines.append(f"{_label(device)}: {_count(params)} message(s) without {', '.join(removed)} on {where}")
    return lines


def _send_without(sim: Simulator, device: Device, fields: list[str], t: float) -> tuple[str, list[str]]:
    """Send the device's next message without ``fields`` (or its shape's default ones); where it went
    and the fields removed."""
    if isinstance(device, VehicleDevice) and device.tracker_id in sim.phones:
        fix = sim.city.drivers[device.tracker_id].fix_at(t, sim.city.gps_noise_m)
        query = osmand_params(device.tracker_id, fix)
        removed = [f for f in (fields or DEFAULT_MISSING["osmand"]) if query.pop(f, None) is not None]
        if not removed:
            raise SimulationError(f"none of the fields {', '.join(fields)} is in an OsmAnd request")
        sim.send_osmand(urlencode(query), "malformed")
        return f"OsmAnd {sim.options.osmand_url}", removed
    if isinstance(device, VehicleDevice):
        fix = sim.city.drivers[device.tracker_id].fix_at(t, sim.city.gps_noise_m)
        message = gps_message(device.tracker_id, fix, sim.new_id(), iso_utc(t))
        topic, link, shape = gps_topic(device.tracker_id), device.tracker_id, "gps"
    else:
        topic, message = _lora_message(sim, device, t)
        link = shape = sim.city.sessions[device.dev_eui].network
    broken, removed = drop_fields(message, fields or DEFAULT_MISSING[shape])
    if not removed:
        raise SimulationError(f"none of the fields {', '.join(fields)} is in a {shape} message")
    sim.send(Outgoing(link, topic, dumps(broken)), "malformed")
    return topic, removed
