"""``/api/v1/alarms``: the list (most severe then newest, causes only), one alarm with what it affects and
its history, acknowledging and clearing by role, and alarms on the live stream."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import Engine

from assets.alarms.lifecycle import raise_alarm
from assets.db import unit_of_work
from assets.store import create_asset
from tests.assets.alarm_helpers import lighting_cabinet
from tests.assets.helpers import MINIMAL, near
from tests.web.helpers import ContractClient, People
from tests.web.test_stream import _events, _open

T = dt.datetime(2026, 11, 29, 21, 0, tzinfo=dt.UTC)


def _city(engine: Engine, planner: int) -> dict[str, int]:
    """A tripped cabinet (4 lamps, 2 of them failed), a silent meter, a hot sensor: 3 causes, 2 children."""
    cab = lighting_cabinet(engine, planner, code="ARM-0412", lamps=4)
    with unit_of_work(engine, planner) as s:
        meter = create_asset(s, "energy_meter", {"code": "CPT-9", "geom": near(2000), **MINIMAL["energy_meter"]}).id
        sensor = create_asset(s, "sensor", {"code": "CAP-9", "geom": near(-300), "sensor_type": "temperature",
                                            "dev_eui": "A840410000000009"}).id
    with unit_of_work(engine, None) as s:
        ids = {
            "lamp0": raise_alarm(s, cab.lamps[0], "lamp_failure", T),
            "sensor": raise_alarm(s, sensor, "sensor_threshold", T, severity="warning",
                                  detail={"crossed": [{"metric": "temperature_c", "value": 41.0, "side": "above",
                                                       "limit": 40.0, "window_s": 0}]}),
            "meter": raise_alarm(s, meter, "meter_unreachable", T),
            "cabinet": raise_alarm(s, cab.cabinet, "cabinet_trip", T),
            "lamp1": raise_alarm(s, cab.lamps[1], "lamp_failure", T),
        }
    return {k: v for k, v in ids.items() if v is not None}


def test_the_list_shows_causes_most_severe_then_newest(client: ContractClient, people: People, engine: Engine) -> None:
    ids = _city(engine, people["planner"].id)
    body = client.get("/api/v1/alarms", headers=people["crew"].auth).get_json()
    assert [a["id"] for a in body["items"]] == [ids["cabinet"], ids["meter"], ids["sensor"]]
    assert body["total"] == 3 and body["next"] is None
    trip = body["items"][0]
    assert trip["severity"] == "critical" and trip["message"] == "Cabinet ARM-0412 tripped"
    assert trip["affected_count"] == 4 and trip["asset"]["kind"] == "cabinet" and 47.3 < trip["asset"]["lat"] < 47.4

    everything = client.get("/api/v1/alarms?include_children=true", headers=people["crew"].auth).get_json()
    assert everything["total"] == 5
    assert {a["cause_id"] for a in everything["items"] if a["type"] == "lamp_failure"} == {ids["cabinet"]}
    first = client.get("/api/v1/alarms?limit=2", headers=people["planner"].auth).get_json()
    assert len(first["items"]) == 2 and first["next"]
    rest = client.get(first["next"], headers=people["planner"].auth).get_json()
    assert [a["id"] for a in rest["items"]] == [ids["sensor"]] and rest["next"] is None
    filtered = client.get("/api/v1/alarms?severity=major,critical&kind=energy_meter", headers=people["crew"].auth)
    assert [a["id"] for a in filtered.get_json()["items"]] == [ids["meter"]]
    assert client.get("/api/v1/alarms?state=cleared", headers=people["crew"].auth).get_json()["total"] == 0
    boxed = client.get("/api/v1/alarms?bbox=5.0,47.3,5.04,47.33", headers=people["crew"].auth).get_json()
    assert ids["meter"] not in [a["id"] for a in boxed["items"]] and ids["cabinet"] in [a["id"] for a in boxed["items"]]

    bad = client.get("/api/v1/alarms?state=burning&severity=huge", headers=people["crew"].auth)
    assert bad.status_code == 422
    assert {f["field"] for f in bad.get_json()["fields"]} == {"state", "severity"}


def test_one_alarm_lists_what_it_affects_and_its_history(client: ContractClient, people: People,
                                                         engine: Engine) -> None:
    ids = _city(engine, people["planner"].id)
    detail = client.get(f"/api/v1/alarms/{ids['cabinet']}", headers=people["crew"].auth).get_json()
    assert [a["code"] for a in detail["affected"]] == ["ARM-0412-L0", "ARM-0412-L1", "ARM-0412-L2", "ARM-0412-L3"]
    assert [a["alarm_id"] for a in detail["affected"]] == [ids["lamp0"], ids["lamp1"], None, None]
    assert [h["action"] for h in detail["history"]] == ["raised"]
    assert client.get("/api/v1/alarms/999999", headers=people["crew"].auth).status_code == 404


def test_acknowledge_and_clear_by_role(app: Flask, client: ContractClient, people: People, engine: Engine) -> None:
    ids = _city(engine, people["planner"].id)
    url = f"/api/v1/alarms/{ids['cabinet']}"
    assert client.post(url + "/acknowledge").status_code == 401
    assert client.post(url + "/acknowledge", headers=people["crew"].auth).status_code == 403
    assert client.post(url + "/acknowledge", headers=people["planner"].auth).status_code == 403

    acked = client.post(url + "/acknowledge", json={"comment": "crew sent"}, headers=people["operator"].auth)
    assert acked.status_code == 200
    item = acked.get_json()
    assert item["state"] == "acknowledged" and item["acknowledged_by"] == "operator" and item["acknowledged_at"]
    again = client.post(url + "/acknowledge", headers=people["supervisor"].auth)
    assert again.status_code == 409 and "acknowledged by operator" in again.get_json()["message"]
    children = client.get("/api/v1/alarms?include_children=true&type=lamp_failure", headers=people["crew"].auth)
    assert {a["acknowledged_by"] for a in children.get_json()["items"]} == {"operator"}  # with their cause
    bad = client.post(url + "/clear", json={"comment": 12}, headers=people["supervisor"].auth)
    assert bad.status_code == 422 and bad.get_json()["fields"][0]["field"] == "comment"

    cleared = client.post(url + "/clear", json={"comment": "breaker closed"}, headers=people["supervisor"].auth)
    assert cleared.status_code == 200 and cleared.get_json()["state"] == "cleared"
    assert cleared.get_json()["cleared_by"] == "supervisor"
    assert client.post(url + "/clear", headers=people["admin"].auth).status_code == 409
    history = client.get(url, headers=people["crew"].auth).get_json()["history"]
    assert [(h["action"], h["actor"], h["detail"].get("comment")) for h in history] == [
        ("raised", "rules", None), ("acknowledged", "operator", "crew sent"),
        ("cleared", "supervisor", "breaker closed")]
    stats = client.get("/api/v1/stats", headers=people["crew"].auth).get_json()
    assert stats["alarms_open"] == 2 and stats["alarms_by_type"]["cabinet_trip"] == 0


def test_alarms_arrive_on_the_live_stream(app: Flask, people: People, engine: Engine) -> None:
    app.config["SSE_HEARTBEAT_S"] = 0.2
    lamp = lighting_cabinet(engine, people["planner"].id, lamps=1).lamps[0]
    response, events = _open(app, people["crew"].auth)
    try:
        with unit_of_work(engine, None) as s:
            alarm_id = raise_alarm(s, lamp, "lamp_failure", T)
        [(name, data)] = _events(events, 1)
        assert name == "alarm" and data["action"] == "raised" and data["alarm"]["id"] == alarm_id
        assert data["alarm"]["asset"]["code"] == "ARM-1-L0"
    finally:
        response.close()
