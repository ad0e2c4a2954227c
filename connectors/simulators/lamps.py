"""Lamp controllers: on from sunset to sunrise, dimmed by their luminaire's dimming profile in local
time, power from the luminaire's ``power_w``, burning hours that grow while lit, supply voltage.

Each controller keeps a mutable :class:`LampState`: faults set it, and a command handler (next
issue) can switch or dim the lamp through :meth:`LampState.command`.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from assets.dimming import parse_profile
from connectors.simulators.fleet_model import LampDevice, unit_hash
from connectors.simulators.sun import is_night, local_hour

HOURS_LIT_PER_YEAR = 4100  # Dijon: dusk to dawn
FAILED_DRIVER_W = 0.8  # what a controller still measures when its lamp has failed


@dataclass(slots=True)
class LampState:
    """What a controller holds and reports; faults and commands change it."""

    burning_hours: float
    voltage_offset: float
    lamp_failure: bool = False
    driver_fault: bool = False
    command_on: bool | None = None  # None: follow the schedule
    command_dim: int | None = None
    command_until: float | None = None  # POSIX time the command expires (None: until cleared)
    last_report: float | None = None

    def command(self, on: bool | None = None, dim: int | None = None, until: float | None = None) -> None:
        """Override the schedule (a command from the central system): switch and/or dim."""
        self.command_on, self.command_dim, self.command_until = on, dim, until

    def clear_command(self) -> None:
        self.command_on = self.command_dim = self.command_until = None

    def clear_faults(self) -> None:
        self.lamp_failure = self.driver_fault = False


class LampController:
    """One simulated lamp controller (``citypilot-lc1``)."""

    __slots__ = ("device", "profile", "state")

    def __init__(self, device: LampDevice, now: float | None = None) -> None:
        self.device = device
        self.profile = parse_profile(device.dimming_profile)
        offset = round(unit_hash(device.dev_eui, "volt") * 7 - 4, 1)  # line drop from the cabinet
        self.state = LampState(burning_hours=_initial_hours(device, now), voltage_offset=offset)

    def scheduled(self, t: float) -> tuple[bool, int]:
        """On/off and dim level (%) the schedule (or a running command) asks for at POSIX time ``t``."""
        s = self.state
        if s.command_until is not None and t >= s.command_until:
            s.clear_command()
        on = is_night(t) if s.command_on is None else s.command_on
        if not on:
            return False, 0
        if s.command_dim is not None:
            return True, s.command_dim
        profile = self.profile
        if profile is None or not profile.dimmed_at(local_hour(t)):
            return True, 100
        if profile.presence and unit_hash(self.device.dev_eui, f"presence:{int(t // 300)}") < 0.2:
            return True, 100
        return True, profile.level

    def values_at(self, t: float, rng: random.Random | None = None) -> dict[str, Any]:
        """The values the controller reports at ``t`` (the codec's fields); advances burning hours."""
        rng = rng or random
        s = self.state
        on, dim = self.scheduled(t)
        if on and not s.lamp_failure and s.last_report is not None and t > s.last_report:
            s.burning_hours += (t - s.last_report) / 3600
        s.last_report = t
        failed = s.lamp_failure or s.driver_fault
        if not on:
            power = 0.0
        elif failed:
            power = FAILED_DRIVER_W
        else:
            power = round(self.device.power_w * dim / 100 * rng.uniform(0.985, 1.015), 1)
        voltage = 230.0 + s.voltage_offset - (1.5 if on else 0.0) + rng.uniform(-0.8, 0.8)
        return {
            "lamp_on": on,
            "lamp_failure": s.lamp_failure,
            "driver_fault": s.driver_fault,
            "dim_level": dim,
            "power_w": power,
            "burning_hours": int(s.burning_hours),
            "voltage_v": round(voltage, 1),
        }


def _initial_hours(device: LampDevice, now: float | None) -> float:
    today = dt.date.today() if now is None else dt.datetime.fromtimestamp(now, dt.UTC).date()
    if device.install_date is not None:
        years = max((today - device.install_date).days, 0) / 365.25
    else:
        years = unit_hash(device.dev_eui, "age") * 8
    return years * HOURS_LIT_PER_YEAR
