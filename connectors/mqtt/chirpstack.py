"""ChirpStack v4 uplinks: ``application/{application_id}/device/{dev_eui}/event/up``.

Identity of a message: ``deduplicationId``. Device: ``deviceInfo.devEui`` (the topic's otherwise).
Time: ``time``, else the first gateway's ``nsTime`` / ``gwTime``. Values: the decoded ``object`` when
the device profile has a codec, else ``data`` (base64) through the device model's codec.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assets.live.devices import Device
from assets.live.records import Reading, Record, message_key
from connectors.base import FormatError
from connectors.mqtt.common import b64, decode_uplink, parse_time, require, uplink_state, values_of

NAME = "chirpstack"
SUBSCRIPTIONS = ("application/+/device/+/event/up",)


def matches(topic: str) -> bool:
    return topic.startswith("application/") and topic.endswith("/event/up")


def looks_like(data: dict[str, Any]) -> bool:
    return "deduplicationId" in data and "deviceInfo" in data


def _time(data: dict[str, Any]) -> Any:
    if data.get("time") is not None:
        return parse_time(data["time"], "time", NAME)
    rx = data.get("rxInfo")
    if isinstance(rx, list) and rx and isinstance(rx[0], dict):
        for field in ("nsTime", "gwTime"):
            if rx[0].get(field) is not None:
                return parse_time(rx[0][field], f"rxInfo[0].{field}", NAME)
    raise FormatError("time: missing (and no rxInfo[0].nsTime or gwTime)", NAME)


def parse(topic: str, data: dict[str, Any], lookup: Callable[[str], Device | None]) -> list[Record]:
    dedup_id = require(data, "deduplicationId", NAME)
    if not isinstance(dedup_id, str) or not dedup_id:
        raise FormatError("deduplicationId: expected a non-empty text", NAME)
    info = data.get("deviceInfo")
    if info is not None and not isinstance(info, dict):
        raise FormatError(f"deviceInfo: expected an object, got {type(info).__name__}", NAME)
    dev_eui = (info or {}).get("devEui")
    if not dev_eui:
        parts = topic.split("/")
        dev_eui = parts[3] if len(parts) == 6 else None
    if not isinstance(dev_eui, str) or not dev_eui:
        raise FormatError("deviceInfo.devEui: missing", NAME)
    ts = _time(data)
    device = lookup(dev_eui)
    if device is None:
        raise FormatError(f"device: unknown DevEUI {dev_eui[:32]!r}", NAME)
    decoded = data.get("object")
    if decoded is not None:
        values = values_of(decoded, "object", NAME)
    else:
        raw = data.get("data")
        if not raw:
            raise FormatError("data: missing (no payload and no decoded object)", NAME)
        values = decode_uplink(device, data.get("fPort"), b64(raw, "data", NAME), "data", NAME)
    return [Reading(device.asset_id, ts, values, uplink_state(values), message_key(NAME, dedup_id), NAME)]
