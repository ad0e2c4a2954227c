"""The device simulators: exact network-server shapes, schedules and patterns, vehicles on the
streets, and the simulator running over the real broker with faults injected through its control topic."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import math
import random
import re
import stat
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import paho.mqtt.client as mqtt
import pytest
import shapely
from geoalchemy2.shape import from_shape
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine

from app.servers.broker import PrivateBroker
from assets.db import unit_of_work
from assets.models.reference import Street
from assets.store import create_asset
from connectors.lorawan.codecs import CodecError, codec_for
from connectors.simulators import (
    SimOptions,
    Simulator,
    StreetGraph,
    backlog_messages,
    city_burst_messages,
    device_usernames,
    load_accounts,
    load_fleet,
    provision,
)
from connectors.simulators import control as sim_control
from connectors.simulators.fleet_model import Fleet, LampDevice, SensorDevice, SimulationError, VehicleDevice
from connectors.simulators.lamps import LampController, parse_profile
from connectors.simulators.sensors import SensorController
from connectors.simulators.sun import PARIS, is_night, sun_times
from connectors.simulators.uplinks import LoraSession, is_decoded, network_of, uplink
from connectors.simulators.vehicles import KMH_PER_KNOT, VehicleDriver
from gis.crs import from_storage
from tests.assets.helpers import near

GRID_M = 150.0


def paris(*args: int) -> float:
    return dt.datetime(*args, tzinfo=PARIS).timestamp()


def lamp(profile: str | None = "dim50_23h_5h", power: float = 40.0, eui: str = "70B3D57ED0000101") -> LampDevice:
    return LampDevice(1, "LUM-T01", eui, power, profile, dt.date(2020, 1, 1))


def session(network: str, decoded: bool = True) -> LoraSession:
    return LoraSession(network, decoded, "260B1C2D", base64.b64encode(b"k" * 16).decode(), 9)


def decode_uplink(topic: str, message: dict[str, Any]) -> tuple[str, str, dict[str, Any], dict[str, Any] | None]:
    """(network, DevEUI upper case, values decoded from the base64 payload, the NS's decoded values)."""
    if topic.startswith("application/"):
        raw, obj, eui, port = message["data"], message.get("object"), message["deviceInfo"]["devEui"], message["fPort"]
        network = "chirpstack"
    else:
        up = message["uplink_message"]
        raw, obj, eui, port = up["frm_payload"], up.get("decoded_payload"), message["end_device_ids"]["dev_eui"], up[
            "f_port"]
        network = "tts"
    return network, eui.upper(), codec_for(f_port=port).decode(base64.b64decode(raw)), obj


def zero_fields(value: Any, path: str = "") -> list[str]:
    """Paths of zero / false / empty values outside decoded payloads (TTS must have none)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "decoded_payload":
                continue
            if item is False or item == 0 or item in ("", [], {}) or item is None:
                found.append(f"{path}{key}")
            found += zero_fields(item, f"{path}{key}.")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += zero_fields(item, f"{path}{i}.")
    return found


# -- LoRaWAN uplinks, exactly shaped --------------------------------------------------------------------
def test_chirpstack_uplink_is_shaped_as_chirpstack_v4_publishes_it() -> None:
    device, rng = lamp(), random.Random(1)
    ses = session("chirpstack")
    t = paris(2026, 1, 15, 2, 0)
    values = LampController(device, t).values_at(t, rng)
    topic, first = uplink(device, ses, values, t, rng)
    _, second = uplink(device, ses, values, t + 600, rng)

    assert re.fullmatch(r"application/[0-9a-f-]{36}/device/70b3d57ed0000101/event/up", topic)
    assert list(first) == ["deduplicationId", "time", "deviceInfo", "devAddr", "adr", "dr", "fPort", "data", "object",
                           "rxInfo", "txInfo"]
    assert "fCnt" not in first and second["fCnt"] == 1  # protobuf JSON leaves the default 0 out
    assert uuid.UUID(first["deduplicationId"]) != uuid.UUID(second["deduplicationId"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}\+00:00", first["time"])
    info = first["deviceInfo"]
    assert {"tenantId", "tenantName", "applicationId", "applicationName", "deviceProfileId", "deviceProfileName",
            "deviceName", "devEui", "tags"} <= set(info)
    assert info["devEui"] == "70b3d57ed0000101" and info["deviceName"] == "LUM-T01"
    assert first["fPort"] == 10 and first["devAddr"] == "260b1c2d" and first["dr"] == 3
    rx = first["rxInfo"][0]
    assert {"gatewayId", "uplinkId", "rssi", "snr", "context", "metadata"} <= set(rx)
    assert first["txInfo"]["modulation"]["lora"] == {"bandwidth": 125000, "spreadingFactor": 9, "codeRate": "CR_4_5"}
    assert isinstance(first["txInfo"]["frequency"], int)
    _, eui, decoded, obj = decode_uplink(topic, first)
    assert eui == device.dev_eui and decoded == obj
    assert decoded["dim_level"] == values["dim_level"] == 50 and decoded["lamp_on"] is True
    assert decoded["power_w"] == pytest.approx(values["power_w"]) and decoded["voltage_v"] == values["voltage_v"]

    _, undecoded = uplink(device, session("chirpstack", decoded=False), values, t, rng)
    assert "object" not in undecoded and decode_uplink(topic, undecoded)[2] == decoded


def test_tts_uplink_leaves_out_zeros_and_writes_the_frequency_as_a_string() -> None:
    device, rng = lamp(), random.Random(2)
    ses = session("tts")
    noon = paris(2026, 1, 15, 13, 0)  # lamp off: the decoded values are false and zero, and stay
    values = LampController(device, noon).values_at(noon, rng)
    topic, first = uplink(device, ses, values, noon, rng)
    _, second = uplink(device, ses, values, noon + 600, rng)

    assert topic == "v3/dijon-eclairage@dijon/devices/lum-t01/up"
    ids = first["end_device_ids"]
    assert ids["device_id"] == "lum-t01" and ids["dev_eui"] == "70B3D57ED0000101"
    assert ids["application_ids"] == {"application_id": "dijon-eclairage"}
    up = first["uplink_message"]
    assert "f_cnt" not in up and second["uplink_message"]["f_cnt"] == 1
    assert up["session_key_id"] == ses.session_key_id and up["f_port"] == 10
    assert isinstance(up["settings"]["frequency"], str) and up["settings"]["frequency"].isdigit()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", first["received_at"])
    assert zero_fields(first) == [] and zero_fields(second) == []
    assert up["decoded_payload"] == {"lamp_on": False, "lamp_failure": False, "driver_fault": False, "dim_level": 0,
                                     "power_w": 0.0, "burning_hours": values["burning_hours"],
                                     "voltage_v": values["voltage_v"]}
    assert decode_uplink(topic, first)[2] == up["decoded_payload"]
    _, undecoded = uplink(device, session("tts", decoded=False), values, noon, rng)
    assert "decoded_payload" not in undecoded["uplink_message"]


def test_network_server_and_codec_are_chosen_per_device_stably_in_the_asked_mix() -> None:
    euis = [f"70B3D57ED0{i:06X}" for i in range(2000)]
    chirp = [network_of(e, 0.3) == "chirpstack" for e in euis]
    undecoded = [not is_decoded(e, 0.25) for e in euis]
    assert 0.25 < np.mean(chirp) < 0.35 and 0.2 < np.mean(undecoded) < 0.3
    assert chirp == [network_of(e, 0.3) == "chirpstack" for e in euis]
    assert all(network_of(e, 1.0) == "chirpstack" for e in euis[:50])
    assert all(network_of(e, 0.0) == "tts" for e in euis[:50])


# -- lamps and sensors -----------------------------------------------------------------------------------
def test_sunrise_and_sunset_at_dijon_are_within_minutes_of_the_ephemeris() -> None:
    for day, sunrise, sunset in ((dt.date(2026, 12, 21), "08:26", "16:53"), (dt.date(2026, 6, 21), "05:44", "21:41")):
        for got, want in zip(sun_times(day), (sunrise, sunset), strict=True):
            local = dt.datetime.fromtimestamp(got, PARIS)
            expected = local.replace(hour=int(want[:2]), minute=int(want[3:]), second=0, microsecond=0)
            assert abs((local - expected).total_seconds()) < 6 * 60, (day, local, want)


def test_lamps_follow_the_night_and_their_dimming_profile() -> None:
    rng = random.Random(3)
    profiled, plain = LampController(lamp("dim50_23h_5h", 40.0)), LampController(lamp(None, 40.0, "70B3D57ED0000102"))
    cases = {  # local time: (on, profiled dim, plain dim)
        (2026, 1, 15, 2, 0): (True, 50, 100),
        (2026, 1, 15, 21, 0): (True, 100, 100),
        (2026, 1, 15, 13, 0): (False, 0, 0),
        (2026, 6, 21, 21, 15): (False, 0, 0),  # the sun sets at 21:41 in June
        (2026, 6, 21, 22, 30): (True, 100, 100),
        (2026, 6, 21, 23, 30): (True, 50, 100),
    }
    for when, (on, dim_p, dim_plain) in cases.items():
        t = paris(*when)
        vp, vn = profiled.values_at(t, rng), plain.values_at(t, rng)
        assert (vp["lamp_on"], vp["dim_level"], vn["dim_level"]) == (on, dim_p, dim_plain), when
        assert vp["power_w"] == pytest.approx(40.0 * dim_p / 100, rel=0.02, abs=0.01)
        assert 225 < vp["voltage_v"] < 236 and vp["lamp_failure"] is False
    assert parse_profile("dim30_22h_6h").dimmed_at(23.5) and not parse_profile("dim30_22h_6h").dimmed_at(7)
    assert parse_profile("presence_detection").level == 30 and parse_profile(None) is None

    night = paris(2026, 1, 15, 20, 0)
    first = plain.values_at(night, rng)["burning_hours"]
    assert plain.values_at(night + 3 * 3600, rng)["burning_hours"] == first + 3  # burns while lit
    plain.state.lamp_failure = True
    failed = plain.values_at(night + 4 * 3600, rng)
    assert failed["lamp_failure"] and failed["lamp_on"] and failed["power_w"] < 1
    plain.state.clear_faults()
    plain.state.command(dim=20)  # what a command handler will do
    assert plain.values_at(night + 5 * 3600, rng)["dim_level"] == 20
    plain.state.command(on=False, until=night + 6 * 3600)
    assert plain.values_at(night + 5.5 * 3600, rng)["lamp_on"] is False
    assert plain.values_at(night + 6.5 * 3600, rng)["dim_level"] == 100  # the command expired


def test_sensors_follow_daily_patterns_and_winter_nights_go_below_zero() -> None:
    rng = random.Random(4)
    noise = SensorController(SensorDevice(1, "CAP-T1", "A840410000000001", "noise"))
    air = SensorController(SensorDevice(2, "CAP-T2", "A840410000000002", "air"))
    temp = SensorController(SensorDevice(3, "CAP-T3", "A840410000000003", "temperature"))
    weekdays = [dt.date(2026, 3, 2) + dt.timedelta(days=d) for d in range(5)]  # Monday to Friday

    def mean(ctrl: SensorController, field: str, hour: float, days: list[dt.date]) -> float:
        return float(np.mean([ctrl.values_at(paris(d.year, d.month, d.day, int(hour), int(hour % 1 * 60)), rng)[field]
                              for d in days]))

    assert mean(noise, "laeq_db", 14, weekdays) > mean(noise, "laeq_db", 3, weekdays) + 10
    assert mean(air, "no2_ugm3", 8.5, weekdays) > mean(air, "no2_ugm3", 3, weekdays) + 20
    assert mean(air, "no2_ugm3", 18, weekdays) > mean(air, "no2_ugm3", 13, weekdays) + 10
    january = [dt.date(2026, 1, d) for d in range(5, 25)]
    july = [dt.date(2026, 7, d) for d in range(5, 25)]
    assert mean(temp, "temperature_c", 4, january) < 0 < mean(temp, "temperature_c", 15, july) - 20
    cold = min(temp.values_at(paris(2026, 1, d.day, 5, 0), rng)["temperature_c"] for d in january)
    assert cold < -2
    codec = codec_for("citypilot-temp")
    sample = {"temperature_c": cold, "humidity_pct": 90, "battery_pct": 80}
    assert codec.decode(codec.encode(sample))["temperature_c"] == pytest.approx(cold)  # sent as negative

    spike = temp.set_spike(-18.5)
    assert temp.values_at(paris(2026, 7, 1, 15, 0), rng)["temperature_c"] == spike["temperature_c"] == -18.5
    assert noise.set_spike()["laeq_db"] > 90 and air.set_spike()["no2_ugm3"] > 400


# -- vehicles ----------------------------------------------------------------------------------------------
def grid_streets(size: int = 5) -> tuple[list[shapely.LineString], list[str]]:
    """A grid of streets every GRID_M metres from place Darcy; the middle row is a primary road."""
    o = near()
    lines, classes = [], []
    for k in range(size):
        lines.append(shapely.LineString([(o.x + i * GRID_M, o.y + k * GRID_M) for i in range(size)]))
        lines.append(shapely.LineString([(o.x + k * GRID_M, o.y + i * GRID_M) for i in range(size)]))
        classes += ["primary" if k == size // 2 else "residential", "residential"]
    return lines, classes


def bearing(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lat2 = math.radians(a[1]), math.radians(b[1])
    dlon = math.radians(b[0] - a[0])
    y = math.sin(dlon) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    return math.degrees(math.atan2(y, x)) % 360


def test_vehicles_drive_along_the_streets_and_come_back_to_their_depot() -> None:
    lines, classes = grid_streets()
    graph = StreetGraph.from_lines(lines, classes)
    depot = near(-15, -12)
    vehicle = VehicleDevice(1, "VEH-T1", "GPS-T1", "AB-123-CD", (depot.x, depot.y), "van")
    start = paris(2026, 3, 2, 9, 0)
    driver = VehicleDriver(vehicle, graph, start, seed=5)
    to_l93 = from_storage().transform
    network = shapely.MultiLineString(lines)
    fixes = [driver.fix_at(start + k * 2.0) for k in range(3 * 3600 // 2)]
    xy = np.array(to_l93([f.lon for f in fixes], [f.lat for f in fixes], direction="INVERSE")).T
    from_depot = np.hypot(xy[:, 0] - depot.x, xy[:, 1] - depot.y)
    on_road = from_depot > 40  # the yard lane joins the network
    distance = shapely.distance(shapely.points(xy[on_road]), network)
    assert distance.max() < 0.5
    assert from_depot.max() > 300 and (from_depot[len(fixes) // 2:] < 40).any()  # out and back
    moving = [i for i in range(len(fixes) - 1) if fixes[i].speed_kmh > 0 and fixes[i + 1].speed_kmh > 0]
    assert len(moving) > 100
    speeds = np.array([fixes[i].speed_kmh for i in moving])
    assert speeds.min() >= 5 and speeds.max() <= 60
    step = np.hypot(*(xy[[i + 1 for i in moving]] - xy[moving]).T) / 2.0 * 3.6
    assert np.all(step <= np.maximum(speeds, [fixes[i + 1].speed_kmh for i in moving]) * 1.05 + 0.5)
    assert np.median(np.abs(step - speeds)) < 2.0  # the distance covered matches the speed reported
    turn = [abs((bearing((fixes[i].lon, fixes[i].lat), (fixes[i + 1].lon, fixes[i + 1].lat)) - fixes[i].heading_deg
                 + 180) % 360 - 180) for i in moving if step[moving.index(i)] > 5]
    assert np.mean(np.array(turn) < 5) > 0.85  # heading = the direction of movement (except at corners)


# -- a tiny city in the database ----------------------------------------------------------------------------
@pytest.fixture
def tiny_city(engine: Engine, planner_id: int) -> Fleet:
    """Streets, six LoRaWAN luminaires (one more without a controller), three sensors, two vehicles."""
    lines, classes = grid_streets()
    with unit_of_work(engine, planner_id) as session:
        session.add_all(Street(name=f"Rue {i}", street_class=c, commune_insee="21231", geom=from_shape(line, 2154))
                        for i, (line, c) in enumerate(zip(lines, classes, strict=True)))
        profiles = ["dim50_23h_5h", None, "dim30_22h_6h", "presence_detection", "dim50_midnight", None]
        for i, profile in enumerate(profiles):
            create_asset(session, "luminaire", {
                "code": f"LUM-T{i:02d}", "geom": near(i * GRID_M / 2, 3), "is_led": True, "power_w": 30 + 5 * i,
                "dimming_profile": profile, "dev_eui": f"70B3D57ED00001{i:02X}",
            })
        create_asset(session, "luminaire", {"code": "LUM-OLD", "geom": near(20, 3), "is_led": False, "power_w": 150})
        for i, kind in enumerate(("noise", "air", "temperature")):
            create_asset(session, "sensor", {"code": f"CAP-T{i}", "geom": near(3, i * GRID_M), "sensor_type": kind,
                                             "dev_eui": f"A8404100000000{i:02X}"})
        for i in range(2):
            create_asset(session, "vehicle", {"code": f"VEH-T{i}", "geom": near(-15 - 3 * i, -12),
                                              "plate": f"AB-12{i}-CD", "tracker_id": f"GPS-T{i}"})
    return load_fleet(engine)


def test_fleet_is_read_from_the_inventory(tiny_city: Fleet, engine: Engine) -> None:
    assert [d.code for d in tiny_city.lamps] == [f"LUM-T{i:02d}" for i in range(6)]  # not the one without a DevEUI
    assert [d.sensor_type for d in tiny_city.sensors] == ["noise", "air", "temperature"]
    assert [v.tracker_id for v in tiny_city.vehicles] == ["GPS-T0", "GPS-T1"]
    assert tiny_city.find("70b3d57ed0000100").code == "LUM-T00"  # by DevEUI, any case
    assert tiny_city.find("ab-121-cd").code == "VEH-T1"  # by plate
    with pytest.raises(SimulationError, match="LUM-OLD"):
        tiny_city.resolve(["LUM-T00", "LUM-OLD"])
    graph = StreetGraph.from_db(engine)
    assert graph is not None and len(graph) == 25


def test_burst_and_backlog_messages_for_the_ingest_benchmark(tiny_city: Fleet, engine: Engine) -> None:
    burst = city_burst_messages(engine)
    assert len(burst) == len(tiny_city) == 11
    assert len({topic for topic, _ in burst}) == 11  # one message from every device
    for topic, payload in burst[:9]:
        decode_uplink(topic, json.loads(payload))
    backlog = backlog_messages(engine, 600, spacing_s=0.5)
    assert len(backlog) == 600
    times: dict[str, list[str]] = {}
    for topic, payload in backlog:
        message = json.loads(payload)
        when = message.get("ts") or message.get("time") or message.get("received_at")
        times.setdefault(topic, []).append(when)
    assert set(times) >= {t for t, _ in burst if "/gps" in t}
    assert all(ts == sorted(ts) for ts in times.values())  # device times increase per device


# -- over the broker ------------------------------------------------------------------------------------------
class Watcher:
    """A service-account subscriber recording every message with its arrival time."""

    def __init__(self, broker: PrivateBroker) -> None:
        self.messages: list[tuple[float, str, bytes]] = []
        self.lock = threading.Lock()
        ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"watch-{uuid.uuid4().hex[:6]}")
        self.client.username_pw_set("citypilot", broker.password)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_a: ready.set()
        self.client.on_connect = lambda c, *_a: c.subscribe("#", qos=1)
        self.client.connect("127.0.0.1", broker.port or 0)
        self.client.loop_start()
        assert ready.wait(10)

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((time.monotonic(), msg.topic, msg.payload))

    def since(self, mark: float, topic_part: str = "") -> list[tuple[str, bytes]]:
        with self.lock:
            return [(t, p) for at, t, p in self.messages if at >= mark and topic_part in t]

    def wait_for(self, mark: float, predicate: Any, timeout: float = 5.0) -> tuple[str, bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for topic, payload in self.since(mark):
                if predicate(topic, payload):
                    return topic, payload
            time.sleep(0.05)
        raise AssertionError("no such message arrived")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def watcher(broker: PrivateBroker) -> Iterator[Watcher]:
    w = Watcher(broker)
    yield w
    w.close()


def uplink_of(dev_eui: str) -> Any:
    def match(topic: str, payload: bytes) -> dict[str, Any] | None:
        if not is_uplink(topic):
            return None
        try:
            message = json.loads(payload)
            _, eui, _values, _obj = decode_uplink(topic, message)
        except (ValueError, KeyError, CodecError):
            return None
        return message if eui == dev_eui else None

    return match


def test_provisioning_creates_accounts_that_connect(tiny_city: Fleet, broker: PrivateBroker, tmp_path: Any) -> None:
    path = tmp_path / "device-accounts.json"
    first = provision(broker, device_usernames(tiny_city), path)
    assert (first.created, first.kept) == (4, 0) and stat.S_IMODE(path.stat().st_mode) == 0o600
    accounts = load_accounts(path)
    assert set(accounts) == {"chirpstack", "tts", "GPS-T0", "GPS-T1"}
    assert provision(broker, device_usernames(tiny_city), path).kept == 4 and load_accounts(path) == accounts
    own_topics = {"GPS-T0": "citypilot/v1/devices/GPS-T0/gps", "chirpstack": "application/x/device/y/event/up",
                  "tts": "v3/a@b/devices/c/up"}
    for username, topic in own_topics.items():
        connected, published = threading.Event(), threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2)
        client.username_pw_set(username, accounts[username])
        client.on_connect = lambda _c, _u, _f, reason, _p, ok=connected: ok.set() if not reason.is_failure else None
        client.on_publish = lambda *_a, done=published: done.set()
        client.connect("127.0.0.1", broker.port or 0)
        client.loop_start()
        assert connected.wait(5), username
        client.publish(topic, b"{}", qos=1)
        assert published.wait(5), username  # acknowledged: inside its ACL (else the broker disconnects it)
        client.disconnect()
        client.loop_stop()
    rotated = provision(broker, device_usernames(tiny_city), path, rotate=True)
    assert rotated.created == 4 and load_accounts(path)["GPS-T0"] != accounts["GPS-T0"]


def test_simulator_plays_the_city_over_the_broker_and_takes_faults(
    tiny_city: Fleet, engine: Engine, broker: PrivateBroker, mqtt_url: str, watcher: Watcher, tmp_path: Any
) -> None:
    path = tmp_path / "device-accounts.json"
    provision(broker, device_usernames(tiny_city), path)
    log_offset = broker.log_file.stat().st_size
    options = SimOptions(lamps_rate=12, sensors_rate=6, gps_interval_s=0.5, chirpstack_share=0.5,
                         undecoded_share=0.5, seed=7)
    sim = Simulator(tiny_city, StreetGraph.from_db(engine), mqtt_url, load_accounts(path), options)
    runner = threading.Thread(target=sim.run, kwargs={"duration": 40}, daemon=True)
    started = time.monotonic()
    runner.start()

    def ask(fault: str, *targets: str, **params: Any) -> dict[str, Any]:
        return sim_control.send(mqtt_url, sim_control.request("inject", fault=fault, targets=list(targets),
                                                              params=params))[0]

    try:
        for tracker in ("GPS-T0", "GPS-T1"):  # vehicles, each on its own account
            watcher.wait_for(started, lambda t, _p, tr=tracker: t == f"citypilot/v1/devices/{tr}/gps")
        time.sleep(1.5)
        uplinks = [(t, json.loads(p)) for t, p in watcher.since(started) if is_uplink(t)]
        networks = {decode_uplink(t, m)[0] for t, m in uplinks}
        assert networks == {"chirpstack", "tts"}
        assert any(decode_uplink(t, m)[3] is None for t, m in uplinks)  # undecoded ones
        assert any(decode_uplink(t, m)[3] is not None for t, m in uplinks)  # decoded ones
        for topic, message in uplinks:
            _, _eui, values, obj = decode_uplink(topic, message)
            assert obj is None or obj == values
            if "lamp_on" in values:
                assert values["lamp_on"] == is_night(time.time())  # the schedule of now
        log = broker.log_file.read_text()[log_offset:]
        assert "u'GPS-T0'" in log and "u'GPS-T1'" in log and "u'chirpstack'" in log

        lamp0, sensor1 = tiny_city.lamps[0], tiny_city.sensors[1]
        mark = time.monotonic()
        reply = ask("lamp-failure", "LUM-T00")
        assert reply["ok"] and "LUM-T00" in reply["details"][0]
        _, payload = watcher.wait_for(mark, lambda t, p: (m := uplink_of(lamp0.dev_eui)(t, p)) is not None
                                      and decode_uplink(t, m)[2]["lamp_failure"])

        mark = time.monotonic()
        assert ask("spike", "CAP-T1")["ok"]
        watcher.wait_for(mark, lambda t, p: (m := uplink_of(sensor1.dev_eui)(t, p)) is not None
                         and decode_uplink(t, m)[2]["no2_ugm3"] >= 400)

        assert ask("silence", "LUM-T01", "GPS-T1")["ok"]
        time.sleep(0.3)
        mark = time.monotonic()
        time.sleep(2.0)
        assert not [t for t, p in watcher.since(mark) if uplink_of(tiny_city.lamps[1].dev_eui)(t, p)]
        assert not watcher.since(mark, "GPS-T1/gps") and watcher.since(mark, "GPS-T0/gps")

        mark = time.monotonic()
        reply = ask("bad-json", "LUM-T02", count=2)
        assert reply["ok"]
        bad: list[bytes] = []
        deadline = time.monotonic() + 3
        while len([p for p in bad if not _is_json(p)]) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            bad = [p for t, p in watcher.since(mark) if "lum-t02" in t.lower() or "70b3d57ed0000102" in t.lower()]
        assert len([p for p in bad if not _is_json(p)]) == 2

        mark = time.monotonic()
        assert ask("wrong-length", "CAP-T2")["ok"]
        _, payload = watcher.wait_for(mark, lambda t, p: is_uplink(t) and "a840410000000002" in (t + p.decode()).lower()
                                      and _raw_length(json.loads(p)) == 2)
        with pytest.raises(CodecError):
            codec_for("citypilot-temp").decode(base64.b64decode(_raw(json.loads(payload))))

        mark = time.monotonic()
        reply = ask("unknown-deveui")
        unknown = re.search(r"DevEUI (FFFFFF[0-9A-F]{10})", reply["details"][0])[1]
        watcher.wait_for(mark, lambda t, p: is_uplink(t) and unknown.lower() in (t + p.decode()).lower())
        assert tiny_city.find(unknown) is None

        mark = time.monotonic()
        assert ask("missing-fields", "GPS-T0")["ok"]
        watcher.wait_for(mark, lambda t, p: t.endswith("GPS-T0/gps") and _is_json(p) and "lat" not in json.loads(p)
                         and "id" in json.loads(p))
        mark = time.monotonic()
        assert ask("missing-fields", "LUM-T03", fields="time,received_at")["ok"]  # ChirpStack's or TTS's time
        watcher.wait_for(mark, lambda t, p: is_uplink(t) and "lum-t03" in (t + p.decode()).lower()
                         and not {"time", "received_at"} & set(json.loads(p)))

        refused = ask("lamp-failure", "CAP-T0")
        assert not refused["ok"] and "CAP-T0 is a sensor" in refused["message"]
        assert not ask("silence", "LUM-NOPE")["ok"]

        status = sim_control.send(mqtt_url, sim_control.request("status"))[0]["status"]
        assert {"LUM-T00 (70B3D57ED0000100)", "CAP-T1 (A840410000000001)", "LUM-T01 (70B3D57ED0000101)"} <= set(
            status["faults"])

        mark = time.monotonic()
        assert ask("clear", "all")["ok"]
        watcher.wait_for(mark, lambda t, p: (m := uplink_of(lamp0.dev_eui)(t, p)) is not None
                         and not decode_uplink(t, m)[2]["lamp_failure"])
        watcher.wait_for(mark, lambda t, p: uplink_of(tiny_city.lamps[1].dev_eui)(t, p) is not None)
        watcher.wait_for(mark, lambda t, _p: t.endswith("GPS-T1/gps"))
        assert sim_control.send(mqtt_url, sim_control.request("stop"))[0]["ok"]
        runner.join(10)
        assert not runner.is_alive()
    finally:
        sim.stop()
        runner.join(10)


def is_uplink(topic: str) -> bool:
    return topic.startswith(("application/", "v3/"))


def _is_json(payload: bytes) -> bool:
    try:
        json.loads(payload)
    except ValueError:
        return False
    return True


def _raw(message: dict[str, Any]) -> str:
    return message.get("data") or message["uplink_message"]["frm_payload"]


def _raw_length(message: dict[str, Any]) -> int:
    return len(base64.b64decode(_raw(message)))


class _OsmandHandler(http.server.BaseHTTPRequestHandler):
    queries: list[dict[str, str]] = []

    def do_GET(self) -> None:
        self.queries.append({k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_phone_trackers_send_osmand_http_and_a_burst_reaches_the_broker(
    tiny_city: Fleet, engine: Engine, broker: PrivateBroker, mqtt_url: str, watcher: Watcher, tmp_path: Any
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _OsmandHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _OsmandHandler.queries = []
    path = tmp_path / "device-accounts.json"
    provision(broker, device_usernames(tiny_city), path)
    try:
        options = SimOptions(lamps_rate=0, sensors_rate=0, gps_interval_s=0.5, seed=3,
                             osmand_url=f"http://127.0.0.1:{server.server_port}/", osmand_share=1.0)
        sim = Simulator(tiny_city, StreetGraph.from_db(engine), mqtt_url, load_accounts(path), options)
        counts: dict[str, int] = {}
        runner = threading.Thread(target=lambda: counts.update(sim.run(duration=3.0)), daemon=True)
        runner.start()
        deadline = time.monotonic() + 5
        while not _OsmandHandler.queries and time.monotonic() < deadline:
            time.sleep(0.05)
        reply = sim_control.send(mqtt_url, sim_control.request("inject", fault="missing-fields", targets=["VEH-T0"]))
        assert reply[0]["ok"] and "without lat, lon on OsmAnd" in reply[0]["details"][0]
        runner.join(10)
    finally:
        server.shutdown()
    assert counts["osmand"] >= 8 and counts["malformed"] == 1
    broken = [q for q in _OsmandHandler.queries if "lat" not in q]
    assert len(broken) == 1 and broken[0]["id"] == "GPS-T0" and "lon" not in broken[0]
    queries = [q for q in _OsmandHandler.queries if "lat" in q]
    assert {q["id"] for q in queries} == {"GPS-T0", "GPS-T1"}
    for q in queries:
        assert 47.2 < float(q["lat"]) < 47.4 and 4.9 < float(q["lon"]) < 5.2
        assert abs(int(q["timestamp"]) - time.time()) < 60
        assert 0 <= float(q["speed"]) * KMH_PER_KNOT <= 90 and 0 <= float(q["bearing"]) < 360

    mark = time.monotonic()
    burst = Simulator(tiny_city, None, mqtt_url, load_accounts(path), SimOptions(seed=9))
    sent, seconds = burst.burst()
    assert sent == len(tiny_city) and seconds < 10
    deadline = time.monotonic() + 5
    while len(watcher.since(mark)) < sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(watcher.since(mark)) == sent


def test_simulator_refuses_missing_accounts_and_cli_reports_no_simulator(
    tiny_city: Fleet, mqtt_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SimulationError, match="no broker account for"):
        Simulator(tiny_city, None, mqtt_url, {}, SimOptions()).connect()
    with pytest.raises(SimulationError, match="refused"):
        Simulator(tiny_city, None, mqtt_url, {"chirpstack": "x", "tts": "y", "GPS-T0": "z", "GPS-T1": "w"},
                  SimOptions()).connect()

    from click.testing import CliRunner

    from app.cli import build_cli, simulate_cmd

    monkeypatch.setenv("MQTT_URL", mqtt_url)
    result = CliRunner().invoke(build_cli(simulate_cmd), ["simulate", "inject", "lamp-failure", "LUM-T00",
                                                          "--timeout", "1"])
    assert result.exit_code == 1 and "no simulator answered" in result.output


@pytest.mark.slow
def test_the_whole_demo_city_bursts_and_its_vehicles_drive_its_streets(demo_engine: Engine) -> None:
    fleet = load_fleet(demo_engine)
    assert len(fleet.lamps) > 25_000 and len(fleet.sensors) == 150 and len(fleet.vehicles) == 205
    burst = city_burst_messages(demo_engine)
    assert len(burst) == len(fleet) and len({topic for topic, _ in burst}) == len(fleet)
    graph = StreetGraph.from_db(demo_engine)
    assert graph is not None
    start = paris(2026, 3, 2, 8, 0)
    for vehicle in fleet.vehicles[::41]:
        driver = VehicleDriver(vehicle, graph, start, seed=1)
        fixes = [driver.fix_at(start + k * 10.0) for k in range(2 * 360)]
        lon, lat = np.array([f.lon for f in fixes]), np.array([f.lat for f in fixes])
        x, y = from_storage().transform(lon, lat, direction="INVERSE")
        away = np.hypot(x - vehicle.depot_xy[0], y - vehicle.depot_xy[1])
        assert away.max() > 500 and max(f.speed_kmh for f in fixes) <= 90, vehicle.code
