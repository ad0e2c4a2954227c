"""What the message formats share: JSON objects, device times, values, the LoRaWAN payload decoding."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
from typing import Any

from assets.live.devices import Device
from assets.live.records import Value
from connectors.base import FormatError
from connectors.lorawan.codecs import CodecError, codec_for, lamp_state

try:  # optional accelerator: several times faster, and refuses NaN/Infinity as JSON does
    import orjson

    _loads = orjson.loads
    _JSON_ERRORS: tuple[type[Exception], ...] = (orjson.JSONDecodeError,)
except ImportError:  # pragma: no cover - depends on the environment

    def _reject_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    def _loads(data: bytes) -> Any:
        return json.loads(data, parse_constant=_reject_constant)

    _JSON_ERRORS = (ValueError, UnicodeDecodeError, RecursionError)

MAX_VALUES = 200  # values kept from one message (a decoder gone wild must not flood the history)
MAX_NAME = 100
UTC = dt.UTC


def json_object(payload: bytes, fmt: str) -> dict[str, Any]:
    """The payload as a JSON object; FormatError('payload: ...') otherwise."""
    try:
        data = _loads(payload)
    except _JSON_ERRORS as exc:
        raise FormatError(f"payload: not valid JSON ({str(exc)[:120]})", fmt) from None
    if not isinstance(data, dict):
        raise FormatError(f"payload: expected a JSON object, got {type(data).__name__}", fmt)
    return data


def require(data: dict[str, Any], field: str, fmt: str, where: str = "") -> Any:
    value = data.get(field)
    if value is None:
        raise FormatError(f"{where}{field}: missing", fmt)
    return value


def parse_time(value: Any, field: str, fmt: str) -> dt.datetime:
    """An RFC 3339 time with a zone, in UTC; FormatError naming ``field`` otherwise."""
    if not isinstance(value, str):
        raise FormatError(f"{field}: expected an RFC 3339 time, got {type(value).__name__}", fmt)
    try:
        ts = dt.datetime.fromisoformat(value)
    except ValueError:
        raise FormatError(f"{field}: {value[:40]!r} is not an RFC 3339 time", fmt) from None
    if ts.tzinfo is None:
        raise FormatError(f"{field}: {value[:40]!r} has no time zone", fmt)
    return ts.astimezone(UTC)


def values_of(data: Any, field: str, fmt: str) -> dict[str, Value]:
    """Values as sent: numbers, booleans, null and text kept as they are (never clipped); nested
    objects flattened with dotted names; lists kept as JSON text."""
    if not isinstance(data, dict):
        raise FormatError(f"{field}: expected an object of values, got {type(data).__name__}", fmt)
    out: dict[str, Value] = {}
    _flatten(data, "", out, field, fmt)
    return out


def _flatten(data: dict[str, Any], prefix: str, out: dict[str, Value], field: str, fmt: str) -> None:
    for name, value in data.items():
        full = prefix + name
        if not name or len(full) > MAX_NAME:
            raise FormatError(f"{field}: invalid value name {full[:MAX_NAME]!r}", fmt)
        if isinstance(value, dict):
            _flatten(value, full + ".", out, field, fmt)
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise FormatError(f"{field}.{full}: {value} is not a number JSON allows", fmt)
        if isinstance(value, list):
            value = json.dumps(value, separators=(",", ":"))
        out[full] = value
        if len(out) > MAX_VALUES:
            raise FormatError(f"{field}: more than {MAX_VALUES} values", fmt)


def b64(value: Any, field: str, fmt: str) -> bytes:
    if not isinstance(value, str):
        raise FormatError(f"{field}: expected base64 text, got {type(value).__name__}", fmt)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"{field}: not valid base64", fmt) from None


def decode_uplink(device: Device, f_port: Any, raw: bytes, field: str, fmt: str) -> dict[str, Value]:
    """An undecoded LoRaWAN payload through the device model's codec (or the fPort's)."""
    port = f_port if isinstance(f_port, int) and not isinstance(f_port, bool) else None
    try:
        codec = codec_for(device.codec, port)
        if port is not None and codec.f_port != port:
            raise CodecError(f"{codec.model} sends on fPort {codec.f_port}, not {port}")
        return codec.decode(raw)
    except CodecError as exc:
        raise FormatError(f"{field}: {exc}", fmt) from None


def uplink_state(values: dict[str, Value]) -> str:
    """A lamp controller's state from its flags; any other device that sends a readable uplink is ok."""
    if "lamp_failure" in values or "driver_fault" in values:
        return lamp_state(values)
    return "ok"
