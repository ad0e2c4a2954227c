"""Operations figures of the live data (merged into ``citypilot stats``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from assets.kinds import passive_kinds
from assets.live.records import LIVE_STATES


def live_stats(session: Session) -> dict[str, Any]:
    """``live``: assets (not removed, passive kinds left out) per live state, those without a live row
    counted as unknown; ``messages_stored``: device messages stored; ``dead_letters``: messages refused."""
    passive = ", ".join(f"'{k}'" for k in passive_kinds())
    rows = session.execute(
        text(
            f"""
            SELECT coalesce(l.state, 'unknown'), count(*)
            FROM assets a LEFT JOIN live_state l ON l.asset_id = a.id
            WHERE a.status <> 'removed' AND a.kind NOT IN ({passive})
            GROUP BY 1
            """
        )
    )
    live = dict.fromkeys(LIVE_STATES, 0)
    for state, n in rows:
        live[state] = live.get(state, 0) + n
    stored = session.execute(text("SELECT coalesce(sum(messages), 0) FROM ingest_counts")).scalar_one()
    dead = session.execute(text("SELECT count(*) FROM dead_letters")).scalar_one()
    return {"live": live, "messages_stored": int(stored), "dead_letters": int(dead)}
