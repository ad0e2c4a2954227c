"""Availability from raw data: the light points of each night (installed, retired, out of service), a lamp
fault counted from the time it was known (through the live writer and
the alarm engine), a short one within the contract's tolerance, the heartbeat recorder, a maintenance
window excluded from IT availability, and the command line's explanation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text

from app.cli import build_cli, context, contract_cmd
from assets.alarms.engine import AlarmEngine
from assets.db import unit_of_work
from assets.errors import ValidationError
from assets.live.records import Reading
from assets.live.writer import LiveWriter
from assets.store import create_asset, retire_asset
from fieldservice.contract.availability import Terms, Window, equipment_month, it_month, load_windows
from fieldservice.contract.burning import PARIS, night
from fieldservice.contract.heartbeats import Recorder
from tests.assets.helpers import MINIMAL, near

TERMS = Terms(equipment_target=0.98, tolerance_h=24, it_target=0.995)
START = dt.datetime(2026, 11, 1, tzinfo=PARIS).astimezone(dt.UTC)


@pytest.fixture
def lamps(engine: Engine, planner_id: int) -> list[int]:
    with unit_of_work(engine, planner_id) as session:
        return [create_asset(session, "luminaire", {"code": f"LUM-{i}", "geom": near(10 * i),
                                                    **MINIMAL["luminaire"], "install_date": "2020-01-01"}).id
                for i in range(4)]


def _states(db_url: str, engine: Engine, moves: list[tuple[int, dt.datetime, str]]) -> None:
    """Device states through the live writer, each followed by an alarm-engine pass (alarms from facts)."""
    rules = AlarmEngine(engine)
    for lamp, ts, state in moves:
        with LiveWriter(db_url) as writer:
            writer.write([Reading(lamp, ts, {"power_w": 0.0 if state == "fault" else 40.0}, state=state,
                                  source="test")])
        rules.catch_up()


def test_a_lamp_fault_counts_from_the_time_known_beyond_the_tolerance(engine: Engine, db_url: str,
                                                                      lamps: list[int]) -> None:
    n10, n11 = night(dt.date(2026, 11, 10)), night(dt.date(2026, 11, 11))
    known = n10.on + dt.timedelta(hours=2)  # the lamp said "fault" two hours after dusk on the 10th
    repaired = n11.off + dt.timedelta(hours=3)  # back the morning after next: ~40 h, beyond 24 h
    short = n10.on + dt.timedelta(hours=1)
    _states(db_url, engine, [(lamps[0], n10.on - dt.timedelta(hours=1), "ok"), (lamps[0], known, "fault"),
                             (lamps[1], short, "fault"), (lamps[1], short + dt.timedelta(hours=5), "ok"),
                             (lamps[0], repaired, "ok")])
    with unit_of_work(engine, None) as session:
        alarms = session.execute(text("SELECT asset_id, fact_ts, cleared_fact_ts FROM alarms ORDER BY id")).all()
        month = equipment_month(session, "2026-11", terms=TERMS)
    assert [(a.asset_id, a.fact_ts, a.cleared_fact_ts) for a in alarms] == [
        (lamps[0], known, repaired), (lamps[1], short, short + dt.timedelta(hours=5))]
    lost = (n10.off - known).total_seconds() / 3600 + n11.hours  # lit hours out: the rest of the 10th, all the 11th
    by_lamp = {o.lamp: o for o in month.outages}
    assert by_lamp["LUM-0"].counted and by_lamp["LUM-0"].lost_h == pytest.approx(lost)
    assert not by_lamp["LUM-1"].counted and by_lamp["LUM-1"].lost_h == pytest.approx(5)  # within tolerance
    assert month.lamps == 4 and month.lost_h == pytest.approx(lost)
    assert month.due_h == pytest.approx(4 * sum(n.hours for n in (night(dt.date(2026, 11, d)) for d in range(1, 31))))
    nights = {n.day: n for n in month.nights}
    assert nights[dt.date(2026, 11, 10)].lost_h == pytest.approx((n10.off - known).total_seconds() / 3600)
    assert nights[dt.date(2026, 11, 11)].availability == pytest.approx(0.75)  # one lamp of four out all night
    assert month.availability == pytest.approx(1 - lost / month.due_h)
    assert month.summary()["met"] is (month.availability >= 0.98)


def _beats(engine: Engine, minutes: int, down: dict[str, range], missing: dict[str, range]) -> None:
    """A recorder run minute by minute on the real table, with probes failing as ``down`` says."""
    def probe(component: str):
        return lambda now: "refused" if int((now - START).total_seconds() // 60) in down.get(component, ()) else None
    recorder = Recorder(engine, {c: probe(c) for c in ("ingest", "web", "broker", "database")})
    for m in range(minutes):
        recorder.beat(START + dt.timedelta(minutes=m, seconds=7))
    with engine.begin() as conn:
        for component, gap in missing.items():
            conn.execute(text("DELETE FROM heartbeats WHERE component = :c AND minute >= :a AND minute < :b"),
                         {"c": component, "a": START + dt.timedelta(minutes=gap.start),
                          "b": START + dt.timedelta(minutes=gap.stop)})


def test_a_maintenance_window_is_excluded_from_it_availability(engine: Engine) -> None:
    # three hours recorded; web down 40 min of which 30 in the announced window; broker not recorded 10 min
    _beats(engine, 180, down={"web": range(60, 100)}, missing={"broker": range(150, 160)})
    window = Window(START + dt.timedelta(minutes=70), START + dt.timedelta(minutes=100), ("web",), "upgrade")
    now = START + dt.timedelta(minutes=180)
    with unit_of_work(engine, None) as session:
        planned = it_month(session, "2026-11", terms=TERMS, windows=[window], now=now)
        unplanned = it_month(session, "2026-11", terms=TERMS, windows=[], now=now)
    web = {c.component: c for c in planned.components}["web"]
    assert (web.due, web.up, web.maintenance) == (150, 140, 30) and web.availability == pytest.approx(140 / 150)
    assert {c.component: c for c in unplanned.components}["web"].availability == pytest.approx(140 / 180)
    broker = {c.component: c for c in planned.components}["broker"]
    assert (broker.up, broker.not_recorded) == (170, 10)  # a minute without heartbeat is not proved up
    assert (planned.platform.due, planned.platform.up) == (150, 150 - 10 - 10)
    assert [(d.component, d.recorded, int((d.end - d.start).total_seconds() // 60)) for d in planned.downs] == [
        ("web", True, 10), ("broker", False, 10)]
    assert planned.summary()["met"] is False


def test_the_recorder_keeps_beats_while_the_database_is_down(engine: Engine, db_url: str) -> None:
    from assets.db import make_engine
    broken = make_engine(db_url.replace("/cp_test_", "/cp_missing_"))
    recorder = Recorder(broken, {"database": lambda now: "down", "web": lambda now: None})
    recorder.beat(START)
    assert len(recorder.pending) == 2
    recorder.engine = engine
    recorder.beat(START + dt.timedelta(minutes=1))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT component, minute, ok FROM heartbeats ORDER BY minute, component")).all()
    assert [(r.component, r.ok) for r in rows] == [("database", False), ("web", True)] * 2 and not recorder.pending


def test_maintenance_file_errors_name_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps({"windows": [{"start": "2026-11-01T22:00:00+01:00", "end": "2026-11-01T23:00:00+01:00",
                                            "components": ["mqtt"]}]}))
    with pytest.raises(ValidationError, match=r"windows\[0\]\.components.*mqtt"):
        load_windows(bad)
    assert load_windows()[0].reason  # the project's example window loads


def test_availability_cli_and_its_explanation(engine: Engine, db_url: str, lamps: list[int],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _beats(engine, 30, down={"database": range(5, 8)}, missing={})
    monkeypatch.setenv("DATABASE_URL", db_url)
    context.engine.cache_clear()
    cli = build_cli(contract_cmd)
    try:
        shown = CliRunner().invoke(cli, ["contract", "availability", "--month", "2026-11", "--json"])
        assert shown.exit_code == 0, shown.output
        figures = json.loads(shown.output)
        assert figures["equipment"]["lamps"] == 4 and figures["equipment"]["availability"] == 1.0
        database = {c["component"]: c for c in figures["it"]["components"]}["database"]
        assert database["down_min"] == 3
        explained = CliRunner().invoke(cli, ["contract", "explain", "availability", "--month", "2026-11"])
        assert explained.exit_code == 0 and "database  down" in explained.output, explained.output
        assert "night 2026-11-30" in explained.output and "maintenance 2026-11-17T22:00:00+01:00" in explained.output
        bad = CliRunner().invoke(cli, ["contract", "availability", "--month", "2026/11"])
        assert bad.exit_code == 1 and "YYYY-MM" in bad.output
    finally:
        context.engine.cache_clear()


def test_each_night_counts_the_light_points_of_that_night(engine: Engine, planner_id: int) -> None:
    """Installed on the 10th, retired on the 20th at noon (its outage counted until then), out of service,
    entered today without an installation date: each night's due hours are those of the lamps of that night."""
    installed = dt.datetime(2026, 11, 10, tzinfo=PARIS)
    retired = dt.datetime(2026, 11, 20, 12, tzinfo=PARIS)
    with unit_of_work(engine, planner_id) as session:
        def lamp(code: str, **extra: object) -> int:
            return create_asset(session, "luminaire", {"code": code, "geom": near(), **MINIMAL["luminaire"],
                                                       **extra}).id
        lamp("LUM-NEW", install_date="2026-11-10")
        gone = lamp("LUM-GONE", install_date="2015-03-01")
        lamp("LUM-BROKEN", install_date="2015-03-01", status="out_of_service")
        lamp("LUM-TODAY")  # entered in the inventory today: not a light point of November
    with unit_of_work(engine, planner_id) as session:
        retire_asset(session, gone)
    known, cleared = dt.datetime(2026, 11, 18, 20, tzinfo=PARIS), dt.datetime(2026, 11, 25, 9, tzinfo=PARIS)
    with engine.begin() as conn:  # the retirement as the audit trail would have recorded it on the 20th
        conn.execute(text("UPDATE asset_history SET at = :at WHERE asset_id = :id AND action = 'retire'"),
                     {"at": retired, "id": gone})
        conn.execute(text("INSERT INTO alarms (asset_id, type, severity, state, message, fact_ts, cleared_at, "
                          "cleared_fact_ts) VALUES (:id, 'lamp_failure', 'minor', 'cleared', 'failed', :k, :c, :c)"),
                     {"id": gone, "k": known, "c": cleared})
    with unit_of_work(engine, None) as session:
        month = equipment_month(session, "2026-11", terms=TERMS, now=dt.datetime(2026, 12, 7, tzinfo=dt.UTC))

    def lit(day: dt.date, a: dt.datetime, b: dt.datetime) -> float:
        n = night(day)
        return max(0.0, (min(n.off, b) - max(n.on, a)).total_seconds() / 3600)

    days = [dt.date(2026, 11, d) for d in range(1, 31)]
    far = dt.datetime(2100, 1, 1, tzinfo=PARIS)
    ancient = dt.datetime(2000, 1, 1, tzinfo=PARIS)
    by_night = {n.day: n for n in month.nights}
    for day in days:
        expected = lit(day, installed, far) + lit(day, ancient, retired)
        assert by_night[day].due_h == pytest.approx(expected), day
    assert by_night[dt.date(2026, 11, 5)].due_h == pytest.approx(night(dt.date(2026, 11, 5)).hours)  # LUM-GONE only
    assert month.lamps == 2
    (outage,) = month.outages
    assert outage.counted and outage.lost_h == pytest.approx(sum(lit(d, known, retired) for d in days))
    assert month.lost_h == pytest.approx(outage.lost_h)


def test_a_lamp_deleted_outright_counts_for_the_nights_it_existed(engine: Engine, planner_id: int) -> None:
    """A luminaire deleted from the inventory (not retired) on the 15th at noon: the audit trail keeps it a
    light point of November's nights until then — the month's due hours do not change after the deletion."""
    deleted = dt.datetime(2026, 11, 15, 12, tzinfo=PARIS)
    with unit_of_work(engine, planner_id) as session:
        kept = create_asset(session, "luminaire", {"code": "LUM-KEPT", "geom": near(), **MINIMAL["luminaire"],
                                                   "install_date": "2015-03-01"}).id
        gone = create_asset(session, "luminaire", {"code": "LUM-DELETED", "geom": near(10), **MINIMAL["luminaire"],
                                                   "install_date": "2015-03-01"}).id
    with engine.begin() as conn:  # deleted outright, on the 15th as the audit trail would have said
        conn.execute(text("DELETE FROM assets WHERE id = :id"), {"id": gone})
        conn.execute(text("UPDATE asset_history SET at = :at WHERE asset_id = :id AND action = 'delete'"),
                     {"at": deleted, "id": gone})
    with unit_of_work(engine, None) as session:
        month = equipment_month(session, "2026-11", terms=TERMS, now=dt.datetime(2026, 12, 7, tzinfo=dt.UTC))
        december = equipment_month(session, "2026-12", terms=TERMS, now=dt.datetime(2026, 12, 7, tzinfo=dt.UTC))
    assert kept and month.lamps == 2 and december.lamps == 1
    by_night = {n.day: n for n in month.nights}
    for day in (dt.date(2026, 11, d) for d in range(1, 31)):
        n = night(day)
        gone_h = max(0.0, (min(n.off, deleted) - n.on).total_seconds() / 3600)
        assert by_night[day].due_h == pytest.approx(n.hours + gone_h), day
    assert by_night[dt.date(2026, 11, 14)].due_h == pytest.approx(2 * night(dt.date(2026, 11, 14)).hours)
    assert by_night[dt.date(2026, 11, 20)].due_h == pytest.approx(night(dt.date(2026, 11, 20)).hours)
