"""The simulator's control topic: ``citypilot simulate inject|status|stop`` publish a request with
the service account; every running simulator subscribes, acts, and answers on the request's
``reply_to`` topic.

Request: ``{"id", "action": "inject" | "status" | "stop", "fault", "targets": [...], "params": {...},
"reply_to"}``; reply: ``{"id", "ok", "message", "details": [...]}``.
"""

from __future__ import annotations

import contextlib
import json
import queue
import time
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from connectors.simulators.fleet_model import SimulationError
from connectors.simulators.mqtt_pool import BrokerAddress

CONTROL_TOPIC = "citypilot/sim/control"
REPLY_PREFIX = "citypilot/sim/reply/"


def request(action: str, **fields: Any) -> dict[str, Any]:
    """A control request with a fresh id and its reply topic."""
    request_id = str(uuid.uuid4())
    return {"id": request_id, "action": action, "reply_to": REPLY_PREFIX + request_id, **fields}


def send(mqtt_url: str, message: dict[str, Any], timeout: float = 5.0, wait_all: bool = False) -> list[dict[str, Any]]:
    """Publish a control request and collect the replies (the first one, or all within ``timeout``
    when ``wait_all``); SimulationError when no simulator answers."""
    address = BrokerAddress.parse(mqtt_url)
    replies: queue.Queue[dict[str, Any]] = queue.Queue()
    subscribed: queue.Queue[int] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sim-ctl-{uuid.uuid4().hex[:8]}")
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set()

    def on_message(_c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with contextlib.suppress(ValueError):
            replies.put(json.loads(msg.payload))

    client.on_message = on_message
    client.on_subscribe = lambda _c, _u, mid, _codes, _p: subscribed.put(mid)
    try:
        client.connect(address.host, address.port, keepalive=30)
    except OSError as exc:
        raise SimulationError(f"cannot reach the MQTT broker at {address.host}:{address.port}: {exc}") from None
    client.loop_start()
    try:
        _result, _mid = client.subscribe(message["reply_to"], qos=1)
        try:
            subscribed.get(timeout=timeout)
        except queue.Empty:
            raise SimulationError("the broker did not accept the reply subscription (is the account right?)") from None
        client.publish(CONTROL_TOPIC, json.dumps(message), qos=1).wait_for_publish(timeout)
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                got.append(replies.get(timeout=max(deadline - time.monotonic(), 0.01)))
            except queue.Empty:
                break
            if not wait_all:
                break
        if not got:
            raise SimulationError(
                f"no simulator answered on {CONTROL_TOPIC} within {timeout:.0f} s: is `citypilot simulate` "
                "running against this broker?"
            )
        return got
    finally:
        client.disconnect()
        client.loop_stop()
