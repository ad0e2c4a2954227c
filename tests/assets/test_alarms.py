"""Alarms: raised once, acknowledged by someone, cleared by the device or by hand, with their history;
each rule; a cabinet trip or a fibre failure as ONE alarm listing what it affects, whatever arrives first;
announcements on the alarm channel; an engine restarted mid-way catches up."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import deque

import psycopg
import pytest
from sqlalchemy import Engine, text

from assets.alarms.correlation import affected_by
from assets.alarms.engine import AlarmEngine, EngineOptions
from assets.alarms.lifecycle import RULES, Actor, acknowledge, clear_active, clear_by_hand, raise_alarm
from assets.alarms.queries import AlarmQuery, alarm_detail, list_alarms
from assets.alarms.stats import alarm_stats
from assets.alarms.thresholds import Threshold, list_thresholds, set_threshold
from assets.db import unit_of_work
from assets.errors import ConflictError, ValidationError
from assets.live.channels import ALARM_CHANNEL
from assets.live.writer import libpq_url
from assets.store import create_asset
from assets.topology import fibre_cut
from assets.users import create_user
from tests.assets.alarm_helpers import (
    alarm_engine,
    alarm_rows,
    event,
    lighting_cabinet,
    meshed_fibre,
    now,
    position,
    reading,
    write,
)
from tests.assets.helpers import MINIMAL, near


@pytest.fixture
def operator(engine: Engine) -> Actor:
    with unit_of_work(engine, None) as s:
        user = create_user(s, "olga", "operator", "Olga Operator")
        return Actor(user.id, user.name)


def _list(engine: Engine, **kw) -> list[dict]:
    with unit_of_work(engine, None) as s:
        return list_alarms(s, AlarmQuery(**kw)).items


def _detail(engine: Engine, alarm_id: int) -> dict:
    with unit_of_work(engine, None) as s:
        return alarm_detail(s, alarm_id)


# -- the life of an alarm ------------------------------------------------------------------------------------
def test_raised_once_acknowledged_by_someone_cleared_with_its_history(engine, planner_id, operator) -> None:
    lamps = lighting_cabinet(engine, planner_id, lamps=1)
    lamp, t = lamps.lamps[0], now()
    with unit_of_work(engine, None) as s:
        first = raise_alarm(s, lamp, "lamp_failure", t)
        assert raise_alarm(s, lamp, "lamp_failure", t + dt.timedelta(minutes=1)) is None  # once while active
    assert first is not None and len(alarm_rows(engine, asset_id=lamp)) == 1

    with unit_of_work(engine, operator.user_id) as s:
        item = acknowledge(s, first, operator, "crew on its way")
    assert item["state"] == "acknowledged" and item["acknowledged_by"] == "olga" and item["acknowledged_at"]
    with unit_of_work(engine, operator.user_id) as s, pytest.raises(ConflictError, match="acknowledged by olga"):
        acknowledge(s, first, operator)
    with unit_of_work(engine, None) as s, pytest.raises(ValidationError, match="by a person"):
        acknowledge(s, first, RULES)

    with unit_of_work(engine, None) as s:
        assert clear_active(s, lamp, "lamp_failure", t - dt.timedelta(seconds=1)) is None  # older than the fault
        assert clear_active(s, lamp, "lamp_failure", t + dt.timedelta(minutes=5)) == first
    detail = _detail(engine, first)
    assert detail["state"] == "cleared" and detail["cleared_by"] is None and detail["cleared_at"]
    assert [(h["action"], h["actor"]) for h in detail["history"]] == [
        ("raised", "rules"), ("acknowledged", "olga"), ("cleared", "rules")]
    assert detail["history"][1]["detail"] == {"comment": "crew on its way"}
    assert detail["history"][2]["detail"]["by"] == "device"

    with unit_of_work(engine, None) as s:  # a fact older than the clearing one raises nothing; a newer one does
        assert raise_alarm(s, lamp, "lamp_failure", t + dt.timedelta(minutes=2)) is None
        second = raise_alarm(s, lamp, "lamp_failure", t + dt.timedelta(minutes=10))
    assert second is not None and second != first
    with unit_of_work(engine, operator.user_id) as s:
        cleared = clear_by_hand(s, second, operator, "replaced the driver")
        with pytest.raises(ConflictError, match="already cleared"):
            clear_by_hand(s, second, operator)
    assert cleared["state"] == "cleared" and cleared["cleared_by"] == "olga"


def test_an_alarm_is_announced_on_the_alarm_channel(engine, planner_id, db_url) -> None:
    lamp = lighting_cabinet(engine, planner_id, lamps=1).lamps[0]
    with psycopg.connect(libpq_url(db_url), autocommit=True) as listener:
        listener.execute(f'LISTEN "{ALARM_CHANNEL}"')
        with unit_of_work(engine, None) as s:
            alarm_id = raise_alarm(s, lamp, "lamp_failure", now())
        notes = list(listener.notifies(timeout=5, stop_after=1))
    assert len(notes) == 1 and notes[0].channel == ALARM_CHANNEL
    payload = json.loads(notes[0].payload)
    assert payload["type"] == "alarm" and payload["action"] == "raised"
    item = payload["alarm"]
    assert item["id"] == alarm_id and item["type"] == "lamp_failure" and item["severity"] == "minor"
    assert item["asset"]["code"] == "ARM-1-L0" and 5.0 < item["asset"]["lon"] < 5.1 and item["state"] == "open"
    assert item["message"] == "Lamp ARM-1-L0 failed"


# -- the rules -----------------------------------------------------------------------------------------------
def test_lamp_failure_from_the_live_state_and_from_an_event(engine, planner_id, db_url) -> None:
    lamps = lighting_cabinet(engine, planner_id, lamps=2).lamps
    rules = alarm_engine(engine)
    t = now() - dt.timedelta(minutes=5)
    write(db_url, reading(lamps[0], t, "fault", lamp_failure=True), event(lamps[1], t, "lamp_failure", code=3))
    rules.judge_assets([lamps[0]])
    rules.read_events()
    raised = alarm_rows(engine, type="lamp_failure")
    assert [(a.asset_id, a.state) for a in raised] == [(lamps[0], "open"), (lamps[1], "open")]
    assert raised[1].detail["event"] == "lamp_failure"

    write(db_url, reading(lamps[0], t + dt.timedelta(minutes=1), "ok", lamp_failure=False),
          reading(lamps[1], t + dt.timedelta(minutes=1), "ok", lamp_failure=False))
    rules.judge_assets(lamps)
    assert {a.state for a in alarm_rows(engine, type="lamp_failure")} == {"cleared"}
    rules.reconcile()  # nothing left to do: replaying the rules raises nothing again
    rules.read_events()
    assert len(alarm_rows(engine)) == 2


@pytest.mark.parametrize("lamps_first", [True, False], ids=["lamps-before-cabinet", "cabinet-before-lamps"])
def test_a_cabinet_trip_is_one_alarm_listing_its_lamps(engine, planner_id, db_url, lamps_first: bool) -> None:
    cab = lighting_cabinet(engine, planner_id, code="ARM-0412", lamps=4)
    other = lighting_cabinet(engine, planner_id, code="ARM-0413", lamps=1, dx=500, eui_prefix="70B3D59BA00002")
    rules = alarm_engine(engine)
    t = now() - dt.timedelta(minutes=5)

    def lamps_fail() -> None:
        write(db_url, *[reading(lamp, t, "fault", lamp_failure=True, voltage_v=0.0) for lamp in cab.lamps[:3]],
              reading(other.lamps[0], t, "fault", lamp_failure=True))  # another cabinet's lamp: not grouped
        rules.judge_assets([*cab.lamps, *other.lamps])

    def cabinet_trips() -> None:
        write(db_url, event(cab.cabinet, t + dt.timedelta(seconds=2), "cabinet_trip", breaker="main"))
        rules.read_events()

    for step in (lamps_fail, cabinet_trips) if lamps_first else (cabinet_trips, lamps_fail):
        step()

    shown = _list(engine)
    assert [(a["type"], a["asset"]["code"]) for a in shown] == [("cabinet_trip", "ARM-0412"),
                                                                ("lamp_failure", "ARM-0413-L0")]
    trip = shown[0]
    assert trip["severity"] == "critical" and trip["message"] == "Cabinet ARM-0412 tripped"
    assert trip["affected_count"] == 4 and trip["cause_id"] is None
    detail = _detail(engine, trip["id"])
    assert [a["code"] for a in detail["affected"]] == ["ARM-0412-L0", "ARM-0412-L1", "ARM-0412-L2", "ARM-0412-L3"]
    children = {a.asset_id: a.id for a in alarm_rows(engine, cause_id=trip["id"])}
    assert sorted(children) == cab.lamps[:3]
    assert [a["alarm_id"] for a in detail["affected"]] == [children[i] for i in cab.lamps[:3]] + [None]
    child_history = _detail(engine, children[cab.lamps[0]])["history"]
    assert [h["action"] for h in child_history] == ["raised", "grouped"]
    assert child_history[1]["detail"]["cause_id"] == trip["id"]
    assert len(_list(engine, include_children=True)) == 5
    with unit_of_work(engine, None) as s:
        stats = alarm_stats(s)
    assert stats["alarms_open"] == 2 and stats["alarms_by_type"]["cabinet_trip"] == 1

    # the breaker is closed again: the cabinet says so, the lamps power up and report ok
    write(db_url, event(cab.cabinet, t + dt.timedelta(minutes=3), "cabinet_reset"),
          *[reading(lamp, t + dt.timedelta(minutes=3), "ok", lamp_failure=False) for lamp in cab.lamps])
    rules.read_events()
    rules.judge_assets(cab.lamps)
    assert {a.state for a in alarm_rows(engine, asset_id=cab.cabinet)} == {"cleared"}
    assert {a.state for a in alarm_rows(engine, cause_id=trip["id"])} == {"cleared"}


def test_a_child_outliving_its_cause_stands_on_its_own(engine, planner_id, db_url) -> None:
    cab = lighting_cabinet(engine, planner_id, lamps=2)
    rules = alarm_engine(engine, ungroup_after_s=0)
    t = now() - dt.timedelta(minutes=5)
    write(db_url, event(cab.cabinet, t, "cabinet_trip"), *[reading(lamp, t, "fault") for lamp in cab.lamps])
    rules.read_events()
    rules.judge_assets(cab.lamps)
    assert len(_list(engine)) == 1
    write(db_url, event(cab.cabinet, t + dt.timedelta(minutes=1), "cabinet_reset"),
          reading(cab.lamps[0], t + dt.timedelta(minutes=1), "ok"))  # the second lamp really is broken
    rules.read_events()
    rules.judge_assets(cab.lamps)
    time.sleep(0.05)
    rules.sweep()
    shown = _list(engine)
    assert [(a["type"], a["asset"]["id"], a["cause_id"]) for a in shown] == [("lamp_failure", cab.lamps[1], None)]
    assert [h["action"] for h in _detail(engine, shown[0]["id"])["history"]] == ["raised", "grouped", "ungrouped"]


def test_the_silence_sweep_and_a_device_heard_again(engine, planner_id, db_url) -> None:
    lamps = lighting_cabinet(engine, planner_id, lamps=2).lamps
    write(db_url, *[reading(lamp, now(), "ok", power_w=38.0) for lamp in lamps])
    with engine.begin() as conn:  # the first lamp was last heard 40 min ago (3 × its 10 min period is 30 min)
        conn.execute(text("UPDATE live_state SET last_seen = now() - interval '40 minutes' WHERE asset_id = :id"),
                     {"id": lamps[0]})
    started = alarm_engine(engine)  # an engine counts silence from its start: nobody is silent yet
    started.sweep()
    assert alarm_rows(engine, type="device_silent") == []
    with engine.begin() as conn:  # nothing heard from anyone for 40 min: the ingest was down, not the lamps
        conn.execute(text("UPDATE live_state SET last_seen = last_seen - interval '40 minutes'"))
    alarm_engine(engine, trust_history=True).sweep()
    assert alarm_rows(engine, type="device_silent") == []
    with engine.begin() as conn:
        conn.execute(text("UPDATE live_state SET last_seen = now() WHERE asset_id = :id"), {"id": lamps[1]})
    rules = alarm_engine(engine, trust_history=True)
    rules.sweep()
    silent = alarm_rows(engine, type="device_silent")
    assert [(a.asset_id, a.state, a.detail["reason"]) for a in silent] == [(lamps[0], "open", "silent")]
    assert silent[0].message == "Lamp ARM-1-L0 silent for more than 30 min"
    rules.sweep()
    assert len(alarm_rows(engine, type="device_silent")) == 1

    write(db_url, reading(lamps[0], now(), "ok", power_w=38.0))
    rules.sweep()
    assert [a.state for a in alarm_rows(engine, type="device_silent")] == ["cleared"]


def test_an_unreachable_meter(engine, planner_id, db_url) -> None:
    with unit_of_work(engine, planner_id) as s:
        meter = create_asset(s, "energy_meter", {"code": "CPT-1", "geom": near(), **MINIMAL["energy_meter"]}).id
    rules = alarm_engine(engine)
    t = now() - dt.timedelta(minutes=2)
    write(db_url, reading(meter, t, "unreachable"))
    rules.judge_assets([meter])
    rules.reconcile()
    raised = alarm_rows(engine, type="meter_unreachable")
    assert [(a.asset_id, a.state, a.severity) for a in raised] == [(meter, "open", "major")]
    assert raised[0].message == "Energy meter CPT-1 unreachable"
    write(db_url, reading(meter, t + dt.timedelta(minutes=1), "ok", power_w=1200.0))
    rules.judge_assets([meter])
    assert [a.state for a in alarm_rows(engine, type="meter_unreachable")] == ["cleared"]


def test_sensor_thresholds_with_hysteresis_and_window_means(engine, planner_id, db_url) -> None:
    with unit_of_work(engine, planner_id) as s:
        temp = create_asset(s, "sensor", {"code": "CAP-T", "geom": near(), "sensor_type": "temperature",
                                          "dev_eui": "A840410000000001"}).id
        air = create_asset(s, "sensor", {"code": "CAP-A", "geom": near(9), "sensor_type": "air",
                                         "dev_eui": "A840410000000002"}).id
        assert {(t.sensor_type, t.metric) for t in list_thresholds(s)} >= {
            ("air", "no2_ugm3"), ("air", "pm10_ugm3"), ("noise", "laeq_db"), ("temperature", "temperature_c")}
        with pytest.raises(ValidationError, match="below: must be less than above"):
            set_threshold(s, Threshold("temperature", "temperature_c", above=10, below=20))
    rules = alarm_engine(engine)
    t = now() - dt.timedelta(minutes=30)

    def temperature(minutes: int, value: float) -> str | None:
        write(db_url, reading(temp, t + dt.timedelta(minutes=minutes), None, temperature_c=value))
        rules.judge_sensors()
        found = alarm_rows(engine, asset_id=temp)
        return found[-1].state if found else None

    assert temperature(0, 25.0) is None
    assert temperature(1, 41.5) == "open"  # above 40
    assert temperature(2, 39.5) == "open"  # back under 40 but inside the 1 °C hysteresis
    assert temperature(3, 38.5) == "cleared"
    assert temperature(4, -16.0) == "open"  # below -15
    assert alarm_rows(engine, asset_id=temp)[-1].message == "Sensor CAP-T: temperature_c -16 < -15"

    # NO2: the 1-hour mean against 200 µg/m³ (one high value does not make an exceedance, a high hour does)
    write(db_url, *[reading(air, t + dt.timedelta(minutes=m), None, no2_ugm3=v)
                    for m, v in ((0, 40.0), (10, 40.0), (20, 420.0))])
    rules.judge_sensors()
    assert alarm_rows(engine, asset_id=air) == []  # mean 166.7
    write(db_url, reading(air, t + dt.timedelta(minutes=25), None, no2_ugm3=420.0))
    rules.judge_sensors()
    raised = alarm_rows(engine, asset_id=air)
    assert [(a.state, a.severity) for a in raised] == [("open", "major")]
    assert raised[0].detail["crossed"][0]["value"] == 230.0 and "no2_ugm3 1 h mean 230 > 200" in raised[0].message


def test_a_vehicle_outside_its_zone(engine, planner_id, db_url) -> None:
    with unit_of_work(engine, planner_id) as s:
        van = create_asset(s, "vehicle", {"code": "VEH-1", "geom": near(), "tracker_id": "GPS-1",
                                          **MINIMAL["vehicle"]}).id
    rules = alarm_engine(engine)
    t = now() - dt.timedelta(minutes=10)
    write(db_url, position(van, t, 5.0345, 47.3226))  # place Darcy
    rules.judge_vehicles([van])
    assert alarm_rows(engine, asset_id=van) == []
    write(db_url, position(van, t + dt.timedelta(minutes=1), 5.3000, 47.3226))  # ~20 km east, out of the metropole
    rules.judge_vehicles([van])
    raised = alarm_rows(engine, asset_id=van)
    assert [(a.type, a.state) for a in raised] == [("vehicle_outside_zone", "open")]
    assert raised[0].detail["distance_m"] > 5000
    write(db_url, position(van, t + dt.timedelta(minutes=2), 5.0345, 47.3226))
    rules.sweep()  # also judged by the sweep (what it heard since the last one)
    assert [a.state for a in alarm_rows(engine, asset_id=van)] == ["cleared"]


def test_a_vehicle_outside_the_communes_of_its_zone(engine, planner_id, db_url) -> None:
    with unit_of_work(engine, planner_id) as s:
        for zone, reason in (("21999", "'21999' is not a commune of the metropole today (INSEE code or name)"),
                             ("Dijon, Atlantis", "'Atlantis' is not a commune of the metropole today (INSEE code "
                                                 "or name)")):
            with pytest.raises(ValidationError) as caught:
                create_asset(s, "vehicle", {"code": "VEH-X", "geom": near(), "zone_communes": zone,
                                            **MINIMAL["vehicle"]})
            assert [str(e) for e in caught.value.errors] == [f"zone_communes: {reason}"]
        sweeper = create_asset(s, "vehicle", {"code": "VEH-DIJON", "geom": near(), "tracker_id": "GPS-D",
                                              "zone_communes": "dijon; 21231", **MINIMAL["vehicle"],
                                              "plate": "DJ-001-ON"})
        roamer = create_asset(s, "vehicle", {"code": "VEH-ANY", "geom": near(), "tracker_id": "GPS-A",
                                             **MINIMAL["vehicle"], "plate": "AN-001-YY"})
        assert sweeper.zone_communes == "21231"
        sweeper, roamer = sweeper.id, roamer.id
    rules = alarm_engine(engine)
    t = now() - dt.timedelta(minutes=10)
    write(db_url, position(sweeper, t, 5.063, 47.287), position(roamer, t, 5.063, 47.287))  # Longvic, 1 km from Dijon
    rules.judge_vehicles([sweeper, roamer])
    raised = alarm_rows(engine, asset_id=sweeper)
    assert [(a.type, a.state) for a in raised] == [("vehicle_outside_zone", "open")]
    assert 900 < raised[0].detail["distance_m"] < 1300
    assert alarm_rows(engine, asset_id=roamer) == []  # no zone of its own: the whole metropole
    write(db_url, position(sweeper, t + dt.timedelta(minutes=1), 5.0345, 47.3226))  # back in Dijon
    rules.judge_vehicles([sweeper])
    assert [a.state for a in alarm_rows(engine, asset_id=sweeper)] == ["cleared"]


# -- fibre ---------------------------------------------------------------------------------------------------
def test_a_fibre_cut_in_a_meshed_network_affects_exactly_what_lost_every_path(engine, planner_id, db_url) -> None:
    ids = meshed_fibre(engine, planner_id)
    rules = alarm_engine(engine)
    t = now() - dt.timedelta(minutes=5)
    # the camera behind D is heard of as unreachable before the network reports the cut
    write(db_url, reading(ids["cam"], t, "unreachable"))
    rules.judge_assets([ids["cam"]])
    write(db_url, event(ids["P"], t + dt.timedelta(seconds=5), "link_down", element="S-CD"),
          event(ids["P"], t + dt.timedelta(seconds=6), "link_down", element="S-AB"))  # on the ring: cuts nothing
    rules.read_events()
    shown = _list(engine)
    assert sorted((a["type"], a["asset"]["code"], a["affected_count"]) for a in shown) == [
        ("fibre_failure", "S-AB", 0), ("fibre_failure", "S-CD", 2)]
    cd = next(a for a in shown if a["asset"]["code"] == "S-CD")
    detail = _detail(engine, cd["id"])
    assert [(a["code"], a["alarm_id"] is not None) for a in detail["affected"]] == [("CAM-D", True), ("N-D", False)]
    assert detail["message"] == "Fibre segment S-CD down" and detail["detail"]["reported_by"] == ids["P"]

    # node A fails: the cabinet on it, its meter (read over that fibre) and everything past the ring
    write(db_url, event(ids["P"], t + dt.timedelta(seconds=7), "link_down", element="N-A", kind="fibre_node"))
    rules.read_events()
    a = alarm_rows(engine, asset_id=ids["A"])[0]
    assert sorted(d["code"] for d in _detail(engine, a.id)["affected"]) == [
        "AR-A", "CAM-D", "CPT-A", "CTRL-B", "N-B", "N-C", "N-D"]
    with unit_of_work(engine, None) as s:
        lost = {x.id for x in fibre_cut(s, ids["A"])} | {ids["meter"]}
    assert set(affected_by_ids(engine, ids["A"])) == lost

    write(db_url, event(ids["P"], t + dt.timedelta(minutes=1), "link_up", element="S-CD"))
    rules.read_events()
    assert alarm_rows(engine, asset_id=ids["CD"])[0].state == "cleared"


def affected_by_ids(engine: Engine, asset_id: int) -> list[int]:
    with unit_of_work(engine, None) as s:
        return affected_by(s, asset_id)


@pytest.mark.slow
def test_fibre_cuts_on_the_demo_city_match_a_reachability_count(demo_engine: Engine) -> None:
    """On the demo's ~140 km meshed network: what a cut affects is exactly what loses every path to a PoP,
    computed here independently (connected components of the network without the element)."""
    with demo_engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, kind, node_type, from_node_id, to_node_id FROM assets "
            "WHERE kind IN ('fibre_node', 'fibre_segment') AND status = 'in_service'")).all()
        equipment = conn.execute(text(
            "SELECT id, fibre_node_id, energy_meter_id FROM assets WHERE fibre_node_id IS NOT NULL "
            "AND status <> 'removed'")).all()
    nodes = {r.id for r in rows if r.kind == "fibre_node"}
    pops = {r.id for r in rows if r.node_type == "pop"}
    segments = [(r.id, r.from_node_id, r.to_node_id) for r in rows if r.kind == "fibre_segment"]

    def reachable(without_segment: int) -> set[int]:
        adjacency: dict[int, list[int]] = {n: [] for n in nodes}
        for seg, a, b in segments:
            if seg != without_segment and a in nodes and b in nodes:
                adjacency[a].append(b)
                adjacency[b].append(a)
        seen, queue = set(pops), deque(pops)
        while queue:
            for n in adjacency[queue.popleft()]:
                if n not in seen:
                    seen.add(n)
                    queue.append(n)
        return seen

    before = reachable(-1)
    checked = cutting = 0
    for seg, _a, _b in segments[:: max(len(segments) // 40, 1)]:
        lost = before - reachable(seg)
        expected = set(lost) | {e.id for e in equipment if e.fibre_node_id in lost}
        expected |= {e.energy_meter_id for e in equipment if e.fibre_node_id in lost and e.energy_meter_id}
        assert set(affected_by_ids(demo_engine, seg)) == expected
        checked += 1
        cutting += bool(expected)
    assert checked >= 30 and cutting >= 5  # branches cut something, rings nothing


# -- the engine as a process -----------------------------------------------------------------------------------
def _running(engine: Engine) -> tuple[AlarmEngine, threading.Thread]:
    rules = AlarmEngine(engine, EngineOptions(sweep_s=0.5, poll_s=0.05, gap_wait_s=0.5))
    ready = threading.Event()
    thread = threading.Thread(target=rules.run, kwargs={"on_ready": ready.set}, daemon=True)
    thread.start()
    assert ready.wait(10)
    return rules, thread


def _wait(predicate, timeout: float = 10.0) -> float:
    start = time.perf_counter()
    while not predicate():
        assert time.perf_counter() - start < timeout, "timed out"
        time.sleep(0.005)
    return time.perf_counter() - start


def test_the_engine_reacts_at_once_and_a_restarted_one_reads_what_it_missed(engine, planner_id, db_url) -> None:
    cab = lighting_cabinet(engine, planner_id, lamps=3)
    rules, thread = _running(engine)
    try:
        write(db_url, reading(cab.lamps[0], now(), "fault", lamp_failure=True))
        latency = _wait(lambda: alarm_rows(engine, asset_id=cab.lamps[0]))
        with engine.connect() as conn:
            db_latency = conn.execute(text(
                "SELECT extract(epoch FROM al.raised_at - l.last_seen) FROM alarms al "
                "JOIN live_state l ON l.asset_id = al.asset_id WHERE al.asset_id = :id"), {"id": cab.lamps[0]}).scalar()
        print(f"\nstate change -> alarm row: {latency * 1000:.0f} ms seen by the test, "
              f"{float(db_latency) * 1000:.0f} ms from the live row's write to the alarm's transaction")
        assert latency < 2.0
    finally:
        rules.stop()
        thread.join(10)

    # while no engine runs: the cabinet trips and another lamp fails (their notifications go unheard)
    write(db_url, event(cab.cabinet, now(), "cabinet_trip"), reading(cab.lamps[1], now(), "fault"))
    rules, thread = _running(engine)
    try:
        assert len(alarm_rows(engine, type="cabinet_trip")) == 1
        assert alarm_rows(engine, asset_id=cab.lamps[1])[0].cause_id is not None
        assert alarm_rows(engine, asset_id=cab.lamps[0])[0].cause_id is not None  # adopted: it came first
        with engine.connect() as conn:
            cursor = conn.execute(text("SELECT event_id FROM alarm_cursors")).scalar()
            last = conn.execute(text("SELECT max(id) FROM device_events")).scalar()
        assert cursor == last
    finally:
        rules.stop()
        thread.join(10)
    assert len(_list(engine)) == 1 and len(alarm_rows(engine)) == 3


def test_an_event_committed_after_a_later_one_is_not_skipped(engine, planner_id, db_url) -> None:
    lamps = lighting_cabinet(engine, planner_id, lamps=2).lamps
    rules = alarm_engine(engine, gap_wait_s=30)
    rules.read_events()
    insert = ("INSERT INTO device_events (asset_id, ts, name) VALUES (%s, now(), 'lamp_failure') RETURNING id")
    with psycopg.connect(libpq_url(db_url)) as slow, psycopg.connect(libpq_url(db_url), autocommit=True) as quick:
        first = slow.execute(insert, (lamps[0],)).fetchone()[0]  # its transaction stays open
        second = quick.execute(insert, (lamps[1],)).fetchone()[0]
        assert second > first
        rules.read_events()
        assert [a.asset_id for a in alarm_rows(engine)] == [lamps[1]]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT event_id FROM alarm_cursors")).scalar() == first - 1
        slow.commit()
    rules.read_events()
    assert sorted(a.asset_id for a in alarm_rows(engine)) == lamps
    with engine.connect() as conn:
        assert conn.execute(text("SELECT event_id FROM alarm_cursors")).scalar() == second
