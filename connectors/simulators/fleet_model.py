"""Which devices the simulator plays, read from the inventory: LoRaWAN lamp controllers and sensors
(by DevEUI) and vehicle trackers (by tracker id, parked at their depot)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine, text

from assets.errors import CityPilotError
from connectors.lorawan.codecs import SENSOR_MODELS

LAMP_MODEL = "citypilot-lc1"


class SimulationError(CityPilotError):
    """The simulator cannot do what it was asked (no such device, no account, bad option)."""


def unit_hash(key: str, salt: str = "") -> float:
    """A stable number in [0, 1) for ``key``: per-device choices that survive restarts."""
    digest = hashlib.blake2b(f"{salt}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True, slots=True)
class LampDevice:
    """A luminaire with a LoRaWAN controller."""

    asset_id: int
    code: str
    dev_eui: str
    power_w: float
    dimming_profile: str | None
    install_date: dt.date | None = None
    cabinet_code: str | None = None
    family: str = "lamp"
    model: str = LAMP_MODEL

    @property
    def key(self) -> str:
        return self.dev_eui


@dataclass(frozen=True, slots=True)
class SensorDevice:
    """An environmental LoRaWAN sensor: ``sensor_type`` noise, air or temperature."""

    asset_id: int
    code: str
    dev_eui: str
    sensor_type: str
    family: str = "sensor"

    @property
    def key(self) -> str:
        return self.dev_eui

    @property
    def model(self) -> str:
        return SENSOR_MODELS[self.sensor_type]


@dataclass(frozen=True, slots=True)
class VehicleDevice:
    """A vehicle's GPS tracker; ``depot_xy`` is the inventory position (Lambert-93)."""

    asset_id: int
    code: str
    tracker_id: str
    plate: str | None
    depot_xy: tuple[float, float]
    vehicle_type: str | None = None
    family: str = "vehicle"

    @property
    def key(self) -> str:
        return self.tracker_id


@dataclass(frozen=True, slots=True)
class EquipmentDevice:
    """A signal controller or camera on CityPilot's own MQTT contract (device id = asset code); they obey
    commands (connectors/simulators/signals.py)."""

    asset_id: int
    code: str
    family: str  # signal | camera

    @property
    def key(self) -> str:
        return self.code


LoraDevice = LampDevice | SensorDevice
Device = LampDevice | SensorDevice | VehicleDevice


@dataclass
class Fleet:
    """Every simulated device of the city, with look-ups by code, DevEUI, tracker id or plate."""

    lamps: list[LampDevice] = field(default_factory=list)
    sensors: list[SensorDevice] = field(default_factory=list)
    vehicles: list[VehicleDevice] = field(default_factory=list)
    equipment: list[EquipmentDevice] = field(default_factory=list)  # not in devices(): they only obey commands

    def __len__(self) -> int:
        return len(self.lamps) + len(self.sensors) + len(self.vehicles)

    def devices(self) -> list[Device]:
        return [*self.lamps, *self.sensors, *self.vehicles]

    @cached_property
    def _index(self) -> dict[str, Device]:
        index: dict[str, Device] = {}
        for device in [*self.devices(), *self.equipment]:
            index[device.code.upper()] = device
            index[device.key.upper()] = device
            if isinstance(device, VehicleDevice) and device.plate:
                index[device.plate.upper()] = device
        return index

    def find(self, name: str) -> Device | None:
        """The device named by an asset code, DevEUI, tracker id or plate (any case)."""
        return self._index.get(name.strip().upper())

    def resolve(self, names: list[str]) -> list[Device]:
        """The devices named; SimulationError naming every unknown one."""
        found, unknown = [], []
        for name in names:
            device = self.find(name)
            (found if device is not None else unknown).append(device or name)
        if unknown:
            raise SimulationError(
                f"not a simulated device: {', '.join(map(str, unknown))} (give asset codes, DevEUIs, "
                "tracker ids or plates of LoRaWAN luminaires, sensors or tracked vehicles)"
            )
        return found  # type: ignore[return-value]

    def lamps_of_cabinet(self, cabinet_code: str) -> list[LampDevice]:
        """The simulated lamps fed by a cabinet (for cabinet trips)."""
        code = cabinet_code.strip().upper()
        return [lamp for lamp in self.lamps if (lamp.cabinet_code or "").upper() == code]

    def take_vehicles(self, count: int | None) -> Fleet:
        """The same fleet with only the first ``count`` vehicles (all when None)."""
        if count is None or count >= len(self.vehicles):
            return self
        return Fleet(self.lamps, self.sensors, self.vehicles[: max(count, 0)], self.equipment)


_LAMPS = text("""
    SELECT l.id, l.code, upper(l.dev_eui), coalesce(l.power_w, 0), l.dimming_profile, l.install_date, cab.code
    FROM assets l
    LEFT JOIN assets p ON p.id = l.parent_id AND p.kind = 'pole'
    LEFT JOIN assets c ON c.id = p.parent_id AND c.kind = 'circuit'
    LEFT JOIN assets cab ON cab.id = c.parent_id AND cab.kind = 'cabinet'
    WHERE l.kind = 'luminaire' AND l.dev_eui IS NOT NULL AND l.status <> 'removed'
    ORDER BY l.id
""")
_SENSORS = text("""
    SELECT id, code, upper(dev_eui), sensor_type FROM assets
    WHERE kind = 'sensor' AND dev_eui IS NOT NULL AND status <> 'removed' ORDER BY id
""")
_VEHICLES = text("""
    SELECT id, code, tracker_id, plate, ST_X(geom), ST_Y(geom), vehicle_type FROM assets
    WHERE kind = 'vehicle' AND tracker_id IS NOT NULL AND geom IS NOT NULL AND status <> 'removed'
    ORDER BY id
""")

EQUIPMENT_KINDS = {"signal_controller": "signal", "camera": "camera"}  # kind → family
_EQUIPMENT = text("""
    SELECT id, code, kind FROM assets
    WHERE kind IN ('signal_controller', 'camera') AND status = 'in_service' ORDER BY kind DESC, id
""")


def load_fleet(engine: Engine) -> Fleet:
    """Every LoRaWAN luminaire and sensor and every tracked vehicle of the inventory (not removed)."""
    with engine.connect() as conn:
        lamps = [LampDevice(r[0], r[1], r[2], float(r[3]), r[4], r[5], r[6]) for r in conn.execute(_LAMPS)]
        sensors = [
            SensorDevice(*r) for r in conn.execute(_SENSORS) if r[3] in SENSOR_MODELS
        ]
        vehicles = [VehicleDevice(r[0], r[1], r[2], r[3], (r[4], r[5]), r[6]) for r in conn.execute(_VEHICLES)]
        equipment = [EquipmentDevice(r[0], r[1], EQUIPMENT_KINDS[r[2]]) for r in conn.execute(_EQUIPMENT)]
    return Fleet(lamps, sensors, vehicles, equipment)
