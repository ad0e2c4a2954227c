"""CityPilot's own device format: ``citypilot/v1/devices/{device_id}/{channel}`` (docs/MQTT.md).

``device_id`` is the device's broker username: a DevEUI, a vehicle's tracker id or an asset code.
Identity of a message: the device and its ``id``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from assets.live.devices import Device
from assets.live.records import Event, Position, Reading, Record, message_key
from connectors.base import FormatError
from connectors.mqtt.common import parse_time, require, values_of

NAME = "citypilot"
PREFIX = "citypilot/v1/devices/"
#: Device → CityPilot channels (``cmd`` goes the other way and is not read by the ingest).
CHANNELS = ("state", "telemetry", "event", "gps", "ack")
SUBSCRIPTIONS = tuple(f"{PREFIX}+/{channel}" for channel in CHANNELS)
STATES = ("ok", "fault")
ACK_STATUSES = ("accepted", "rejected", "done")


def matches(topic: str) -> bool:
    return topic.startswith(PREFIX)


def looks_like(data: dict[str, Any]) -> bool:
    return False  # our own format is recognised by its topic only


def parse(topic: str, data: dict[str, Any], lookup: Callable[[str], Device | None]) -> list[Record]:
    parts = topic.split("/")
    if len(parts) != 5 or not parts[3]:
        raise FormatError(f"topic: expected {PREFIX}DEVICE_ID/CHANNEL, got {topic[:120]!r}", NAME)
    device_id, channel = parts[3], parts[4]
    if channel not in CHANNELS:
        raise FormatError(f"topic: unknown channel {channel[:40]!r} (expected one of {', '.join(CHANNELS)})", NAME)
    msg_id = require(data, "id", NAME)
    if isinstance(msg_id, bool) or not isinstance(msg_id, str | int) or msg_id == "":
        raise FormatError("id: expected a non-empty text or integer", NAME)
    ts = parse_time(require(data, "ts", NAME), "ts", NAME)
    device = lookup(device_id)
    if device is None:
        raise FormatError(f"device: unknown device {device_id[:64]!r} (no DevEUI, tracker id or code matches)", NAME)
    key = message_key(NAME, device_id.upper(), msg_id)
    aid = device.asset_id
    if channel == "telemetry":
        return [Reading(aid, ts, values_of(require(data, "values", NAME), "values", NAME), None, key, NAME)]
    if channel == "state":
        state = require(data, "state", NAME)
        if state not in STATES:
            raise FormatError(f"state: {str(state)[:40]!r} is not one of {', '.join(STATES)}", NAME)
        raw_values = data.get("values")
        values = {} if raw_values is None else values_of(raw_values, "values", NAME)
        return [Reading(aid, ts, values, state, key, NAME)]
    if channel == "event":
        name = require(data, "event", NAME)
        if not isinstance(name, str) or not name:
            raise FormatError("event: expected a non-empty text", NAME)
        detail = data.get("detail") or {}
        if not isinstance(detail, dict):
            raise FormatError(f"detail: expected an object, got {type(detail).__name__}", NAME)
        return [Event(aid, ts, name, detail, key, NAME)]
    if channel == "gps":
        return [_position(data, aid, ts, key)]
    return [_ack(data, aid, ts, key)]


def _number(data: dict[str, Any], field: str, *, required: bool = False) -> float | None:
    value = data.get(field)
    if value is None:
        if required:
            raise FormatError(f"{field}: missing", NAME)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FormatError(f"{field}: expected a number, got {str(value)[:40]!r}", NAME)
    return float(value)


def _position(data: dict[str, Any], asset_id: int, ts: Any, key: int) -> Position:
    lat = _number(data, "lat", required=True)
    lon = _number(data, "lon", required=True)
    if not -90 <= lat <= 90:  # type: ignore[operator]
        raise FormatError(f"lat: {lat} is outside -90..90", NAME)
    if not -180 <= lon <= 180:  # type: ignore[operator]
        raise FormatError(f"lon: {lon} is outside -180..180", NAME)
    return Position(
        asset_id, ts, lon, lat,  # type: ignore[arg-type]
        speed_kmh=_number(data, "speed_kmh"), heading_deg=_number(data, "heading_deg"),
        altitude_m=_number(data, "altitude_m"), accuracy_m=_number(data, "accuracy_m"), key=key, source=NAME,
    )


def _ack(data: dict[str, Any], asset_id: int, ts: Any, key: int) -> Event:
    command_id = require(data, "command_id", NAME)
    status = require(data, "status", NAME)
    if status not in ACK_STATUSES:
        raise FormatError(f"status: {str(status)[:40]!r} is not one of {', '.join(ACK_STATUSES)}", NAME)
    detail = {"command_id": command_id, "status": status}
    if data.get("detail") is not None:
        detail["detail"] = data["detail"]
    return Event(asset_id, ts, "command_ack", detail, key, NAME)
