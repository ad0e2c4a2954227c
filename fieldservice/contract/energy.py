"""Energy saved against the pre-LED baseline, per month, cabinet and commune — from raw data.

Method (IPMVP option C per cabinet, adjusted to the month's conditions; docs/CONTRACT.md):

- **Baseline**: what the luminaires a cabinet feeds (luminaire → pole → circuit → cabinet) would have
  used before renovation over the month's burning hours (:mod:`.burning`: sunset to sunrise at Dijon,
  less the commune's night cut): ``power_w_before``; a lamp not renovated (not LED) is its own
  baseline (``power_w``); a renovated lamp without ``power_w_before`` gets the stated estimate of its
  type (:data:`BASELINE_ESTIMATE_W`, counted as *estimated*); one with neither type nor power is
  *left out*, counted.
- **Actual**: the cabinet's meter (``energy_meter_id``): the month's share of the differences of its
  cumulative ``energy_total_kwh`` counter (a fall is a meter reset: the counter restarted from 0;
  a silence longer than :data:`GAP_S` is a gap, reported — a cumulative counter loses no energy over a
  gap, only where in it the energy went); readings covering less than :data:`MIN_COVERAGE` of the
  month make the cabinet *modelled*, above it the measured energy is scaled to the whole month. A
  cabinet without meter or readings is *modelled*: its lamps' power now, dimmed by their profiles
  (``assets.dimming``), over the same burning hours.
- **Savings** = 1 − actual ÷ baseline, with the share of the baseline that is measured; the contract's
  clause is met at :data:`TARGET` (65 %).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.dimming import parse_profile
from fieldservice.contract.burning import PARIS, Cut, Schedule, load_schedule, month_days, nightly_window, nights

TARGET = 0.65
#: A stated estimate of the pre-renovation power (W, sodium lamp and its ballast) per luminaire type.
BASELINE_ESTIMATE_W = {
    "street": 165.0, "lantern": 110.0, "floodlight": 275.0, "recessed": 80.0, "bollard": 80.0,
    "wall_mounted": 80.0, "ambient": 110.0, "suspended": 165.0,
}
GAP_S = 3 * 3600
MIN_COVERAGE = 0.9
METRIC = "energy_total_kwh"

_LAMPS = text("""
    SELECT cab.id AS cabinet_id, cab.code AS cabinet, cab.commune_insee AS commune, cab.energy_meter_id AS meter_id,
           l.id, l.code, l.luminaire_type, l.is_led, l.power_w, l.power_w_before, l.dimming_profile
      FROM assets l
      JOIN assets p ON p.id = l.parent_id AND p.kind = 'pole'
      JOIN assets c ON c.id = p.parent_id AND c.kind = 'circuit'
      JOIN assets cab ON cab.id = c.parent_id AND cab.kind = 'cabinet'
     WHERE l.kind = 'luminaire' AND l.status <> 'removed' AND cab.status <> 'removed'
       AND (CAST(:cabinet AS bigint) IS NULL OR cab.id = :cabinet)
       AND (CAST(:commune AS text) IS NULL OR cab.commune_insee = :commune)
     ORDER BY cab.id, l.id
""")

_READINGS = text("""
    SELECT t.asset_id, t.ts, t.value FROM telemetry t JOIN live_metrics m ON m.id = t.metric_id
     WHERE m.name = :metric AND t.asset_id = ANY(:meters) AND t.value IS NOT NULL
       AND t.ts >= :t0 AND t.ts <= :t1
     ORDER BY t.asset_id, t.ts
""")


#: Every meter's month in one pass (what :func:`metered` does for one meter's readings, in SQL): each pair of
#: consecutive readings is an interval whose energy is spread evenly over it and cut at the month's bounds.
_METERED = text("""
    WITH r AS (
        SELECT t.asset_id, t.ts, t.value, lag(t.ts) OVER w AS t0, lag(t.value) OVER w AS v0
          FROM telemetry t
         WHERE t.metric_id = (SELECT id FROM live_metrics WHERE name = :metric) AND t.asset_id = ANY(:meters)
           AND t.value IS NOT NULL AND t.ts >= :t0 AND t.ts <= :t1
        WINDOW w AS (PARTITION BY t.asset_id ORDER BY t.ts)
    ), p AS (
        SELECT asset_id, ts, t0, value, v0, ts > :start AND t0 < :end AND ts > t0 AS inside_month,
               extract(epoch FROM ts - t0) AS span,
               extract(epoch FROM least(ts, :end) - greatest(t0, :start)) AS inside
          FROM r
    )
    SELECT asset_id, count(*) FILTER (WHERE ts >= :start AND ts < :end) AS readings,
           coalesce(sum(CASE WHEN value < v0 THEN value ELSE value - v0 END * inside / span)
                    FILTER (WHERE inside_month), 0) AS kwh,
           count(*) FILTER (WHERE inside_month AND value < v0) AS resets,
           coalesce(sum(inside) FILTER (WHERE inside_month), 0) AS covered,
           array_agg(t0 ORDER BY ts) FILTER (WHERE inside_month AND span > :gap) AS gap_from,
           array_agg(ts ORDER BY ts) FILTER (WHERE inside_month AND span > :gap) AS gap_to
      FROM p GROUP BY asset_id
""")


@dataclass
class Lamp:
    """One luminaire's part of the baseline: ``how`` = before / not_renovated / estimated / left_out."""

    id: int
    code: str
    baseline_w: float | None
    how: str
    power_w: float | None
    profile: str | None


@dataclass
class Metered:
    """What a meter's readings say over a window."""

    kwh: float = 0.0
    readings: int = 0
    resets: int = 0
    gaps: list[tuple[str, str]] = field(default_factory=list)
    coverage: float = 0.0


@dataclass
class CabinetEnergy:
    """One cabinet's month."""

    cabinet_id: int
    code: str
    commune: str | None
    lamps: list[Lamp]
    burning_h: float
    baseline_kwh: float
    actual_kwh: float
    method: str  # measured | modelled
    reason: str | None = None
    meter: Metered | None = None

    @property
    def estimated(self) -> int:
        return sum(lamp.how == "estimated" for lamp in self.lamps)

    @property
    def left_out(self) -> int:
        return sum(lamp.how == "left_out" for lamp in self.lamps)


@dataclass
class EnergyMonth:
    """The month over the cabinets asked for."""

    month: str
    cabinets: list[CabinetEnergy]
    schedule: str

    @property
    def baseline_kwh(self) -> float:
        return sum(c.baseline_kwh for c in self.cabinets)

    @property
    def actual_kwh(self) -> float:
        return sum(c.actual_kwh for c in self.cabinets)

    @property
    def savings(self) -> float | None:
        return 1 - self.actual_kwh / self.baseline_kwh if self.baseline_kwh else None

    @property
    def measured_share(self) -> float | None:
        measured = sum(c.baseline_kwh for c in self.cabinets if c.method == "measured")
        return measured / self.baseline_kwh if self.baseline_kwh else None

    @property
    def met(self) -> bool | None:
        return None if self.savings is None else self.savings >= TARGET

    def summary(self) -> dict[str, Any]:
        lamps = [lamp for c in self.cabinets for lamp in c.lamps]
        by_commune: dict[str, list[CabinetEnergy]] = defaultdict(list)
        for c in self.cabinets:
            by_commune[c.commune or "?"].append(c)
        return {
            "month": self.month, "baseline_kwh": round(self.baseline_kwh, 1), "actual_kwh": round(self.actual_kwh, 1),
            "savings": None if self.savings is None else round(self.savings, 4), "target": TARGET, "met": self.met,
            "measured_share": None if self.measured_share is None else round(self.measured_share, 4),
            "cabinets": len(self.cabinets), "modelled_cabinets": sum(c.method == "modelled" for c in self.cabinets),
            "lamps": len(lamps), "lamps_estimated": sum(lamp.how == "estimated" for lamp in lamps),
            "lamps_left_out": sum(lamp.how == "left_out" for lamp in lamps),
            "meter_resets": sum(c.meter.resets for c in self.cabinets if c.meter),
            "meter_gaps": sum(len(c.meter.gaps) for c in self.cabinets if c.meter),
            "communes": {code: _savings(cabs) for code, cabs in sorted(by_commune.items())},
            "schedule": self.schedule,
        }


def _savings(cabinets: Sequence[CabinetEnergy]) -> dict[str, Any]:
    baseline = sum(c.baseline_kwh for c in cabinets)
    actual = sum(c.actual_kwh for c in cabinets)
    return {"baseline_kwh": round(baseline, 1), "actual_kwh": round(actual, 1),
            "savings": round(1 - actual / baseline, 4) if baseline else None}


def baseline_of(row: Any) -> Lamp:
    """A luminaire's baseline power and how it was known."""
    if row.power_w_before is not None:
        watts, how = row.power_w_before, "before"
    elif row.is_led is False and row.power_w is not None:
        watts, how = row.power_w, "not_renovated"
    elif row.luminaire_type in BASELINE_ESTIMATE_W:
        watts, how = BASELINE_ESTIMATE_W[row.luminaire_type], "estimated"
    else:
        watts, how = None, "left_out"
    return Lamp(row.id, row.code, watts, how, row.power_w, row.dimming_profile)


def month_window(month: str) -> tuple[dt.datetime, dt.datetime]:
    """The month in Paris time, as [start, end)."""
    days = month_days(month)
    start = dt.datetime.combine(days[0], dt.time(), PARIS)
    return start, dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), PARIS)


def metered(readings: Sequence[tuple[dt.datetime, float]], start: dt.datetime, end: dt.datetime) -> Metered:
    """The energy a cumulative counter's readings put in [start, end): each interval's difference spread
    evenly over it (a fall: the counter restarted from 0, so the new value is what was used since)."""
    out = Metered(readings=sum(start <= ts < end for ts, _ in readings))
    covered = 0.0
    for (t0, v0), (t1, v1) in itertools.pairwise(readings):
        if t1 <= start or t0 >= end or t1 <= t0:
            continue
        used = v1 - v0
        if used < 0:
            out.resets += 1
            used = v1
        span = (t1 - t0).total_seconds()
        inside = (min(t1, end) - max(t0, start)).total_seconds()
        out.kwh += used * inside / span
        covered += inside
        if span > GAP_S:
            out.gaps.append((t0.isoformat(), t1.isoformat()))
    out.coverage = covered / (end - start).total_seconds()
    return out


def meters_month(session: Session, meters: Sequence[int], start: dt.datetime, end: dt.datetime) -> dict[int, Metered]:
    """:func:`metered` for each meter with readings around [start, end) (a reading up to 3 days either side
    splits the edge intervals), computed in the database: one row per meter, not per reading."""
    if not meters:
        return {}
    margin = dt.timedelta(days=3)
    rows = session.execute(_METERED, {"metric": METRIC, "meters": list(meters), "t0": start - margin,
                                      "t1": end + margin, "start": start, "end": end, "gap": GAP_S})
    whole = (end - start).total_seconds()
    return {r.asset_id: Metered(float(r.kwh), r.readings, r.resets,
                                [(a.isoformat(), b.isoformat()) for a, b in zip(r.gap_from or (), r.gap_to or (),
                                                                                strict=True)],
                                float(r.covered) / whole)
            for r in rows}


def _overlap_h(a: tuple[dt.datetime, dt.datetime], b: tuple[dt.datetime, dt.datetime]) -> float:
    return max(0.0, (min(a[1], b[1]) - max(a[0], b[0])).total_seconds() / 3600)


@lru_cache(maxsize=256)
def _lit_factor(month: str, cut: Cut | None, profile: str | None) -> float:
    """Full-power-equivalent hours over the month's nights of a lamp dimmed by ``profile``."""
    dimming = parse_profile(profile)
    total = 0.0
    for n in nights(month, cut):
        lit = (n.on, n.off)
        day = n.on.astimezone(PARIS).date()
        off = nightly_window(day, cut.start, cut.end) if cut else None
        hours = n.hours
        if dimming is not None and dimming.level < 100:
            dim = nightly_window(day, dt.time(int(dimming.start_h) % 24, int(dimming.start_h % 1 * 60)),
                          dt.time(int(dimming.end_h) % 24, int(dimming.end_h % 1 * 60)))
            dimmed = _overlap_h(dim, lit)
            if off is not None:  # the cut's part of the dimmed window is not lit at all
                both = (max(dim[0], off[0]), min(dim[1], off[1]))
                dimmed -= _overlap_h(both, lit) if both[1] > both[0] else 0.0
            hours -= dimmed * (1 - dimming.level / 100)
        total += hours
    return total


def modelled_kwh(month: str, cut: Cut | None, lamps: Iterable[Lamp]) -> float:
    """The lamps' energy now from their power and dimming over the month's burning hours."""
    total = 0.0
    for lamp in lamps:
        watts = lamp.power_w if lamp.power_w is not None else lamp.baseline_w
        if watts is not None:
            total += watts * _lit_factor(month, cut, lamp.profile) / 1000
    return total


def energy_month(session: Session, month: str, *, cabinet_id: int | None = None, commune: str | None = None,
                 schedule: Schedule | None = None) -> EnergyMonth:
    """The month's energy per cabinet (all, one, or a commune's)."""
    schedule = schedule or load_schedule()
    start, end = month_window(month)
    rows = session.execute(_LAMPS, {"cabinet": cabinet_id, "commune": commune}).all()
    cabinets: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        cabinets[row.cabinet_id].append(row)
    meters = sorted({r[0].meter_id for r in cabinets.values() if r[0].meter_id is not None})
    found = meters_month(session, meters, start, end)
    out = []
    for lamps_rows in cabinets.values():
        first = lamps_rows[0]
        cut = schedule.cut_of(first.commune)
        hours = sum(n.hours for n in nights(month, cut))
        lamps = [baseline_of(r) for r in lamps_rows]
        baseline = sum(lamp.baseline_w or 0.0 for lamp in lamps) * hours / 1000
        meter, reason = None, None
        if first.meter_id is None:
            reason = "no meter"
        elif first.meter_id not in found:
            reason = "no meter readings this month"
        else:
            meter = found[first.meter_id]
            if meter.coverage < MIN_COVERAGE:
                reason = f"meter readings cover {meter.coverage:.0%} of the month"
        if reason is None and meter is not None:
            actual, method = meter.kwh / meter.coverage, "measured"
        else:
            actual, method = modelled_kwh(month, cut, lamps), "modelled"
        out.append(CabinetEnergy(first.cabinet_id, first.cabinet, first.commune, lamps, hours, baseline, actual,
                                 method, reason, meter))
    return EnergyMonth(month, out, schedule.source)


def explain(session: Session, month: str, cabinet_id: int, schedule: Schedule | None = None) -> dict[str, Any]:
    """Everything one cabinet's figure was made of: nights, lamps and their baseline, meter readings."""
    schedule = schedule or load_schedule()
    found = energy_month(session, month, cabinet_id=cabinet_id, schedule=schedule)
    if not found.cabinets:
        return {"month": month, "cabinet_id": cabinet_id, "lamps": [], "note": "no luminaire fed by this cabinet"}
    cab = found.cabinets[0]
    cut = schedule.cut_of(cab.commune)
    start, end = month_window(month)
    meter_id = session.execute(text("SELECT energy_meter_id FROM assets WHERE id = :id"), {"id": cabinet_id}).scalar()
    rows = session.execute(_READINGS, {"metric": METRIC, "meters": [meter_id] if meter_id else [],
                                       "t0": start - dt.timedelta(days=3), "t1": end + dt.timedelta(days=3)}).all()
    return {
        "month": month, "cabinet": cab.code, "commune": cab.commune, "method": cab.method, "reason": cab.reason,
        "baseline_kwh": round(cab.baseline_kwh, 2), "actual_kwh": round(cab.actual_kwh, 2),
        "savings": round(1 - cab.actual_kwh / cab.baseline_kwh, 4) if cab.baseline_kwh else None,
        "burning_hours": round(cab.burning_h, 2), "schedule": schedule.source,
        "cut": [cut.start.isoformat("minutes"), cut.end.isoformat("minutes")] if cut else None,
        "nights": [{"on": n.on.isoformat(timespec="minutes"), "off": n.off.isoformat(timespec="minutes"),
                    "cut_h": round(n.cut_h, 2), "hours": round(n.hours, 2)} for n in nights(month, cut)],
        "lamps": [{"code": lamp.code, "baseline_w": lamp.baseline_w, "how": lamp.how, "power_w": lamp.power_w,
                   "dimming_profile": lamp.profile} for lamp in cab.lamps],
        "meter": None if cab.meter is None else {
            "readings": [{"ts": ts.isoformat(), "kwh": value} for _, ts, value in rows],
            "resets": cab.meter.resets, "gaps": cab.meter.gaps, "coverage": round(cab.meter.coverage, 4)},
    }
