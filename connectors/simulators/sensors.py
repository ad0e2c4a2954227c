"""Environmental sensors: noise in dB(A) quieter at night, NO2 and PM with rush-hour peaks, and a
temperature with seasonal and daily cycles (below zero on winter nights, and sent as such).

Values are a deterministic pattern of local time plus per-site offsets, per-day weather and a little
noise; a *spike* fault replaces them with a value that crosses the usual alarm thresholds.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from typing import Any

from connectors.simulators.fleet_model import SensorDevice, unit_hash
from connectors.simulators.sun import local_time

#: What a spike sends by default: above the alert thresholds (NO2 400 µg/m³ over an hour, PM10 80
#: µg/m³ daily alert, a night-time noise nuisance, a heat alarm).
SPIKES: dict[str, dict[str, float]] = {
    "noise": {"laeq_db": 98.5, "lamax_db": 112.0},
    "air": {"no2_ugm3": 420.0, "pm10_ugm3": 160.0, "pm25_ugm3": 110.0},
    "temperature": {"temperature_c": 45.0},
}
#: The value ``--value`` replaces in a spike.
SPIKE_FIELD = {"noise": "laeq_db", "air": "no2_ugm3", "temperature": "temperature_c"}


@dataclass(slots=True)
class SensorState:
    """What faults change: ``spike`` holds the values that replace the measured ones."""

    battery_pct: float
    spike: dict[str, float] | None = None


def _bump(hour: float, centre: float, width: float) -> float:
    return math.exp(-(((hour - centre) / width) ** 2))


def _day_anomaly(day: dt.date, salt: str, spread: float) -> float:
    """The weather of the day: the same for every sensor, different each day."""
    u = unit_hash(day.isoformat(), salt)
    return (u - 0.5) * 2 * spread


class SensorController:
    """One simulated sensor (``citypilot-noise``, ``citypilot-air`` or ``citypilot-temp``)."""

    __slots__ = ("device", "site", "state")

    def __init__(self, device: SensorDevice) -> None:
        self.device = device
        self.site = unit_hash(device.dev_eui, "site")  # busy street (1) or quiet park (0)
        self.state = SensorState(battery_pct=60 + 40 * unit_hash(device.dev_eui, "battery"))

    def values_at(self, t: float, rng: random.Random | None = None) -> dict[str, Any]:
        """The values the sensor reports at POSIX time ``t`` (its codec's fields)."""
        rng = rng or random
        local = local_time(t)
        hour = local.hour + local.minute / 60
        kind = self.device.sensor_type
        battery = max(1, round(self.state.battery_pct))
        if kind == "noise":
            values = self._noise(hour, local.weekday() >= 5, rng)
        elif kind == "air":
            values = self._air(hour, local, rng)
        else:
            values = self._temperature(hour, local, rng)
        if self.state.spike:
            values.update(self.state.spike)
        values["battery_pct"] = battery
        return values

    def _noise(self, hour: float, weekend: bool, rng: random.Random) -> dict[str, Any]:
        if 7 <= hour < 20:
            base = 63.0 - (3.0 if weekend else 0.0)
        elif 20 <= hour < 23:
            base = 57.0
        elif 6 <= hour < 7:
            base = 52.0
        else:
            base = 44.0
        laeq = base + (self.site - 0.5) * 12 + rng.gauss(0, 1.5)
        return {"laeq_db": round(laeq, 1), "lamax_db": round(laeq + rng.uniform(8, 18), 1)}

    def _air(self, hour: float, local: dt.datetime, rng: random.Random) -> dict[str, Any]:
        traffic = 0.5 if local.weekday() >= 5 else 1.0
        rush = traffic * (38 * _bump(hour, 8.5, 1.3) + 32 * _bump(hour, 18.0, 1.6))
        no2 = 16 + 14 * self.site + rush + _day_anomaly(local.date(), "no2", 6) + rng.gauss(0, 2)
        winter = max(0.0, math.cos(2 * math.pi * (local.timetuple().tm_yday - 15) / 365))
        heating = 10 * winter * _bump(hour, 20.0, 3.0)
        pm10 = 14 + 6 * self.site + 0.18 * rush + heating + _day_anomaly(local.date(), "pm", 5) + rng.gauss(0, 1.5)
        pm25 = pm10 * rng.uniform(0.55, 0.7)
        return {
            "no2_ugm3": round(max(no2, 0.5), 1),
            "pm10_ugm3": round(max(pm10, 0.5), 1),
            "pm25_ugm3": round(max(pm25, 0.3), 1),
        }

    def _temperature(self, hour: float, local: dt.datetime, rng: random.Random) -> dict[str, Any]:
        season = math.cos(2 * math.pi * (local.timetuple().tm_yday - 15) / 365)  # 1 mid-January
        mean = 11.0 - 9.5 * season
        swing = 4.5 - 1.5 * season  # wider days in summer
        daily = math.cos(2 * math.pi * (hour - 15) / 24)  # warmest at 15:00, coldest at 03:00
        temp = (
            mean + swing * daily + _day_anomaly(local.date(), "temp", 3.0)
            + (self.site - 0.5) * 1.5 + rng.gauss(0, 0.3)
        )
        humidity = 78 - 4.5 * swing * daily + rng.gauss(0, 2)
        return {"temperature_c": round(temp, 2), "humidity_pct": int(min(max(humidity, 25), 100))}

    def set_spike(self, value: float | None = None) -> dict[str, float]:
        """Start sending a threshold-crossing value (``value`` replaces the main one); the values sent."""
        kind = self.device.sensor_type
        spike = dict(SPIKES[kind])
        if value is not None:
            spike[SPIKE_FIELD[kind]] = float(value)
            if kind == "noise":
                spike["lamax_db"] = max(spike["lamax_db"], float(value) + 8)
        self.state.spike = spike
        return spike

    def clear_faults(self) -> None:
        self.state.spike = None
