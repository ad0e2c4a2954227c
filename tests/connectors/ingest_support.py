"""What the live-data tests share: a few devices in the inventory, message builders, an in-process
ingest on the test broker and database, and waiting for what it stored."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

from assets.db import unit_of_work
from assets.live.devices import DeviceDirectory
from assets.live.writer import LiveWriter
from assets.store import create_asset
from connectors.ingest import Ingest
from connectors.lorawan.codecs import CODECS
from connectors.mqtt.client import BrokerUrl, connect_and_wait, make_client
from connectors.mqtt.connector import MqttConnector
from tests.assets.helpers import MINIMAL, near

LAMP_EUI = "70B3D59BA0000001"
LAMP2_EUI = "70B3D59BA0000002"
TEMP_EUI = "A840410000000001"
TRACKER = "GPS-00AA11BB22"


@dataclass(frozen=True)
class Devices:
    """The test inventory's devices: asset ids by role."""

    lamp: int
    lamp2: int
    temp: int
    vehicle: int
    cabinet: int


def create_devices(engine: Engine, actor_id: int) -> Devices:
    """Two LoRaWAN lamps, a temperature sensor, a vehicle with a tracker and a cabinet (code only)."""
    with unit_of_work(engine, actor_id) as session:
        def make(kind: str, **values: Any) -> int:
            return create_asset(session, kind, {**MINIMAL[kind], "geom": near(len(values) * 7.0), **values}).id

        return Devices(
            lamp=make("luminaire", code="LUM-T1", dev_eui=LAMP_EUI),
            lamp2=make("luminaire", code="LUM-T2", dev_eui=LAMP2_EUI),
            temp=make("sensor", code="CAP-T1", sensor_type="temperature", dev_eui=TEMP_EUI),
            vehicle=make("vehicle", code="VEH-T1", plate="AA-001-BB", tracker_id=TRACKER),
            cabinet=make("cabinet", code="ARM-T1"),
        )


# -- messages ------------------------------------------------------------------------------------------
def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


T0 = dt.datetime(2026, 11, 29, 21, 0, tzinfo=dt.UTC)


def cp(device_id: str, channel: str, ts: dt.datetime = T0, msg_id: str | None = None, **body: Any) -> tuple[str, bytes]:
    """A CityPilot-format message."""
    payload = {"id": msg_id or str(uuid.uuid4()), "ts": iso(ts), **body}
    return f"citypilot/v1/devices/{device_id}/{channel}", json.dumps(payload).encode()


def lamp_values(**overrides: Any) -> dict[str, Any]:
    values = {"lamp_on": True, "lamp_failure": False, "driver_fault": False, "dim_level": 50, "power_w": 38.2,
              "burning_hours": 12345, "voltage_v": 231.4}
    return {**values, **overrides}


def chirpstack(dev_eui: str, ts: dt.datetime = T0, *, decoded: dict | None = None, raw: bytes | None = None,
               f_port: int = 10, dedup_id: str | None = None) -> tuple[str, bytes]:
    """A ChirpStack v4 up event (``object`` when ``decoded``, base64 ``data`` when ``raw``)."""
    message: dict[str, Any] = {
        "deduplicationId": dedup_id or str(uuid.uuid4()),
        "time": iso(ts),
        "deviceInfo": {"tenantId": "t", "applicationId": "app", "deviceName": "x", "devEui": dev_eui.lower(),
                       "tags": {}},
        "devAddr": "00189440", "fCnt": 10, "fPort": f_port,
        "rxInfo": [{"gatewayId": "0016c001f153a14c", "rssi": -80, "snr": 7.5, "nsTime": iso(ts)}],
        "txInfo": {"frequency": 868100000},
    }
    if raw is not None:
        message["data"] = base64.b64encode(raw).decode()
    if decoded is not None:
        message["object"] = decoded
    return f"application/app/device/{dev_eui.lower()}/event/up", json.dumps(message).encode()


def tts(dev_eui: str, ts: dt.datetime = T0, *, decoded: dict | None = None, raw: bytes | None = None,
        f_port: int = 10, f_cnt: int | None = 7, session_key_id: str | None = "AXBSH1Pk6Z0G166OZyW8ng==",
        device_id: str = "lum-t1") -> tuple[str, bytes]:
    """A The Things Stack v3 uplink (zero fields left out, as TTS does)."""
    uplink: dict[str, Any] = {"f_port": f_port, "received_at": iso(ts),
                              "rx_metadata": [{"gateway_ids": {"gateway_id": "gw"}, "rssi": -90}],
                              "settings": {"frequency": "868100000"}}
    if f_cnt:
        uplink["f_cnt"] = f_cnt
    if session_key_id:
        uplink["session_key_id"] = session_key_id
    if raw is not None:
        uplink["frm_payload"] = base64.b64encode(raw).decode()
    if decoded is not None:
        uplink["decoded_payload"] = decoded
    message = {"end_device_ids": {"device_id": device_id, "application_ids": {"application_id": "eclairage"},
                                  "dev_eui": dev_eui.upper()},
               "received_at": iso(ts + dt.timedelta(milliseconds=30)), "uplink_message": uplink}
    return f"v3/eclairage@dijon/devices/{device_id}/up", json.dumps(message).encode()


def lamp_bytes(**overrides: Any) -> bytes:
    return CODECS["citypilot-lc1"].encode(lamp_values(**overrides))


# -- the broker and the ingest ---------------------------------------------------------------------------
class Publisher:
    """A service-account publisher at QoS 1 that waits until the broker has each message."""

    def __init__(self, url: str, client_id: str | None = None) -> None:
        self.url = BrokerUrl.parse(url)
        self.client = make_client(self.url, client_id or f"test-pub-{uuid.uuid4().hex[:8]}")
        self.client.max_inflight_messages_set(1000)
        problem = connect_and_wait(self.client, self.url)
        assert problem is None, problem

    def publish(self, messages: list[tuple[str, bytes]]) -> None:
        infos = [self.client.publish(topic, payload, qos=1) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@contextmanager
def publisher(url: str) -> Iterator[Publisher]:
    pub = Publisher(url)
    try:
        yield pub
    finally:
        pub.close()


def mqtt_connector(mqtt_url: str, devices: DeviceDirectory, client_id: str, group: str, **config: Any) -> MqttConnector:
    return MqttConnector({"url": mqtt_url, "client_id": client_id, "share_group": group, **config},
                         label=client_id, devices=devices)


@contextmanager
def running_ingest(engine: Engine, db_url: str, connectors: list, **options: Any) -> Iterator[Ingest]:
    """An in-process ingest until the block ends; waits until its MQTT connectors are connected."""
    writer = LiveWriter(db_url, client=connectors[0].label if connectors else "test")
    ingest = Ingest(engine, connectors, writer, maintenance_every_s=3600, **options)
    ingest.start()
    try:
        for c in connectors:
            if isinstance(c, MqttConnector):
                assert c.connected.wait(10), f"{c.label} did not connect"
        yield ingest
    finally:
        ingest.stop()
        ingest.join()
        writer.close()


def subscribe_session(mqtt_url: str, client_id: str, group: str, expiry_s: int = 300) -> None:
    """Create a persistent, subscribed session for ``client_id`` (the broker queues for it) and leave."""
    from connectors.mqtt.client import connect_properties
    from connectors.mqtt.formats import SUBSCRIPTIONS

    url = BrokerUrl.parse(mqtt_url)
    client = make_client(url, client_id)
    assert connect_and_wait(client, url, clean_start=True, properties=connect_properties(expiry_s)) is None
    done = threading.Event()
    client.on_subscribe = lambda *_: done.set()
    client.subscribe([(f"$share/{group}/{t}", 1) for t in SUBSCRIPTIONS])
    assert done.wait(10)
    client.disconnect()
    client.loop_stop()


def count(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def stored(engine: Engine) -> int:
    return count(engine, "SELECT coalesce(sum(messages), 0) FROM ingest_counts")
