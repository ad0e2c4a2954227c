"""The simulator over the real broker and database: the fleet read from the inventory, provisioning,
the whole city playing, faults injected through the control topic, OsmAnd phone trackers."""

from __future__ import annotations

import base64
import http.server
import json
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
from connectors.simulators.fleet_model import Fleet, SimulationError
from connectors.simulators.sun import is_night
from connectors.simulators.vehicles import KMH_PER_KNOT, VehicleDriver
from gis.crs import from_storage
from tests.assets.helpers import near
from tests.connectors.sim_support import GRID_M, decode_uplink, grid_streets, paris


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

        def dispatch(**fields: Any) -> dict[str, Any]:
            return sim_control.send(mqtt_url, sim_control.request("dispatch", **fields))[0]

        site = tiny_city.vehicles[0].depot_xy
        sent = dispatch(vehicle="VEH-T0", x=site[0] + 50, y=site[1], stop_s=60)  # a crew sent to a work order
        assert sent["ok"] and sent["details"][0].startswith("VEH-T0: to ")
        assert not dispatch(vehicle="VEH-NOPE", x=1, y=2)["ok"]
        assert "numbers" in dispatch(vehicle="VEH-T0", x="east", y=2)["message"]
        mark = time.monotonic()
        watcher.wait_for(mark, lambda t, _p: t.endswith("GPS-T0/gps"))  # it keeps reporting on its way
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
