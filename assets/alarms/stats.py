"""Operations figures of the alarms (merged into ``citypilot stats``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.alarms.catalogue import ALARM_TYPES


def alarm_stats(session: Session) -> dict[str, Any]:
    """``alarms_open``: active alarms at cause level (open or acknowledged, not grouped under a cause);
    ``alarms_by_type``: the same per type; ``alarms_unacknowledged``: those nobody acknowledged yet."""
    by_type = dict.fromkeys(ALARM_TYPES, 0)
    unacknowledged = 0
    rows = session.execute(
        text("SELECT type, state, count(*) FROM alarms WHERE state <> 'cleared' AND cause_id IS NULL "
             "GROUP BY type, state")
    )
    for alarm_type, state, n in rows:
        by_type[alarm_type] = by_type.get(alarm_type, 0) + n
        if state == "open":
            unacknowledged += n
    return {"alarms_open": sum(by_type.values()), "alarms_unacknowledged": unacknowledged, "alarms_by_type": by_type}
