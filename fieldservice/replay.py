"""Actions applied exactly once: a client (the crew tablet, offline) sends each action with its own id and may
send it again; the first answer is kept per (order, client id) and given back to every replay.

A failed action is kept too (its answer says why), so replaying it changes nothing either: the tablet shows
the crew what happened and never retries it blindly.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.errors import FieldError, NotFoundError, ValidationError

MAX_CLIENT_ID = 64


def check_client_id(client_id: str | None) -> str | None:
    """The client id, stripped; ValidationError unless 1–64 printable characters."""
    if client_id is None:
        return None
    value = str(client_id).strip()
    if not value or len(value) > MAX_CLIENT_ID or not value.isprintable():
        raise ValidationError(FieldError("client_id", f"1 to {MAX_CLIENT_ID} printable characters"))
    return value


def lock_order(session: Session, order_id: int) -> Any:
    """Lock the order's row (its state and crew) for the action, so two replays of one id never race."""
    row = session.execute(text("SELECT id, state, crew_id FROM work_orders WHERE id = :o FOR UPDATE"),
                          {"o": order_id}).first()
    if row is None:
        raise NotFoundError(f"work order {order_id} does not exist")
    return row


def previous(session: Session, order_id: int, client_id: str) -> tuple[int, dict[str, Any]] | None:
    """The status and answer given the first time this action came, if it did."""
    row = session.execute(text("SELECT status, answer FROM work_order_client_actions "
                               "WHERE order_id = :o AND client_id = :c"), {"o": order_id, "c": client_id}).first()
    return (row.status, dict(row.answer)) if row else None


def remember(session: Session, order_id: int, client_id: str, user_id: int | None, status: int,
             answer: dict[str, Any]) -> None:
    """Keep the answer of an action (the first one wins)."""
    session.execute(text(
        "INSERT INTO work_order_client_actions (order_id, client_id, status, answer, user_id) "
        "VALUES (:o, :c, :s, CAST(:a AS jsonb), :u) ON CONFLICT DO NOTHING"),
        {"o": order_id, "c": client_id, "s": status, "a": json.dumps(answer, default=str, ensure_ascii=False),
         "u": user_id})
