"""The energy clause from raw data: burning hours against a published sunrise/sunset table, a night cut,
a meter reset and a gap, a lamp without baseline power, a cabinet without meter (modelled), and the
``contract`` command line with its explanation."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from astral import Observer
from click.testing import CliRunner
from sqlalchemy import Engine

from app.cli import build_cli, context, contract_cmd
from assets.db import unit_of_work
from assets.live.records import Reading
from assets.live.writer import LiveWriter
from assets.store import create_asset
from fieldservice.contract.burning import PARIS, Cut, burning_hours, load_schedule, night
from fieldservice.contract.energy import BASELINE_ESTIMATE_W, Lamp, energy_month, explain, metered, modelled_kwh
from tests.assets.helpers import MINIMAL, near

PARIS_OBSERVATORY = Observer(latitude=48.8362, longitude=2.3365)


@pytest.mark.parametrize(("day", "sunset", "sunrise"), [
    # Paris at the solstices, as almanacs publish them (legal time, to the minute; within 2 min here).
    (dt.date(2026, 12, 21), "16:55", "08:42"),  # sunset on the 21st, sunrise on the 22nd
    (dt.date(2026, 6, 21), "21:58", "05:47"),
])
def test_burning_hours_follow_the_published_sun(day: dt.date, sunset: str, sunrise: str) -> None:
    lit = night(day, observer=PARIS_OBSERVATORY)
    for got, published in ((lit.on, sunset), (lit.off, sunrise)):
        expected = dt.datetime.combine(got.date(), dt.time.fromisoformat(published), PARIS)
        assert abs((got - expected).total_seconds()) <= 120, (got, published)
    winter, summer = night(dt.date(2026, 12, 21)).hours, night(dt.date(2026, 6, 21)).hours
    assert 15.4 < winter < 15.7 and 7.9 < summer < 8.2  # Dijon's longest and shortest nights
    year = sum(burning_hours(f"2026-{m:02d}") for m in range(1, 13))
    assert 4200 < year < 4400  # "about 4,100 to 4,300 hours a year, dusk to dawn"


def test_a_night_cut_takes_its_hours_off_every_night() -> None:
    cut = Cut(dt.time(1), dt.time(5))
    assert night(dt.date(2026, 11, 10), cut).cut_h == pytest.approx(4.0)
    assert burning_hours("2026-11") - burning_hours("2026-11", cut) == pytest.approx(4.0 * 30)
    assert load_schedule().cut_of("21617") == cut and load_schedule().cut_of("21231") is None


def test_modelled_energy_follows_the_dimming_profile_and_the_cut() -> None:
    lamp = Lamp(1, "LUM-1", 150.0, "before", 40.0, "dim50_23h_5h")
    hours = burning_hours("2026-11")  # November nights run ~17:15 to ~07:40: the 23:00-05:00 window is inside
    assert modelled_kwh("2026-11", None, [lamp]) == pytest.approx(40 * (hours - 0.5 * 6 * 30) / 1000)
    cut = Cut(dt.time(1), dt.time(5))  # the cut takes 4 of the 6 dimmed hours
    assert modelled_kwh("2026-11", cut, [lamp]) == pytest.approx(40 * (hours - 4 * 30 - 0.5 * 2 * 30) / 1000)


def test_a_meter_reset_and_a_gap_lose_no_energy() -> None:
    t = dt.datetime(2026, 11, 1, tzinfo=PARIS)
    h = dt.timedelta(hours=1)
    readings = [(t - h, 1000.0), (t + h, 1010.0), (t + 2 * h, 1015.0), (t + 3 * h, 3.0),  # reset: restarts at 0
                (t + 10 * h, 20.0)]  # a 7-hour silence
    found = metered(readings, t, t + 10 * h)
    assert found.kwh == pytest.approx(5 + 5 + 3 + 17) and found.resets == 1 and len(found.gaps) == 1
    assert found.coverage == pytest.approx(1.0)


@pytest.fixture
def network(engine: Engine, planner_id: int) -> dict[str, int]:
    """Two cabinets: ARM-M metered (3 lamps: known baseline, estimated, left out); ARM-N without meter."""
    ids: dict[str, int] = {}
    with unit_of_work(engine, planner_id) as session:
        def add(kind: str, code: str, dx: float, **attrs: object) -> int:
            ids[code] = create_asset(session, kind, {"code": code, "geom": near(dx), **MINIMAL[kind], **attrs}).id
            return ids[code]
        meter = add("energy_meter", "CPT-M", 0)
        for cab, extra in (("ARM-M", {"energy_meter_id": meter}), ("ARM-N", {})):
            add("cabinet", cab, 5, **extra)
            circuit = create_asset(session, "circuit", {"code": f"DEP-{cab}", "parent_id": ids[cab]}).id
            add("pole", f"SUP-{cab}", 10, parent_id=circuit)
        add("luminaire", "LUM-1", 10, parent_id=ids["SUP-ARM-M"], power_w=40, power_w_before=150,
            luminaire_type="street", dimming_profile="dim50_23h_5h")
        add("luminaire", "LUM-2", 10, parent_id=ids["SUP-ARM-M"], power_w=30, luminaire_type="lantern")
        add("luminaire", "LUM-3", 10, parent_id=ids["SUP-ARM-M"], power_w=None, luminaire_type=None)
        add("luminaire", "LUM-4", 10, parent_id=ids["SUP-ARM-N"], is_led=False, power_w=100, luminaire_type="street")
    return ids


def test_the_month_from_meters_and_lamps(engine: Engine, db_url: str, network: dict[str, int]) -> None:
    start = dt.datetime(2026, 11, 1, tzinfo=PARIS)
    with LiveWriter(db_url) as writer:  # a reading every 6 hours, 0.5 kWh an hour, through the real writer
        writer.write([Reading(network["CPT-M"], start + dt.timedelta(hours=6 * k),
                              {"energy_total_kwh": 200.0 + 3.0 * k}, source="modbus") for k in range(-4, 126)])
    hours = burning_hours("2026-11")
    with unit_of_work(engine, None) as session:
        month = energy_month(session, "2026-11")
        by_code = {c.code: c for c in month.cabinets}
        explained = explain(session, "2026-11", network["ARM-M"])
    metered_cab, modelled = by_code["ARM-M"], by_code["ARM-N"]
    assert metered_cab.method == "measured" and metered_cab.actual_kwh == pytest.approx(0.5 * 24 * 30, rel=1e-3)
    assert metered_cab.baseline_kwh == pytest.approx((150 + BASELINE_ESTIMATE_W["lantern"]) * hours / 1000)
    assert (metered_cab.estimated, metered_cab.left_out) == (1, 1)
    assert modelled.method == "modelled" and modelled.reason == "no meter"
    assert modelled.actual_kwh == pytest.approx(modelled.baseline_kwh)  # not renovated: uses its baseline
    summary = month.summary()
    assert summary["lamps_estimated"] == 1 and summary["lamps_left_out"] == 1 and summary["modelled_cabinets"] == 1
    assert summary["savings"] == pytest.approx(1 - month.actual_kwh / month.baseline_kwh, abs=1e-4)
    assert 0 < summary["measured_share"] < 1
    assert explained["cabinet"] == "ARM-M" and len(explained["nights"]) == 30
    assert [lamp["how"] for lamp in explained["lamps"]] == ["before", "estimated", "left_out"]
    assert len(explained["meter"]["readings"]) > 100 and explained["meter"]["resets"] == 0


def test_the_command_line_reports_and_explains(engine: Engine, db_url: str, network: dict[str, int],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    context.engine.cache_clear()
    cli, runner = build_cli(contract_cmd), CliRunner()
    try:
        shown = runner.invoke(cli, ["contract", "energy", "--month", "2026-11"])
        assert shown.exit_code == 0, shown.output
        assert "savings" in shown.output and "65 %" in shown.output and "estimated 1" in shown.output
        data = json.loads(runner.invoke(cli, ["contract", "energy", "--month", "2026-11", "--json"]).output)
        assert data["cabinets"] == 2 and data["lamps_left_out"] == 1
        why = runner.invoke(cli, ["contract", "explain", "energy", "--month", "2026-11", "--cabinet", "arm-m"])
        assert why.exit_code == 0 and "LUM-2" in why.output and "estimated" in why.output, why.output
        bad = runner.invoke(cli, ["contract", "energy", "--month", "November"])
        assert bad.exit_code == 1 and "month" in bad.output and "YYYY-MM" in bad.output
    finally:
        context.engine.cache_clear()
