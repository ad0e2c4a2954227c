"""What field service says on the live stream (``citypilot_live``, sent when the transaction commits):

- ``{"type": "order", "id", "state", "crew_id", "previous_crew_id", "action"}`` when an order is opened or
  moves (``action`` created or moved; ``previous_crew_id``: its crew before the move, e.g. reassigned);
- ``{"type": "escalation", "order_id", "clock", "level", "due", "remaining_min", "crew_id"}`` when an
  order's clock is escalated (at risk) or breached (:mod:`fieldservice.escalation`).

Payloads stay small: a client reads the order itself from the API.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.live.channels import LIVE_CHANNEL


def announce(session: Session, payload: dict[str, Any]) -> None:
    """NOTIFY the live channel with one JSON payload (delivered only if the transaction commits)."""
    session.execute(text("SELECT pg_notify(:channel, :payload)"),
                    {"channel": LIVE_CHANNEL, "payload": json.dumps(payload, default=str, separators=(",", ":"))})


def order_changed(session: Session, order_id: int, state: str, crew_id: int | None, action: str,
                  previous_crew_id: int | None = None) -> None:
    """An order was opened (``created``) or moved (``moved``; from ``previous_crew_id``'s hands)."""
    announce(session, {"type": "order", "id": order_id, "state": state, "crew_id": crew_id,
                       "previous_crew_id": previous_crew_id, "action": action})
