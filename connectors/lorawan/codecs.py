"""Binary payload codecs of the demo city's LoRaWAN devices, one per device model.

Big-endian, documented in docs/MQTT.md. ``decode`` turns an undecoded uplink (``data`` /
``frm_payload``) into the same values a network-server codec puts in ``object`` /
``decoded_payload``; ``encode`` is what the simulators and the tests use.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class CodecError(ValueError):
    """A payload that does not follow its device model's format."""


@dataclass(frozen=True)
class Codec:
    """One device model's uplink format on one fPort."""

    model: str
    f_port: int
    layout: str  # struct format, big-endian
    fields: tuple[str, ...]
    decode_values: Callable[[tuple[Any, ...]], dict[str, Any]]
    encode_values: Callable[[dict[str, Any]], tuple[Any, ...]]

    def decode(self, payload: bytes) -> dict[str, Any]:
        size = struct.calcsize(self.layout)
        if len(payload) != size:
            raise CodecError(f"{self.model}: expected {size} bytes on fPort {self.f_port}, got {len(payload)}")
        return self.decode_values(struct.unpack(self.layout, payload))

    def encode(self, values: dict[str, Any]) -> bytes:
        return struct.pack(self.layout, *self.encode_values(values))


LAMP_ON, LAMP_FAILURE, DRIVER_FAULT = 0x01, 0x02, 0x04


def _lamp_decode(raw: tuple[Any, ...]) -> dict[str, Any]:
    flags, dim, power, hours, voltage = raw
    return {
        "lamp_on": bool(flags & LAMP_ON),
        "lamp_failure": bool(flags & LAMP_FAILURE),
        "driver_fault": bool(flags & DRIVER_FAULT),
        "dim_level": dim,
        "power_w": power / 10,
        "burning_hours": hours,
        "voltage_v": voltage / 10,
    }


def _lamp_encode(v: dict[str, Any]) -> tuple[Any, ...]:
    flags = (
        (LAMP_ON if v.get("lamp_on") else 0)
        | (LAMP_FAILURE if v.get("lamp_failure") else 0)
        | (DRIVER_FAULT if v.get("driver_fault") else 0)
    )
    return (flags, int(v["dim_level"]), round(v["power_w"] * 10), int(v["burning_hours"]), round(v["voltage_v"] * 10))


def _scaled(names: tuple[str, ...], scales: tuple[float, ...]) -> tuple[Callable, Callable]:
    def decode(raw: tuple[Any, ...]) -> dict[str, Any]:
        return {n: (round(r * s, 6) if s != 1 else r) for n, r, s in zip(names, raw, scales, strict=True)}

    def encode(v: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(round(v[n] / s) for n, s in zip(names, scales, strict=True))

    return decode, encode


_noise = _scaled(("laeq_db", "lamax_db", "battery_pct"), (0.1, 0.1, 1))
_air = _scaled(("no2_ugm3", "pm10_ugm3", "pm25_ugm3", "battery_pct"), (0.1, 0.1, 0.1, 1))
_temp = _scaled(("temperature_c", "humidity_pct", "battery_pct"), (0.01, 1, 1))

CODECS: dict[str, Codec] = {
    c.model: c
    for c in (
        Codec("citypilot-lc1", 10, ">BBHIH", ("flags", "dim", "power", "hours", "voltage"), _lamp_decode, _lamp_encode),
        Codec("citypilot-noise", 20, ">hhB", ("laeq", "lamax", "battery"), *_noise),
        Codec("citypilot-air", 21, ">HHHB", ("no2", "pm10", "pm25", "battery"), *_air),
        Codec("citypilot-temp", 22, ">hBB", ("temperature", "humidity", "battery"), *_temp),
    )
}
BY_PORT: dict[int, Codec] = {c.f_port: c for c in CODECS.values()}
SENSOR_MODELS = {"noise": "citypilot-noise", "air": "citypilot-air", "temperature": "citypilot-temp"}


def codec_for(model: str | None = None, f_port: int | None = None) -> Codec:
    """The codec of a device model, or of the fPort when the model is unknown."""
    if model and model in CODECS:
        return CODECS[model]
    if f_port is not None and f_port in BY_PORT:
        return BY_PORT[f_port]
    raise CodecError(f"no codec for device model {model!r} on fPort {f_port}")


def lamp_state(values: dict[str, Any]) -> str:
    """The live state a lamp controller's values mean: fault on lamp failure or driver fault."""
    return "fault" if values.get("lamp_failure") or values.get("driver_fault") else "ok"


# -- downlinks -------------------------------------------------------------------------------------
LAMP_COMMAND_PORT = 11
_LAMP_COMMAND = ">BBH"  # on:u8 (0 off, 1 on, 0xFF back to the schedule), dim:u8 (%), hold:u16 (minutes, 0: until told)
_SCHEDULE = 0xFF


@dataclass(frozen=True)
class LampCommand:
    """A ``citypilot-lc1`` downlink (fPort 11): switch on at ``dim`` %, off, or back to the schedule
    (``on`` None); ``hold_min`` minutes (0: until the next command). The uplink that follows reports
    the new state (``lamp_on``, ``dim_level``)."""

    on: bool | None
    dim: int = 100
    hold_min: int = 0

    @classmethod
    def dim_to(cls, level: int, hold_min: int = 0) -> LampCommand:
        """Dim to ``level`` % (0: off)."""
        return cls(level > 0, level, hold_min)

    def encode(self) -> bytes:
        if not 0 <= self.dim <= 100 or not 0 <= self.hold_min <= 0xFFFF:
            raise CodecError(f"citypilot-lc1 command: dim {self.dim} or hold {self.hold_min} out of range")
        on = _SCHEDULE if self.on is None else int(self.on)
        return struct.pack(_LAMP_COMMAND, on, self.dim, self.hold_min)

    @classmethod
    def decode(cls, payload: bytes, f_port: int | None = LAMP_COMMAND_PORT) -> LampCommand:
        if f_port != LAMP_COMMAND_PORT:
            raise CodecError(f"citypilot-lc1 takes commands on fPort {LAMP_COMMAND_PORT}, not {f_port}")
        if len(payload) != struct.calcsize(_LAMP_COMMAND):
            raise CodecError(f"citypilot-lc1 command: expected 4 bytes on fPort {LAMP_COMMAND_PORT}, "
                             f"got {len(payload)}")
        on, dim, hold = struct.unpack(_LAMP_COMMAND, payload)
        if on not in (0, 1, _SCHEDULE) or dim > 100:
            raise CodecError(f"citypilot-lc1 command: on={on} dim={dim} is not a command")
        return cls(None if on == _SCHEDULE else bool(on), dim, hold)
