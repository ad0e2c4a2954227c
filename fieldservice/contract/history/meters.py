"""The cabinets' meter readings of the generated history: the cumulative ``energy_total_kwh`` counter read
every hour, grown by the cabinet's energy of each hour (:func:`.light.hourly_kwh`), ending where the meter's
first real reading starts (so the real readings continue it), with one meter replaced during the window (its
counter restarts at 0: a reset) and one meter silent for two days (a gap: the next reading holds the energy)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.live.partitions import ensure_partitions
from fieldservice.contract.energy import METRIC
from fieldservice.contract.history.light import HOUR, CabinetPlan, Clock

GAP_H = 40
_FIRST_REAL = text("""
    SELECT DISTINCT ON (t.asset_id) t.asset_id, t.value FROM telemetry t
     WHERE t.metric_id = :metric AND t.asset_id = ANY(:meters) AND t.ts >= :hi AND t.value IS NOT NULL
     ORDER BY t.asset_id, t.ts
""")


@dataclass(frozen=True)
class Special:
    """The meter replaced (reset at ``reset_h``) and the meter silent from ``gap_h`` for :data:`GAP_H` hours."""

    reset_cabinet: str | None
    reset_h: int
    gap_cabinet: str | None
    gap_h: int


def metric_id(session: Session) -> int:
    session.execute(text("INSERT INTO live_metrics (name) VALUES (:m) ON CONFLICT (name) DO NOTHING"), {"m": METRIC})
    return int(session.execute(text("SELECT id FROM live_metrics WHERE name = :m"), {"m": METRIC}).scalar_one())


def choose_special(cabinets: list[CabinetPlan], clock: Clock, rng: np.random.Generator) -> Special:
    metered = [c for c in cabinets if c.meter_id is not None]
    if not metered:
        return Special(None, 0, None, 0)
    picks = rng.choice(len(metered), size=min(2, len(metered)), replace=False)
    reset = metered[int(picks[0])]
    gap = metered[int(picks[-1])] if len(picks) > 1 else None
    return Special(reset.code, int(clock.hours * rng.uniform(0.35, 0.55)),
                   None if gap is None else gap.code, int(clock.hours * rng.uniform(0.15, 0.3)))


def counter(kwh: np.ndarray, end: float, reset_h: int | None, rng: np.random.Generator) -> np.ndarray:
    """The counter at each hour of the window, reaching ``end`` at its end; restarted at ``reset_h`` when given
    (and when the counter would have gone below 0: the meter was new then)."""
    before = np.concatenate([[0.0], np.cumsum(kwh)[:-1]])  # energy used before hour k
    total = float(kwh.sum())
    if reset_h is not None:
        old = float(rng.uniform(20_000, 90_000))
        return np.where(np.arange(len(kwh)) < reset_h, old + before, before - before[reset_h])
    values = end - (total - before)
    if values[0] < 0:
        first = int(np.argmax(values >= 0))
        values[:first] += float(rng.uniform(20_000, 90_000))
    return values


def write_readings(session: Session, cabinets: list[CabinetPlan], clock: Clock, hourly: Callable[[CabinetPlan],
                   np.ndarray], special: Special, rng: np.random.Generator) -> int:
    """COPY every metered cabinet's hourly readings of the window; the number of rows."""
    metered = [c for c in cabinets if c.meter_id is not None]
    if not metered:
        return 0
    metric = metric_id(session)
    ensure_partitions(session.connection(), clock.lo.date(), clock.hi.date(), tables=("telemetry",))
    real = dict(session.execute(_FIRST_REAL, {"metric": metric, "meters": [c.meter_id for c in metered],
                                              "hi": clock.hi}).all())
    stamps = [f"\t{(clock.lo + k * HOUR).isoformat()}\t{metric}\t" for k in range(clock.hours)]
    raw = session.connection().connection.driver_connection
    rows = 0
    sql = "COPY telemetry (asset_id, ts, metric_id, value, text_value) FROM STDIN"
    with raw.cursor() as cur, cur.copy(sql) as copy:
        for cab in metered:
            kwh = hourly(cab)
            end = real.get(cab.meter_id)
            if end is None:
                end = float(kwh.sum()) * float(rng.uniform(2, 12))
            values = counter(kwh, float(end), special.reset_h if cab.code == special.reset_cabinet else None, rng)
            keep = np.ones(clock.hours, dtype=bool)
            if cab.code == special.gap_cabinet:
                keep[special.gap_h:special.gap_h + GAP_H] = False
            prefix = str(cab.meter_id)
            copy.write("".join(f"{prefix}{stamps[k]}{values[k]:.3f}\t\\N\n" for k in np.flatnonzero(keep)))
            rows += int(keep.sum())
    return rows


def delete_readings(session: Session, meters: list[int], lo: dt.datetime, hi: dt.datetime) -> int:
    """Remove a previous run's readings (its meters, its window)."""
    if not meters:
        return 0
    return session.execute(text(
        "DELETE FROM telemetry WHERE metric_id = (SELECT id FROM live_metrics WHERE name = :m) "
        "AND asset_id = ANY(:meters) AND ts >= :lo AND ts < :hi"),
        {"m": METRIC, "meters": meters, "lo": lo, "hi": hi}).rowcount
