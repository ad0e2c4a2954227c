"""Reading the live data: live state of assets, vehicles on the map, tracks, series, dead letters.

Plain typed snapshots for the control room, the web API and field service (dispatch by live vehicle
positions). Positions come out in WGS84 (lon, lat); they are stored in Lambert-93.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class LiveSnapshot:
    """An asset's live state (what its device last said)."""

    asset_id: int
    state: str
    state_since: dt.datetime
    ts: dt.datetime
    last_seen: dt.datetime
    values: dict[str, Any]
    lon: float | None = None
    lat: float | None = None
    speed_kmh: float | None = None
    heading_deg: float | None = None
    source: str | None = None


@dataclass(frozen=True)
class TrackPoint:
    """One stored GPS fix of a vehicle, in WGS84."""

    ts: dt.datetime
    lon: float
    lat: float
    speed_kmh: float | None
    heading_deg: float | None
    accuracy_m: float | None
    source: str | None


@dataclass(frozen=True)
class StoredDeadLetter:
    """A refused message as stored."""

    id: int
    received_at: dt.datetime
    connector: str | None
    topic: str
    format: str | None
    reason: str
    payload: bytes


_LIVE_COLUMNS = """
l.asset_id, l.state, l.state_since, l.ts, l.last_seen, l.values,
ST_X(ST_Transform(l.geom, 4326)), ST_Y(ST_Transform(l.geom, 4326)), l.speed_kmh, l.heading_deg, l.source
"""


def live_state(session: Session, asset_id: int) -> LiveSnapshot | None:
    """The live state of one asset, or None when its device never spoke (state unknown)."""
    row = session.execute(
        text(f"SELECT {_LIVE_COLUMNS} FROM live_state l WHERE l.asset_id = :id"), {"id": asset_id}
    ).first()
    return None if row is None else LiveSnapshot(*row)


def live_states(
    session: Session, asset_ids: Sequence[int] | None = None, *, state: str | None = None, kind: str | None = None
) -> list[LiveSnapshot]:
    """Live states, optionally of some assets, in one state, or of one kind; by asset id."""
    where, params = ["true"], {}
    if asset_ids is not None:
        where.append("l.asset_id = ANY(:ids)")
        params["ids"] = list(asset_ids)
    if state is not None:
        where.append("l.state = :state")
        params["state"] = state
    if kind is not None:
        where.append("a.kind = :kind")
        params["kind"] = kind
    rows = session.execute(
        text(
            f"SELECT {_LIVE_COLUMNS} FROM live_state l JOIN assets a ON a.id = l.asset_id "
            f"WHERE {' AND '.join(where)} ORDER BY l.asset_id"
        ),
        params,
    )
    return [LiveSnapshot(*row) for row in rows]


def vehicle_positions(session: Session) -> list[LiveSnapshot]:
    """The last known position of every vehicle that reported one."""
    rows = session.execute(
        text(
            f"SELECT {_LIVE_COLUMNS} FROM live_state l JOIN assets a ON a.id = l.asset_id "
            "WHERE a.kind = 'vehicle' AND l.geom IS NOT NULL ORDER BY l.asset_id"
        )
    )
    return [LiveSnapshot(*row) for row in rows]


def track(session: Session, asset_id: int, since: dt.datetime, until: dt.datetime | None = None) -> list[TrackPoint]:
    """A vehicle's stored positions between ``since`` and ``until`` (default now), oldest first."""
    rows = session.execute(
        text(
            "SELECT ts, ST_X(ST_Transform(geom, 4326)), ST_Y(ST_Transform(geom, 4326)), speed_kmh, heading_deg, "
            "accuracy_m, source FROM vehicle_positions WHERE asset_id = :id AND ts >= :since "
            "AND (CAST(:until AS timestamptz) IS NULL OR ts < :until) ORDER BY ts"
        ),
        {"id": asset_id, "since": since, "until": until},
    )
    return [TrackPoint(*row) for row in rows]


def series(
    session: Session, asset_id: int, metric: str, since: dt.datetime, until: dt.datetime | None = None
) -> list[tuple[dt.datetime, float | str | None]]:
    """The stored values of one metric of one asset: (device time, value), oldest first. Values are
    as sent (booleans as 0/1, null as None, text as text)."""
    rows = session.execute(
        text(
            "SELECT t.ts, t.value, t.text_value "
            "FROM telemetry t JOIN live_metrics m ON m.id = t.metric_id "
            "WHERE t.asset_id = :id AND m.name = :metric AND t.ts >= :since "
            "AND (CAST(:until AS timestamptz) IS NULL OR t.ts < :until) ORDER BY t.ts"
        ),
        {"id": asset_id, "metric": metric, "since": since, "until": until},
    )
    return [(ts, value if text_value is None else text_value) for ts, value, text_value in rows]


def dead_letters(session: Session, limit: int = 100, since: dt.datetime | None = None) -> list[StoredDeadLetter]:
    """The most recent refused messages, newest first."""
    rows = session.execute(
        text(
            "SELECT id, received_at, connector, topic, format, reason, payload FROM dead_letters "
            "WHERE CAST(:since AS timestamptz) IS NULL OR received_at >= :since ORDER BY id DESC LIMIT :limit"
        ),
        {"since": since, "limit": limit},
    )
    return [StoredDeadLetter(*row[:-1], bytes(row[-1])) for row in rows]


def events(session: Session, asset_id: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The most recent device events (of one asset), newest first."""
    rows = session.execute(
        text(
            "SELECT id, asset_id, ts, name, detail, source, received_at FROM device_events "
            "WHERE CAST(:id AS bigint) IS NULL OR asset_id = :id ORDER BY ts DESC, id DESC LIMIT :limit"
        ),
        {"id": asset_id, "limit": limit},
    )
    return [dict(row._mapping) for row in rows]
