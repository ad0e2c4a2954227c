"""The contract's month in one document: energy, availability (equipment and IT), intervention delays and
penalties, with each clause's target, verdict and data completeness — what reports and the API deliver."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from fieldservice.contract import penalties
from fieldservice.contract.availability import equipment_month, it_month
from fieldservice.contract.burning import load_schedule, month_days
from fieldservice.contract.delays import month_delays
from fieldservice.contract.energy import energy_month

_PLACES = text("""
    SELECT id, ST_Y(ST_Transform(geom, 4326)) AS lat, ST_X(ST_Transform(geom, 4326)) AS lon
      FROM assets WHERE id = ANY(:ids) AND geom IS NOT NULL
""")


_COMMUNE_NAMES = text("""
    SELECT DISTINCT ON (insee) insee, name FROM communes WHERE insee = ANY(:codes)
     ORDER BY insee, valid_to IS NULL DESC, valid_to DESC
""")


def commune_names(session: Session, codes: list[str]) -> dict[str, str]:
    """INSEE code → the commune's name (today's, else its last), for the codes the inventory knows."""
    return {r.insee: r.name for r in session.execute(_COMMUNE_NAMES, {"codes": codes})}


def contract_month(session: Session, month: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every clause of ``month`` from raw data (ValidationError naming ``month`` when it is not YYYY-MM)."""
    now = now or dt.datetime.now(dt.UTC)
    schedule = load_schedule()
    energy = energy_month(session, month, schedule=schedule)
    equipment = equipment_month(session, month, schedule=schedule, now=now)
    it = it_month(session, month, now=now)
    priced = penalties.load_schedule()
    delays = month_delays(session, month, priced, now=now)
    places = {r.id: (r.lat, r.lon) for r in session.execute(_PLACES, {"ids": [c.cabinet_id for c in energy.cabinets]})}
    delay = delays.as_dict()
    return {
        "month": month, "computed_at": now.isoformat(timespec="seconds"),
        "energy": energy.summary(),
        "commune_names": commune_names(session, sorted({c.commune for c in energy.cabinets if c.commune})),
        "cabinets": [{"code": c.code, "commune": c.commune, "baseline_kwh": round(c.baseline_kwh, 1),
                      "actual_kwh": round(c.actual_kwh, 1), "method": c.method,
                      "savings": round(1 - c.actual_kwh / c.baseline_kwh, 4) if c.baseline_kwh else None,
                      "lat": places.get(c.cabinet_id, (None, None))[0],
                      "lon": places.get(c.cabinet_id, (None, None))[1]}
                     for c in energy.cabinets],
        "equipment": {**equipment.summary(),
                      "nights": [{"night": n.day.isoformat(), "availability": n.availability,
                                  "due_lamp_h": round(n.due_h, 2), "lost_lamp_h": round(n.lost_h, 3)}
                                 for n in equipment.nights]},
        "it": it.summary(),
        "delays": {**delay, "target": priced.on_time_target,
                   "met": None if delays.rate is None else delays.rate >= priced.on_time_target,
                   "rows": [b.as_dict() for b in delays.breaches]},
        "penalties_eur": str(delays.total_penalty),
    }


def clause_figures(data: dict[str, Any]) -> dict[str, Any]:
    """One month's headline per clause (a point of the trend): figure and verdict of each, the penalties."""
    return {
        "month": data["month"],
        "energy": {"value": data["energy"]["savings"], "met": data["energy"]["met"]},
        "equipment": {"value": data["equipment"]["availability"], "met": data["equipment"]["met"]},
        "it": {"value": data["it"]["availability"], "met": data["it"]["met"]},
        "delays": {"value": data["delays"]["rate"], "met": data["delays"]["met"]},
        "penalties_eur": data["penalties_eur"],
    }


def months_before(month: str, count: int) -> list[str]:
    """The ``count`` months ending with ``month``, oldest first (``month`` checked: ValidationError)."""
    first = month_days(month)[0]
    index = first.year * 12 + first.month - 1
    return [f"{(i // 12):04d}-{(i % 12) + 1:02d}" for i in range(index - count + 1, index + 1)]
