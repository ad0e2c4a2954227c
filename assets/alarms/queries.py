"""Reading alarms: JSON-ready items (the shape of docs/CONTROL.md) for the API, the CLI and announcements."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.alarms.catalogue import ACTIVE_STATES, ALARM_STATES, ALARM_TYPES, SEVERITIES
from assets.errors import FieldError, NotFoundError, ValidationError

#: A point of any geometry in WGS84 (lines and polygons: a point on them).
_LONLAT = "ST_Transform(ST_PointOnSurface(s.geom), 4326)"
_ITEM_SELECT = f"""
SELECT al.id, al.type, al.severity, al.state, al.message, al.detail, al.fact_ts, al.raised_at, al.acknowledged_at,
       ack.name AS acknowledged_by, al.cleared_at, clr.name AS cleared_by, al.cause_id,
       s.id AS asset_id, s.kind, s.code, ST_X({_LONLAT}) AS lon, ST_Y({_LONLAT}) AS lat,
       (SELECT count(*) FROM alarm_affected f WHERE f.alarm_id = al.id) AS affected_count
  FROM alarms al
  JOIN assets s ON s.id = al.asset_id
  LEFT JOIN users ack ON ack.id = al.acknowledged_by
  LEFT JOIN users clr ON clr.id = al.cleared_by
"""
#: States a list may ask for: the three states, ``active`` (open or acknowledged) and ``all``.
STATE_FILTERS = (*ALARM_STATES, "active", "all")
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


def iso(value: dt.datetime | None) -> str | None:
    """UTC, RFC 3339 with a ``Z``."""
    return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 7)


def item_of(row: Any) -> dict[str, Any]:
    """One alarm as the API and the announcements show it."""
    return {
        "id": row.id, "type": row.type, "severity": row.severity, "state": row.state,
        "asset": {"id": row.asset_id, "kind": row.kind, "code": row.code, "lon": _round(row.lon),
                  "lat": _round(row.lat)},
        "message": row.message, "detail": row.detail or {}, "fact_ts": iso(row.fact_ts),
        "raised_at": iso(row.raised_at), "acknowledged_at": iso(row.acknowledged_at),
        "acknowledged_by": row.acknowledged_by, "cleared_at": iso(row.cleared_at), "cleared_by": row.cleared_by,
        "cause_id": row.cause_id, "affected_count": int(row.affected_count),
    }


def alarm_items(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The items of these alarms, by id."""
    if not ids:
        return {}
    rows = session.execute(text(_ITEM_SELECT + " WHERE al.id = ANY(:ids)"), {"ids": list(ids)})
    return {row.id: item_of(row) for row in rows}


def alarm_item(session: Session, alarm_id: int) -> dict[str, Any]:
    """One alarm's item; NotFoundError when there is none."""
    found = alarm_items(session, [alarm_id]).get(alarm_id)
    if found is None:
        raise NotFoundError(f"alarm {alarm_id} does not exist")
    return found


@dataclass
class AlarmQuery:
    """What a list asks for. ``states``: among :data:`STATE_FILTERS` (default: active); ``bbox`` in WGS84."""

    states: list[str] = field(default_factory=lambda: ["active"])
    severities: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    asset_id: int | None = None
    bbox: list[float] | None = None
    include_children: bool = False
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def check(self) -> None:
        errors = []
        for name, values, allowed in (("state", self.states, STATE_FILTERS), ("severity", self.severities, SEVERITIES),
                                      ("type", self.types, ALARM_TYPES)):
            bad = [v for v in values if v not in allowed]
            if bad:
                errors.append(FieldError(name, f"{', '.join(map(repr, bad))} not among {', '.join(allowed)}"))
        if not 1 <= self.limit <= MAX_LIMIT:
            errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}"))
        if self.offset < 0:
            errors.append(FieldError("cursor", "must be 0 or more"))
        box = self.bbox
        if box is not None and (len(box) != 4 or box[0] > box[2] or box[1] > box[3]):
            errors.append(FieldError("bbox", "expected min lon,min lat,max lon,max lat with min <= max"))
        if errors:
            raise ValidationError(errors)


@dataclass(frozen=True)
class AlarmPage:
    items: list[dict[str, Any]]
    total: int
    next_offset: int | None


def list_alarms(session: Session, query: AlarmQuery) -> AlarmPage:
    """Alarms matching ``query``: most severe first, then newest; grouped children left out unless asked."""
    query.check()
    where, params = ["true"], {}
    states: set[str] = set()
    for state in query.states:
        states |= set(ALARM_STATES) if state == "all" else set(ACTIVE_STATES) if state == "active" else {state}
    if states != set(ALARM_STATES):
        where.append("al.state = ANY(:states)")
        params["states"] = sorted(states)
    if query.severities:
        where.append("al.severity = ANY(:severities)")
        params["severities"] = query.severities
    if query.types:
        where.append("al.type = ANY(:types)")
        params["types"] = query.types
    if query.kinds:
        where.append("s.kind = ANY(:kinds)")
        params["kinds"] = query.kinds
    if query.asset_id is not None:
        where.append("al.asset_id = :asset_id")
        params["asset_id"] = query.asset_id
    if query.bbox is not None:
        where.append("s.geom && ST_Transform(ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326), 2154)")
        params.update(zip(("x0", "y0", "x1", "y1"), query.bbox, strict=True))
    if not query.include_children:
        where.append("al.cause_id IS NULL")
    condition = " AND ".join(where)
    total = session.execute(
        text(f"SELECT count(*) FROM alarms al JOIN assets s ON s.id = al.asset_id WHERE {condition}"), params
    ).scalar_one()
    rank = "CASE al.severity " + " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(SEVERITIES)) + " END"
    rows = session.execute(
        text(f"{_ITEM_SELECT} WHERE {condition} ORDER BY {rank}, al.raised_at DESC, al.id DESC "
             "LIMIT :limit OFFSET :offset"),
        {**params, "limit": query.limit, "offset": query.offset},
    )
    items = [item_of(row) for row in rows]
    after = query.offset + len(items)
    return AlarmPage(items, int(total), after if after < total else None)


def alarm_detail(session: Session, alarm_id: int) -> dict[str, Any]:
    """An alarm's item, the assets it affects (with the alarm each has under it) and its history."""
    item = alarm_item(session, alarm_id)
    affected = session.execute(
        text(
            f"""
            SELECT s.id, s.kind, s.code, ST_X({_LONLAT}) AS lon, ST_Y({_LONLAT}) AS lat,
                   (SELECT c.id FROM alarms c WHERE c.cause_id = f.alarm_id AND c.asset_id = s.id
                     ORDER BY c.id DESC LIMIT 1) AS alarm_id
              FROM alarm_affected f JOIN assets s ON s.id = f.asset_id
             WHERE f.alarm_id = :id
             ORDER BY s.kind, s.code
            """
        ),
        {"id": alarm_id},
    )
    item["affected"] = [
        {"id": r.id, "kind": r.kind, "code": r.code, "lon": _round(r.lon), "lat": _round(r.lat), "alarm_id": r.alarm_id}
        for r in affected
    ]
    item["history"] = alarm_history(session, alarm_id)
    return item


def alarm_history(session: Session, alarm_id: int) -> list[dict[str, Any]]:
    """Every transition of an alarm, oldest first."""
    rows = session.execute(
        text("SELECT at, action, actor, detail FROM alarm_history WHERE alarm_id = :id ORDER BY id"), {"id": alarm_id}
    )
    return [{"at": iso(r.at), "action": r.action, "actor": r.actor, "detail": r.detail or {}} for r in rows]
