"""Live figures per asset family (lighting, traffic, video...): what the control room's counters show.

Devices only (the passive kinds — poles, circuits, cables — have no live state of their own), removed
ones left out. Per family: ``total``, ``in_service`` (inventory status: what the planners decided) and
the count per live state (``ok``, ``fault``, ``unreachable``, ``unknown``: what the devices say; no
live row counts as ``unknown``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.kinds import all_kinds, passive_kinds, spec_for
from assets.live.records import LIVE_STATES

_SQL = """
SELECT a.kind,
       count(*) AS total,
       count(*) FILTER (WHERE a.status = 'in_service') AS in_service,
       count(*) FILTER (WHERE coalesce(l.state, 'unknown') = 'ok') AS ok,
       count(*) FILTER (WHERE l.state = 'fault') AS fault,
       count(*) FILTER (WHERE l.state = 'unreachable') AS unreachable,
       count(*) FILTER (WHERE coalesce(l.state, 'unknown') = 'unknown') AS unknown
  FROM assets AS a
  LEFT JOIN live_state AS l ON l.asset_id = a.id
 WHERE a.status <> 'removed' AND a.kind <> ALL(:passive)
 GROUP BY a.kind
"""
FIGURES = ("total", "in_service", *LIVE_STATES)


def family_of(kind: str) -> str:
    """The family of an asset kind (``luminaire`` → ``lighting``)."""
    return spec_for(kind).family


def families() -> list[str]:
    """Every family of devices, in the kinds' canonical order."""
    found: dict[str, None] = {}
    for kind in all_kinds():
        if not spec_for(kind).passive:
            found[family_of(kind)] = None
    return list(found)


def family_stats(session: Session) -> dict[str, Any]:
    """``{"families": {family: {"total", "in_service", "ok", "fault", "unreachable", "unknown",
    "kinds": {kind: {...same figures}}}}, "kind_family": {kind: family}}`` for every family of devices."""
    per_family: dict[str, dict[str, Any]] = {
        family: {**dict.fromkeys(FIGURES, 0), "kinds": {}} for family in families()
    }
    for row in session.execute(text(_SQL), {"passive": list(passive_kinds())}).mappings():
        figures = {name: int(row[name]) for name in FIGURES}
        family = per_family.setdefault(family_of(row["kind"]), {**dict.fromkeys(FIGURES, 0), "kinds": {}})
        family["kinds"][row["kind"]] = figures
        for name in FIGURES:
            family[name] += figures[name]
    kind_family = {kind: family_of(kind) for kind in all_kinds()}
    return {"families": per_family, "kind_family": kind_family}
