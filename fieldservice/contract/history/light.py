"""The lighting physics of the generated history, hour by hour: lamps burn from sunset to sunrise at Dijon
less their commune's night cut (:mod:`fieldservice.contract.burning`, the contract's own nights), LED lamps
follow their dimming profile (``assets.dimming``; presence detection brings a lamp to full power a fifth of
the time, as the lamp simulator does), and the LED renovation progresses over the window lamp by lamp,
cabinet after cabinet: before its date a renovated lamp was a sodium lamp at ``power_w_before``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.dimming import parse_profile
from fieldservice.contract.availability import lit_segments
from fieldservice.contract.burning import PARIS, Cut, Schedule, night, nightly_window
from fieldservice.contract.energy import baseline_of

HOUR = dt.timedelta(hours=1)
#: What a cabinet's controller, modem and meter draw day and night (W).
STANDBY_W = 8.0
#: Presence detection: the share of the dimmed time a lamp is back at full power (the simulator's 20 %).
PRESENCE_FULL = 0.2

_LAMPS = text("""
    SELECT cab.id AS cabinet_id, cab.code AS cabinet, cab.commune_insee AS commune, cab.energy_meter_id AS meter_id,
           l.id, l.code, l.status, l.luminaire_type, l.is_led, l.power_w, l.power_w_before, l.dimming_profile
      FROM assets l
      JOIN assets p ON p.id = l.parent_id AND p.kind = 'pole'
      JOIN assets c ON c.id = p.parent_id AND c.kind = 'circuit'
      JOIN assets cab ON cab.id = c.parent_id AND cab.kind = 'cabinet'
     WHERE l.kind = 'luminaire' AND l.status <> 'removed' AND cab.status <> 'removed'
     ORDER BY cab.id, l.id
""")


@dataclass
class LampPlan:
    """One luminaire in the history: its powers, profile, and the hour index it became LED (0: before the
    window; None: never, a lamp not renovated)."""

    id: int
    code: str
    before_w: float
    led_w: float
    profile: str | None
    lit: bool  # in service (an out-of-service lamp draws nothing)
    renovated_h: int | None


@dataclass
class CabinetPlan:
    """One cabinet and its lamps."""

    id: int
    code: str
    commune: str | None
    meter_id: int | None
    lamps: list[LampPlan] = field(default_factory=list)


class Clock:
    """The window's time axis: ``hours`` whole hours from ``lo`` (UTC), minute masks per cut and profile."""

    def __init__(self, lo: dt.datetime, hi: dt.datetime) -> None:
        self.lo, self.hours = lo, int((hi - lo) / HOUR)
        self.hi = lo + self.hours * HOUR
        self._lit: dict[Cut | None, np.ndarray] = {}
        self._factor: dict[tuple[Cut | None, str | None], np.ndarray] = {}

    def index(self, t: dt.datetime) -> int:
        """The minute index of ``t`` (clamped to the window)."""
        return min(max(int((t - self.lo).total_seconds() // 60), 0), self.hours * 60)

    def _days(self) -> list[dt.date]:
        first = self.lo.astimezone(PARIS).date() - dt.timedelta(days=1)
        return [first + dt.timedelta(days=i) for i in range((self.hi - self.lo).days + 3)]

    def _mask(self, windows: list[tuple[dt.datetime, dt.datetime]]) -> np.ndarray:
        mask = np.zeros(self.hours * 60, dtype=bool)
        for a, b in windows:
            mask[self.index(a):self.index(b)] = True
        return mask

    def lit_minutes(self, cut: Cut | None) -> np.ndarray:
        """Minutes the lamps of a commune with ``cut`` burn."""
        if cut not in self._lit:
            windows = []
            for day in self._days():
                n = night(day, cut)
                windows += lit_segments(n, nightly_window(day, cut.start, cut.end) if cut else None)
            self._lit[cut] = self._mask(windows)
        return self._lit[cut]

    def factor(self, cut: Cut | None, profile: str | None) -> np.ndarray:
        """Per hour, the full-power share of a lamp with ``profile`` (0 by day, 1 lit at full power)."""
        key = (cut, profile)
        if key not in self._factor:
            lit = self.lit_minutes(cut)
            dimming = parse_profile(profile)
            power = lit.astype(float)
            if dimming is not None and dimming.level < 100:
                level = dimming.level / 100
                if dimming.presence:
                    level = PRESENCE_FULL + (1 - PRESENCE_FULL) * level
                start = dt.time(int(dimming.start_h) % 24, int(dimming.start_h % 1 * 60))
                end = dt.time(int(dimming.end_h) % 24, int(dimming.end_h % 1 * 60))
                dimmed = self._mask([nightly_window(day, start, end) for day in self._days()]) & lit
                power[dimmed] = level
            self._factor[key] = power.reshape(self.hours, 60).mean(axis=1)
        return self._factor[key]


def load_plan(session: Session) -> list[CabinetPlan]:
    """The cabinets and their luminaires as the inventory has them today (renovation not yet planned)."""
    cabinets: dict[int, CabinetPlan] = {}
    for r in session.execute(_LAMPS):
        cab = cabinets.setdefault(r.cabinet_id, CabinetPlan(r.cabinet_id, r.cabinet, r.commune, r.meter_id))
        before = baseline_of(r).baseline_w or r.power_w or 0.0
        led = bool(r.is_led)
        cab.lamps.append(LampPlan(r.id, r.code, float(before), float(r.power_w or before), r.dimming_profile,
                                  r.status == "in_service", 0 if led else None))
    return list(cabinets.values())


def plan_renovation(cabinets: list[CabinetPlan], clock: Clock, schedule: Schedule, rng: np.random.Generator,
                    start_savings: float, done_share: float = 0.92) -> float:
    """Date the renovation of enough of today's LED lamps that the savings start near ``start_savings``:
    cabinets in a random order, lamps one after the other, dates spread over the first ``done_share`` of
    the window in proportion to the saving each brings. Returns the expected savings at the end."""
    baseline, saving = 0.0, []
    for cab in cabinets:
        cut = schedule.cut_of(cab.commune)
        lit = clock.factor(cut, None).mean()
        for lamp in cab.lamps:
            baseline += lamp.before_w * lit
            if lamp.renovated_h == 0:
                saving.append((cab, lamp, lamp.before_w * lit - lamp.led_w * clock.factor(cut, lamp.profile).mean()))
    if not baseline:
        return 0.0
    end_savings = sum(s for _, _, s in saving) / baseline
    to_renovate = max(0.0, end_savings - start_savings) * baseline
    by_cabinet: dict[int, list] = defaultdict(list)
    for cab, lamp, s in saving:
        by_cabinet[cab.id].append((lamp, s))
    order = list(by_cabinet)
    rng.shuffle(order)
    done, span = 0.0, clock.hours * done_share
    for cab_id in order:
        for lamp, s in by_cabinet[cab_id]:
            if done >= to_renovate:
                return end_savings
            lamp.renovated_h = max(1, int(span * done / to_renovate))
            done += s
    return end_savings


def hourly_kwh(cab: CabinetPlan, clock: Clock, schedule: Schedule,
               out_lamps: list[tuple[int, int, int]] = (), tripped: list[tuple[int, int]] = ()) -> np.ndarray:
    """The cabinet's energy per hour of the window (kWh): its lamps as the renovation has them each hour,
    less the lamps out (``(lamp id, first minute, end minute)``) and nothing while it is tripped
    (``(first minute, end minute)``), plus its standby."""
    cut = schedule.cut_of(cab.commune)
    lit = clock.factor(cut, None)
    hours = clock.hours
    sodium = np.zeros(hours + 1)  # a difference array: W switched on/off at each hour index
    led: dict[str | None, np.ndarray] = defaultdict(lambda: np.zeros(hours + 1))
    watts = {}
    for lamp in cab.lamps:
        if not lamp.lit:
            continue
        k = hours if lamp.renovated_h is None else min(lamp.renovated_h, hours)
        sodium[0] += lamp.before_w
        sodium[k] -= lamp.before_w
        led[lamp.profile][k] += lamp.led_w
        watts[lamp.id] = lamp
    power = np.cumsum(sodium)[:hours] * lit
    for profile, diff in led.items():
        power += np.cumsum(diff)[:hours] * clock.factor(cut, profile)
    for lamp_id, m0, m1 in out_lamps:
        lamp = watts.get(lamp_id)
        if lamp is None or m1 <= m0:
            continue
        minutes = np.zeros(hours * 60)
        minutes[m0:m1] = 1.0
        share = minutes.reshape(hours, 60).mean(axis=1)
        hour = np.arange(hours)
        renovated = hour >= (hours if lamp.renovated_h is None else lamp.renovated_h)
        power -= share * np.where(renovated, lamp.led_w * clock.factor(cut, lamp.profile), lamp.before_w * lit)
    power = np.maximum(power, 0.0) + STANDBY_W
    if tripped:
        on = np.ones(hours * 60)
        for m0, m1 in tripped:
            on[m0:m1] = 0.0
        power *= on.reshape(hours, 60).mean(axis=1)
    return power / 1000


_RENOVATED = text("""
    UPDATE assets a SET install_date = v.day
      FROM unnest(CAST(:ids AS bigint[]), CAST(:days AS date[])) AS v(id, day)
     WHERE a.id = v.id AND a.install_date IS DISTINCT FROM v.day
""")


def record_renovation(session: Session, cabinets: list[CabinetPlan], clock: Clock) -> int:
    """Make the inventory agree with the history: a lamp renovated in the window was installed (as an LED
    luminaire) on its renovation date (Paris); the power of the lamp it replaced stays in ``power_w_before``
    (unknown ones stay unknown: the baseline's stated estimate). Returns the lamps whose date changed."""
    done = [(lamp.id, (clock.lo + lamp.renovated_h * HOUR).astimezone(PARIS).date())
            for cab in cabinets for lamp in cab.lamps if (lamp.renovated_h or 0) > 0]
    if not done:
        return 0
    ids, days = zip(*done, strict=True)
    return session.execute(_RENOVATED, {"ids": list(ids), "days": list(days)}).rowcount
