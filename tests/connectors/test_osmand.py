"""Phone trackers over OsmAnd HTTP: a position stored before the answer, bad requests refused with
the reason and kept as dead letters; the vehicle's inventory row is never touched."""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import Engine, text

from assets.db import unit_of_work
from assets.live.devices import DeviceDirectory
from assets.live.queries import dead_letters, live_state, track
from connectors.gps.osmand import OsmAndConnector
from tests.connectors.ingest_support import TRACKER, Devices, create_devices, running_ingest


@pytest.fixture
def devices(engine: Engine, planner_id: int) -> Devices:
    return create_devices(engine, planner_id)


def request(port: int, params: dict, method: str = "GET") -> tuple[int, str]:
    query = urllib.parse.urlencode(params)
    if method == "GET":
        req = urllib.request.Request(f"http://127.0.0.1:{port}/?{query}")
    else:
        req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=query.encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_osmand_positions_stored_and_bad_requests_refused(engine: Engine, db_url: str, devices: Devices) -> None:
    directory = DeviceDirectory(engine)
    directory.load()
    osmand = OsmAndConnector({"port": 0}, devices=directory)
    with unit_of_work(engine, None) as session:
        depot = session.execute(text("SELECT geom, version FROM assets WHERE id = :i"), {"i": devices.vehicle}).one()
    t = int(dt.datetime(2026, 11, 29, 8, 14, 3, tzinfo=dt.UTC).timestamp())
    with running_ingest(engine, db_url, [osmand], flush_ms=10):
        assert osmand.ready.wait(5)
        port = osmand.config["port"]
        fix = {"id": TRACKER, "lat": 47.31852, "lon": 5.04127, "timestamp": t, "speed": 10, "bearing": 92,
               "altitude": 245.5, "accuracy": 4}
        assert request(port, fix) == (200, "OK\n")
        assert request(port, {**fix, "timestamp": t + 5, "speed": 0, "lat": 47.3186}, "POST") == (200, "OK\n")
        assert request(port, fix) == (200, "OK\n")  # sent again by the phone: stored once
        assert request(port, {"id": TRACKER, "lon": 5.0}) == (400, "lat: missing\n")
        assert request(port, {"id": "NOT-A-TRACKER", "lat": 47.3, "lon": 5.0}) == (
            400, "id: unknown tracker 'NOT-A-TRACKER'\n")
        assert request(port, {**fix, "timestamp": "noon"})[0] == 400
    with unit_of_work(engine, None) as session:
        points = track(session, devices.vehicle, dt.datetime(2026, 11, 29, tzinfo=dt.UTC))
        live = live_state(session, devices.vehicle)
        letters = dead_letters(session)
        after = session.execute(text("SELECT geom, version FROM assets WHERE id = :i"), {"i": devices.vehicle}).one()
    assert len(points) == 2
    first = points[0]
    assert first.speed_kmh == pytest.approx(18.52) and first.heading_deg == 92 and first.accuracy_m == 4
    assert (first.lon, first.lat) == (pytest.approx(5.04127), pytest.approx(47.31852))
    assert live.speed_kmh == 0 and live.lat == pytest.approx(47.3186) and live.source == "osmand"
    assert after == depot
    assert len(letters) == 3 and {d.format for d in letters} == {"osmand"}
    assert any(d.reason == "lat: missing" and b"lon=5.0" in d.payload for d in letters)
