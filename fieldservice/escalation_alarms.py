"""Escalations as alarms: an order's clock at risk (``sla_at_risk``, major) or breached (``sla_breached``,
critical) is an alarm on the order's first asset, so the control room's alarm list, counts and history show
it beside the device alarms; an order about a place only has the stream's announcement and no alarm.

An escalation alarm stays active while a clock it is about still runs: it clears (by ``sla``) when the
order closes or every clock escalated at that level has stopped; a breach clears the order's at-risk alarm.
These alarms never open an order themselves (:data:`fieldservice.from_alarms.ORDER_TYPES` leaves them out)
and never hold an order's verification (only the alarms an order answers do).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.alarms.catalogue import SLA_TYPES
from assets.alarms.lifecycle import Fact, clear_many, raise_alarm
from assets.alarms.queries import iso
from fieldservice.orders import STOP_COLUMNS
from fieldservice.states import CLOSED

TYPE_OF_LEVEL = {"at_risk": "sla_at_risk", "breached": "sla_breached"}

_STILL_RUNNING = " OR ".join(
    f"(e.clock = '{clock}' AND o.{stop} IS NULL)" for clock, stop in STOP_COLUMNS.items())


def first_asset(session: Session, order_id: int) -> int | None:
    """The asset an order's escalation alarm is raised on: its first asset, None for a place only."""
    return session.execute(text("SELECT min(asset_id) FROM work_order_assets WHERE order_id = :o"),
                           {"o": order_id}).scalar()


def raise_for(session: Session, order_id: int, clock: str, level: str, due: dt.datetime, remaining_min: float,
              crew_id: int | None, now: dt.datetime) -> int | None:
    """Raise the alarm of one escalation; its id, or None (a place only, or one is active on the asset)."""
    asset_id = first_asset(session, order_id)
    if asset_id is None:
        return None
    detail: dict[str, Any] = {"order_id": order_id, "clock": clock, "due": iso(due),
                              "remaining_min": round(remaining_min, 1), "standby_crew_id": crew_id}
    return raise_alarm(session, asset_id, TYPE_OF_LEVEL[level], now, detail=detail)


def clear_settled(session: Session, now: dt.datetime) -> list[int]:
    """Clear the active escalation alarms nothing runs behind any more; the cleared alarms' ids."""
    rows = session.execute(text(
        f"""
        SELECT al.asset_id, al.type, (al.detail->>'order_id')::bigint AS order_id FROM alarms al
         WHERE al.state <> 'cleared' AND al.type = ANY(:types)
           AND NOT EXISTS (
               SELECT 1 FROM work_order_escalations e JOIN work_orders o ON o.id = e.order_id
                WHERE e.order_id = (al.detail->>'order_id')::bigint AND o.state <> ALL(:closed)
                  AND e.level = CASE al.type WHEN 'sla_breached' THEN 'breached' ELSE 'at_risk' END
                  AND ({_STILL_RUNNING})
                  AND (al.type = 'sla_breached' OR NOT EXISTS (
                       SELECT 1 FROM work_order_escalations b WHERE b.order_id = e.order_id
                          AND b.clock = e.clock AND b.level = 'breached')))
        """), {"types": list(SLA_TYPES), "closed": list(CLOSED)}).all()
    facts = [Fact(r.asset_id, r.type, now, {"by": "sla", "order_id": r.order_id}) for r in rows]
    return clear_many(session, facts)
