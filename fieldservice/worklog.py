"""The work record of an order: checklist ticks, labour, parts and notes, and the whole record read back.

Every write checks the order is still open (a closed order's record is frozen) and stamps who and when;
photos and signatures are in :mod:`fieldservice.attachments`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.errors import FieldError, NotFoundError, ValidationError
from fieldservice.checklists import ensure_checklist
from fieldservice.models import WorkOrder, WorkOrderLabour, WorkOrderNote, WorkOrderPart
from fieldservice.states import CLOSED, MOVES
from fieldservice.visits import visits_of

MAX_TEXT = 4000
MAX_LABOUR_H = 16


def open_order(session: Session, order_id: int) -> WorkOrder:
    """The order, locked, refusing one that is closed (its record no longer changes)."""
    order = session.get(WorkOrder, order_id, with_for_update=True)
    if order is None:
        raise NotFoundError(f"work order {order_id} does not exist")
    if order.state in CLOSED:
        raise ValidationError(FieldError("state", f"work order {order_id} is {order.state}: its record is closed"))
    return order


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None:
        raise ValidationError(FieldError(name, "give the time zone (e.g. 2026-11-09T10:00:00+01:00)"))
    return value


def tick(session: Session, order_id: int, key: str, done: bool, actor: int | None, note: str | None = None,
         at: dt.datetime | None = None) -> None:
    """Tick (or untick) a checklist item; its note is kept."""
    open_order(session, order_id)
    ensure_checklist(session, order_id)
    when = at or dt.datetime.now(dt.UTC)
    changed = session.execute(text(
        "UPDATE work_order_checklist SET done = :done, note = coalesce(:note, note), "
        "done_by = CASE WHEN :done THEN CAST(:actor AS integer) END, done_at = CASE WHEN :done THEN :at END "
        "WHERE order_id = :o AND key = :key"),
        {"o": order_id, "key": key, "done": done, "note": note, "actor": actor, "at": when}).rowcount
    if not changed:
        keys = session.execute(text("SELECT key FROM work_order_checklist WHERE order_id = :o ORDER BY position"),
                               {"o": order_id}).scalars().all()
        raise ValidationError(FieldError("key", f"no checklist item {key!r} on work order {order_id}; "
                                                f"items: {', '.join(keys) or 'none'}"))


def add_labour(session: Session, order_id: int, user_id: int, started_at: dt.datetime, ended_at: dt.datetime,
               actor: int | None) -> WorkOrderLabour:
    """Record time worked: from–to, at most :data:`MAX_LABOUR_H` hours, not overlapping the same person's."""
    open_order(session, order_id)
    started_at, ended_at = _aware(started_at, "started_at"), _aware(ended_at, "ended_at")
    if ended_at <= started_at:
        raise ValidationError(FieldError("ended_at", "must be after started_at"))
    if ended_at - started_at > dt.timedelta(hours=MAX_LABOUR_H):
        raise ValidationError(FieldError("ended_at", f"a labour line covers at most {MAX_LABOUR_H} h"))
    if ended_at > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5):
        raise ValidationError(FieldError("ended_at", "is in the future"))
    overlap = session.execute(text(
        "SELECT order_id, started_at, ended_at FROM work_order_labour WHERE user_id = :u "
        "AND started_at < :e AND ended_at > :s LIMIT 1"), {"u": user_id, "s": started_at, "e": ended_at}).first()
    if overlap:
        raise ValidationError(FieldError("started_at", f"overlaps the same person's labour on work order "
                                                       f"{overlap.order_id} ({overlap.started_at:%Y-%m-%d %H:%M}–"
                                                       f"{overlap.ended_at:%H:%M} UTC)"))
    row = WorkOrderLabour(order_id=order_id, user_id=user_id, started_at=started_at, ended_at=ended_at,
                          created_by=actor)
    session.add(row)
    session.flush()
    return row


def add_part(session: Session, order_id: int, reference: str, quantity: Any, actor: int | None,
             label: str | None = None, unit: str | None = None) -> WorkOrderPart:
    """Record a part used (reference, quantity > 0, unit: ``u`` by default)."""
    open_order(session, order_id)
    if not reference or not reference.strip():
        raise ValidationError(FieldError("reference", "missing"))
    try:
        amount = Decimal(str(quantity))
    except InvalidOperation:
        raise ValidationError(FieldError("quantity", f"expected a number, got {quantity!r}")) from None
    if not amount.is_finite() or amount <= 0 or amount >= 10_000_000:
        raise ValidationError(FieldError("quantity", "must be more than 0 and less than 10,000,000"))
    row = WorkOrderPart(order_id=order_id, reference=reference.strip(), label=(label or "").strip() or None,
                        quantity=amount, unit=(unit or "u").strip() or "u", created_by=actor)
    session.add(row)
    session.flush()
    return row


def add_note(session: Session, order_id: int, note: str, actor: int | None) -> WorkOrderNote:
    """Record a free note (at most :data:`MAX_TEXT` characters)."""
    open_order(session, order_id)
    if not note or not note.strip():
        raise ValidationError(FieldError("text", "the note is empty"))
    if len(note) > MAX_TEXT:
        raise ValidationError(FieldError("text", f"at most {MAX_TEXT} characters"))
    row = WorkOrderNote(order_id=order_id, text=note.strip(), author_id=actor)
    session.add(row)
    session.flush()
    return row


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def work_record(session: Session, order_id: int, lang: str = "en") -> dict[str, Any]:
    """Everything recorded on an order, with the checklist's labels in ``lang`` (fr or en)."""
    order = session.get(WorkOrder, order_id)
    if order is None:
        raise NotFoundError(f"work order {order_id} does not exist")
    if order.state not in CLOSED:
        ensure_checklist(session, order_id)
    checklist = [
        {"key": r.key, "label": r.label_fr if lang == "fr" else r.label_en, "required": r.required, "done": r.done,
         "note": r.note, "done_by": r.done_by_name, "done_at": _iso(r.done_at)}
        for r in session.execute(text(
            "SELECT c.*, u.name AS done_by_name FROM work_order_checklist c LEFT JOIN users u ON u.id = c.done_by "
            "WHERE c.order_id = :o ORDER BY c.position"), {"o": order_id})
    ]
    labour = [
        {"id": r.id, "user_id": r.user_id, "user": r.username, "started_at": _iso(r.started_at),
         "ended_at": _iso(r.ended_at), "hours": round((r.ended_at - r.started_at).total_seconds() / 3600, 2)}
        for r in session.execute(text(
            "SELECT l.*, u.name AS username FROM work_order_labour l JOIN users u ON u.id = l.user_id "
            "WHERE l.order_id = :o ORDER BY l.started_at, l.id"), {"o": order_id})
    ]
    parts = [
        {"id": r.id, "reference": r.reference, "label": r.label, "quantity": float(r.quantity), "unit": r.unit}
        for r in session.execute(text("SELECT * FROM work_order_parts WHERE order_id = :o ORDER BY id"),
                                 {"o": order_id})
    ]
    notes = [
        {"id": r.id, "text": r.text, "author": r.username, "at": _iso(r.created_at)}
        for r in session.execute(text(
            "SELECT n.*, u.name AS username FROM work_order_notes n LEFT JOIN users u ON u.id = n.author_id "
            "WHERE n.order_id = :o ORDER BY n.id"), {"o": order_id})
    ]
    attachments = [
        {"id": r.id, "kind": r.kind, "sha256": r.sha256, "size": r.size, "content_type": r.content_type,
         "taken_at": _iso(r.taken_at),
         "position": None if r.lon is None else {"lon": round(r.lon, 7), "lat": round(r.lat, 7)},
         "url": f"/api/v1/work-orders/{order_id}/attachments/{r.id}"}
        for r in session.execute(text(
            "SELECT a.*, ST_X(ST_Transform(a.geom, 4326)) AS lon, ST_Y(ST_Transform(a.geom, 4326)) AS lat "
            "FROM work_order_attachments a WHERE a.order_id = :o ORDER BY a.id"), {"o": order_id})
    ]
    visits = visits_of(session, order_id)
    arrival = session.execute(text(
        "SELECT bool_or(proven) AS proven, min(distance_m) AS nearest FROM work_order_events "
        "WHERE order_id = :o AND to_state = 'on_site'"), {"o": order_id}).first()
    return {"order_id": order_id, "state": order.state, "version": order.version, "crew_id": order.crew_id,
            "allowed": list(MOVES.get(order.state, ())), "checklist": checklist, "labour": labour, "parts": parts,
            "notes": notes, "attachments": attachments,
            "presence": {"proven": bool(arrival and arrival.proven),
                         "nearest_m": None if arrival is None or arrival.nearest is None else float(arrival.nearest),
                         "vehicle_came": bool(visits), "flagged": not (arrival and arrival.proven) and not visits},
            "visits": visits}
