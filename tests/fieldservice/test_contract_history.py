"""``citypilot demo history``: months of meter readings, outages with alarms and orders, and heartbeats on a
small city, so each clause of the monthly report has a real figure that ``contract explain`` accounts for;
the savings rise with the renovation; a re-run replaces the generated rows and never a real one."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, text

from app.cli import build_cli, context, demo_cmd
from assets.db import unit_of_work
from assets.live.records import Reading
from assets.live.writer import LiveWriter
from assets.store import create_asset
from fieldservice.contract import penalties
from fieldservice.contract.availability import equipment_month, it_month
from fieldservice.contract.delays import month_delays
from fieldservice.contract.energy import explain
from fieldservice.contract.history import generate_history
from fieldservice.contract.month import contract_month
from fieldservice.demo import load_demo_fieldservice
from tests.assets.helpers import MINIMAL, near

NOW = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)
MONTHS = ("2026-09", "2026-10", "2026-11")
REAL_READING_AT = NOW - dt.timedelta(days=2)


@pytest.fixture
def city(engine: Engine, db_url: str, planner_id: int) -> dict[str, int]:
    """Six metered cabinets of eight lamps (LED with their sodium power before, one lamp never renovated),
    the demo's crews, policies and orders, and one real meter reading two days ago."""
    ids: dict[str, int] = {}
    profiles = ("dim50_23h_5h", "dim30_22h_6h", "presence_detection", None)
    with unit_of_work(engine, planner_id) as session:
        for c in range(6):
            meter = create_asset(session, "energy_meter", {"code": f"CPT-{c}", "geom": near(100 * c),
                                                           **MINIMAL["energy_meter"], "unit_id": c + 1}).id
            cab = create_asset(session, "cabinet", {"code": f"ARM-{c}", "geom": near(100 * c, 5),
                                                    "contract_power_kva": 12, "energy_meter_id": meter}).id
            ids[f"ARM-{c}"], ids[f"CPT-{c}"] = cab, meter
            circuit = create_asset(session, "circuit", {"code": f"DEP-{c}", "parent_id": cab}).id
            pole = create_asset(session, "pole", {"code": f"SUP-{c}", "geom": near(100 * c, 10),
                                                  "parent_id": circuit}).id
            for k in range(8):
                legacy = c == 5 and k == 0
                create_asset(session, "luminaire", {
                    "code": f"LUM-{c}{k}", "geom": near(100 * c + 3 * k, 12), "parent_id": pole,
                    "luminaire_type": "street", "is_led": not legacy, "install_date": "2019-05-01",
                    "power_w": 100 if legacy else 30 + 5 * (k % 3),
                    "power_w_before": 100 if legacy else 100 + 25 * (k % 3),
                    "dimming_profile": None if legacy else profiles[k % 4]})
        load_demo_fieldservice(session, now=NOW)
    with LiveWriter(db_url) as writer:
        writer.write([Reading(ids["CPT-0"], REAL_READING_AT, {"energy_total_kwh": 123_456.0}, source="modbus")])
    return ids


def _real(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        orders = conn.execute(text("SELECT count(*) FROM work_orders WHERE coalesce(created_by, 0) <> "
                                   "coalesce((SELECT id FROM users WHERE name = 'demo-history'), -1)")).scalar_one()
        reading = conn.execute(text("SELECT count(*) FROM telemetry WHERE ts = :t"),
                               {"t": REAL_READING_AT}).scalar_one()
    return orders, reading


def test_history_gives_every_clause_a_figure_its_explanation_accounts_for(engine: Engine, city: dict[str, int]) -> None:
    real_before = _real(engine)
    first = generate_history(engine, months=3, now=NOW)
    assert first.hi == REAL_READING_AT.replace(minute=0, second=0, microsecond=0)  # real rows are not replaced
    assert first.lo == dt.datetime(2026, 8, 31, 22, tzinfo=dt.UTC)  # 1 September, Paris
    with unit_of_work(engine, None) as session:
        report = {m: contract_month(session, m, now=NOW) for m in MONTHS}
        savings = [report[m]["energy"]["savings"] for m in MONTHS]
        assert 0.33 < savings[0] < 0.5 < savings[1] < savings[2] and savings[2] > 0.65, savings  # LED renovation
        for m in MONTHS:
            energy, equipment, it = report[m]["energy"], report[m]["equipment"], report[m]["it"]
            assert energy["measured_share"] == 1.0 and energy["modelled_cabinets"] == 0
            assert 0.9 < equipment["availability"] < 1 and equipment["outages_counted"] >= 2
            assert 0.99 < it["availability"] < 1 and it["not_recorded_min"] == 0
            assert report[m]["delays"]["counted"] > 0
        assert sum(report[m]["delays"]["breaches"] for m in MONTHS) >= 1  # a few late orders
        assert min(report[m]["it"]["availability"] for m in MONTHS) < 0.995  # the month of the 4-hour outage
        # each figure is the sum of its rows
        month = "2026-10"
        cabinets = {c["code"]: c for c in report[month]["cabinets"]}
        for code, cab in cabinets.items():
            why = explain(session, month, city[code])
            assert why["actual_kwh"] == pytest.approx(cab["actual_kwh"], abs=0.06)
            assert why["baseline_kwh"] == pytest.approx(cab["baseline_kwh"], abs=0.06)
            assert len(why["meter"]["readings"]) > 24 * 31
        equipment = equipment_month(session, month, now=NOW)
        counted = [o for o in equipment.outages if o.counted]
        assert sum(o.lost_h for o in counted) == pytest.approx(equipment.lost_h)
        assert {o.alarm for o in equipment.outages} >= {"lamp_failure", "device_silent"}
        it = it_month(session, month, now=NOW)
        down = {(d.component, d.start + dt.timedelta(minutes=m)) for d in it.downs
                for m in range(int((d.end - d.start).total_seconds() // 60))}
        assert it.platform.due - it.platform.up == len({t for _, t in down})  # each down minute is listed
        delays = month_delays(session, month, penalties.load_schedule(), now=NOW)
        assert delays.counted == report[month]["delays"]["counted"]
        # the designed meter reset and gap show in their cabinet's explanation
        counts = session.execute(text("SELECT counts FROM demo_history_runs")).scalar_one()
        reset_month = dt.datetime.fromisoformat(counts["reset_at"]).astimezone(dt.UTC).strftime("%Y-%m")
        gap_month = dt.datetime.fromisoformat(counts["gap_from"]).astimezone(dt.UTC).strftime("%Y-%m")
        assert explain(session, reset_month, city[counts["reset_cabinet"]])["meter"]["resets"] == 1
        assert len(explain(session, gap_month, city[counts["gap_cabinet"]])["meter"]["gaps"]) == 1
    # the inventory agrees with the history: a lamp renovated in the window was installed on its renovation
    # date, the sodium power it replaced kept; the light points still count before their new luminaire
    with engine.connect() as conn:
        lamps = conn.execute(text("SELECT code, install_date, power_w_before, is_led FROM assets "
                                  "WHERE kind = 'luminaire' ORDER BY code")).all()
    renovated = [lamp for lamp in lamps if lamp.install_date != dt.date(2019, 5, 1)]
    assert len(renovated) == first.counts["renovated"] > 0
    assert all(lamp.is_led and first.lo.date() <= lamp.install_date <= first.hi.date() for lamp in renovated)
    assert {lamp.code: lamp.power_w_before for lamp in lamps} == {
        f"LUM-{c}{k}": 100 if (c == 5 and k == 0) else 100 + 25 * (k % 3) for c in range(6) for k in range(8)}
    with unit_of_work(engine, None) as session:  # renovated in October, still a light point of September
        assert equipment_month(session, "2026-09", now=NOW).lamps == 48
    # a re-run replaces the generated rows, never the real ones
    again = generate_history(engine, months=3, now=NOW)
    assert again.counts == first.counts
    assert _real(engine) == real_before and real_before[0] > 0 and real_before[1] == 1
    with unit_of_work(engine, None) as session:
        assert contract_month(session, "2026-10", now=NOW)["energy"] == report["2026-10"]["energy"]
        assert session.execute(text("SELECT count(*) FROM demo_history_runs")).scalar_one() == 1


def test_the_command_line_generates_and_says_what(engine: Engine, db_url: str, city: dict[str, int],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    context.engine.cache_clear()
    try:
        cli = build_cli(demo_cmd)
        done = CliRunner().invoke(cli, ["demo", "history", "--months", "2"])
        assert done.exit_code == 0, done.output
        assert "meter readings" in done.output and "heartbeats" in done.output and "orders" in done.output
        bad = CliRunner().invoke(cli, ["demo", "history", "--months", "40"])
        assert bad.exit_code == 1 and "months" in bad.output and "400 days" in bad.output
    finally:
        context.engine.cache_clear()
