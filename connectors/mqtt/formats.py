"""Which format a message is in, and its records: detection by topic, else by the payload's shape.

Real fleets mix network servers and versions: every message is named with the format it was read as,
and whatever cannot be read raises FormatError with the reason (and the format, when detected).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from assets.live.devices import Device
from assets.live.records import Record
from connectors.base import FormatError
from connectors.mqtt import chirpstack, citypilot, tts
from connectors.mqtt.common import json_object

FORMATS: tuple[ModuleType, ...] = (citypilot, chirpstack, tts)
BY_NAME = {f.NAME: f for f in FORMATS}
#: Everything the ingest subscribes to by default.
SUBSCRIPTIONS: tuple[str, ...] = tuple(s for f in FORMATS for s in f.SUBSCRIPTIONS)

Lookup = Callable[[str], Device | None]


def detect(topic: str) -> ModuleType | None:
    """The format a topic belongs to, or None."""
    for fmt in FORMATS:
        if fmt.matches(topic):
            return fmt
    return None


def parse_message(topic: str, payload: bytes, lookup: Lookup) -> tuple[str, list[Record]]:
    """(format name, records) of one message; FormatError (with the format when known) otherwise."""
    fmt = detect(topic)
    data = json_object(payload, fmt.NAME if fmt else None)  # type: ignore[arg-type]
    if fmt is None:
        fmt = next((f for f in FORMATS if f.looks_like(data)), None)
        if fmt is None:
            raise FormatError(f"topic: {topic[:120]!r} is not a topic of a known format "
                              f"({', '.join(BY_NAME)}) and the payload does not look like one")
    return fmt.NAME, fmt.parse(topic, data, lookup)
