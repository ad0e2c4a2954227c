"""The MQTT connector: QoS 1 on a persistent session, shared subscriptions, manual acknowledgement.

- **Persistent session**: a stable ``client_id`` connects with ``clean_start=False`` and a session
  expiry, so the broker queues what arrives while the ingest is down.
- **Shared subscriptions** ``$share/{share_group}/{topic}``: several ingest processes (each with its
  own client id) split the messages between them.
- **Manual acknowledgement**: the PUBACK of a message is sent only once the batch holding it is
  committed (``acknowledge``), in the order received; the client's ``receive_maximum`` bounds how
  many unacknowledged messages the broker sends it — the ingest's back-pressure.
- After a reconnection, deliveries of the previous connection are not acknowledged: the broker sends
  them again (same packet ids, possibly now meaning other messages) and the dedup stores them once.
- **Retiring** a client id (``retire``: fewer ingest processes than before): the connector unsubscribes
  at connection, so the group's other members take the new messages, receives what the broker had
  queued for it, and once the ingest has stored all of it (:meth:`MqttConnector.drop_session_on_stop`)
  leaves with a session expiry of 0: the broker deletes the session. Nothing queued is lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import paho.mqtt.client as mqtt

from assets.errors import ValidationError
from assets.live.devices import Device
from assets.live.records import Record
from connectors.base import ConfigError, Connector, Delivery, DeviceCommand, SendResult, Sink
from connectors.commands.messages import cmd_message, downlink, lamp_payload
from connectors.mqtt import formats
from connectors.mqtt.client import BrokerUrl, connect_and_wait, connect_properties, disconnect_properties, make_client
from connectors.registry import register_connector

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "topics": list(formats.SUBSCRIPTIONS),
    "client_id": "citypilot-ingest",
    "share_group": "citypilot-ingest",
    "receive_maximum": 4000,
    "session_expiry_s": 7 * 86400,
    "keepalive_s": 30,
    "retire": False,
}


@register_connector
class MqttConnector(Connector):
    """Reads CityPilot devices, ChirpStack v4 and The Things Stack v3 uplinks from one broker."""

    name = "mqtt"
    description = "an MQTT broker: CityPilot devices, ChirpStack v4 and The Things Stack v3 uplinks"
    carries = ("citypilot", "chirpstack", "tts")

    def __init__(self, config: Mapping[str, Any], *, label: str | None = None, devices: Any = None) -> None:
        super().__init__({**DEFAULTS, **config}, label=label, devices=devices)
        self.url = BrokerUrl.parse(self.config["url"])
        self._client: mqtt.Client | None = None
        self._ack_lock = threading.Lock()  # a reconnection and an acknowledgement never interleave
        self._sink: Sink | None = None
        self._generation = 0
        self._stopped = threading.Event()
        self.connected = threading.Event()
        self.unsubscribed = threading.Event()  # retiring: the broker no longer routes new messages here
        self.last_message_at = time.monotonic()
        self._drop_session = False
        self.session_present = False

    # -- configuration ------------------------------------------------------------------------------
    @classmethod
    def check_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """Connect with the given credentials, subscribe to every topic and unsubscribe: a wrong
        password, an unreachable broker or a refused subscription raises ConfigError."""
        merged = {**DEFAULTS, **config}
        if not merged.get("url"):
            raise ConfigError("url", "missing")
        try:
            url = BrokerUrl.parse(merged["url"])
        except ValidationError as exc:
            raise ConfigError("url", exc.errors[0].reason) from None
        topics = merged["topics"]
        if not isinstance(topics, list) or not topics or not all(isinstance(t, str) and t for t in topics):
            raise ConfigError("topics", "expected a non-empty list of topic filters")
        if not isinstance(merged["retire"], bool):
            raise ConfigError("retire", f"expected true or false, got {merged['retire']!r}")
        for name in ("receive_maximum", "session_expiry_s", "keepalive_s"):
            if not isinstance(merged[name], int) or merged[name] < 1:
                raise ConfigError(name, f"expected a positive integer, got {merged[name]!r}")
        if merged["receive_maximum"] > 65535:
            raise ConfigError("receive_maximum", "MQTT allows at most 65535")
        client = make_client(url, f"citypilot-check-{time.time_ns() % 10**9}")
        try:
            problem = connect_and_wait(client, url, clean_start=True, properties=connect_properties(0))
            if problem is not None:
                raise ConfigError("url", f"{url.redacted()} refused the connection: {problem}")
            _check_subscriptions(client, topics)
        finally:
            client.disconnect()
            client.loop_stop()
        return merged

    # -- receiving ----------------------------------------------------------------------------------
    def run(self, sink: Sink) -> None:
        self._sink = sink
        client = make_client(self.url, self.config["client_id"])
        client.manual_ack_set(True)
        client.reconnect_delay_set(0.2, 5)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        self._client = client
        props = connect_properties(self.config["session_expiry_s"], self.config["receive_maximum"])
        while not self._stopped.is_set():
            try:
                client.connect(self.url.host, self.url.port, keepalive=self.config["keepalive_s"],
                               clean_start=False, properties=props)
                break
            except OSError as exc:
                log.warning("mqtt %s: cannot connect to %s (%s); retrying", self.label, self.url.redacted(), exc)
                self._stopped.wait(2)
        else:
            return
        client.loop_start()
        self._stopped.wait()
        client.disconnect(properties=disconnect_properties(0) if self._drop_session else None)
        client.loop_stop()

    def stop(self) -> None:
        self._stopped.set()

    def quiet_for(self) -> float:
        """Retiring: seconds since the last message once unsubscribed (0 before)."""
        if not self.unsubscribed.is_set():
            return 0.0
        return time.monotonic() - self.last_message_at

    def drop_session_on_stop(self) -> None:
        """Leave with a session expiry of 0 when stopped: the broker deletes this client id's session
        (call it only once everything it delivered is stored)."""
        self._drop_session = True

    def _subscriptions(self) -> list[tuple[str, int]]:
        group = self.config.get("share_group")
        return [(f"$share/{group}/{t}" if group else t, 1) for t in self.config["topics"]]

    def _on_connect(self, client: mqtt.Client, _userdata, flags, reason, _props) -> None:
        if reason.is_failure:
            log.error("mqtt %s: %s refused the connection: %s", self.label, self.url.redacted(), reason)
            return
        with self._ack_lock:
            self._generation += 1
        log.info("mqtt %s: connected to %s (session present: %s)", self.label, self.url.redacted(),
                 flags.session_present)
        self.session_present = bool(flags.session_present)
        if self.config["retire"]:
            client.on_unsubscribe = self._on_unsubscribe
            client.unsubscribe([topic for topic, _qos in self._subscriptions()])
            self.connected.set()
        else:  # connected once the broker confirmed the subscriptions: from then on nothing passes by
            client.on_subscribe = self._on_subscribe
            client.subscribe(self._subscriptions())

    def _on_subscribe(self, _client, _userdata, _mid, reason_codes, _props) -> None:
        refused = [str(code) for code in reason_codes if code.is_failure]
        if refused:
            log.error("mqtt %s: the broker refused subscriptions: %s", self.label, ", ".join(refused))
        self.connected.set()

    def _on_unsubscribe(self, _client, _userdata, _mid, _reason_codes, _props) -> None:
        self.last_message_at = time.monotonic()
        self.unsubscribed.set()
        log.info("mqtt %s: retiring: unsubscribed; receiving what the broker queued for it", self.label)

    def _on_disconnect(self, _client, _userdata, _flags, reason, _props) -> None:
        with self._ack_lock:  # what this connection delivered will come again: never acknowledge it now
            self._generation += 1
        self.connected.clear()
        if not self._stopped.is_set():
            log.warning("mqtt %s: disconnected (%s); reconnecting", self.label, reason)

    def _on_message(self, _client: mqtt.Client, _userdata, msg: mqtt.MQTTMessage) -> None:
        self.last_message_at = time.monotonic()
        token = (self._generation, msg.mid, msg.qos)
        self._sink.put(Delivery(self, msg.topic, msg.payload, time.time(), token))  # type: ignore[union-attr]

    def acknowledge(self, deliveries: Sequence[Delivery]) -> None:
        client = self._client
        if client is None:
            return
        with self._ack_lock:
            generation = self._generation
            for d in deliveries:
                gen, mid, qos = d.token
                if qos and gen == generation:
                    client.ack(mid, qos)

    # -- commands -----------------------------------------------------------------------------------
    def use_client(self, client: mqtt.Client, connected: threading.Event) -> None:
        """Send through a client someone else runs (the command worker's persistent session)."""
        self._client = client
        self.connected = connected

    def message_id(self, command: DeviceCommand) -> str:
        """CityPilot devices acknowledge the command id; the network servers our own downlink id."""
        return str(command.command_id) if command.route.network == "citypilot" else str(uuid.uuid4())

    def send(self, command: DeviceCommand) -> _Publishing:
        """Publish at QoS 1: on CityPilot's contract (``citypilot/v1/devices/{device_id}/cmd``; the
        device's ``ack`` comes back through the ingest as a ``command_ack`` event), or as a confirmed
        LoRaWAN downlink shaped for the route's network server (ChirpStack v4, The Things Stack v3)."""
        route, message_id = command.route, command.message_id or self.message_id(command)
        if route.network == "citypilot":
            message = cmd_message(route.device_id, message_id, command.action, dict(command.params),
                                  dt.datetime.now(dt.UTC))
        else:
            message = downlink(route, message_id, lamp_payload(command.action, dict(command.params)))
        client = self._client
        if client is None or not self.connected.is_set():
            return _Publishing(self, None)
        return _Publishing(self, client.publish(message.topic, message.payload, qos=1))

    # -- reading ------------------------------------------------------------------------------------
    def lookup(self, device_id: str) -> Device | None:
        return self.devices.lookup(device_id) if self.devices is not None else None

    def parse(self, delivery: Delivery) -> list[Record]:
        _fmt, records = formats.parse_message(delivery.topic, delivery.payload, self.lookup)
        return records


class _Publishing:
    """A QoS 1 publish on its way to the broker."""

    def __init__(self, connector: MqttConnector, info: mqtt.MQTTMessageInfo | None) -> None:
        self.connector = connector
        self.info = info

    def result(self, timeout: float) -> SendResult:
        url, info = self.connector.url, self.info
        if info is None:
            return SendResult(f"the MQTT broker {url.host}:{url.port} is not reachable")
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return SendResult(f"the MQTT broker refused the message ({mqtt.error_string(info.rc)})")
        try:
            info.wait_for_publish(max(timeout, 0.01))
        except (RuntimeError, ValueError) as exc:
            return SendResult(f"the MQTT broker did not take the message ({exc})")
        if not info.is_published():
            return SendResult("the MQTT broker did not acknowledge the message in time")
        return SendResult()


def _check_subscriptions(client: mqtt.Client, topics: list[str], timeout: float = 10.0) -> None:
    """Subscribe to each filter (plainly: a check must not take messages from the shared group),
    check the broker granted QoS 1, then unsubscribe."""
    done = threading.Event()
    granted: list[Any] = []

    def on_subscribe(_c, _u, _mid, reason_codes, _p) -> None:
        granted.extend(reason_codes)
        done.set()

    client.on_subscribe = on_subscribe
    client.subscribe([(t, 1) for t in topics])
    if not done.wait(timeout):
        raise ConfigError("topics", "the broker did not answer the subscription")
    refused = [f"{t} ({code})" for t, code in zip(topics, granted, strict=False) if code.is_failure]
    if refused:
        raise ConfigError("topics", f"the broker refused: {', '.join(refused)}")
    client.unsubscribe(topics)
