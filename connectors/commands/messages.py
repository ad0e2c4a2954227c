"""The messages that carry commands, and the acknowledgements that come back, as each side writes them.

- CityPilot's contract: ``citypilot/v1/devices/{device_id}/cmd`` with ``{"id": "<command id>", "ts",
  "action", "params"}``; the device answers on ``…/ack`` (stored by the ingest as ``command_ack``).
- ChirpStack v4: ``application/{application_id}/device/{dev_eui}/command/down`` with ``{"id", "devEui",
  "confirmed", "fPort", "data"}``; the network server publishes ``…/event/ack`` with ``queueItemId`` and
  ``acknowledged`` (absent when false: protobuf JSON leaves defaults out).
- The Things Stack v3: ``v3/{application_id}@{tenant_id}/devices/{device_id}/down/push`` with
  ``{"downlinks": [{"f_port", "frm_payload", "priority", "confirmed", "correlation_ids"}]}``; the
  network server publishes ``…/down/ack``, ``…/down/nack`` or ``…/down/failed`` carrying our
  correlation id back.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from connectors.base import FormatError, Route
from connectors.lorawan.codecs import LAMP_COMMAND_PORT, LampCommand
from connectors.mqtt.common import parse_time

CMD_TOPIC = "citypilot/v1/devices/{device_id}/cmd"
CORRELATION_PREFIX = "citypilot:command:"
#: What the worker subscribes to: network-server acknowledgements (QoS 1: kept while it is away) and
#: uplinks (QoS 0: only to learn where each device's downlinks go).
ACK_SUBSCRIPTIONS = ("application/+/device/+/event/ack", "v3/+/devices/+/down/+")
UPLINK_SUBSCRIPTIONS = ("application/+/device/+/event/up", "v3/+/devices/+/up")


@dataclass(frozen=True)
class Outgoing:
    topic: str
    payload: bytes


@dataclass(frozen=True)
class NetworkAck:
    """A network server's word on a downlink: ``ok`` True (acknowledged by the device), False (refused
    or never delivered: ``reason``); ``message_id`` is ours when it came back."""

    network: str
    application: str
    device_id: str
    message_id: str | None
    ok: bool
    ts: dt.datetime
    reason: str = ""


def _dumps(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


def iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def cmd_message(device_id: str, command_id: int | str, action: str, params: dict[str, Any], ts: dt.datetime
                ) -> Outgoing:
    """A command on CityPilot's own contract."""
    body = {"id": str(command_id), "ts": iso(ts), "action": action, "params": params}
    return Outgoing(CMD_TOPIC.format(device_id=device_id), _dumps(body))


def lamp_payload(action: str, params: dict[str, Any]) -> bytes:
    """The ``citypilot-lc1`` downlink bytes of a dim command."""
    if action != "dim":
        raise ValueError(f"a lamp controller takes dim, not {action}")
    return LampCommand.dim_to(int(params["level"])).encode()


def chirpstack_downlink(route: Route, message_id: str, payload: bytes, f_port: int = LAMP_COMMAND_PORT) -> Outgoing:
    topic = f"application/{route.application}/device/{route.device_id.lower()}/command/down"
    body = {"id": message_id, "devEui": route.device_id.lower(), "confirmed": True, "fPort": f_port,
            "data": base64.b64encode(payload).decode()}
    return Outgoing(topic, _dumps(body))


def tts_downlink(route: Route, message_id: str, payload: bytes, f_port: int = LAMP_COMMAND_PORT) -> Outgoing:
    topic = f"v3/{route.application}/devices/{route.device_id}/down/push"
    body = {"downlinks": [{"f_port": f_port, "frm_payload": base64.b64encode(payload).decode(), "priority": "HIGH",
                           "confirmed": True, "correlation_ids": [CORRELATION_PREFIX + message_id]}]}
    return Outgoing(topic, _dumps(body))


def downlink(route: Route, message_id: str, payload: bytes) -> Outgoing:
    return (chirpstack_downlink if route.network == "chirpstack" else tts_downlink)(route, message_id, payload)


# -- what comes back ------------------------------------------------------------------------------------
def uplink_route(topic: str) -> Route | None:
    """The route an uplink's topic reveals (None for another topic)."""
    parts = topic.split("/")
    if len(parts) == 6 and parts[0] == "application" and parts[2] == "device" and parts[4:] == ["event", "up"]:
        return Route("chirpstack", parts[1], parts[3].lower())
    if len(parts) == 5 and parts[0] == "v3" and parts[2] == "devices" and parts[4] == "up":
        return Route("tts", parts[1], parts[3])
    return None


def _time(value: Any) -> dt.datetime:
    """A network server's time as the ingest reads it (so that it compares with the uplinks' times)."""
    try:
        return parse_time(value, "time", "ack")
    except FormatError:
        return dt.datetime.now(dt.UTC)


def network_ack(topic: str, payload: bytes) -> NetworkAck | None:
    """A ChirpStack ``event/ack`` or TTS ``down/ack|nack|failed`` as a :class:`NetworkAck` (None for
    anything else: TTS ``down/queued``, ``down/sent``, unreadable payloads)."""
    parts = topic.split("/")
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if len(parts) == 6 and parts[0] == "application" and parts[4:] == ["event", "ack"]:
        ok = bool(data.get("acknowledged", False))
        return NetworkAck("chirpstack", parts[1], parts[3].lower(), data.get("queueItemId"), ok,
                          _time(data.get("time")), "" if ok else "the device did not acknowledge the downlink")
    if len(parts) == 6 and parts[0] == "v3" and parts[4] == "down" and parts[5] in ("ack", "nack", "failed"):
        event = parts[5]
        body = data.get({"ack": "downlink_ack", "nack": "downlink_nack", "failed": "downlink_failed"}[event]) or {}
        if event == "failed":
            error = body.get("error") or {}
            body = body.get("downlink") or {}
            reason = f"the network server could not send the downlink ({error.get('message_format') or error})"
        else:
            reason = "" if event == "ack" else "the device did not acknowledge the downlink (nack)"
        ids = [*(body.get("correlation_ids") or []), *(data.get("correlation_ids") or [])]
        mine = next((c.removeprefix(CORRELATION_PREFIX) for c in ids
                     if isinstance(c, str) and c.startswith(CORRELATION_PREFIX)), None)
        return NetworkAck("tts", parts[1], parts[3], mine, event == "ack", _time(data.get("received_at")), reason)
    return None
