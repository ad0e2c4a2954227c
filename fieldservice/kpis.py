"""The month's contract figures per category, priority and clock, computed the way the contract does.

- An order counts in the month (Europe/Paris) its clock's due time falls in (:func:`sla.month_of`);
  cancelled orders do not count, nor orders whose clock is paused (no due time while waiting).
- On-time rate: on time ÷ (closed + open overdue) (:class:`sla.OnTime`): an open order past its due time
  counts against the month, an open one not yet due does not count.
- Breaches: closed late plus open overdue; their lateness (on the policy's calendar, pauses left out) and
  penalty (fixed + per started hour, capped) come from the SLA engine itself.
- Mean time: from creation to the clock's stop, over the closed ones, in elapsed minutes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from assets.errors import FieldError, ValidationError
from fieldservice import sla
from fieldservice.models import PRIORITIES, SlaPolicy
from fieldservice.orders import STOP_COLUMNS


@dataclass(frozen=True)
class KpiRow:
    """One category × priority × clock of a month."""

    category: str
    priority: str
    clock: str
    counted: int
    closed: int
    on_time: int
    open_overdue: int
    breaches: int
    rate: float | None
    mean_min: float | None
    mean_late_min: float | None
    penalties: Decimal

    def as_dict(self) -> dict[str, object]:
        return {"category": self.category, "priority": self.priority, "clock": self.clock, "counted": self.counted,
                "closed": self.closed, "on_time": self.on_time, "open_overdue": self.open_overdue,
                "breaches": self.breaches, "rate": None if self.rate is None else round(self.rate, 4),
                "mean_min": None if self.mean_min is None else round(self.mean_min, 1),
                "mean_late_min": None if self.mean_late_min is None else round(self.mean_late_min, 1),
                "penalties": str(self.penalties)}


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of ``month`` ('YYYY-MM', Europe/Paris) and of the next, in UTC."""
    found = re.fullmatch(r"(\d{4})-(\d{2})", month or "")
    if found is None or not 1 <= int(found[2]) <= 12:
        raise ValidationError(FieldError("month", f"{month!r}: expected YYYY-MM, e.g. 2026-11"))
    year, number = int(found[1]), int(found[2])
    start = dt.datetime(year, number, 1, tzinfo=sla.PARIS)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=sla.PARIS)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _counted(session: Session, clock: str, lo: dt.datetime, hi: dt.datetime) -> list:
    stop = STOP_COLUMNS[clock]
    return session.execute(text(
        f"SELECT id, category, priority, policy_id, created_at, {clock}_due AS due, {stop} AS stop "
        f"FROM work_orders WHERE {clock}_due >= :lo AND {clock}_due < :hi AND state <> 'cancelled'"),
        {"lo": lo, "hi": hi}).all()


def _events(session: Session, order_ids: list[int]) -> dict[int, list[sla.Event]]:
    out: dict[int, list[sla.Event]] = defaultdict(list)
    if order_ids:
        for r in session.execute(text(
                "SELECT order_id, to_state, at, reason FROM work_order_events WHERE order_id = ANY(:ids) "
                "ORDER BY order_id, at, id"), {"ids": order_ids}):
            out[r.order_id].append(sla.Event(r.to_state, r.at, r.reason))
    return out


def month_kpis(session: Session, month: str, now: dt.datetime | None = None) -> list[KpiRow]:
    """The figures of ``month`` at ``now`` (default: now), by category, priority and clock."""
    lo, hi = month_bounds(month)
    now = now or dt.datetime.now(dt.UTC)
    policies = {p.id: p for p in session.scalars(select(SlaPolicy))}
    rows = {clock: _counted(session, clock, lo, hi) for clock in sla.CLOCKS}
    late_ids = sorted({r.id for clock_rows in rows.values() for r in clock_rows
                       if (r.stop is not None and r.stop > r.due) or (r.stop is None and r.due < now)})
    events = _events(session, late_ids)
    groups: dict[tuple[str, str, str], list] = defaultdict(list)
    for clock, clock_rows in rows.items():
        for r in clock_rows:
            groups[(r.category, r.priority, clock)].append(r)
    out = []
    for (category, priority, clock), members in sorted(groups.items(), key=lambda g: _key(*g[0])):
        closed = [r for r in members if r.stop is not None]
        on_time = sum(r.stop <= r.due for r in closed)
        overdue = [r for r in members if r.stop is None and r.due < now]
        late = [r for r in members if r.stop is not None and r.stop > r.due] + overdue
        late_min, penalties = [], Decimal("0")
        for r in late:
            policy = policies.get(r.policy_id)
            status = sla.clock_status(clock, policy, r.created_at, events[r.id], now) if policy else None
            if status is not None:
                late_min.append(status.late_min)
                penalties += sla.penalty(policy, status.late_min)
        spans = [(r.stop - r.created_at).total_seconds() / 60 for r in closed]
        out.append(KpiRow(
            category=category, priority=priority, clock=clock, counted=len(members), closed=len(closed),
            on_time=on_time, open_overdue=len(overdue), breaches=len(late),
            rate=sla.OnTime(on_time, len(closed), len(overdue)).rate,
            mean_min=sum(spans) / len(spans) if spans else None,
            mean_late_min=sum(late_min) / len(late_min) if late_min else None, penalties=penalties))
    return out


_PRIORITY_RANK = {name: i for i, name in enumerate(PRIORITIES)}
_CLOCK_RANK = {name: i for i, name in enumerate(sla.CLOCKS)}


def _key(category: str, priority: str, clock: str) -> tuple[str, int, int]:
    return category, _PRIORITY_RANK.get(priority, 9), _CLOCK_RANK[clock]


#: What :func:`breakdown` groups by: the order's commune or its crew.
GROUPINGS = {"commune": ("o.commune_insee", "(SELECT name FROM communes WHERE insee = o.commune_insee "
                                            "AND valid_to IS NULL)"),
             "crew": ("o.crew_id::text", "(SELECT name FROM crews WHERE id = o.crew_id)")}
#: Backlog ages (days): under 1, 1 to 7, over 7.
BACKLOG_AGES = ("lt_1d", "d1_7", "gt_7d")


def _clock_sql(clock: str) -> str:
    due, stop = f"o.{clock}_due", f"o.{STOP_COLUMNS[clock]}"
    counted = f"{due} >= :lo AND {due} < :hi AND o.state <> 'cancelled'"
    span = f"extract(epoch FROM {stop} - o.created_at) / 60"
    return (f"count(*) FILTER (WHERE {counted} AND {stop} <= {due}) AS {clock}_on_time, "
            f"count(*) FILTER (WHERE {counted} AND {stop} IS NOT NULL) AS {clock}_closed, "
            f"count(*) FILTER (WHERE {counted} AND {stop} IS NULL AND {due} < :now) AS {clock}_overdue, "
            f"avg({span}) FILTER (WHERE {counted}) AS {clock}_mean, "
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {span}) FILTER (WHERE {counted}) AS {clock}_median, "
            f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {span}) FILTER (WHERE {counted}) AS {clock}_p90")


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def breakdown(session: Session, month: str, by: str, now: dt.datetime | None = None) -> list[dict[str, object]]:
    """The month's figures per commune or per crew: orders opened and closed in the month; per clock
    (response: time to intervene, resolution: time to repair) the on-time rate on time ÷ (closed + open
    overdue) over the orders due in the month, and mean, median and p90 minutes; the open backlog at ``now``
    by age. Rows by label; orders without a commune or crew under a null key."""
    if by not in GROUPINGS:
        raise ValidationError(FieldError("by", f"{by!r}: group by {' or '.join(GROUPINGS)}"))
    lo, hi = month_bounds(month)
    now = now or dt.datetime.now(dt.UTC)
    key, label = GROUPINGS[by]
    open_now = "o.state <> ALL(:closed) AND o.created_at <= :now"
    age = "(:now - o.created_at)"
    rows = session.execute(text(
        f"SELECT {key} AS key, min({label}) AS label, "
        "count(*) FILTER (WHERE o.created_at >= :lo AND o.created_at < :hi) AS opened, "
        "count(*) FILTER (WHERE o.done_at >= :lo AND o.done_at < :hi AND o.state <> 'cancelled') AS closed, "
        f"{_clock_sql('response')}, {_clock_sql('resolution')}, "
        f"count(*) FILTER (WHERE {open_now}) AS backlog, "
        f"count(*) FILTER (WHERE {open_now} AND {age} < interval '1 day') AS lt_1d, "
        f"count(*) FILTER (WHERE {open_now} AND {age} >= interval '1 day' AND {age} < interval '7 days') AS d1_7, "
        f"count(*) FILTER (WHERE {open_now} AND {age} >= interval '7 days') AS gt_7d "
        "FROM work_orders o WHERE o.created_at < :hi AND (o.created_at >= :lo OR o.done_at >= :lo "
        "OR o.response_due >= :lo OR o.resolution_due >= :lo OR o.state <> ALL(:closed)) "
        "GROUP BY 1"), {"lo": lo, "hi": hi, "now": now, "closed": ["done", "verified", "cancelled"]}).all()
    out = []
    for r in rows:
        item: dict[str, object] = {"key": r.key, "label": r.label, "opened": r.opened, "closed": r.closed}
        for clock in ("response", "resolution"):
            on_time, closed, overdue = (getattr(r, f"{clock}_{x}") for x in ("on_time", "closed", "overdue"))
            item[clock] = {"on_time": on_time, "closed": closed, "open_overdue": overdue,
                           "rate": None if closed + overdue == 0 else round(on_time / (closed + overdue), 4),
                           **{stat: _minutes(getattr(r, f"{clock}_{stat}")) for stat in ("mean", "median", "p90")}}
        item["backlog"] = {"total": r.backlog, **{name: getattr(r, name) for name in BACKLOG_AGES}}
        if item["opened"] or item["closed"] or r.backlog or r.response_closed + r.response_overdue \
                or r.resolution_closed + r.resolution_overdue:
            out.append(item)
    return sorted(out, key=lambda i: (i["key"] is None, str(i["label"] or ""), str(i["key"])))
