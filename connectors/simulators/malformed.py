"""Malformed device messages, each broken in one announced way, for the ingest's dead-letter path:
bad JSON, a payload of the wrong length for the device's codec, a DevEUI the inventory does not
know, required fields missing."""

from __future__ import annotations

import dataclasses
import json
import random
from typing import Any

from connectors.simulators.fleet_model import LoraDevice

#: What ``missing-fields`` removes by default (dotted paths), per message shape.
DEFAULT_MISSING = {
    "chirpstack": ("deviceInfo.devEui", "data", "object"),
    "tts": ("end_device_ids.dev_eui", "uplink_message.frm_payload", "uplink_message.decoded_payload"),
    "gps": ("lat", "lon"),
    "osmand": ("lat", "lon"),
}


def bad_json(payload: bytes) -> bytes:
    """A valid message cut in the middle: not JSON any more."""
    return payload[: max(len(payload) // 2, 1)] + b"\xe2\x80"  # also a truncated UTF-8 sequence


def drop_fields(message: dict[str, Any], paths: tuple[str, ...] | list[str]) -> tuple[dict[str, Any], list[str]]:
    """A copy of ``message`` without the dotted ``paths``; the paths that were present."""
    copy = json.loads(json.dumps(message))
    removed = []
    for path in paths:
        *parents, leaf = path.split(".")
        node: Any = copy
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and leaf in node:
            del node[leaf]
            removed.append(path)
    return copy, removed


def wrong_length(payload: bytes) -> bytes:
    """The codec's payload two bytes short."""
    return payload[:-2] if len(payload) > 2 else payload + b"\x00\x00\x00"


def unknown_device(device: LoraDevice, rng: random.Random) -> LoraDevice:
    """The same kind of device under a DevEUI and name no inventory holds (``FFFFFF`` prefix)."""
    suffix = f"{rng.getrandbits(40):010X}"
    return dataclasses.replace(device, dev_eui=f"FFFFFF{suffix}", code=f"UNKNOWN-{suffix[-6:]}", asset_id=0)
