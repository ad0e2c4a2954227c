"""Commands as plain data (JSON types) for every client: one command with its targets device by device,
pages of commands, the audit log, and the figures for ``citypilot stats``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.commands.states import COMMAND_STATES, TARGET_STATES
from assets.errors import FieldError, NotFoundError, ValidationError

MAX_PAGE = 500

_COMMAND = """
SELECT c.id, c.action, c.params, c.target, c.comment, c.state, c.needs_confirmation, c.max_attempts,
       r.name AS requested_by, c.requested_at, f.name AS confirmed_by, c.confirmed_at,
       x.name AS cancelled_by, c.cancelled_at, c.finished_at, c.updated_at
FROM commands c
JOIN users r ON r.id = c.requested_by
LEFT JOIN users f ON f.id = c.confirmed_by
LEFT JOIN users x ON x.id = c.cancelled_by
"""


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _counts(session: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    out = {i: dict.fromkeys(TARGET_STATES, 0) for i in ids}
    for command_id, state, n in session.execute(
        text("SELECT command_id, state, count(*) FROM command_targets WHERE command_id = ANY(:ids) GROUP BY 1, 2"),
        {"ids": ids},
    ):
        out[command_id][state] = n
    return out


def _summary(row: Any, counts: dict[str, int]) -> dict[str, Any]:
    data = {k: _iso(v) for k, v in row._mapping.items()}
    data["targets_total"] = sum(counts.values())
    data["counts"] = counts
    return data


def command_dict(session: Session, command_id: int, targets_limit: int = 100,
                 targets_after: int | None = None) -> dict[str, Any]:
    """One command: who asked, who confirmed or cancelled, counts per target state, and a page of its
    targets by asset id (``targets_next``: the cursor of the next page, or None)."""
    row = session.execute(text(_COMMAND + " WHERE c.id = :id"), {"id": command_id}).first()
    if row is None:
        raise NotFoundError(f"command {command_id} does not exist")
    if not 1 <= targets_limit <= MAX_PAGE:
        raise ValidationError(FieldError("targets_limit", f"must be between 1 and {MAX_PAGE}"))
    data = _summary(row, _counts(session, [command_id])[command_id])
    rows = session.execute(
        text(
            """
            SELECT t.asset_id, t.code, t.kind, t.state, t.detail, t.attempts, t.transport, t.sent_at, t.acked_at,
                   t.finished_at, t.updated_at,
                   round(ST_X(p)::numeric, 7)::float8 AS lon, round(ST_Y(p)::numeric, 7)::float8 AS lat
            FROM command_targets t LEFT JOIN assets a ON a.id = t.asset_id
            LEFT JOIN LATERAL ST_Transform(ST_PointOnSurface(a.geom), 4326) AS p ON true
            WHERE t.command_id = :id AND t.asset_id > :after
            ORDER BY t.asset_id LIMIT :limit
            """
        ),
        {"id": command_id, "after": targets_after or 0, "limit": targets_limit + 1},
    ).all()
    more = len(rows) > targets_limit
    rows = rows[:targets_limit]
    data["targets"] = [{k: _iso(v) for k, v in r._mapping.items()} for r in rows]
    data["targets_next"] = rows[-1].asset_id if more else None
    return data


def command_page(session: Session, state: str | None = None, limit: int = 50,
                 before: int | None = None) -> tuple[list[dict[str, Any]], int, int | None]:
    """Commands newest first (those in ``state`` only, when given), without their targets: (items,
    total, the cursor of the next page or None)."""
    if state is not None and state not in COMMAND_STATES:
        raise ValidationError(FieldError("state", f"{state!r} is not one of {', '.join(COMMAND_STATES)}"))
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(FieldError("limit", f"must be between 1 and {MAX_PAGE}"))
    where = ["(CAST(:state AS text) IS NULL OR c.state = :state)"]
    total = session.execute(text("SELECT count(*) FROM commands c WHERE " + where[0]), {"state": state}).scalar_one()
    if before is not None:
        where.append("c.id < :before")
    rows = session.execute(
        text(_COMMAND + " WHERE " + " AND ".join(where) + " ORDER BY c.id DESC LIMIT :limit"),
        {"state": state, "before": before, "limit": limit + 1},
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    counts = _counts(session, [r.id for r in rows])
    return [_summary(r, counts[r.id]) for r in rows], int(total), rows[-1].id if more else None


def command_log(session: Session, command_id: int, limit: int = 200, after: int | None = None
                ) -> tuple[list[dict[str, Any]], int | None]:
    """The audit of one command, oldest first: every state change of the command and of each target,
    who made it (``worker`` for the command worker) and why; (entries, the cursor of the next page)."""
    if session.execute(text("SELECT 1 FROM commands WHERE id = :id"), {"id": command_id}).first() is None:
        raise NotFoundError(f"command {command_id} does not exist")
    if not 1 <= limit <= MAX_PAGE * 10:
        raise ValidationError(FieldError("limit", f"must be between 1 and {MAX_PAGE * 10}"))
    rows = session.execute(
        text(
            """
            SELECT l.id, l.at, l.asset_id, t.code, coalesce(u.name, 'worker') AS actor, l.from_state, l.to_state,
                   l.attempt, l.detail
            FROM command_log l
            LEFT JOIN users u ON u.id = l.actor_id
            LEFT JOIN command_targets t ON t.command_id = l.command_id AND t.asset_id = l.asset_id
            WHERE l.command_id = :id AND l.id > :after
            ORDER BY l.id LIMIT :limit
            """
        ),
        {"id": command_id, "after": after or 0, "limit": limit + 1},
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [{k: _iso(v) for k, v in r._mapping.items()} for r in rows], rows[-1].id if more else None


def command_stats(session: Session) -> dict[str, Any]:
    """``commands``: commands per state (every state, zeros included)."""
    counts = dict.fromkeys(COMMAND_STATES, 0)
    for state, n in session.execute(text("SELECT state, count(*) FROM commands GROUP BY state")):
        counts[state] = int(n)
    return {"commands": counts}
