"""SLA clocks to the minute: nights, weekends, French holidays, DST, pauses; penalties; on-time rate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fieldservice.models import SlaPolicy
from fieldservice.sla import (
    PARIS,
    Event,
    add_working_minutes,
    clock_status,
    clocks,
    month_of,
    on_time_rate,
    penalty,
    working_minutes,
)


def paris(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=PARIS)


def policy(calendar: str = "calendar", response: int | None = 120, make_safe: int | None = 240,
           resolution: int | None = 480, pause: tuple[str, ...] = ("road_permit", "supplier"),
           fixed: str = "100", per_hour: str = "50", cap: str | None = "400") -> SlaPolicy:
    return SlaPolicy(category="lighting", priority="urgent", calendar=calendar, response_min=response,
                     make_safe_min=make_safe, resolution_min=resolution, pause_reasons=list(pause),
                     penalty_fixed=Decimal(fixed), penalty_per_hour=Decimal(per_hour),
                     penalty_cap=None if cap is None else Decimal(cap))


def test_calendar_clock_runs_through_the_night() -> None:
    due = add_working_minutes(paris(2026, 11, 3, 22, 30), 240, "calendar")
    assert due == paris(2026, 11, 4, 2, 30)


def test_business_clock_skips_the_night() -> None:
    # 17:00 Tuesday + 4 business hours: 1 h Tuesday, 3 h Wednesday morning.
    assert add_working_minutes(paris(2026, 11, 3, 17), 240, "business") == paris(2026, 11, 4, 11)
    assert working_minutes(paris(2026, 11, 3, 17), paris(2026, 11, 4, 11), "business") == 240


def test_business_clock_skips_the_weekend() -> None:
    # Friday 16:00 + 3 h: 2 h Friday, 1 h Monday.
    assert add_working_minutes(paris(2026, 11, 6, 16), 180, "business") == paris(2026, 11, 9, 9)


def test_business_clock_skips_14_july() -> None:
    # Monday 13 July 17:00 + 2 h: 1 h Monday, Tuesday 14 July is a holiday, 1 h Wednesday.
    assert add_working_minutes(paris(2026, 7, 13, 17), 120, "business") == paris(2026, 7, 15, 9)


def test_business_clock_skips_ascension_thursday_and_whit_monday() -> None:
    # Wednesday 13 May 2026 17:00 + 2 h: Thursday 14 May (Ascension) skipped → Friday 09:00.
    assert add_working_minutes(paris(2026, 5, 13, 17), 120, "business") == paris(2026, 5, 15, 9)
    # Friday 22 May 17:00 + 2 h: weekend and Whit Monday 25 May skipped → Tuesday 26 May 09:00.
    assert add_working_minutes(paris(2026, 5, 22, 17), 120, "business") == paris(2026, 5, 26, 9)


def test_calendar_clock_across_spring_forward() -> None:
    # Last Sunday of March 2026 (29th): 02:00 → 03:00. 01:30 + 120 real minutes is 04:30 on the wall.
    due = add_working_minutes(paris(2026, 3, 29, 1, 30), 120, "calendar")
    assert due.astimezone(PARIS).replace(tzinfo=None) == dt.datetime(2026, 3, 29, 4, 30)
    assert working_minutes(paris(2026, 3, 28, 12), paris(2026, 3, 29, 12), "calendar") == 23 * 60


def test_calendar_clock_across_fall_back() -> None:
    # Last Sunday of October 2026 (25th): 03:00 → 02:00. 01:30 + 120 real minutes is 02:30 (second time).
    due = add_working_minutes(paris(2026, 10, 25, 1, 30), 120, "calendar")
    assert due.astimezone(PARIS).replace(tzinfo=None) == dt.datetime(2026, 10, 25, 2, 30)
    assert due == dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)  # 02:30 CET, the second 02:30
    assert working_minutes(paris(2026, 10, 24, 12), paris(2026, 10, 25, 12), "calendar") == 25 * 60


def test_business_hours_are_local_across_dst() -> None:
    # Friday 27 March 17:00 + 2 h → Monday 30 March 09:00 Paris (now UTC+2): 07:00 UTC.
    due = add_working_minutes(paris(2026, 3, 27, 17), 120, "business")
    assert due == paris(2026, 3, 30, 9)
    assert due.astimezone(dt.UTC).hour == 7


def test_pause_for_an_allowed_reason_moves_the_due_time() -> None:
    created = paris(2026, 11, 3, 10)
    events = [Event("assigned", paris(2026, 11, 3, 10, 5)), Event("en_route", paris(2026, 11, 3, 10, 10)),
              Event("on_site", paris(2026, 11, 3, 10, 40)), Event("made_safe", paris(2026, 11, 3, 11)),
              Event("waiting", paris(2026, 11, 3, 12), "road_permit"), Event("on_site", paris(2026, 11, 3, 15))]
    status = clock_status("resolution", policy(), created, events, now=paris(2026, 11, 3, 16))
    assert status.due == paris(2026, 11, 3, 21)  # 8 h budget + 3 h paused
    assert status.elapsed_min == 3 * 60 and status.remaining_min == 5 * 60
    assert not status.paused and not status.breached


def test_open_pause_freezes_the_clock_and_a_disallowed_reason_does_not() -> None:
    created = paris(2026, 11, 3, 10)
    waiting = [Event("on_site", paris(2026, 11, 3, 10, 30)), Event("waiting", paris(2026, 11, 3, 11), "supplier")]
    status = clock_status("resolution", policy(), created, waiting, now=paris(2026, 11, 4, 10))
    assert status.paused and status.due is None and status.elapsed_min == 60 and not status.breached
    refused = [Event("on_site", paris(2026, 11, 3, 10, 30)), Event("waiting", paris(2026, 11, 3, 11), "police")]
    status = clock_status("resolution", policy(), created, refused, now=paris(2026, 11, 4, 10))
    assert not status.paused and status.due == paris(2026, 11, 3, 18) and status.breached
    assert status.late_min == 16 * 60


def test_three_clocks_stop_at_their_states() -> None:
    created = paris(2026, 11, 3, 10)
    events = [Event("on_site", paris(2026, 11, 3, 13)), Event("done", paris(2026, 11, 3, 14))]
    result = clocks(policy(), created, events, now=paris(2026, 11, 3, 20))
    assert result["response"].stopped_at == paris(2026, 11, 3, 13) and result["response"].breached
    assert result["response"].late_min == 60
    # done without an explicit made_safe stops the make-safe clock too.
    assert result["make_safe"].stopped_at == paris(2026, 11, 3, 14) and not result["make_safe"].breached
    assert not result["resolution"].breached
    assert "response" not in clocks(policy(response=None), created, events, now=paris(2026, 11, 3, 20))


def test_penalties_fixed_per_started_hour_and_capped() -> None:
    p = policy(fixed="100", per_hour="50", cap="400")
    assert penalty(p, 0) == 0
    assert penalty(p, 1) == Decimal("150")
    assert penalty(p, 61) == Decimal("200")
    assert penalty(p, 60 * 20) == Decimal("400")
    assert penalty(policy(cap=None), 60 * 20) == Decimal("1100")


def test_an_order_counts_in_the_month_its_due_time_falls_in_paris() -> None:
    assert month_of(dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)) == "2026-12"
    assert month_of(paris(2026, 11, 30, 23, 59)) == "2026-11"


def test_on_time_rate_counts_open_overdue_orders() -> None:
    p = policy(response=None, make_safe=None, resolution=60)
    now = paris(2026, 11, 20, 12)
    created = paris(2026, 11, 10, 10)
    on_time = clock_status("resolution", p, created, [Event("done", paris(2026, 11, 10, 10, 30))], now)
    late = clock_status("resolution", p, created, [Event("done", paris(2026, 11, 10, 12))], now)
    open_overdue = clock_status("resolution", p, created, [], now)
    open_not_due = clock_status("resolution", p, paris(2026, 11, 20, 11, 30), [], now)
    other_month = clock_status("resolution", p, paris(2026, 10, 10, 10), [Event("done", paris(2026, 10, 10, 10, 5))],
                               now)
    result = on_time_rate([on_time, late, open_overdue, open_not_due, other_month], "2026-11")
    assert (result.on_time, result.closed, result.open_overdue) == (1, 2, 1)
    assert result.rate == 1 / 3
    assert on_time_rate([], "2026-11").rate is None
