"""The Things Stack v3 uplinks: ``v3/{application_id}@{tenant_id}/devices/{device_id}/up``.

TTS leaves out empty, zero and false fields: an absent ``f_cnt`` is 0. Identity of a message: the
device, its session key id (``f_cnt`` restarts after a re-join) and ``f_cnt``. Device:
``end_device_ids.dev_eui``, else the device id (matched against asset codes). Time: the uplink's
``received_at``. Values: ``decoded_payload`` when a payload formatter is set, else ``frm_payload``
(base64) through the device model's codec.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assets.live.devices import Device
from assets.live.records import Reading, Record, message_key
from connectors.base import FormatError
from connectors.mqtt.common import b64, decode_uplink, parse_time, require, uplink_state, values_of

NAME = "tts"
SUBSCRIPTIONS = ("v3/+/devices/+/up",)


def matches(topic: str) -> bool:
    return topic.startswith("v3/") and topic.endswith("/up")


def looks_like(data: dict[str, Any]) -> bool:
    return "end_device_ids" in data and "uplink_message" in data


def parse(topic: str, data: dict[str, Any], lookup: Callable[[str], Device | None]) -> list[Record]:
    ids = require(data, "end_device_ids", NAME)
    if not isinstance(ids, dict):
        raise FormatError(f"end_device_ids: expected an object, got {type(ids).__name__}", NAME)
    uplink = require(data, "uplink_message", NAME)
    if not isinstance(uplink, dict):
        raise FormatError(f"uplink_message: expected an object, got {type(uplink).__name__}", NAME)
    dev_eui, device_id = ids.get("dev_eui"), ids.get("device_id")
    name = dev_eui or device_id
    if not isinstance(name, str) or not name:
        raise FormatError("end_device_ids: no dev_eui and no device_id", NAME)
    f_cnt = uplink.get("f_cnt", 0)
    if isinstance(f_cnt, bool) or not isinstance(f_cnt, int) or f_cnt < 0:
        raise FormatError(f"uplink_message.f_cnt: expected a counter, got {str(f_cnt)[:20]!r}", NAME)
    when = uplink.get("received_at") or require(data, "received_at", NAME)
    ts = parse_time(when, "uplink_message.received_at", NAME)
    device = lookup(name) or (lookup(device_id) if dev_eui and isinstance(device_id, str) and device_id else None)
    if device is None:
        raise FormatError(f"device: unknown device {name[:64]!r}", NAME)
    decoded = uplink.get("decoded_payload")
    if decoded is not None:
        values = values_of(decoded, "uplink_message.decoded_payload", NAME)
    else:
        raw = uplink.get("frm_payload")
        if not raw:
            raise FormatError("uplink_message.frm_payload: missing (no payload and no decoded_payload)", NAME)
        field = "uplink_message.frm_payload"
        values = decode_uplink(device, uplink.get("f_port", 0), b64(raw, field, NAME), field, NAME)
    key = message_key(NAME, name.upper(), uplink.get("session_key_id") or "", f_cnt)
    return [Reading(device.asset_id, ts, values, uplink_state(values), key, NAME)]
