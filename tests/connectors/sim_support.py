"""Helpers shared by the simulator tests: times in Paris, sample devices, uplink decoding."""

from __future__ import annotations

import base64
import datetime as dt
import math
from typing import Any

import shapely

from connectors.lorawan.codecs import codec_for
from connectors.simulators.fleet_model import LampDevice
from connectors.simulators.sun import PARIS
from connectors.simulators.uplinks import LoraSession
from tests.assets.helpers import near

GRID_M = 150.0


def paris(*args: int) -> float:
    return dt.datetime(*args, tzinfo=PARIS).timestamp()


def lamp(profile: str | None = "dim50_23h_5h", power: float = 40.0, eui: str = "70B3D57ED0000101") -> LampDevice:
    return LampDevice(1, "LUM-T01", eui, power, profile, dt.date(2020, 1, 1))


def session(network: str, decoded: bool = True) -> LoraSession:
    return LoraSession(network, decoded, "260B1C2D", base64.b64encode(b"k" * 16).decode(), 9)


def decode_uplink(topic: str, message: dict[str, Any]) -> tuple[str, str, dict[str, Any], dict[str, Any] | None]:
    """(network, DevEUI upper case, values decoded from the base64 payload, the NS's decoded values)."""
    if topic.startswith("application/"):
        raw, obj, eui, port = message["data"], message.get("object"), message["deviceInfo"]["devEui"], message["fPort"]
        network = "chirpstack"
    else:
        up = message["uplink_message"]
        raw, obj, eui, port = up["frm_payload"], up.get("decoded_payload"), message["end_device_ids"]["dev_eui"], up[
            "f_port"]
        network = "tts"
    return network, eui.upper(), codec_for(f_port=port).decode(base64.b64decode(raw)), obj


def zero_fields(value: Any, path: str = "") -> list[str]:
    """Paths of zero / false / empty values outside decoded payloads (TTS must have none)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "decoded_payload":
                continue
            if item is False or item == 0 or item in ("", [], {}) or item is None:
                found.append(f"{path}{key}")
            found += zero_fields(item, f"{path}{key}.")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += zero_fields(item, f"{path}{i}.")
    return found

def grid_streets(size: int = 5) -> tuple[list[shapely.LineString], list[str]]:
    """A grid of streets every GRID_M metres from place Darcy; the middle row is a primary road."""
    o = near()
    lines, classes = [], []
    for k in range(size):
        lines.append(shapely.LineString([(o.x + i * GRID_M, o.y + k * GRID_M) for i in range(size)]))
        lines.append(shapely.LineString([(o.x + k * GRID_M, o.y + i * GRID_M) for i in range(size)]))
        classes += ["primary" if k == size // 2 else "residential", "residential"]
    return lines, classes


def bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lat2 = math.radians(a[1]), math.radians(b[1])
    dlon = math.radians(b[0] - a[0])
    y = math.sin(dlon) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    return math.degrees(math.atan2(y, x)) % 360
