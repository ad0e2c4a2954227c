"""What a device said, typed: the records connectors produce and the live writer stores.

They live in ``assets`` (live data belongs to the assets) so that connectors write them and field
service reads them without importing each other; ``connectors.base`` re-exports them.

Times are timezone-aware (UTC) device times. ``key`` is the device message's identity folded into a
signed 64-bit integer (:func:`message_key`): the writer stores a message once per (key, device time)
however often the broker delivers it. Several records may share one key (one message, several facts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

LIVE_STATES = ("ok", "fault", "unreachable", "unknown")
#: A telemetry value as sent: numbers, booleans, null, text (nested data is flattened by the parsers).
Value = float | int | bool | str | None


def message_key(*parts: object) -> int:
    """A message identity (e.g. ``"chirpstack", dedup_id``) as a signed 64-bit integer."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(slots=True)
class Reading:
    """Values measured by one device at one instant; ``state`` ok/fault, or None to leave it as is."""

    asset_id: int
    ts: dt.datetime
    values: dict[str, Value]
    state: str | None = None
    key: int | None = None
    source: str = ""
    #: Whole seconds the device is expected to report in (polled devices: their poll interval), stored
    #: as ``live_state.expected_interval_s`` for silence detection; None leaves it as is.
    interval_s: int | None = None


@dataclass(slots=True)
class Event:
    """Something that happened on a device (``lamp_failure``, ``command_ack``...) with its detail."""

    asset_id: int
    ts: dt.datetime
    name: str
    detail: dict[str, Any] = field(default_factory=dict)
    key: int | None = None
    source: str = ""


@dataclass(slots=True)
class Position:
    """A vehicle's GPS fix: WGS84 lon/lat, speed in km/h, heading in degrees from north."""

    asset_id: int
    ts: dt.datetime
    lon: float
    lat: float
    speed_kmh: float | None = None
    heading_deg: float | None = None
    altitude_m: float | None = None
    accuracy_m: float | None = None
    key: int | None = None
    source: str = ""


@dataclass(slots=True)
class Unreachable:
    """A polled device that stopped answering (not something it said: ``last_seen`` does not move):
    its live state becomes ``unreachable`` and an ``unreachable`` event keeps ``reason``."""

    asset_id: int
    ts: dt.datetime
    reason: str
    failures: int = 0
    interval_s: int | None = None
    endpoint: str = ""
    source: str = ""


@dataclass(slots=True)
class DeadLetter:
    """A message that could not be read, kept whole with the reason."""

    topic: str
    payload: bytes
    reason: str
    format: str | None = None
    connector: str | None = None
    received_at: dt.datetime | None = None


Record = Reading | Event | Position | Unreachable | DeadLetter
