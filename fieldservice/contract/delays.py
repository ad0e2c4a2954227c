"""The intervention-delay clause of a month: every breach the SLA engine finds (closed late or open
overdue), priced by the editable penalty schedule (:mod:`fieldservice.contract.penalties`), and the
month's on-time rate with its shortfall penalty. These are the rows behind ``explain delays``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldservice import sla
from fieldservice.contract.penalties import Schedule
from fieldservice.kpis import _counted, _events, month_bounds
from fieldservice.models import SlaPolicy


@dataclass(frozen=True)
class Breach:
    """One order late on one clock in the month."""

    order_id: int
    category: str
    priority: str
    clock: str
    due: dt.datetime
    stop: dt.datetime | None
    late_min: float
    penalty: Decimal | None

    def as_dict(self) -> dict[str, object]:
        return {"order_id": self.order_id, "category": self.category, "priority": self.priority,
                "clock": self.clock, "due": self.due.isoformat(),
                "stop": None if self.stop is None else self.stop.isoformat(),
                "late_min": round(self.late_min, 1), "open": self.stop is None,
                "penalty": None if self.penalty is None else str(self.penalty)}


@dataclass(frozen=True)
class DelayClause:
    """The month's figures of the clause: on-time rate over all clocks, breaches and penalties."""

    counted: int
    on_time: int
    closed: int
    open_overdue: int
    rate: float | None
    breaches: tuple[Breach, ...]
    breach_penalties: Decimal
    shortfall_penalty: Decimal

    @property
    def total_penalty(self) -> Decimal:
        return self.breach_penalties + self.shortfall_penalty

    def as_dict(self) -> dict[str, object]:
        return {"counted": self.counted, "on_time": self.on_time, "closed": self.closed,
                "open_overdue": self.open_overdue,
                "rate": None if self.rate is None else round(self.rate, 4),
                "breaches": len(self.breaches), "breach_penalties": str(self.breach_penalties),
                "shortfall_penalty": str(self.shortfall_penalty), "total_penalty": str(self.total_penalty)}


def price(counts: tuple[int, int, int, int], breaches: Sequence[Breach], schedule: Schedule) -> DelayClause:
    """The clause from counts (counted, on time, closed, open overdue) and priced breaches (pure)."""
    counted, on_time, closed, overdue = counts
    rate = sla.OnTime(on_time, closed, overdue).rate
    total = sum((b.penalty for b in breaches if b.penalty is not None), Decimal("0"))
    return DelayClause(counted, on_time, closed, overdue, rate, tuple(breaches), total,
                       schedule.shortfall_penalty(rate))


def month_delays(session: Session, month: str, schedule: Schedule, now: dt.datetime | None = None) -> DelayClause:
    """The clause for ``month`` at ``now`` (default: now); lateness from the SLA engine (pauses left out)."""
    lo, hi = month_bounds(month)
    now = now or dt.datetime.now(dt.UTC)
    policies = {p.id: p for p in session.scalars(select(SlaPolicy))}
    rows = {clock: _counted(session, clock, lo, hi) for clock in sla.CLOCKS}
    late = [(clock, r) for clock, clock_rows in rows.items() for r in clock_rows
            if (r.stop is not None and r.stop > r.due) or (r.stop is None and r.due < now)]
    events = _events(session, sorted({r.id for _, r in late}))
    breaches = []
    for clock, r in late:
        policy = policies.get(r.policy_id)
        status = sla.clock_status(clock, policy, r.created_at, events[r.id], now) if policy else None
        late_min = status.late_min if status is not None else (
            ((r.stop or now) - r.due).total_seconds() / 60)
        breaches.append(Breach(r.id, r.category, r.priority, clock, r.due, r.stop, late_min,
                               schedule.breach_penalty(clock, r.priority, late_min)))
    every = [r for clock_rows in rows.values() for r in clock_rows]
    closed = [r for r in every if r.stop is not None]
    counts = (len(every), sum(r.stop <= r.due for r in closed), len(closed),
              sum(r.stop is None and r.due < now for r in every))
    return price(counts, sorted(breaches, key=lambda b: (b.due, b.order_id, b.clock)), schedule)
