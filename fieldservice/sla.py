"""The SLA engine: three clocks per order, on calendar time or business hours, paused while the order
waits for a reason its policy allows; due times, time left, breach, penalties, the month's on-time rate.

Pure functions over an order's creation time and its event list (``Event``), so they are fast and
testable. Business hours: Monday–Friday, 08:00–18:00 Europe/Paris, not on French public holidays
(the ``holidays`` library). Calendar time counts real elapsed minutes (a DST night is 23 or 25 hours).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC
BUSINESS_START = dt.time(8, 0)
BUSINESS_END = dt.time(18, 0)

# Each clock stops at the first event reaching one of these states.
CLOCKS: dict[str, tuple[str, ...]] = {
    "response": ("on_site", "made_safe", "done", "verified"),
    "make_safe": ("made_safe", "done", "verified"),
    "resolution": ("done", "verified"),
}


class Policy(Protocol):
    """What the engine reads of an SLA policy (``fieldservice.models.SlaPolicy`` fits)."""

    calendar: str
    response_min: int | None
    make_safe_min: int | None
    resolution_min: int | None
    pause_reasons: list[str]
    penalty_fixed: Decimal
    penalty_per_hour: Decimal
    penalty_cap: Decimal | None


@dataclass(frozen=True)
class Event:
    """One transition as the engine sees it."""

    to_state: str
    at: dt.datetime
    reason: str | None = None


@dataclass(frozen=True)
class ClockStatus:
    """Where one clock stands at ``now``: due is None while paused past its budget or without a budget."""

    clock: str
    budget_min: int
    due: dt.datetime | None
    stopped_at: dt.datetime | None
    elapsed_min: float
    remaining_min: float
    paused: bool
    breached: bool
    late_min: float


@lru_cache(maxsize=64)
def _french_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("FR", years=year))


def is_public_holiday(day: dt.date) -> bool:
    """A French public holiday (the ``holidays`` library)."""
    return day in _french_holidays(day.year)


def is_business_day(day: dt.date) -> bool:
    """Monday–Friday and not a French public holiday."""
    return day.weekday() < 5 and day not in _french_holidays(day.year)


def _business_window(day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    if not is_business_day(day):
        return None
    return (dt.datetime.combine(day, BUSINESS_START, PARIS).astimezone(UTC),
            dt.datetime.combine(day, BUSINESS_END, PARIS).astimezone(UTC))


def _aware(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetime: the SLA engine needs timezone-aware times")
    return at.astimezone(UTC)


def working_minutes(start: dt.datetime, end: dt.datetime, calendar: str) -> float:
    """Minutes between ``start`` and ``end`` that count on ``calendar`` ('calendar' or 'business')."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        return 0.0
    if calendar == "calendar":
        return (end - start).total_seconds() / 60
    total = 0.0
    day = start.astimezone(PARIS).date()
    last = end.astimezone(PARIS).date()
    while day <= last:
        window = _business_window(day)
        if window:
            lo, hi = max(window[0], start), min(window[1], end)
            if hi > lo:
                total += (hi - lo).total_seconds() / 60
        day += dt.timedelta(days=1)
    return total


def add_working_minutes(start: dt.datetime, minutes: float, calendar: str,
                        until: dt.datetime | None = None) -> dt.datetime | None:
    """The instant ``minutes`` counting minutes after ``start``; None if it lies beyond ``until``."""
    start = _aware(start)
    if calendar == "calendar":
        due = start + dt.timedelta(minutes=minutes)
        return None if until is not None and due > until else due
    left = minutes
    day = start.astimezone(PARIS).date()
    while until is None or dt.datetime.combine(day, dt.time(0), PARIS) <= until:
        window = _business_window(day)
        if window:
            lo = max(window[0], start)
            hi = window[1] if until is None else min(window[1], _aware(until))
            span = (hi - lo).total_seconds() / 60
            if span > 0:
                if span >= left:
                    return lo + dt.timedelta(minutes=left)
                left -= span
        day += dt.timedelta(days=1)
        if day.year > start.year + 5:
            raise ValueError("no business time found within five years")
    return None


def pauses(events: Sequence[Event], allowed: Iterable[str], now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The intervals the order spent waiting for an allowed reason (an open one ends at ``now``)."""
    allowed = set(allowed)
    out: list[tuple[dt.datetime, dt.datetime]] = []
    began: dt.datetime | None = None
    for event in sorted(events, key=lambda e: e.at):
        if began is not None:
            out.append((began, _aware(event.at)))
            began = None
        if event.to_state == "waiting" and event.reason in allowed:
            began = _aware(event.at)
    if began is not None:
        out.append((began, _aware(now)))
    return out


def _active_segments(start: dt.datetime, paused: list[tuple[dt.datetime, dt.datetime]]
                     ) -> list[tuple[dt.datetime, dt.datetime | None]]:
    segments: list[tuple[dt.datetime, dt.datetime | None]] = []
    cursor = start
    for lo, hi in paused:
        if hi <= cursor:
            continue
        if lo > cursor:
            segments.append((cursor, lo))
        cursor = max(cursor, hi)
    segments.append((cursor, None))
    return segments


def clock_status(clock: str, policy: Policy, created_at: dt.datetime, events: Sequence[Event],
                 now: dt.datetime) -> ClockStatus | None:
    """The state of one clock of an order at ``now``; None when the policy sets no budget for it."""
    budget = getattr(policy, f"{clock}_min")
    if budget is None:
        return None
    created_at, now = _aware(created_at), _aware(now)
    ordered = sorted(events, key=lambda e: e.at)
    stop = next((_aware(e.at) for e in ordered if e.to_state in CLOCKS[clock]), None)
    end = stop or now
    paused = [(lo, min(hi, end)) for lo, hi in pauses(ordered, policy.pause_reasons, now) if lo < end]
    is_paused = (stop is None and bool(ordered) and ordered[-1].to_state == "waiting"
                 and ordered[-1].reason in policy.pause_reasons)
    segments = _active_segments(created_at, paused)
    elapsed = sum(working_minutes(lo, hi if hi is not None else end, policy.calendar) for lo, hi in segments)
    # Due: walk the active time; an open pause freezes the clock, so the due time is unknown until it resumes.
    due: dt.datetime | None = None
    left = float(budget)
    for lo, hi in segments:
        if hi is None and is_paused:
            break
        due = add_working_minutes(lo, left, policy.calendar, until=hi)
        if due is not None:
            break
        left -= working_minutes(lo, hi, policy.calendar) if hi is not None else 0
    late = max(0.0, elapsed - budget)
    return ClockStatus(clock=clock, budget_min=budget, due=due, stopped_at=stop, elapsed_min=elapsed,
                       remaining_min=budget - elapsed, paused=is_paused, breached=elapsed > budget, late_min=late)


def clocks(policy: Policy, created_at: dt.datetime, events: Sequence[Event],
           now: dt.datetime) -> dict[str, ClockStatus]:
    """Every clock the policy sets, by name."""
    out = {}
    for name in CLOCKS:
        status = clock_status(name, policy, created_at, events, now)
        if status is not None:
            out[name] = status
    return out


def penalty(policy: Policy, late_min: float) -> Decimal:
    """The penalty of one breach: fixed + per started hour late, capped; nothing when on time."""
    if late_min <= 0:
        return Decimal("0")
    amount = Decimal(policy.penalty_fixed) + Decimal(policy.penalty_per_hour) * math.ceil(late_min / 60)
    return min(amount, Decimal(policy.penalty_cap)) if policy.penalty_cap is not None else amount


def month_of(due: dt.datetime) -> str:
    """The month ('YYYY-MM', Europe/Paris) an order counts in: the one its due time falls in."""
    return _aware(due).astimezone(PARIS).strftime("%Y-%m")


@dataclass(frozen=True)
class OnTime:
    """A month's compliance: on time ÷ (closed + open overdue)."""

    on_time: int
    closed: int
    open_overdue: int

    @property
    def rate(self) -> float | None:
        denominator = self.closed + self.open_overdue
        return None if denominator == 0 else self.on_time / denominator


def on_time_rate(statuses: Iterable[ClockStatus], month: str) -> OnTime:
    """Compliance of one clock over orders whose due time falls in ``month``; open orders not yet
    overdue do not count, open overdue ones count against."""
    on_time = closed = open_overdue = 0
    for status in statuses:
        if status.due is None or month_of(status.due) != month:
            continue
        if status.stopped_at is not None:
            closed += 1
            on_time += not status.breached
        elif status.breached:
            open_overdue += 1
    return OnTime(on_time=on_time, closed=closed, open_overdue=open_overdue)
