"""The ingest against the real broker and database: every format stored, bad input dead-lettered,
nothing lost or stored twice through a SIGKILL, a broker restart or a database restart; shared
subscriptions split the load; device ACLs; connector configurations checked before saving."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from app.servers import PrivateBroker, PrivatePostgres
from assets.db import unit_of_work
from assets.live.devices import DeviceDirectory
from assets.live.queries import dead_letters, live_state
from assets.live.writer import LiveWriter
from connectors.base import ConfigError
from connectors.ingest import Ingest
from connectors.mqtt.client import BrokerUrl, connect_and_wait, make_client
from connectors.registry import add_connector, saved_connectors
from tests.connectors.ingest_support import (
    LAMP2_EUI,
    LAMP_EUI,
    T0,
    TEMP_EUI,
    TRACKER,
    Devices,
    chirpstack,
    count,
    cp,
    create_devices,
    lamp_bytes,
    lamp_values,
    mqtt_connector,
    publisher,
    running_ingest,
    stored,
    subscribe_session,
    tts,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def devices(engine: Engine, planner_id: int) -> Devices:
    return create_devices(engine, planner_id)


@pytest.fixture
def directory(engine: Engine, devices: Devices) -> DeviceDirectory:
    d = DeviceDirectory(engine)
    d.load()
    return d


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def telemetry_messages(n: int, prefix: str) -> list[tuple[str, bytes]]:
    """``n`` telemetry messages of 3 values each, spread over three devices, one second apart."""
    ids = (LAMP_EUI, LAMP2_EUI, TEMP_EUI)
    return [
        cp(ids[i % 3], "telemetry", T0 + dt.timedelta(seconds=i), msg_id=f"{prefix}-{i}",
           values={"a": i, "b": -i, "c": None})
        for i in range(n)
    ]


def test_every_format_stored_and_bad_input_dead_lettered(
    engine: Engine, db_url: str, mqtt_url: str, devices: Devices, directory: DeviceDirectory
) -> None:
    connector = mqtt_connector(mqtt_url, directory, unique("e2e"), unique("g"), session_expiry_s=30)
    good = [
        chirpstack(LAMP_EUI, T0, decoded=lamp_values(lamp_failure=True)),
        tts(LAMP2_EUI, T0, raw=lamp_bytes(power_w=0.0, dim_level=0)),
        cp(TEMP_EUI, "telemetry", T0, values={"temperature_c": -4.5, "battery_pct": 0}),
        cp(TRACKER, "gps", T0, lat=47.3185, lon=5.0412, speed_kmh=27.0, heading_deg=92),
        cp("ARM-T1", "state", T0, state="ok"),
        cp("ARM-T1", "state", T0.replace(minute=5), state="fault"),
        cp("ARM-T1", "state", T0.replace(minute=2), state="ok"),  # late, older: ignored for the live state
    ]
    bad = [
        ("citypilot/v1/devices/ARM-T1/telemetry", b"{broken json"),
        cp("UNKNOWN-DEVICE", "telemetry", T0, values={"a": 1}),
        chirpstack(LAMP_EUI, T0, raw=b"\x01\x02\x03"),
    ]
    with running_ingest(engine, db_url, [connector], flush_ms=20) as ingest, publisher(mqtt_url) as pub:
        pub.publish(good + bad)
        wait_until(lambda: stored(engine) == len(good) and count(engine, "SELECT count(*) FROM dead_letters") == 3,
                   what="7 messages stored and 3 dead letters")
        assert ingest.stats.written.dead_letters == 3
    with unit_of_work(engine, None) as session:
        lamp, lamp2, temp = (live_state(session, a) for a in (devices.lamp, devices.lamp2, devices.temp))
        vehicle, cabinet = live_state(session, devices.vehicle), live_state(session, devices.cabinet)
        letters = {d.topic: d for d in dead_letters(session)}
    assert (lamp.state, lamp.source) == ("fault", "chirpstack")
    assert (lamp2.state, lamp2.values["power_w"], lamp2.source) == ("ok", 0.0, "tts")
    assert temp.values == {"temperature_c": -4.5, "battery_pct": 0}
    assert abs(vehicle.lon - 5.0412) < 1e-6 and vehicle.speed_kmh == 27.0
    assert cabinet.state == "fault"
    broken = letters["citypilot/v1/devices/ARM-T1/telemetry"]
    assert broken.payload == b"{broken json" and broken.format == "citypilot"
    assert broken.reason.startswith("payload: not valid JSON")
    assert "unknown device 'UNKNOWN-DEVICE'" in letters["citypilot/v1/devices/UNKNOWN-DEVICE/telemetry"].reason
    codec = letters[f"application/app/device/{LAMP_EUI.lower()}/event/up"]
    assert codec.format == "chirpstack" and "expected 10 bytes on fPort 10, got 3" in codec.reason


def test_a_message_the_database_refuses_becomes_a_dead_letter_alone(
    engine: Engine, db_url: str, mqtt_url: str, devices: Devices, directory: DeviceDirectory
) -> None:
    connector = mqtt_connector(mqtt_url, directory, unique("refused"), unique("g"), session_expiry_s=30)
    messages = telemetry_messages(20, "ok")
    messages.insert(7, cp(LAMP_EUI, "telemetry", T0, values={"label": "nul\u0000byte"}))  # text cannot hold NUL
    with running_ingest(engine, db_url, [connector], flush_ms=200) as ingest, publisher(mqtt_url) as pub:
        pub.publish(messages)
        wait_until(lambda: stored(engine) == 20 and count(engine, "SELECT count(*) FROM dead_letters") == 1,
                   what="20 stored and 1 dead letter")
        assert ingest.stats.batches >= 1
    with unit_of_work(engine, None) as session:
        [letter] = dead_letters(session)
    assert letter.reason.startswith("database refused it:") and b"nul" in letter.payload


def test_redelivery_after_commit_without_ack_is_stored_once(
    engine: Engine, db_url: str, mqtt_url: str, devices: Devices, directory: DeviceDirectory
) -> None:
    client_id, group = unique("noack"), unique("g")
    messages = telemetry_messages(60, "r")
    first = mqtt_connector(mqtt_url, directory, client_id, group, session_expiry_s=60)
    first.acknowledge = lambda deliveries: None  # as if the ingest died right after committing
    with running_ingest(engine, db_url, [first], flush_ms=20), publisher(mqtt_url) as pub:
        pub.publish(messages)
        wait_until(lambda: stored(engine) == 60, what="60 stored")
    second = mqtt_connector(mqtt_url, directory, client_id, group, session_expiry_s=60)
    with running_ingest(engine, db_url, [second], flush_ms=20) as ingest:
        wait_until(lambda: ingest.stats.written.duplicates == 60, what="the 60 redelivered messages")
    assert stored(engine) == 60
    assert count(engine, "SELECT count(*) FROM telemetry") == 180
    assert count(engine, "SELECT count(*) FROM ingest_keys") == 60


def test_sigkill_mid_batch_loses_nothing_and_stores_nothing_twice(
    engine: Engine, db_url: str, mqtt_url: str, devices: Devices, tmp_path: Path
) -> None:
    client_id, group, n = unique("kill"), unique("g"), 3000
    subscribe_session(mqtt_url, client_id, group)  # the broker queues for the ingest from now on
    with publisher(mqtt_url) as pub:
        pub.publish(telemetry_messages(n, "k"))
    command = [sys.executable, "-c", "from app.cli.ingest_cmd import ingest_cmd; ingest_cmd(prog_name='ingest')",
               "--client-id", client_id, "--share-group", group, "--batch-size", "100", "--flush-ms", "20",
               "--no-saved"]
    env = {**os.environ, "DATABASE_URL": db_url, "MQTT_URL": mqtt_url, "PYTHONPATH": str(ROOT)}
    log = tmp_path / "ingest.log"
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: stored(engine) >= 600, timeout=30, what="the first batches")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        killed_at = stored(engine)
        assert killed_at < n, "the ingest finished before it could be killed: publish more"
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log.open("a"), stderr=subprocess.STDOUT)
        wait_until(lambda: stored(engine) == n, timeout=60, what=f"all {n} messages ({log.read_text()[-500:]})")
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
    assert stored(engine) == n
    assert count(engine, "SELECT count(*) FROM ingest_keys") == n
    assert count(engine, "SELECT count(*) FROM telemetry") == 3 * n
    assert count(engine, "SELECT count(*) FROM (SELECT asset_id, ts, metric_id FROM telemetry "
                         "GROUP BY 1, 2, 3 HAVING count(*) > 1) d") == 0


def test_broker_restart_with_messages_in_flight(
    engine: Engine, db_url: str, mqtt_url: str, broker: PrivateBroker, devices: Devices,
    directory: DeviceDirectory,
) -> None:
    client_id, group, n = unique("restart"), unique("g"), 600
    subscribe_session(mqtt_url, client_id, group)
    with publisher(mqtt_url) as pub:
        pub.publish(telemetry_messages(n, "b"))
    connector = mqtt_connector(mqtt_url, directory, client_id, group, receive_maximum=200, session_expiry_s=60)
    writer = LiveWriter(db_url, client=client_id)
    slow_write = writer.write

    def write(records):
        time.sleep(0.05)
        return slow_write(records)

    writer.write = write  # type: ignore[method-assign]
    ingest = Ingest(engine, [connector], writer, batch_size=50, flush_ms=20)
    ingest.start()
    try:
        wait_until(lambda: stored(engine) >= 100, what="the first batches")
        broker.restart()  # unacknowledged deliveries come again after the restart
        wait_until(lambda: stored(engine) == n, timeout=60, what=f"all {n} messages after the restart")
    finally:
        ingest.stop()
        ingest.join()
        writer.close()
    assert count(engine, "SELECT count(*) FROM ingest_keys") == n
    assert count(engine, "SELECT count(*) FROM telemetry") == 3 * n


def test_database_restart_loses_nothing(
    engine: Engine, db_url: str, mqtt_url: str, postgres_server: PrivatePostgres, devices: Devices,
    directory: DeviceDirectory,
) -> None:
    connector = mqtt_connector(mqtt_url, directory, unique("dbdown"), unique("g"), session_expiry_s=60)
    with running_ingest(engine, db_url, [connector], flush_ms=20) as ingest, publisher(mqtt_url) as pub:
        pub.publish(telemetry_messages(30, "d1"))
        wait_until(lambda: stored(engine) == 30, what="30 stored")
        engine.dispose()
        postgres_server.down(mode="immediate")  # a crash: nothing flushed politely
        pub.publish(telemetry_messages(90, "d2")[30:])
        wait_until(lambda: ingest.stats.retries > 0, what="the ingest retrying")
        postgres_server.up()
        wait_until(lambda: stored(engine) == 90, timeout=60, what="90 stored after the database came back")
    assert count(engine, "SELECT count(*) FROM ingest_keys") == 90


def test_shared_subscription_splits_the_load_between_two_ingests(
    engine: Engine, db_url: str, mqtt_url: str, devices: Devices, directory: DeviceDirectory
) -> None:
    group, n = unique("g"), 400
    one = mqtt_connector(mqtt_url, directory, unique("share-a"), group, session_expiry_s=30)
    two = mqtt_connector(mqtt_url, directory, unique("share-b"), group, session_expiry_s=30)
    with running_ingest(engine, db_url, [one], flush_ms=20), running_ingest(engine, db_url, [two], flush_ms=20), \
            publisher(mqtt_url) as pub:
        pub.publish(telemetry_messages(n, "s"))
        wait_until(lambda: stored(engine) == n, what=f"{n} stored")
    with engine.connect() as conn:
        per_client = dict(conn.execute(text("SELECT client, sum(messages) FROM ingest_counts GROUP BY 1")).all())
    assert set(per_client) == {one.label, two.label}
    assert all(v > n / 4 for v in per_client.values()) and sum(per_client.values()) == n
    assert count(engine, "SELECT count(*) FROM ingest_keys") == n


def test_retiring_an_ingest_stores_its_queue_then_deletes_its_session(
    engine: Engine, db_url: str, mqtt_url: str, devices: Devices, directory: DeviceDirectory
) -> None:
    """Two ingests shared the load; one is retired: what the broker queued for it is stored, once,
    its session is gone, and from then on the other one takes every message."""
    group, kept, retired, n = unique("g"), unique("kept"), unique("retired"), 400
    subscribe_session(mqtt_url, kept, group)
    subscribe_session(mqtt_url, retired, group)
    with publisher(mqtt_url) as pub:
        pub.publish(telemetry_messages(n, "r"))  # split between the two sessions' queues
        survivor = mqtt_connector(mqtt_url, directory, kept, group, session_expiry_s=60)
        with running_ingest(engine, db_url, [survivor], flush_ms=20):
            wait_until(lambda: count(engine, "SELECT coalesce(sum(messages), 0) FROM ingest_counts "
                                             "WHERE client = :c", c=kept) > 0, what="the kept ingest's share")
            assert stored(engine) < n  # the rest waits in the retired id's queue
            command = [sys.executable, "-c",
                       "from app.cli.ingest_cmd import ingest_cmd; ingest_cmd(prog_name='ingest')",
                       "--client-id", retired, "--share-group", group, "--retire", "--flush-ms", "20"]
            env = {**os.environ, "DATABASE_URL": db_url, "MQTT_URL": mqtt_url, "PYTHONPATH": str(ROOT)}
            done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr[-2000:]
            from_retired = count(engine, "SELECT coalesce(sum(messages), 0) FROM ingest_counts WHERE client = :c",
                                 c=retired)
            assert 0 < from_retired < n
            assert f"retired {retired}: {from_retired} queued messages stored" in done.stdout
            assert "its session is deleted" in done.stdout
            wait_until(lambda: stored(engine) == n, what=f"all {n} messages")
            pub.publish(telemetry_messages(n + 100, "r")[n:])  # now all for the kept ingest
            wait_until(lambda: stored(engine) == n + 100, what="the next 100 messages")
    assert count(engine, "SELECT count(*) FROM ingest_keys") == n + 100
    assert count(engine, "SELECT coalesce(sum(messages), 0) FROM ingest_counts WHERE client = :c",
                 c=retired) == from_retired
    url = BrokerUrl.parse(mqtt_url)
    probe = make_client(url, retired)
    present: list[bool] = []
    answered = threading.Event()

    def on_connect(_c, _u, flags, _reason, _p) -> None:
        present.append(flags.session_present)
        answered.set()

    probe.on_connect = on_connect
    probe.connect(url.host, url.port, clean_start=False)
    probe.loop_start()
    assert answered.wait(10)
    probe.disconnect()
    probe.loop_stop()
    assert present == [False]  # the broker forgot the retired id


def test_a_device_cannot_publish_for_another(
    engine: Engine, db_url: str, mqtt_url: str, broker: PrivateBroker, devices: Devices,
    directory: DeviceDirectory,
) -> None:
    broker.add_clients({LAMP_EUI: "secret-a", LAMP2_EUI: "secret-b"})
    url = BrokerUrl.parse(broker.client_url(LAMP_EUI, "secret-a"))
    lamp_a = make_client(url, LAMP_EUI)
    disconnected = []
    connector = mqtt_connector(mqtt_url, directory, unique("acl"), unique("g"), session_expiry_s=30)
    with running_ingest(engine, db_url, [connector], flush_ms=20):
        assert connect_and_wait(lamp_a, url) is None
        lamp_a.on_disconnect = lambda *args: disconnected.append(args[3])
        own_topic, own = cp(LAMP_EUI, "telemetry", T0, values={"power_w": 10.0})
        lamp_a.publish(own_topic, own, qos=1).wait_for_publish(5)
        other_topic, forged = cp(LAMP2_EUI, "state", T0, state="fault")
        lamp_a.publish(other_topic, forged, qos=1)
        wait_until(lambda: bool(disconnected), what="the broker to disconnect the device")
        wait_until(lambda: stored(engine) == 1, what="the device's own message")
        time.sleep(0.3)
    lamp_a.loop_stop()
    assert stored(engine) == 1
    with unit_of_work(engine, None) as session:
        assert live_state(session, devices.lamp).values == {"power_w": 10.0}
        assert live_state(session, devices.lamp2) is None
    # nor read another device's commands (the broker grants the subscription but never delivers)
    reader = make_client(url, LAMP_EUI)
    commands: list[str] = []
    reader.on_message = lambda _c, _u, m: commands.append(m.topic)
    assert connect_and_wait(reader, url) is None
    subscribed = threading.Event()
    reader.on_subscribe = lambda *_: subscribed.set()
    reader.subscribe([(f"citypilot/v1/devices/{eui}/cmd", 1) for eui in (LAMP_EUI, LAMP2_EUI)])
    assert subscribed.wait(5)
    with publisher(mqtt_url) as pub:
        pub.publish([cp(eui, "cmd", T0, action="dim", params={"level": 50}) for eui in (LAMP2_EUI, LAMP_EUI)])
    wait_until(lambda: bool(commands), what="the device's own command")
    time.sleep(0.3)
    reader.disconnect()
    reader.loop_stop()
    assert commands == [f"citypilot/v1/devices/{LAMP_EUI}/cmd"]


def add_connector_checked(engine: Engine, config: dict) -> None:
    with unit_of_work(engine, None) as session:
        add_connector(session, "mqtt", config, name=unique("c"))


def test_connector_configuration_checked_against_the_broker_before_saving(
    engine: Engine, mqtt_url: str, broker: PrivateBroker
) -> None:
    wrong = mqtt_url.replace(f":{broker.password}@", ":wrong-password@")
    with pytest.raises(ConfigError) as info:
        add_connector_checked(engine, {"url": wrong})
    assert str(info.value).startswith("url: mqtt://citypilot:***@127.0.0.1:")
    assert "refused the connection" in str(info.value) and "wrong-password" not in str(info.value)
    with pytest.raises(ConfigError, match=r"url: .*cannot reach"):
        add_connector_checked(engine, {"url": "mqtt://citypilot:x@127.0.0.1:1"})
    with unit_of_work(engine, None) as session:
        assert saved_connectors(session) == []
        saved = add_connector(session, "mqtt", {"url": mqtt_url}, name="city-broker")
        assert saved.checked_at is not None and saved.config["topics"]
    with unit_of_work(engine, None) as session:
        assert [c.name for c in saved_connectors(session)] == ["city-broker"]
