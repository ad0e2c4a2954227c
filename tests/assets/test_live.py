"""Live data in the database: the batched writer, deduplication, newest-by-device-time, values as sent,
tracks and their retention, partitions, dead letters, device identities and the operations figures."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from assets.db import unit_of_work
from assets.errors import ValidationError
from assets.live.devices import DeviceDirectory
from assets.live.models import PARTS_SCHEMA
from assets.live.partitions import ensure_partitions, maintain, partitions, prune, set_retention
from assets.live.queries import dead_letters, live_state, series, track, vehicle_positions
from assets.live.records import DeadLetter, Event, Position, Reading, message_key
from assets.live.stats import live_stats
from assets.live.writer import LiveWriter
from assets.schema import Base
from assets.store import create_asset
from tests.assets.helpers import MINIMAL, near
from tests.connectors.ingest_support import LAMP_EUI, TRACKER, Devices, count, create_devices

T0 = dt.datetime(2026, 11, 29, 21, 0, tzinfo=dt.UTC)
MINE = {"live_state", "live_metrics", "telemetry", "ingest_keys", "ingest_counts", "vehicle_positions",
        "device_events", "dead_letters", "connector_configs", "live_retention"}


@pytest.fixture
def devices(engine: Engine, planner_id: int) -> Devices:
    return create_devices(engine, planner_id)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_live_models_match_the_migration(engine: Engine) -> None:
    def include(obj, name, type_, reflected, compare_to) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in MINE

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include, "compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        parts = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = :s"), {"s": PARTS_SCHEMA})
        assert parts.scalar_one() >= 3  # the default partitions


def test_readings_stored_once_per_message_identity(engine: Engine, db_url: str, devices: Devices) -> None:
    reading = Reading(devices.lamp, T0, {"power_w": 38.2, "lamp_on": True}, "ok", message_key("t", 1), "test")
    with LiveWriter(db_url) as writer:
        first = writer.write([reading, reading])  # twice in one batch
        again = writer.write([reading])  # and redelivered later
    assert (first.stored, first.duplicates, first.telemetry_rows) == (1, 1, 2)
    assert (again.stored, again.duplicates, again.telemetry_rows) == (0, 1, 0)
    assert count(engine, "SELECT count(*) FROM telemetry") == 2
    assert count(engine, "SELECT count(*) FROM ingest_keys") == 1
    with unit_of_work(engine, None) as session:
        assert live_stats(session)["messages_stored"] == 1


def test_negative_zero_and_null_values_are_stored_as_sent(engine: Engine, db_url: str, devices: Devices) -> None:
    values = {"temperature_c": -7.25, "battery_pct": 0, "humidity_pct": None, "lamp_on": False, "note": "tab\there"}
    with LiveWriter(db_url) as writer:
        writer.write([Reading(devices.temp, T0, values, None, message_key("t", 2), "test")])
    with unit_of_work(engine, None) as session:
        got = {name: series(session, devices.temp, name, T0)[0][1] for name in values}
        snapshot = live_state(session, devices.temp)
    assert got == {"temperature_c": -7.25, "battery_pct": 0.0, "humidity_pct": None, "lamp_on": 0.0,
                   "note": "tab\there"}
    assert snapshot is not None and snapshot.values == values and snapshot.state == "ok"


def test_live_state_keeps_the_newest_by_device_time(engine: Engine, db_url: str, devices: Devices) -> None:
    newer = Reading(devices.lamp, at(10), {"power_w": 0.0, "dim_level": 0}, "fault", message_key("t", "n"), "t")
    older = Reading(devices.lamp, at(5), {"power_w": 38.0, "voltage_v": 230.0}, "ok", message_key("t", "o"), "t")
    oldest = Reading(devices.lamp, at(1), {"power_w": 40.0}, "ok", message_key("t", "x"), "t")
    with LiveWriter(db_url) as writer:
        writer.write([newer])
        writer.write([older])  # arrives late (QoS 1 redelivery, another ingest process)
        writer.write([oldest, Reading(devices.lamp2, at(2), {}, "ok", message_key("t", "y"), "t")])
    with unit_of_work(engine, None) as session:
        state = live_state(session, devices.lamp)
    assert state.state == "fault" and state.ts == at(10) and state.state_since == at(10)
    # newer values win; an older message only fills what the row lacked
    assert state.values == {"power_w": 0.0, "dim_level": 0, "voltage_v": 230.0}
    assert count(engine, "SELECT count(*) FROM telemetry WHERE asset_id = :a", a=devices.lamp) == 5  # all history


def test_out_of_order_within_one_batch(engine: Engine, db_url: str, devices: Devices) -> None:
    with LiveWriter(db_url) as writer:
        writer.write([
            Reading(devices.lamp, at(3), {"dim_level": 30}, "ok", message_key("b", 3), "t"),
            Reading(devices.lamp, at(9), {"dim_level": 90}, "fault", message_key("b", 9), "t"),
            Reading(devices.lamp, at(6), {"dim_level": 60}, "ok", message_key("b", 6), "t"),
        ])
        writer.write([Reading(devices.lamp, at(12), {"dim_level": 100}, None, message_key("b", 12), "t")])
    with unit_of_work(engine, None) as session:
        state = live_state(session, devices.lamp)
    # telemetry without a state leaves the state (fault) as it is
    assert (state.state, state.values["dim_level"], state.ts) == ("fault", 100, at(12))


def test_positions_are_the_track_and_the_live_position(engine: Engine, db_url: str, devices: Devices) -> None:
    with unit_of_work(engine, None) as session:
        before = session.execute(text("SELECT geom, version FROM assets WHERE id = :i"), {"i": devices.vehicle}).one()
    fixes = [Position(devices.vehicle, at(m), 5.0345 + m / 1000, 47.3226, 30.0 + m, 90.0, None, 5.0,
                      message_key("gps", m), "test") for m in (2, 0, 1)]
    with LiveWriter(db_url) as writer:
        result = writer.write(fixes)
    assert result.positions == 3
    with unit_of_work(engine, None) as session:
        points = track(session, devices.vehicle, T0)
        [live] = vehicle_positions(session)
        after = session.execute(text("SELECT geom, version FROM assets WHERE id = :i"), {"i": devices.vehicle}).one()
    assert [p.ts for p in points] == [at(0), at(1), at(2)]
    assert abs(points[2].lon - 5.0365) < 1e-6 and abs(points[2].lat - 47.3226) < 1e-6
    assert live.asset_id == devices.vehicle and abs(live.lon - 5.0365) < 1e-6 and live.speed_kmh == 32.0
    assert after == before  # the inventory row (the depot) is never touched


def test_events_and_dead_letters(engine: Engine, db_url: str, devices: Devices) -> None:
    raw = b"\x00\xffnot json"
    with LiveWriter(db_url) as writer:
        writer.write([
            Event(devices.lamp, T0, "lamp_failure", {"code": 3}, message_key("e", 1), "test"),
            DeadLetter("citypilot/v1/devices/X/telemetry", raw, "payload: not valid JSON", "citypilot", "broker"),
        ])
    with unit_of_work(engine, None) as session:
        [letter] = dead_letters(session)
        stats = live_stats(session)
    assert (letter.topic, letter.payload, letter.format, letter.connector) == (
        "citypilot/v1/devices/X/telemetry", raw, "citypilot", "broker")
    assert letter.reason == "payload: not valid JSON"
    assert stats["dead_letters"] == 1
    assert count(engine, "SELECT count(*) FROM device_events WHERE name = 'lamp_failure'") == 1


def test_live_stats_count_assets_without_live_row_as_unknown(engine: Engine, db_url: str, devices: Devices) -> None:
    with LiveWriter(db_url) as writer:
        writer.write([Reading(devices.lamp, T0, {}, "fault", message_key("s", 1), "t"),
                      Reading(devices.temp, T0, {"battery_pct": 90}, "ok", message_key("s", 2), "t")])
    with unit_of_work(engine, None) as session:
        stats = live_stats(session)
    assert stats["live"] == {"ok": 1, "fault": 1, "unreachable": 0, "unknown": 3}
    assert stats["messages_stored"] == 2 and stats["dead_letters"] == 0


def test_partitions_made_ahead_and_the_default_takes_the_rest(engine: Engine, db_url: str, devices: Devices) -> None:
    far = dt.datetime(2031, 6, 1, 12, tzinfo=dt.UTC)
    with LiveWriter(db_url) as writer:
        writer.write([Reading(devices.lamp, far, {"power_w": 1.0}, None, message_key("p", 1), "t")])
    assert count(engine, f"SELECT count(*) FROM {PARTS_SCHEMA}.telemetry_default") == 1
    with engine.begin() as conn:
        created = ensure_partitions(conn, far.date(), far.date())
        assert created["telemetry"] == ["telemetry_p20310601"]
        assert partitions(conn, "telemetry")[-1][0] == "telemetry_p20310601"
    # the partition took over the row the default partition held
    assert count(engine, f"SELECT count(*) FROM {PARTS_SCHEMA}.telemetry_default") == 0
    assert count(engine, f"SELECT count(*) FROM {PARTS_SCHEMA}.telemetry_p20310601") == 1
    report = maintain(engine, now=dt.datetime(2031, 6, 1, tzinfo=dt.UTC))
    assert "telemetry_p20310603" in report.created["telemetry"]


def test_track_retention_drops_positions_older_than_sixty_days(engine: Engine, db_url: str, devices: Devices) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ages = (90, 61, 59, 1)
    with engine.begin() as conn:
        ensure_partitions(conn, (now - dt.timedelta(days=90)).date(), now.date(), ("vehicle_positions",))
    with LiveWriter(db_url) as writer:
        writer.write([Position(devices.vehicle, now - dt.timedelta(days=d), 5.03, 47.32, key=message_key("r", d))
                      for d in ages])
        writer.write([Position(devices.vehicle, now - dt.timedelta(days=400), 5.03, 47.32, key=message_key("r", 0))])
    assert count(engine, f"SELECT count(*) FROM {PARTS_SCHEMA}.vehicle_positions_default") == 1  # no partition
    with engine.begin() as conn:
        dropped, deleted = prune(conn, now)
    assert len(dropped["vehicle_positions"]) >= 30 and deleted["vehicle_positions"] == 1
    with unit_of_work(engine, None) as session:
        points = track(session, devices.vehicle, now - dt.timedelta(days=500))
        kept = [round((now - p.ts).total_seconds() / 86400) for p in points]
    assert kept == [59, 1]
    with engine.begin() as conn:  # configurable: keep 30 days
        set_retention(conn, "vehicle_positions", 30)
        prune(conn, now)
    assert count(engine, "SELECT count(*) FROM vehicle_positions") == 1


def test_device_events_and_dead_letters_are_kept_by_age(engine: Engine, db_url: str, devices: Devices) -> None:
    now = dt.datetime.now(dt.UTC)
    ages = (500, 401, 40, 1)  # days since received
    with LiveWriter(db_url) as writer:
        writer.write([Event(devices.lamp, T0, "lamp_failure", {"age": d}, key=message_key("e", d)) for d in ages])
        writer.write([DeadLetter("v3/x/devices/y/up", b"{not json", f"age {d}") for d in ages])
    with engine.begin() as conn:
        conn.execute(text("UPDATE device_events SET received_at = :now - make_interval(days => (detail->>'age')::int)"),
                     {"now": now})
        conn.execute(text("UPDATE dead_letters SET received_at = "
                          ":now - make_interval(days => split_part(reason, ' ', 2)::int)"), {"now": now})
    report = maintain(engine, now=now)  # partitions for the partitioned tables only, then the retention
    assert report.deleted_rows["device_events"] == 2 and report.deleted_rows["dead_letters"] == 3
    assert not any(name in report.created for name in ("device_events", "dead_letters"))
    assert count(engine, "SELECT count(*) FROM device_events") == 2  # 400 days kept by default
    assert count(engine, "SELECT count(*) FROM dead_letters") == 1  # 30 days
    with engine.begin() as conn:
        assert set_retention(conn, "device_events", 10).keep_days == 10
        _dropped, deleted = prune(conn, now)
        assert deleted == {"device_events": 1}
        with pytest.raises(ValidationError) as caught:
            set_retention(conn, "dead_letters", 5, "day")
    assert [str(e) for e in caught.value.errors] == [
        "interval: dead_letters is not partitioned: only its days can change"]


def test_device_directory_finds_devices_and_refreshes_on_a_miss(
    engine: Engine, planner_id: int, devices: Devices
) -> None:
    directory = DeviceDirectory(engine, negative_ttl=0.0)
    directory.load()
    assert directory.lookup(LAMP_EUI.lower()).asset_id == devices.lamp
    assert directory.lookup(TRACKER).asset_id == devices.vehicle
    assert directory.lookup("arm-t1").asset_id == devices.cabinet  # a code, any case
    assert directory.lookup("70B3D59BA00000FF") is None
    with unit_of_work(engine, planner_id) as session:
        new = create_asset(session, "luminaire", {**MINIMAL["luminaire"], "geom": near(50), "code": "LUM-N",
                                                  "dev_eui": "70B3D59BA00000FF"}).id
    assert directory.lookup("70b3d59ba00000ff").asset_id == new  # asked again: found
    assert directory.lookup("70B3D59BA00000FF").codec == "citypilot-lc1"


def test_writer_announces_state_changes_and_moves_once_committed(db_url: str, devices: Devices) -> None:
    import json

    import psycopg

    from assets.live.channels import LIVE_CHANNEL
    from assets.live.writer import libpq_url

    with psycopg.connect(libpq_url(db_url), autocommit=True) as listener, LiveWriter(db_url) as writer:
        listener.execute(f"LISTEN {LIVE_CHANNEL}")
        writer.write([Reading(devices.lamp, at(1), {"power_w": 38.0}, "ok", message_key("n", 1), "t")])
        writer.write([Reading(devices.lamp, at(2), {"power_w": 37.0}, "ok", message_key("n", 2), "t")])  # no change
        writer.write([Reading(devices.lamp, at(3), {"power_w": 0.0}, "fault", message_key("n", 3), "t"),
                      Position(devices.vehicle, at(3), 5.04, 47.32, 20.0, 180.0, key=message_key("n", 4))])
        writer.write([Position(devices.vehicle, at(2), 5.03, 47.31, key=message_key("n", 5))])  # older: no move
        received = [json.loads(n.payload) for n in listener.notifies(timeout=1.0)]
    states = [(e["asset_id"], e["previous"], e["state"]) for e in received if e["type"] == "state"]
    moves = [(e["asset_id"], e["lon"], e["lat"], e["speed_kmh"]) for e in received if e["type"] == "position"]
    assert (devices.lamp, None, "ok") in states and (devices.lamp, "ok", "fault") in states
    assert [s for s in states if s[0] == devices.lamp] == [(devices.lamp, None, "ok"), (devices.lamp, "ok", "fault")]
    assert moves == [(devices.vehicle, 5.04, 47.32, 20.0)]
