"""Pricing the intervention-delay clause from a small hand-made month with known figures."""

import datetime as dt
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from app.cli import build_cli, context, contract_cmd
from assets.db import unit_of_work
from fieldservice.contract.delays import Breach, month_delays, price
from fieldservice.contract.penalties import load_schedule
from tests.fieldservice.test_kpis import NOW, month  # noqa: F401 (the hand-made month fixture)

DUE = dt.datetime(2026, 11, 3, 9, tzinfo=dt.UTC)


def test_hand_made_month_prices_each_breach_and_the_shortfall() -> None:
    schedule = load_schedule()
    late = [Breach(1, "outage", "urgent", "response", DUE, DUE + dt.timedelta(minutes=61), 61,
                   schedule.breach_penalty("response", "urgent", 61)),
            Breach(2, "outage", "normal", "resolution", DUE, None, 30 * 60,
                   schedule.breach_penalty("resolution", "normal", 30 * 60))]
    # 20 counted: 17 on time of 19 closed, 1 open overdue -> 17/20 = 85 %, 10 points under 95 %.
    clause = price((20, 17, 19, 1), late, schedule)
    assert clause.rate == 0.85
    assert late[0].penalty == Decimal("300")  # 150 + 2 started hours x 75
    assert late[1].penalty == Decimal("150")  # 40 + 30 x 5 = 190, capped at 150
    assert clause.breach_penalties == Decimal("450")
    assert clause.shortfall_penalty == Decimal("200")  # 10 points x 20
    assert clause.total_penalty == Decimal("650")
    assert clause.as_dict()["breaches"] == 2


@pytest.mark.usefixtures("month")
def test_the_month_from_orders_and_its_explanation(engine: Engine, db_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with unit_of_work(engine, None) as s:
        clause = month_delays(s, "2026-11", load_schedule(), now=NOW)
    # B late on response (90 min), C open overdue on all three clocks
    assert sorted((b.clock, b.stop is None) for b in clause.breaches) == [
        ("make_safe", True), ("resolution", True), ("response", False), ("response", True)]
    # 8 on time ÷ (9 closed + 3 open overdue) over the three clocks (E's permit wait is paused: on time)
    assert (clause.on_time, clause.closed, clause.open_overdue, clause.rate) == (8, 9, 3, 8 / 12)
    b_response = next(b for b in clause.breaches if b.clock == "response" and b.stop is not None)
    assert b_response.late_min == pytest.approx(90) and b_response.penalty == Decimal("300")
    monkeypatch.setenv("DATABASE_URL", db_url)
    context.engine.cache_clear()
    try:
        shown = CliRunner().invoke(build_cli(contract_cmd), ["contract", "explain", "delays", "--month", "2026-11"])
        # run at the real now, E2 (due 30 Nov 22:30 UTC) is overdue too
        assert shown.exit_code == 0 and "5 breaches" in shown.output, shown.output
        assert "order 2       response   urgent  due 2026-11-05T12:00:00+00:00" in shown.output
        assert "late 90 min  penalty 300" in shown.output
        bad = CliRunner().invoke(build_cli(contract_cmd), ["contract", "explain", "delays", "--month", "11/2026"])
        assert bad.exit_code == 1 and "YYYY-MM" in bad.output
    finally:
        context.engine.cache_clear()
