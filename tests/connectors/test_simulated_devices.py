"""The simulated devices on their own: exact network-server shapes, schedules and patterns, vehicles on
the streets (no broker, no database)."""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid

import numpy as np
import pytest
import shapely

from assets.dimming import parse_profile
from connectors.lorawan.codecs import codec_for
from connectors.simulators import (
    StreetGraph,
)
from connectors.simulators.fleet_model import SensorDevice, VehicleDevice
from connectors.simulators.lamps import LampController
from connectors.simulators.sensors import SensorController
from connectors.simulators.sun import PARIS, sun_times
from connectors.simulators.uplinks import is_decoded, network_of, uplink
from connectors.simulators.vehicles import VehicleDriver
from gis.crs import from_storage
from tests.assets.helpers import near
from tests.connectors.sim_support import bearing, decode_uplink, grid_streets, lamp, paris, session, zero_fields


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


def test_a_vehicle_sent_to_a_work_site_drives_there_stops_and_comes_back() -> None:
    lines, classes = grid_streets()
    graph = StreetGraph.from_lines(lines, classes)
    depot, site = near(-15, -12), near(180, 95)  # the site is off the streets, like a lamp on a pavement
    vehicle = VehicleDevice(1, "VEH-T1", "GPS-T1", "AB-123-CD", (depot.x, depot.y), "van")
    start = paris(2026, 3, 2, 9, 0)
    driver = VehicleDriver(vehicle, graph, start, seed=5)
    driver.fix_at(start)
    driver.send_to((site.x, site.y), 600)
    fixes = [driver.fix_at(start + k * 5.0) for k in range(1, 3600 // 5)]
    xy = np.array(from_storage().transform([f.lon for f in fixes], [f.lat for f in fixes], direction="INVERSE")).T
    to_site = np.hypot(xy[:, 0] - site.x, xy[:, 1] - site.y)
    there = np.flatnonzero(to_site < 1)
    assert len(there) * 5 >= 590  # stopped at the site for its 10 minutes
    assert all(fixes[i].speed_kmh == 0 for i in there[1:-1])
    assert there[0] * 5 < 600  # got there within 10 minutes across the grid
    assert to_site[there[-1] + 30] > 30  # then it drives away (back to the depot)


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


