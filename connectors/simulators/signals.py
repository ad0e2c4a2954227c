"""Simulated traffic-signal controllers and CCTV cameras on CityPilot's own MQTT contract.

Each one reads its ``citypilot/v1/devices/{code}/cmd`` with its own broker account and answers on
``…/ack``, then reports on ``…/state``:

- a signal controller runs ``normal`` or ``flashing`` (amber): ``flash`` / ``normal`` switch it, it
  acknowledges ``done`` and reports ``{"mode": …}``;
- a camera acknowledges ``reboot`` (``accepted``), goes silent for :data:`REBOOT_S` seconds, and comes
  back reporting a small ``uptime_s`` and one more ``boot_count``;
- both report their state every :data:`REPORT_PERIOD_S` seconds; a command they do not take is
  acknowledged ``rejected`` with the reason.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from connectors.simulators.fleet_model import EquipmentDevice, unit_hash
from connectors.simulators.messages import DEVICE_TOPIC, iso_utc

REPORT_PERIOD_S = 60.0
REBOOT_S = 4.0
ACTIONS = {"signal": ("flash", "normal"), "camera": ("reboot",)}


@dataclass
class EquipmentState:
    """What one controller or camera holds."""

    booted_at: float
    mode: str = "normal"
    boot_count: int = 1
    down_until: float | None = None  # rebooting: silent until then


@dataclass(frozen=True)
class Reply:
    """What a device answers to a command: its ack and whether a state report follows at once."""

    status: str
    detail: str | None = None
    report: bool = True


@dataclass
class Equipment:
    """One simulated signal controller or camera."""

    device: EquipmentDevice
    state: EquipmentState = field(init=False)

    def __post_init__(self) -> None:
        self.state = EquipmentState(booted_at=0.0, boot_count=1 + int(unit_hash(self.device.code, "boots") * 20))

    def start(self, now: float) -> None:
        """Up since a while (stable per device), as a device already running when the simulator starts."""
        self.state.booted_at = now - 3600 * (1 + unit_hash(self.device.code, "uptime") * 200)

    def is_down(self, now: float) -> bool:
        return self.state.down_until is not None and now < self.state.down_until

    def values(self, now: float) -> dict[str, Any]:
        if self.device.family == "signal":
            return {"mode": self.state.mode}
        return {"uptime_s": max(int(now - self.state.booted_at), 0), "boot_count": self.state.boot_count}

    def obey(self, action: str, now: float, disobey: bool = False) -> Reply:
        """Apply a command (unless ``disobey``: acknowledge and change nothing)."""
        taken = ACTIONS[self.device.family]
        if action not in taken:
            return Reply("rejected", f"a {self.device.family} takes {', '.join(taken)}, not {action}", report=False)
        if self.device.family == "camera":
            if not disobey:
                self.state.down_until = now + REBOOT_S
                self.state.booted_at = now + REBOOT_S
                self.state.boot_count += 1
            return Reply("accepted", report=disobey)
        if not disobey:
            self.state.mode = "flashing" if action == "flash" else "normal"
        return Reply("done")


def topic(device: EquipmentDevice, channel: str) -> str:
    return DEVICE_TOPIC.format(device_id=device.code, channel=channel)


def state_message(equipment: Equipment, now: float) -> bytes:
    return _dumps({"id": str(uuid.uuid4()), "ts": iso_utc(now), "state": "ok", "values": equipment.values(now)})


def ack_message(command_id: str, reply: Reply, now: float) -> bytes:
    body: dict[str, Any] = {"id": str(uuid.uuid4()), "ts": iso_utc(now), "command_id": command_id,
                            "status": reply.status}
    if reply.detail:
        body["detail"] = reply.detail
    return _dumps(body)


def read_command(payload: bytes) -> tuple[str, str] | None:
    """(command id, action) of a ``cmd`` message, or None when it cannot be read."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict) or not data.get("id") or not isinstance(data.get("action"), str):
        return None
    return str(data["id"]), data["action"]


def _dumps(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()
