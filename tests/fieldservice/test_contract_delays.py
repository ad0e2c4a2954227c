"""Pricing the intervention-delay clause from a small hand-made month with known figures."""

import datetime as dt
from decimal import Decimal

from fieldservice.contract.delays import Breach, price
from fieldservice.contract.penalties import load_schedule

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
