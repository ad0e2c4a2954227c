"""Devices that obey commands: the simulator's side of ``citypilot commands run``.

- **Lamp controllers over LoRaWAN**: the simulator's network-server clients (accounts ``chirpstack``
  and ``tts``) read the downlink topics (``application/+/device/+/command/down``, ``v3/+/devices/+/
  down/push``); a ``citypilot-lc1`` command (fPort 11) is applied to the lamp's :class:`LampState`, the
  lamp sends its uplink at once (the one a confirmed downlink's ACK rides on: it reports the new dim
  level) and the network server publishes its ack event (ChirpStack ``…/event/ack`` with the
  ``queueItemId``; TTS ``…/down/ack`` with our correlation ids), both at the same instant.
- **Signal controllers and cameras** (:mod:`.signals`), each on its own broker account and ``cmd`` topic.
- **The ``disobey`` fault**: the device acknowledges and changes nothing (``clear`` ends it). A silenced
  device hears nothing (no ack: the command times out).

Messages arrive in paho callbacks and are handled in :meth:`CommandSim.tick`, in the simulator's loop.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any

from connectors.lorawan.codecs import CodecError, LampCommand
from connectors.simulators.faults import FAULTS, fault
from connectors.simulators.fleet_model import Device, EquipmentDevice, LampDevice, SimulationError
from connectors.simulators.messages import Outgoing, dumps
from connectors.simulators.mqtt_pool import Link
from connectors.simulators.signals import REPORT_PERIOD_S, Equipment, ack_message, read_command, state_message, topic
from connectors.simulators.uplinks import (
    APPLICATIONS,
    CHIRPSTACK,
    CHIRPSTACK_TENANT_ID,
    TENANT_NAME,
    TTS,
    chirpstack_time,
    tts_time,
)

if TYPE_CHECKING:
    from connectors.simulators.runner import Simulator

log = logging.getLogger(__name__)

DOWNLINK_TOPICS = {CHIRPSTACK: ("application/+/device/+/command/down",), TTS: ("v3/+/devices/+/down/push",)}
EQUIPMENT_FAMILIES = ("signal", "camera")


class CommandSim:
    """What obeys commands in one simulator: lamps (through their network servers), signal controllers, cameras."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.equipment = {d.code: Equipment(d) for d in sim.fleet.equipment}
        self.disobedient: set[str] = set()
        self.period_s = REPORT_PERIOD_S
        self.delay_s = 0.0  # devices answer this long after a command reaches them (a slow radio link)
        self._inbox: deque[tuple[float, str, str, bytes]] = deque()
        self._rebooting: set[str] = set()
        self._f_cnt_down = 0

    # -- wiring -------------------------------------------------------------------------------------------
    def network_link(self, name: str) -> dict[str, Any]:
        """Subscriptions and handler of a network server's link: it reads its downlink topic."""
        return {"subscriptions": DOWNLINK_TOPICS.get(name, ()),
                "on_message": lambda t, p, name=name: self._receive(name, t, p)}

    def connect(self, suffix: str) -> None:
        """Add a link per signal controller and camera with a broker account (others are left out, with a warning)."""
        now = self.sim.clock()
        missing = []
        for code, equipment in self.equipment.items():
            try:
                address = self.sim._account(code)
            except SimulationError:
                missing.append(code)
                continue
            equipment.start(now)
            self.sim.pool.add(Link(code, address, f"sim-{code}-{suffix}",
                                   subscriptions=(topic(equipment.device, "cmd"),),
                                   on_message=lambda t, p, code=code: self._receive(code, t, p)))
        for code in missing:
            del self.equipment[code]
        if missing:
            log.warning("%d signal controllers / cameras have no broker account and are not simulated "
                        "(run `citypilot devices provision`)", len(missing))

    def _receive(self, link: str, topic_name: str, payload: bytes) -> None:
        self._inbox.append((self.sim.clock(), link, topic_name, payload))

    def devices(self) -> list[EquipmentDevice]:
        return [e.device for e in self.equipment.values()]

    # -- the simulator's loop -------------------------------------------------------------------------------
    def tick(self, now: float) -> None:
        """Handle the commands received since the last tick; bring rebooted cameras back."""
        while self._inbox and self._inbox[0][0] + self.delay_s <= now:
            _at, link, topic_name, payload = self._inbox.popleft()
            try:
                if link in DOWNLINK_TOPICS:
                    self._downlink(link, topic_name, payload, now)
                else:
                    self._command(self.equipment[link], payload, now)
            except (SimulationError, CodecError, ValueError, KeyError) as exc:
                log.warning("command on %s ignored: %s", topic_name, exc)
        for code in list(self._rebooting):
            equipment = self.equipment[code]
            if not equipment.is_down(now):
                self._rebooting.discard(code)
                equipment.state.down_until = None
                self.report(equipment.device, now)

    def next_time(self) -> float:
        """When the next rebooting camera comes back or a delayed command is answered (inf: none)."""
        times = [self.equipment[c].state.down_until or 0.0 for c in self._rebooting]
        if self._inbox:
            times.append(self._inbox[0][0] + self.delay_s)
        return min(times, default=float("inf"))

    def scheduled(self, device: EquipmentDevice, now: float) -> None:
        """A periodic report (the Cadence's callback)."""
        if device.key in self.sim.silenced:
            self.sim.counts["silenced"] += 1
            return
        self.report(device, now)

    def report(self, device: EquipmentDevice, now: float | None = None) -> None:
        """Send the device's state now (nothing while silenced or rebooting)."""
        now = self.sim.clock() if now is None else now
        equipment = self.equipment.get(device.code)
        if equipment is None or device.key in self.sim.silenced or equipment.is_down(now):
            return
        self.sim.send(Outgoing(device.code, topic(device, "state"), state_message(equipment, now)), device.family)

    # -- faults ---------------------------------------------------------------------------------------------
    def clear(self, device: Device | EquipmentDevice) -> None:
        self.disobedient.discard(device.key)

    def faulty(self) -> list[Device | EquipmentDevice]:
        found = [self.sim.fleet.find(key) for key in self.disobedient]
        silent = [e.device for e in self.equipment.values() if e.device.key in self.sim.silenced]
        return [d for d in found if d is not None] + silent  # type: ignore[misc]

    # -- commands -------------------------------------------------------------------------------------------
    def _command(self, equipment: Equipment, payload: bytes, now: float) -> None:
        device = equipment.device
        if device.key in self.sim.silenced or equipment.is_down(now):
            self.sim.counts["unheard commands"] += 1
            return  # off the network: it hears nothing
        command = read_command(payload)
        if command is None:
            raise ValueError("not a command message")
        command_id, action = command
        reply = equipment.obey(action, now, disobey=device.key in self.disobedient)
        self.sim.send(Outgoing(device.code, topic(device, "ack"), ack_message(command_id, reply, now)), "acks")
        if equipment.is_down(now):
            self._rebooting.add(device.code)
        elif reply.report:
            self.report(device, now + 0.001)

    def _downlink(self, network: str, topic_name: str, payload: bytes, now: float) -> None:
        data = json.loads(payload)
        parts = topic_name.split("/")
        if network == CHIRPSTACK:
            eui = str(data.get("devEui") or parts[3])
            lamp = self._lamp(eui)
            raw = base64.b64decode(data["data"])
            items = [(int(data.get("fPort", 0)), raw, bool(data.get("confirmed")), data.get("id") or str(uuid.uuid4()),
                      [])]
        else:
            lamp = self._lamp(parts[3])
            items = [(int(d.get("f_port", 0)), base64.b64decode(d.get("frm_payload", "")), bool(d.get("confirmed")),
                      None, list(d.get("correlation_ids") or [])) for d in data.get("downlinks") or []]
        if lamp.key in self.sim.silenced:
            self.sim.counts["unheard commands"] += 1
            return  # out of radio range: nothing heard, nothing acknowledged
        for f_port, raw, confirmed, queue_id, correlation in items:
            command = LampCommand.decode(raw, f_port)
            if lamp.key not in self.disobedient:
                state = self.sim.city.lamps[lamp.dev_eui].state
                if command.on is None:
                    state.clear_command()
                else:
                    until = now + command.hold_min * 60 if command.hold_min else None
                    state.command(on=command.on, dim=command.dim if command.on else 0, until=until)
            self.sim.send(self.sim.city.lora(lamp, now), "lamp")  # the uplink the ACK rides on
            if confirmed:
                self._f_cnt_down += 1
                ack = (self._chirpstack_ack(lamp, parts[1], queue_id, now) if network == CHIRPSTACK
                       else self._tts_ack(lamp, parts[1], raw, f_port, correlation, now))
                self.sim.send(ack, "acks")

    def _lamp(self, name: str) -> LampDevice:
        device = self.sim.fleet.find(name)
        if not isinstance(device, LampDevice):
            raise SimulationError(f"no simulated lamp controller {name!r}")
        return device

    def _chirpstack_ack(self, lamp: LampDevice, application: str, queue_id: str, now: float) -> Outgoing:
        app = APPLICATIONS[lamp.family]
        message = {
            "deduplicationId": str(uuid.uuid4()),
            "time": chirpstack_time(now),
            "deviceInfo": {"tenantId": CHIRPSTACK_TENANT_ID, "tenantName": TENANT_NAME, "applicationId": application,
                           "applicationName": app.chirpstack_name, "deviceName": lamp.code,
                           "devEui": lamp.dev_eui.lower(), "tags": {"asset_code": lamp.code}},
            "queueItemId": queue_id,
            "acknowledged": True,
            "fCntDown": self._f_cnt_down,
        }
        return Outgoing(CHIRPSTACK, f"application/{application}/device/{lamp.dev_eui.lower()}/event/ack",
                        dumps(message))

    def _tts_ack(self, lamp: LampDevice, application: str, raw: bytes, f_port: int, correlation: list[str],
                 now: float) -> Outgoing:
        session = self.sim.city.sessions[lamp.dev_eui]
        app_id = application.split("@")[0]
        message = {
            "end_device_ids": {"device_id": lamp.code.lower(), "application_ids": {"application_id": app_id},
                               "dev_eui": lamp.dev_eui.upper(), "dev_addr": session.dev_addr.upper()},
            "correlation_ids": [f"as:downlink:{uuid.uuid4().hex}", *correlation],
            "received_at": tts_time(now),
            "downlink_ack": {"session_key_id": session.session_key_id, "f_port": f_port, "f_cnt": self._f_cnt_down,
                             "frm_payload": base64.b64encode(raw).decode(), "confirmed": True, "priority": "HIGH",
                             "correlation_ids": correlation},
        }
        return Outgoing(TTS, f"v3/{application}/devices/{lamp.code.lower()}/down/ack", dumps(message))


# Signal controllers and cameras can be silenced and cleared like any device.
for _name in ("silence", "clear"):
    FAULTS[_name] = dataclasses.replace(FAULTS[_name], families=(*FAULTS[_name].families, *EQUIPMENT_FAMILIES))


@fault("disobey", "the device acknowledges commands and does not obey them (until cleared)",
       ("lamp", *EQUIPMENT_FAMILIES))
def disobey(sim: Simulator, devices: list[Device], params: dict[str, Any]) -> list[str]:
    sim.commands.disobedient.update(d.key for d in devices)
    return [f"{d.code} ({d.key}): acknowledges commands and ignores them" for d in devices]
