"""Inventory figures (``citypilot stats``): a dict built from small sections.

Each section is a function ``(session) -> dict`` registered with :func:`section`; later issues add
their own (live states, alarms, work orders) without touching the existing ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.alarms.stats import alarm_stats
from assets.commands.views import command_stats
from assets.kinds import all_kinds
from assets.live.stats import live_stats
from assets.models import INVENTORY_STATUSES
from assets.quality import completeness

Section = Callable[[Session], dict[str, Any]]
SECTIONS: list[Section] = []
LIVE = "status <> 'removed'"


def section(fn: Section) -> Section:
    """Register a section of the stats (decorator); sections are merged in registration order."""
    SECTIONS.append(fn)
    return fn


def inventory_stats(session: Session) -> dict[str, Any]:
    """Every registered section's figures, merged into one JSON-ready dict."""
    stats: dict[str, Any] = {}
    for fn in SECTIONS:
        stats.update(fn(session))
    return stats


@section
def counts(session: Session) -> dict[str, Any]:
    """Assets per kind (every kind, removed ones left out), removed ones, and per inventory status."""
    per_kind = {kind: 0 for kind in all_kinds()}
    per_status = {status: 0 for status in INVENTORY_STATUSES}
    rows = session.execute(text("SELECT kind, status, count(*) FROM assets GROUP BY kind, status"))
    for kind, status, n in rows:
        per_status[status] = per_status.get(status, 0) + n
        if status != "removed":
            per_kind[kind] = per_kind.get(kind, 0) + n
    return {"counts": per_kind, "removed": per_status.get("removed", 0), "by_status": per_status}


@section
def fibre(session: Session) -> dict[str, Any]:
    """Kilometres of fibre (segments not removed)."""
    metres = session.execute(
        text(f"SELECT coalesce(sum(length_m), 0) FROM assets WHERE kind = 'fibre_segment' AND {LIVE}")
    ).scalar_one()
    return {"fibre_km": round(float(metres) / 1000, 1)}


@section
def territory(session: Session) -> dict[str, Any]:
    """Today's communes, the communes of the original (pre-merge) layer, and the street network."""
    row = session.execute(
        text(
            "SELECT count(*) FILTER (WHERE valid_to IS NULL), count(*) FILTER (WHERE valid_from IS NULL) "
            "FROM communes"
        )
    ).one()
    metres = session.execute(text("SELECT coalesce(sum(ST_Length(geom)), 0) FROM streets")).scalar_one()
    return {"communes": row[0], "communes_historical": row[1], "streets_km": round(float(metres) / 1000, 1)}


@section
def lighting(session: Session) -> dict[str, Any]:
    """Light points, the LED share (of the light points whose LED flag is known; ``led_unknown`` are
    left out), and lamps per cabinet (through circuits and poles)."""
    total, led, unknown = session.execute(
        text("SELECT count(*), count(*) FILTER (WHERE is_led), count(*) FILTER (WHERE is_led IS NULL) "
             f"FROM assets WHERE kind = 'luminaire' AND {LIVE}")
    ).one()
    spread = session.execute(
        text(
            f"""
            SELECT min(n), max(n), avg(n) FROM (
                SELECT c.id, count(l.id) AS n
                  FROM assets c
                  LEFT JOIN assets ci ON ci.parent_id = c.id AND ci.kind = 'circuit' AND ci.{LIVE}
                  LEFT JOIN assets p ON p.parent_id = ci.id AND p.kind = 'pole' AND p.{LIVE}
                  LEFT JOIN assets l ON l.parent_id = p.id AND l.kind = 'luminaire' AND l.{LIVE}
                 WHERE c.kind = 'cabinet' AND c.{LIVE}
                 GROUP BY c.id
            ) AS per_cabinet
            """
        )
    ).one()
    per_cabinet = (
        {"min": spread[0], "max": spread[1], "mean": round(float(spread[2]), 1)}
        if spread[0] is not None else {"min": None, "max": None, "mean": None}
    )
    return {
        "light_points": total,
        "led_share": round(led / (total - unknown), 3) if total - unknown else None,
        "led_unknown": unknown,
        "lamps_per_cabinet": per_cabinet,
    }


@section
def complete_records(session: Session) -> dict[str, Any]:
    """Per kind: assets, complete records and their share (what a complete record has: ``KindSpec.complete``)."""
    return {"complete_records": completeness(session)}


@section
def live(session: Session) -> dict[str, Any]:
    """What the devices say: assets per live state, messages stored, dead letters."""
    return live_stats(session)


@section
def alarms(session: Session) -> dict[str, Any]:
    """Active alarms at cause level, in all and per type."""
    return alarm_stats(session)


@section
def commands(session: Session) -> dict[str, Any]:
    """Commands to devices per state (awaiting confirmation, running, done, partly failed, failed, cancelled)."""
    return command_stats(session)


@section
def modbus(session: Session) -> dict[str, Any]:
    """Modbus devices in service (meters with an address, cabinets behind one): reporting (heard within
    three intervals), unreachable, late (neither) and never heard, per kind."""
    rows = session.execute(text(
        """
        SELECT a.kind,
               CASE WHEN l.asset_id IS NULL THEN 'never' WHEN l.state = 'unreachable' THEN 'unreachable'
                    WHEN l.last_seen >= now() - make_interval(secs => 3 * coalesce(l.expected_interval_s, 60))
                    THEN 'reporting' ELSE 'late' END,
               count(*)
          FROM assets a
          LEFT JOIN assets m ON m.id = a.energy_meter_id AND a.kind = 'cabinet'
          LEFT JOIN live_state l ON l.asset_id = a.id
         WHERE a.status = 'in_service' AND (
               (a.kind = 'energy_meter' AND a.modbus_host IS NOT NULL)
            OR (a.kind = 'cabinet' AND coalesce(a.attrs->>'modbus_host', m.modbus_host) IS NOT NULL))
         GROUP BY 1, 2
        """
    ))
    out = {f"{plural}{suffix}": 0 for plural in ("meters", "cabinets")
           for suffix in ("", "_reporting", "_unreachable", "_late", "_never")}
    for kind, state, n in rows:
        plural = "meters" if kind == "energy_meter" else "cabinets"
        out[plural] += n
        out[f"{plural}_{state}"] += n
    return {"modbus": out}
