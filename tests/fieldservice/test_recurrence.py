"""Preventive maintenance: RFC 5545 recurrences in Paris wall time across daylight saving and month ends;
plans that make their orders up to a horizon exactly once per occurrence, against the real database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from assets.db import unit_of_work
from assets.errors import ValidationError
from assets.store import create_asset
from fieldservice.recurrence import create_plan, generate, list_plans, occurrences
from fieldservice.sla import PARIS
from tests.assets.helpers import MINIMAL, l93, near

UTC = dt.UTC


def paris(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=PARIS)


def test_a_monthly_night_patrol_stays_at_21_00_in_paris_across_daylight_saving() -> None:
    found = occurrences("FREQ=MONTHLY;BYDAY=1TU", paris(2026, 1, 6, 21), paris(2026, 1, 1), paris(2026, 12, 31))
    assert len(found) == 12
    assert {w.astimezone(PARIS).hour for w in found} == {21}
    by_month = {w.astimezone(PARIS).month: w for w in found}
    assert by_month[3] == dt.datetime(2026, 3, 3, 20, tzinfo=UTC)  # winter time, UTC+1
    assert by_month[4] == dt.datetime(2026, 4, 7, 19, tzinfo=UTC)  # after the last Sunday of March, UTC+2
    assert by_month[10] == dt.datetime(2026, 10, 6, 19, tzinfo=UTC)
    assert by_month[11] == dt.datetime(2026, 11, 3, 20, tzinfo=UTC)  # after the last Sunday of October


def test_a_daily_rule_keeps_its_hour_over_the_dst_nights() -> None:
    spring = occurrences("FREQ=DAILY", paris(2026, 3, 28, 6), paris(2026, 3, 28), paris(2026, 3, 30, 12))
    assert [w.hour for w in spring] == [5, 4, 4]  # 06:00 Paris on the 28th (UTC+1), 29th and 30th (UTC+2)
    autumn = occurrences("FREQ=DAILY", paris(2026, 10, 24, 6), paris(2026, 10, 24), paris(2026, 10, 26, 12))
    assert [w.hour for w in autumn] == [4, 5, 5]


def test_month_ends_last_day_and_the_31st_that_skips_short_months() -> None:
    last = occurrences("FREQ=MONTHLY;BYMONTHDAY=-1", paris(2027, 11, 30, 8), paris(2027, 11, 1), paris(2028, 4, 30, 23))
    assert [w.astimezone(PARIS).date() for w in last] == [
        dt.date(2027, 11, 30), dt.date(2027, 12, 31), dt.date(2028, 1, 31), dt.date(2028, 2, 29),
        dt.date(2028, 3, 31), dt.date(2028, 4, 30)]
    on_31 = occurrences("FREQ=MONTHLY;BYMONTHDAY=31", paris(2026, 1, 31, 8), paris(2026, 1, 1), paris(2026, 12, 31, 23))
    assert [w.astimezone(PARIS).month for w in on_31] == [1, 3, 5, 7, 8, 10, 12]
    yearly = occurrences("RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", paris(2024, 2, 29, 9), paris(2024, 1, 1),
                         paris(2033, 1, 1))
    assert [w.year for w in yearly] == [2024, 2028, 2032]


@pytest.mark.parametrize(("rule", "says"), [
    ("FREQ=SOMETIMES", "not an RFC 5545 rule"),
    ("FREQ=HOURLY", "at most daily"),
    ("FREQ=DAILY;UNTIL=20270101T000000", "not an RFC 5545 rule"),  # UNTIL must be UTC with a zoned start
    ("", "is required"),
    ("DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY", "one RRULE only"),
])
def test_a_bad_rule_is_refused_naming_the_field(rule: str, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        occurrences(rule, paris(2026, 1, 1), paris(2026, 1, 1), paris(2026, 2, 1))
    assert caught.value.errors[0].field == "rrule"
    assert says in caught.value.errors[0].reason


def _lamps(engine: Engine) -> dict[str, list[int]]:
    """Two lamps in Dijon, one in Chenôve; their ids by commune."""
    with unit_of_work(engine, None) as s:
        for code, where in (("LUM-1", near()), ("LUM-2", near(50)), ("LUM-3", l93(5.0055, 47.2905))):
            create_asset(s, "luminaire", {"code": code, "geom": where, "status": "in_service", **MINIMAL["luminaire"]})
        rows = s.execute(text("SELECT commune_insee, array_agg(id ORDER BY id) FROM assets "
                              "WHERE kind = 'luminaire' GROUP BY 1")).all()
    return {insee: ids for insee, ids in rows}


def test_a_plan_makes_one_order_per_commune_and_occurrence_once(engine: Engine) -> None:
    communes = _lamps(engine)
    assert len(communes) == 2
    created = paris(2026, 11, 20, 12)
    with unit_of_work(engine, None) as s:
        create_plan(s, name="Night patrol", category="lighting", rrule="FREQ=MONTHLY;BYDAY=1TU",
                    dtstart=paris(2026, 1, 6, 21), due_after_min=8 * 60, horizon_days=31, asset_kind="luminaire",
                    split="commune", at=created)
        first = generate(s, now=created)
    assert first.count == 2  # December's patrol (1 Dec), in each commune; November's 3rd was before the plan
    with unit_of_work(engine, None) as s:
        assert generate(s, now=created).count == 0
        assert generate(s, now=created + dt.timedelta(days=5)).count == 0
        rows = s.execute(text(
            "SELECT o.origin, o.category, o.priority, o.policy_id, o.commune_insee, o.resolution_due, o.response_due, "
            "o.description, (SELECT count(*) FROM work_order_assets wa WHERE wa.order_id = o.id) AS n "
            "FROM work_orders o ORDER BY o.commune_insee")).all()
    assert [r.commune_insee for r in rows] == sorted(communes)
    for r in rows:
        assert (r.origin, r.category, r.priority, r.policy_id, r.response_due, r.n) == \
            ("planned", "lighting", "low", None, None, 0)
        assert r.resolution_due == paris(2026, 12, 1, 21) + dt.timedelta(hours=8)  # 1 Dec 21:00 + 8 h
        assert "Night patrol" in r.description and "2026-12-01 21:00" in r.description
    with unit_of_work(engine, None) as s:
        assert generate(s, now=paris(2026, 12, 10)).count == 2  # January's (5 Jan) comes into the horizon
        assert generate(s, now=paris(2026, 12, 10)).count == 0
        items, total = list_plans(s, now=paris(2026, 12, 10))
    assert total == 1 and items[0]["orders_made"] == 4
    assert items[0]["next"][0] == paris(2027, 1, 5, 21).astimezone(UTC).isoformat()


def test_a_plan_per_asset_links_each_camera(engine: Engine) -> None:
    with unit_of_work(engine, None) as s:
        ids = [create_asset(s, "camera", {"code": f"CAM-{i}", "geom": near(i * 10), "status": "in_service",
                                          **MINIMAL["camera"]}).id for i in range(3)]
        create_plan(s, name="Camera cleaning", category="video", rrule="FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=15",
                    dtstart=paris(2026, 12, 15, 9), due_after_min=14 * 24 * 60, horizon_days=30, asset_kind="camera",
                    split="asset", at=paris(2026, 12, 1))
        assert generate(s, now=paris(2026, 12, 1)).count == 3
        assert generate(s, now=paris(2026, 12, 2)).count == 0
        linked = s.execute(text("SELECT asset_id FROM work_order_assets ORDER BY asset_id")).scalars().all()
    assert linked == ids


def test_a_paused_plan_makes_nothing_and_bad_plans_name_their_fields(engine: Engine) -> None:
    from fieldservice.recurrence import set_active

    with unit_of_work(engine, None) as s:
        create_plan(s, name="Cabinets", category="lighting", rrule="FREQ=YEARLY", dtstart=paris(2026, 12, 3, 9),
                    at=paris(2026, 12, 1))
        set_active(s, "Cabinets", False)
        assert generate(s, now=paris(2026, 12, 1)).count == 0
        with pytest.raises(ValidationError) as caught:
            create_plan(s, name="Cabinets", category="plumbing", rrule="FREQ=WEEKLY;BYDAY=XX",
                        dtstart=dt.datetime(2026, 1, 1), split="street", asset_kind="tree", horizon_days=400,
                        commune_insee="99999", asset_ids=[987654])
    fields = {e.field for e in caught.value.errors}
    assert fields == {"name", "category", "split", "horizon_days", "dtstart", "asset_kind", "commune_insee",
                      "asset_ids"}


def test_the_plans_and_escalations_commands(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from app.cli import build_cli, planning_cmd
    from app.cli.context import engine as cli_engine

    _lamps(engine)
    start = (dt.datetime.now(PARIS) + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    breached = (start + dt.timedelta(hours=8, minutes=1)).isoformat()
    monkeypatch.setenv("DATABASE_URL", db_url)
    cli_engine.cache_clear()
    cli = build_cli(planning_cmd)
    run = CliRunner().invoke
    try:
        added = run(cli, ["plans", "add", "Patrouille de nuit", "--category", "lighting", "--rrule",
                          "FREQ=YEARLY", "--start", start.isoformat(), "--kind", "luminaire",
                          "--split", "commune", "--due-after", "480", "--horizon", "7"])
        assert added.exit_code == 0, added.output
        assert "Patrouille de nuit" in added.output and f"next {start:%Y-%m-%d %H:%M}" in added.output
        bad = run(cli, ["plans", "add", "X", "--category", "lighting", "--rrule", "FREQ=NEVER",
                        "--start", "2026-01-06"])
        assert bad.exit_code == 1 and bad.output.startswith("error: rrule: 'FREQ=NEVER' is not an RFC 5545 rule")
        first = run(cli, ["plans", "run"])
        assert first.exit_code == 0, first.output
        assert first.output.strip().endswith("2 order(s) made")  # the occurrence in 3 days, in each commune
        assert run(cli, ["plans", "run"]).output.strip() == "0 order(s) made"
        listed = run(cli, ["plans", "list"])
        assert "2 order(s) made" in listed.output and "plans 1–1 of 1" in listed.output
        assert "paused" in run(cli, ["plans", "pause", "Patrouille de nuit"]).output
        escalated = run(cli, ["escalations", "run", "--at", breached])
        assert escalated.exit_code == 0 and "2 escalation(s)" in escalated.output, escalated.output
        assert "resolution breached" in escalated.output
        assert "2 of 2 escalation(s)" in run(cli, ["escalations", "list"]).output
    finally:
        cli_engine.cache_clear()
