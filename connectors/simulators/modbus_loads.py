"""What the simulated Modbus units measure: a cabinet's lamps (night on, day off, dimmed, switched by
its contactors) or a public building's use (office hours, school days...), as a meter sees them.

A :class:`CabinetModel` holds a lighting cabinet's controller state (contactor per circuit, forced
mode, dimming level, trip and door inputs) and its load: each lamp's power comes from the lamp
simulator when one is linked (:class:`LampLink`: the lamp's own schedule, dimming profile, failures
and commands), else from the cabinet's schedule (on from sunset to sunrise at the dimming level).
Switching or dimming the cabinet tells the linked lamps (``LampLink.command``) so that they report
the same thing. A :class:`MeterModel` turns a power into what a meter reads (phase voltages and
currents, power factor, frequency, energy counters that grow with the power).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from connectors.simulators.fleet_model import unit_hash
from connectors.simulators.sun import is_night, local_time

HOURS_LIT_PER_YEAR = 4100


class LampLink(Protocol):
    """The lamp simulator as the cabinets see it (see ``modbus_servers.SimulatorLamps``)."""

    def lamp_power(self, dev_eui: str, t: float) -> float | None:
        """What the lamp draws at ``t`` by its own schedule and state, or None when it is not simulated."""

    def command(self, dev_euis: Iterable[str], on: bool | None, dim: int | None) -> None:
        """Switch (``on``; None: follow the schedule) and dim (None: the lamp's profile) these lamps."""


@dataclass(frozen=True, slots=True)
class Lamp:
    """A luminaire fed by a cabinet circuit: its DevEUI when it has a LoRaWAN controller, its power."""

    dev_eui: str | None
    power_w: float


@dataclass
class CabinetModel:
    """A lighting cabinet controller (map ``citypilot-cabinet``) and the lamps of its circuits."""

    code: str
    circuits: dict[int, list[Lamp]]
    lamps: LampLink | None = None
    forced: bool = False
    switched: dict[int, bool] = field(default_factory=dict)  # contactor per circuit while forced
    dim_level: int = 100
    dim_set: bool = False  # the dimming register was written: lamps get that level
    tripped: bool = False
    door_open: bool = False
    energy_kwh: float = 0.0
    _last_t: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def circuit_count(self) -> int:
        return max(self.circuits, default=0)

    def contactor(self, n: int, t: float) -> bool:
        """Whether circuit ``n``'s contactor is closed: what was written while forced, else the clock."""
        if n not in self.circuits:
            return False
        return self.switched.get(n, False) if self.forced else is_night(t)

    def power_w(self, t: float) -> float:
        """The cabinet's total load at ``t`` (0 when tripped)."""
        if self.tripped:
            return 0.0
        return sum(self._lamp_power(lamp, t) for n, lamps in self.circuits.items() if self.contactor(n, t)
                   for lamp in lamps)

    def _lamp_power(self, lamp: Lamp, t: float) -> float:
        if self.lamps is not None and lamp.dev_eui:
            power = self.lamps.lamp_power(lamp.dev_eui, t)
            if power is not None:
                return power
        return lamp.power_w * self.dim_level / 100

    def energy(self, t: float) -> float:
        """The energy counter (kWh) at ``t``: it grows with the power since the last call."""
        with self._lock:
            if self._last_t is not None and t > self._last_t:
                self.energy_kwh += self.power_w(t) * (t - self._last_t) / 3_600_000
            self._last_t = t if self._last_t is None else max(self._last_t, t)
            return self.energy_kwh

    def values(self, t: float, voltage_v: float) -> dict[str, float | int | bool]:
        """The controller's fields (the ``citypilot-cabinet`` map's names) at ``t``."""
        out: dict[str, float | int | bool] = {f"circuit_{n}_on": self.contactor(n, t) for n in range(1, 17)}
        out.update(tripped=self.tripped, door_open=self.door_open, dim_level=self.dim_level, forced=int(self.forced),
                   circuit_count=self.circuit_count, power_w=self.power_w(t),
                   energy_total_kwh=self.energy(t) % 4_294_967.295, voltage_v=voltage_v)
        return out

    # -- writes (from Modbus) ---------------------------------------------------------------------------
    def write(self, name: str, value: float | int | bool, t: float) -> None:
        """Apply a write of the ``citypilot-cabinet`` field ``name``; tells the linked lamps."""
        if name.startswith("circuit_") and name.endswith("_on"):
            self._freeze(t)
            self.switched[int(name.split("_")[1])] = bool(value)
        elif name == "forced":
            if value:
                self._freeze(t)
            else:
                self.forced = False
                self.switched.clear()
        elif name == "dim_level":
            self.dim_level, self.dim_set = int(value), True
        else:
            raise KeyError(name)
        self._tell_lamps()

    def _freeze(self, t: float) -> None:
        """Enter forced mode holding every contactor as the clock has it now."""
        if not self.forced:
            self.switched = {n: self.contactor(n, t) for n in self.circuits}
            self.forced = True

    def _tell_lamps(self) -> None:
        if self.lamps is None:
            return
        dim = self.dim_level if self.dim_set else None
        for n, lamps in self.circuits.items():
            euis = [lamp.dev_eui for lamp in lamps if lamp.dev_eui]
            if euis:
                self.lamps.command(euis, self.switched.get(n, False) if self.forced else None, dim)


# -- buildings -------------------------------------------------------------------------------------------
#: W/m² while in use and otherwise, and when it is in use: (weekdays, from hour, to hour)
BUILDING_USE: dict[str, tuple[float, float, tuple[int, ...], float, float]] = {
    "town_hall": (11.0, 2.5, (0, 1, 2, 3, 4), 8, 18),
    "offices": (12.0, 2.5, (0, 1, 2, 3, 4), 8, 19),
    "school": (10.0, 1.5, (0, 1, 3, 4), 8, 17),
    "sports": (9.0, 2.0, (0, 1, 2, 3, 4, 5, 6), 9, 22),
    "culture": (8.0, 2.0, (1, 2, 3, 4, 5, 6), 10, 19),
    "technical": (6.0, 4.0, (0, 1, 2, 3, 4), 7, 17),
    "other": (6.0, 2.0, (0, 1, 2, 3, 4), 8, 18),
}


@dataclass
class BuildingLoad:
    """A public building's consumption by its use and floor area, in Europe/Paris time."""

    key: str
    use: str | None
    floor_area_m2: float | None

    def power_w(self, t: float) -> float:
        busy_w, idle_w, days, start, end = BUILDING_USE.get(self.use or "other", BUILDING_USE["other"])
        local = local_time(t)
        hour = local.hour + local.minute / 60
        in_use = local.weekday() in days and start <= hour < end
        area = self.floor_area_m2 or 500.0
        noise = 0.94 + 0.12 * unit_hash(self.key, f"load:{int(t // 60)}")  # steady within a minute
        return round(area * (busy_w if in_use else idle_w) * noise, 1)


# -- meters ----------------------------------------------------------------------------------------------
@dataclass
class MeterModel:
    """What a meter reads when ``power`` (W, a function of time) flows through it."""

    key: str
    phases: int
    power: Callable[[float], float]
    energy: Callable[[float], float] | None = None  # the cabinet's own counter, when there is one
    power_factor: float = 0.95
    energy_kwh: float = 0.0
    _last_t: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def voltage(self, t: float, phase: int = 1) -> float:
        base = 229.0 + 4 * unit_hash(self.key, f"volt{phase}")
        return round(base + 1.2 * math.sin(t / 600 + phase), 1)

    def counter(self, t: float, power_w: float) -> float:
        if self.energy is not None:
            return self.energy(t)
        with self._lock:
            if self._last_t is not None and t > self._last_t:
                self.energy_kwh += power_w * (t - self._last_t) / 3_600_000
            self._last_t = t if self._last_t is None else max(self._last_t, t)
            return self.energy_kwh

    def values(self, t: float) -> dict[str, float]:
        """Every metric a meter map may ask for (``voltage_v``, ``power_l2_w``...)."""
        power = self.power(t)
        pf = self.power_factor if power > 0 else 1.0
        out: dict[str, float] = {"power_w": power, "power_factor": pf,
                                 "frequency_hz": round(50 + 0.03 * math.sin(t / 97), 3)}
        shares = [1.0] if self.phases == 1 else _phase_shares(self.key)
        volts = []
        for i, share in enumerate(shares, start=1):
            v = self.voltage(t, i)
            volts.append(v)
            p = power * share
            out[f"voltage_l{i}_v"], out[f"power_l{i}_w"] = v, round(p, 1)
            out[f"current_l{i}_a"] = round(p / (v * pf), 3)
        out["voltage_v"] = round(sum(volts) / len(volts), 1)
        out["current_a"] = round(sum(out[f"current_l{i}_a"] for i in range(1, len(shares) + 1)), 3)
        energy = round(self.counter(t, power), 3)
        out["energy_import_kwh"] = out["energy_total_kwh"] = energy
        return out


def _phase_shares(key: str) -> list[float]:
    raw = [0.9 + 0.2 * unit_hash(key, f"phase{i}") for i in range(3)]
    return [r / sum(raw) for r in raw]


def initial_energy_kwh(key: str, mean_power_w: float, hours_per_year: float, years_max: float = 15) -> float:
    """A plausible counter reading for a device in service for a few years."""
    years = 1 + (years_max - 1) * unit_hash(key, "age")
    return round(mean_power_w * hours_per_year * years / 1000, 3)
