"""The delay clause's penalty schedule: per breach fixed + per started hour, capped; the on-time shortfall."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from assets.errors import ValidationError
from fieldservice.contract.penalties import load_schedule


def test_the_example_schedule_prices_breaches_and_shortfall() -> None:
    schedule = load_schedule()
    assert schedule.breach_penalty("response", "urgent", 90) == Decimal("300")  # 150 + 2 started hours × 75
    assert schedule.breach_penalty("response", "urgent", 60 * 24) == Decimal("600")  # capped
    assert schedule.breach_penalty("response", "urgent", 0) == Decimal("0")
    assert schedule.breach_penalty("make_safe", "normal", 30) is None  # not in the schedule
    assert schedule.shortfall_penalty(0.5) == Decimal("900")  # 45 points under 95 % × 20
    assert schedule.shortfall_penalty(0.96) == Decimal("0") and schedule.shortfall_penalty(None) == Decimal("0")


def test_a_bad_schedule_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps({"on_time_target": 0.9, "breach": {"response": {"urgent": {"fixed": -1,
                                                                                          "per_started_hour": 1}}}}))
    with pytest.raises(ValidationError, match=r"breach.response.urgent.fixed"):
        load_schedule(bad)
