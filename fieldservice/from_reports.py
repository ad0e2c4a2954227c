"""Citizen reports become work orders: one order per asset's fault, the report's evidence on it.

A report (``assets.reports.intake``: snapped to the likeliest asset, checked against its device) joins
one order (``work_order_reports``): a report merged with an earlier one (``duplicate_of``), or about an
asset that already has an open order, joins that order; otherwise a new ``citizen`` order is opened on
the asset (or at the reported place when no asset was found), its category from the asset's family
(the service's group when there is no asset), its description the report's words and what the device
said. A flagged report (the device says it works) still becomes an order, in ``low`` priority, for
the operator to check. When an order is over (done, verified, cancelled) the reports it answers are
closed, the order named in their Open311 status notes (``orders.close_reports_of``, on each move).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.reports.services import service
from fieldservice.from_alarms import category_of
from fieldservice.orders import create_order, open_order_of

#: The order's category when the report found no asset, by the service's group.
GROUP_CATEGORY = {"lighting": "lighting", "traffic": "signals", "video": "video"}


def _description(row: Any) -> str:
    """The report's words and what the device said (``intake._evidence``)."""
    evidence = row.evidence or {}
    parts = [f"Citizen report #{row.id} ({row.service_code})", row.description or ""]
    if evidence.get("device") not in (None, "unknown"):
        verdict = "confirms it" if evidence.get("confirms") else "says it works: check" if row.flagged else ""
        parts.append(f"Device: {evidence['device']} since {evidence.get('since')} {verdict}".rstrip())
    return "\n".join(p for p in parts if p)


def order_of_report(session: Session, report_id: int) -> int | None:
    """The order a report joined, if any."""
    return session.execute(text("SELECT order_id FROM work_order_reports WHERE report_id = :id"),
                           {"id": report_id}).scalar()


def order_for_report(session: Session, report_id: int, actor_id: int | None = None) -> int:
    """The order a report answers: made or joined now if it had none."""
    row = session.execute(text(
        "SELECT r.id, r.service_code, r.description, r.asset_id, r.duplicate_of, r.flagged, r.evidence, "
        "r.requested_at, ST_X(r.geom) AS x, ST_Y(r.geom) AS y, a.kind, l.order_id "
        "FROM citizen_reports r LEFT JOIN assets a ON a.id = r.asset_id "
        "LEFT JOIN work_order_reports l ON l.report_id = r.id WHERE r.id = :id FOR UPDATE OF r"),
        {"id": report_id}).one()
    if row.order_id is not None:
        return row.order_id
    order_id = order_of_report(session, row.duplicate_of) if row.duplicate_of is not None else None
    if order_id is None and row.asset_id is not None:
        order_id = open_order_of(session, [row.asset_id])
    if order_id is None:
        found = service(row.service_code)
        category = (category_of(row.kind) if row.kind else None) or GROUP_CATEGORY.get(found.group, "lighting")
        order_id = create_order(
            session, origin="citizen", category=category, priority="low" if row.flagged else "normal",
            actor_id=actor_id, asset_ids=[row.asset_id] if row.asset_id is not None else [],
            location=(row.x, row.y) if row.asset_id is None and row.x is not None else None,
            description=_description(row), at=row.requested_at).id
    elif row.asset_id is not None:
        session.execute(text("INSERT INTO work_order_assets (order_id, asset_id) VALUES (:o, :a) "
                             "ON CONFLICT DO NOTHING"), {"o": order_id, "a": row.asset_id})
    session.execute(text("INSERT INTO work_order_reports (report_id, order_id) VALUES (:r, :o)"),
                    {"r": report_id, "o": order_id})
    return order_id
