"""Availability per month — equipment (light points lit when they should be) and IT (the platform's
heartbeats) — from raw data, with the rows behind each figure (docs/CONTRACT.md states the formulas).

- **Equipment** = 1 − lamp-hours lost ÷ lamp-hours due. Due: every luminaire in service × the burning
  hours of each night of its commune (:mod:`.burning`: sunset to sunrise, less the night cut). Lost: the
  lit part of each *outage* — a ``lamp_failure`` or ``device_silent`` alarm on the luminaire, or a
  ``cabinet_trip`` alarm affecting it — from the time it was known (the alarm's fact time) to its
  clearing (or now); an outage restored within the contract's ``tolerance_h`` is not counted.
- **IT** = up minutes ÷ (month minutes − planned maintenance minutes), per component (ingest, web,
  broker, database) and for the platform (all four up in the minute); a minute without heartbeat
  counts as down and is reported as *not recorded*.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.errors import FieldError, ValidationError
from fieldservice.contract.burning import Night, Schedule, load_schedule, nightly_window, nights
from fieldservice.contract.energy import month_window
from fieldservice.contract.models import COMPONENTS

RESOURCES = Path(__file__).resolve().parents[2] / "resources" / "contract"
MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Terms:
    """The clauses' targets and the equipment tolerance (``resources/contract/availability.json``)."""

    equipment_target: float
    tolerance_h: float
    it_target: float


@dataclass(frozen=True)
class Window:
    """A planned maintenance window of some components (all when ``components`` is empty)."""

    start: dt.datetime
    end: dt.datetime
    components: tuple[str, ...]
    reason: str

    def covers(self, component: str) -> bool:
        return not self.components or component in self.components


def _json(path: Path, field: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValidationError(FieldError(field, f"{path}: {exc}")) from None


def load_terms(path: Path | None = None) -> Terms:
    """The availability terms; ValidationError naming a bad value."""
    data = _json(path or RESOURCES / "availability.json", "terms")
    try:
        return Terms(float(data["equipment"]["target"]), float(data["equipment"]["tolerance_h"]),
                     float(data["it"]["target"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(FieldError("terms", f"expected equipment.target, equipment.tolerance_h and it.target "
                                                  f"numbers ({exc!r})")) from None


def load_windows(path: Path | None = None) -> list[Window]:
    """The planned maintenance windows; ValidationError naming the bad entry."""
    data = _json(path or RESOURCES / "maintenance.json", "maintenance")
    out = []
    for i, entry in enumerate(data.get("windows") or []):
        where = f"windows[{i}]"
        try:
            start, end = (dt.datetime.fromisoformat(entry[k]) for k in ("start", "end"))
        except (KeyError, TypeError, ValueError):
            raise ValidationError(FieldError(where, "start and end: ISO times with offset expected")) from None
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            raise ValidationError(FieldError(where, "start and end need an offset and end after start"))
        components = tuple(entry.get("components") or ())
        unknown = sorted(set(components) - set(COMPONENTS))
        if unknown:
            raise ValidationError(FieldError(f"{where}.components", f"unknown {unknown}; expected {list(COMPONENTS)}"))
        out.append(Window(start, end, components, str(entry.get("reason") or "")))
    return out


# ---------------------------------------------------------------------------------------------- equipment

_LAMPS = text("""
    WITH inserted AS (
        SELECT DISTINCT ON (asset_id) asset_id, after ->> 'status' AS status FROM asset_history
         WHERE kind = 'luminaire' AND action = 'insert' ORDER BY asset_id, id
    ), changes AS (
        SELECT asset_id, array_agg(at ORDER BY id) AS ats, array_agg(after ->> 'status' ORDER BY id) AS statuses
          FROM asset_history
         WHERE kind = 'luminaire' AND action IN ('update', 'retire') AND 'status' = ANY(changed)
         GROUP BY asset_id
    )
    SELECT l.id, coalesce(l.commune_insee, cab.commune_insee) AS commune, l.status,
           CASE WHEN l.power_w_before IS NOT NULL THEN CAST(:renovated_since AS timestamptz)
                ELSE coalesce(CAST(l.install_date AS timestamp) AT TIME ZONE 'Europe/Paris', l.created_at) END AS since,
           i.status AS first_status, ch.ats, ch.statuses
      FROM assets l
      LEFT JOIN assets p ON p.id = l.parent_id
      LEFT JOIN assets c ON c.id = p.parent_id
      LEFT JOIN assets cab ON cab.id = c.parent_id AND cab.kind = 'cabinet'
      LEFT JOIN inserted i ON i.asset_id = l.id
      LEFT JOIN changes ch ON ch.asset_id = l.id
     WHERE l.kind = 'luminaire'
    UNION ALL  -- luminaires deleted outright: as the audit trail last saw them, in the count until deleted
    SELECT d.asset_id, coalesce(d.before ->> 'commune_insee', cab.commune_insee), 'deleted',
           CASE WHEN d.before ->> 'power_w_before' IS NOT NULL THEN CAST(:renovated_since AS timestamptz)
                ELSE coalesce(CAST(CAST(d.before ->> 'install_date' AS date) AS timestamp) AT TIME ZONE 'Europe/Paris',
                              CAST(d.before ->> 'created_at' AS timestamptz), d.at) END,
           i.status, array_append(ch.ats, d.at), array_append(ch.statuses, 'deleted')
      FROM asset_history d
      LEFT JOIN assets p ON p.id = CAST(d.before ->> 'parent_id' AS bigint)
      LEFT JOIN assets c ON c.id = p.parent_id
      LEFT JOIN assets cab ON cab.id = c.parent_id AND cab.kind = 'cabinet'
      LEFT JOIN inserted i ON i.asset_id = d.asset_id
      LEFT JOIN changes ch ON ch.asset_id = d.asset_id
     WHERE d.kind = 'luminaire' AND d.action = 'delete' AND NOT EXISTS (SELECT FROM assets a WHERE a.id = d.asset_id)
""")
#: A time after any month (an in-service interval still open).
FOREVER = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
#: Since when a renovated luminaire (``power_w_before`` known) counts: its light point was there, lit by the
#: lamp it replaced, before its own installation date (the renovation) — from before any contract month.
RENOVATED_SINCE = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)


def in_service_intervals(row: Any) -> list[tuple[dt.datetime, dt.datetime]]:
    """When a luminaire was in service: from its installation (else its creation in the inventory) with the
    status it was entered with, then each recorded status change (the audit trail); today's status when the
    trail has none."""
    points = [(row.since, row.first_status or (row.status if not row.ats else None))]
    points += [(at, status) for at, status in zip(row.ats or (), row.statuses or (), strict=True)]
    if points[0][1] is None:  # entered before the audit trail: the status before its first change is unknown
        points[0] = (row.since, "in_service")
    out = []
    for (start, status), (end, _) in zip(points, [*points[1:], (FOREVER, None)], strict=True):
        start = max(start, row.since)
        if status == "in_service" and end > start:
            out.append((start, end))
    return out


def _served_h(intervals: Sequence[tuple[dt.datetime, dt.datetime]], a: dt.datetime, b: dt.datetime) -> float:
    return sum(_overlap_h(a, b, s, e) for s, e in intervals)

_OUTAGES = text("""
    SELECT x.alarm_id, x.type, x.asset_id, l.code, coalesce(l.commune_insee, cab.commune_insee) AS commune,
           x.known, x.cleared
      FROM (SELECT a.id AS alarm_id, a.type, a.asset_id, a.fact_ts AS known,
                   coalesce(a.cleared_fact_ts, a.cleared_at) AS cleared
              FROM alarms a WHERE a.type IN ('lamp_failure', 'device_silent')
            UNION ALL
            SELECT a.id, a.type, f.asset_id, a.fact_ts, coalesce(a.cleared_fact_ts, a.cleared_at)
              FROM alarms a JOIN alarm_affected f ON f.alarm_id = a.id WHERE a.type = 'cabinet_trip') x
      JOIN assets l ON l.id = x.asset_id AND l.kind = 'luminaire'
      LEFT JOIN assets p ON p.id = l.parent_id
      LEFT JOIN assets c ON c.id = p.parent_id
      LEFT JOIN assets cab ON cab.id = c.parent_id AND cab.kind = 'cabinet'
     WHERE x.known < :hi AND (x.cleared IS NULL OR x.cleared > :lo)
     ORDER BY x.known, x.asset_id
""")


@dataclass(frozen=True)
class Outage:
    """One light point out (one alarm on one lamp), and the lit hours of the month it cost."""

    alarm_id: int
    alarm: str
    lamp_id: int
    lamp: str
    commune: str | None
    known: dt.datetime
    cleared: dt.datetime | None
    lost_h: float
    counted: bool

    def as_dict(self) -> dict[str, Any]:
        return {"alarm_id": self.alarm_id, "alarm": self.alarm, "lamp": self.lamp, "commune": self.commune,
                "known": self.known.isoformat(), "cleared": None if self.cleared is None else self.cleared.isoformat(),
                "lost_h": round(self.lost_h, 3), "counted": self.counted}


@dataclass(frozen=True)
class NightFigure:
    """One night's equipment figure."""

    day: dt.date
    due_h: float
    lost_h: float

    @property
    def availability(self) -> float | None:
        return None if self.due_h <= 0 else 1 - self.lost_h / self.due_h


def lit_segments(n: Night, cut: tuple[dt.datetime, dt.datetime] | None) -> list[tuple[dt.datetime, dt.datetime]]:
    """The parts of a night the lamps should be lit (the cut taken out)."""
    if cut is None or cut[1] <= n.on or cut[0] >= n.off:
        return [(n.on, n.off)]
    return [s for s in ((n.on, max(n.on, cut[0])), (min(n.off, cut[1]), n.off)) if s[1] > s[0]]


def _overlap_h(a0: dt.datetime, a1: dt.datetime, b0: dt.datetime, b1: dt.datetime) -> float:
    return max(0.0, (min(a1, b1) - max(a0, b0)).total_seconds() / 3600)


def _segments_of(month: str, schedule: Schedule, commune: str | None) -> list[tuple[dt.date, list]]:
    cut = schedule.cut_of(commune)
    out = []
    for n in nights(month, cut):
        day = n.on.date()
        window = nightly_window(day, cut.start, cut.end) if cut else None
        out.append((day, lit_segments(n, window)))
    return out


@dataclass(frozen=True)
class EquipmentMonth:
    """The equipment clause of a month: per night, and the outages behind the lost hours."""

    month: str
    lamps: int
    nights: tuple[NightFigure, ...]
    outages: tuple[Outage, ...]
    terms: Terms

    @property
    def due_h(self) -> float:
        return sum(n.due_h for n in self.nights)

    @property
    def lost_h(self) -> float:
        return sum(n.lost_h for n in self.nights)

    @property
    def availability(self) -> float | None:
        return None if self.due_h <= 0 else 1 - self.lost_h / self.due_h

    def summary(self) -> dict[str, Any]:
        value = self.availability
        return {"month": self.month, "lamps": self.lamps, "due_lamp_h": round(self.due_h, 1),
                "lost_lamp_h": round(self.lost_h, 2), "availability": None if value is None else round(value, 6),
                "target": self.terms.equipment_target, "tolerance_h": self.terms.tolerance_h,
                "met": None if value is None else value >= self.terms.equipment_target,
                "outages": len(self.outages), "outages_counted": sum(o.counted for o in self.outages)}


def equipment_month(session: Session, month: str, *, terms: Terms | None = None, schedule: Schedule | None = None,
                    now: dt.datetime | None = None) -> EquipmentMonth:
    """Light points lit when they should be over ``month`` (nights starting in it)."""
    terms, schedule = terms or load_terms(), schedule or load_schedule()
    now = now or dt.datetime.now(dt.UTC)
    start, end = (t.astimezone(dt.UTC) for t in month_window(month))
    served: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    by_commune: dict[str | None, list[int]] = defaultdict(list)
    for r in session.execute(_LAMPS, {"renovated_since": RENOVATED_SINCE}):
        intervals = in_service_intervals(r)
        served[r.id] = intervals
        if any(s < end + dt.timedelta(days=1) and e > start for s, e in intervals):
            by_commune[r.commune].append(r.id)
    segments = {c: _segments_of(month, schedule, c) for c in by_commune}
    days = [n.on.date() for n in nights(month)]
    due = defaultdict(float)
    for commune, ids in by_commune.items():
        always = sum(1 for i in ids if len(served[i]) == 1 and served[i][0][0] <= start and served[i][0][1] == FOREVER)
        others = [served[i] for i in ids if not (len(served[i]) == 1 and served[i][0][0] <= start
                                                 and served[i][0][1] == FOREVER)]
        for day, parts in segments[commune]:
            due[day] += always * sum((b - a).total_seconds() / 3600 for a, b in parts)
            due[day] += sum(_served_h(lamp, a, b) for lamp in others for a, b in parts)
    lo = min((p[0][0] for c in segments.values() for _, p in c if p), default=month_window(month)[0])
    hi = max((p[-1][1] for c in segments.values() for _, p in c if p), default=month_window(month)[1])
    lost: dict[dt.date, float] = defaultdict(float)
    outages = []
    tolerance = dt.timedelta(hours=terms.tolerance_h)
    for r in session.execute(_OUTAGES, {"lo": lo, "hi": hi}):
        until = r.cleared or now
        counted = until - r.known > tolerance
        parts = segments.get(r.commune) or _segments_of(month, schedule, r.commune)
        lamp = served.get(r.asset_id, [])
        hours = 0.0
        for day, segs in parts:  # the lit hours of the outage while the lamp was in service
            h = sum(_served_h(lamp, max(a, r.known), min(b, until)) for a, b in segs if min(b, until) > max(a, r.known))
            if counted and h:
                lost[day] += h
            hours += h
        outages.append(Outage(r.alarm_id, r.type, r.asset_id, r.code, r.commune, r.known, r.cleared, hours, counted))
    figures = tuple(NightFigure(d, due[d], lost[d]) for d in days)
    return EquipmentMonth(month, sum(len(ids) for ids in by_commune.values()), figures, tuple(outages), terms)


# ---------------------------------------------------------------------------------------------- IT

_BEATS = text("""
    SELECT component, minute, ok FROM heartbeats WHERE minute >= :lo AND minute < :hi ORDER BY component, minute
""")


def _minutes(lo: dt.datetime, hi: dt.datetime) -> Iterable[dt.datetime]:
    t = lo
    while t < hi:
        yield t
        t += MINUTE


@dataclass(frozen=True)
class Down:
    """A run of minutes a component was not up (down or not recorded)."""

    component: str
    start: dt.datetime
    end: dt.datetime
    recorded: bool

    def as_dict(self) -> dict[str, Any]:
        return {"component": self.component, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "minutes": int((self.end - self.start) / MINUTE), "why": "down" if self.recorded else "not recorded"}


@dataclass(frozen=True)
class ItFigure:
    """One component's (or the platform's) month: minutes due, up, down, not recorded, in maintenance."""

    component: str
    due: int
    up: int
    not_recorded: int
    maintenance: int

    @property
    def availability(self) -> float | None:
        return None if self.due <= 0 else self.up / self.due

    def as_dict(self) -> dict[str, Any]:
        value = self.availability
        return {"component": self.component, "due_min": self.due, "up_min": self.up,
                "down_min": self.due - self.up - self.not_recorded, "not_recorded_min": self.not_recorded,
                "maintenance_min": self.maintenance, "availability": None if value is None else round(value, 6)}


@dataclass(frozen=True)
class ItMonth:
    """The IT clause of a month: per component, the platform, the down runs and the windows excluded."""

    month: str
    components: tuple[ItFigure, ...]
    platform: ItFigure
    downs: tuple[Down, ...]
    windows: tuple[Window, ...]
    terms: Terms

    def summary(self) -> dict[str, Any]:
        value = self.platform.availability
        return {"month": self.month, **self.platform.as_dict(), "target": self.terms.it_target,
                "met": None if value is None else value >= self.terms.it_target,
                "components": [c.as_dict() for c in self.components],
                "maintenance_windows": [{"start": w.start.isoformat(), "end": w.end.isoformat(),
                                         "components": list(w.components) or "all", "reason": w.reason}
                                        for w in self.windows]}


def _runs(component: str, minutes: Sequence[tuple[dt.datetime, str]]) -> list[Down]:
    """Contiguous runs of ``(minute, 'down'|'missing')``."""
    out: list[Down] = []
    for minute, why in minutes:
        last = out[-1] if out else None
        if last is not None and last.end == minute and last.recorded == (why == "down"):
            out[-1] = Down(component, last.start, minute + MINUTE, last.recorded)
        else:
            out.append(Down(component, minute, minute + MINUTE, why == "down"))
    return out


def it_month(session: Session, month: str, *, terms: Terms | None = None, windows: Sequence[Window] | None = None,
             now: dt.datetime | None = None) -> ItMonth:
    """The platform's availability over ``month`` (Paris month; up to ``now`` for the current month)."""
    terms = terms or load_terms()
    windows = list(load_windows() if windows is None else windows)
    lo, hi = (t.astimezone(dt.UTC) for t in month_window(month))
    now = (now or dt.datetime.now(dt.UTC)).replace(second=0, microsecond=0)
    hi = max(lo, min(hi, now))
    beats: dict[str, dict[dt.datetime, bool]] = defaultdict(dict)
    for r in session.execute(_BEATS, {"lo": lo, "hi": hi}):
        beats[r.component][r.minute] = r.ok
    inside = [w for w in windows if w.end > lo and w.start < hi]
    figures, downs = [], []
    all_up = {"due": 0, "up": 0, "missing": 0, "maint": 0}
    for minute in _minutes(lo, hi):
        in_any = any(w.start <= minute < w.end for w in inside)
        if in_any:
            all_up["maint"] += 1
        else:
            all_up["due"] += 1
            states = [beats[c].get(minute) for c in COMPONENTS]
            all_up["up"] += all(states)
            all_up["missing"] += (not all(states)) and any(s is None for s in states)
    for component in COMPONENTS:
        due = up = missing = maint = 0
        not_up: list[tuple[dt.datetime, str]] = []
        for minute in _minutes(lo, hi):
            if any(w.covers(component) and w.start <= minute < w.end for w in inside):
                maint += 1
                continue
            due += 1
            state = beats[component].get(minute)
            if state:
                up += 1
            else:
                missing += state is None
                not_up.append((minute, "missing" if state is None else "down"))
        figures.append(ItFigure(component, due, up, missing, maint))
        downs.extend(_runs(component, not_up))
    platform = ItFigure("platform", all_up["due"], all_up["up"], all_up["missing"], all_up["maint"])
    return ItMonth(month, tuple(figures), platform, tuple(downs), tuple(inside), terms)
