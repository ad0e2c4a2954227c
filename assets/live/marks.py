"""What the live writer stores besides what devices said: ``unreachable`` marks and report intervals.

An :class:`~assets.live.records.Unreachable` mark is not a message, so it does not move ``last_seen``
("when CityPilot last heard from the device"): one statement sets the state ``unreachable``
(``state_since`` = the mark's time, unless the device told a newer state meanwhile), stores an
``unreachable`` device event with the reason, and announces the change on ``citypilot_live`` like
the upsert of readings does (``{"type": "state", ..., "reason"}``). A reading's ``interval_s`` is
recorded as ``live_state.expected_interval_s`` (silence detection), written only when it changes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import psycopg

from assets.live.channels import LIVE_CHANNEL
from assets.live.records import Unreachable

_INTERVALS_SQL = """
UPDATE live_state l SET expected_interval_s = u.s
FROM unnest(%s::int8[], %s::int4[]) AS u(id, s)
WHERE l.asset_id = u.id AND l.expected_interval_s IS DISTINCT FROM u.s
"""

_UNREACHABLE_SQL = """
WITH m AS (
    SELECT * FROM unnest(%(ids)s::int8[], %(ts)s::timestamptz[], %(reasons)s::text[], %(intervals)s::int4[],
                         %(details)s::jsonb[], %(sources)s::text[]) AS m(asset_id, ts, reason, interval_s, detail, src)
), prev AS (
    SELECT l.asset_id, l.state FROM live_state l JOIN m USING (asset_id)
), up AS (
    INSERT INTO live_state AS l (asset_id, state, state_ts, state_since, ts, last_seen, expected_interval_s, source)
    SELECT asset_id, 'unreachable', ts, ts, ts, ts, interval_s, src FROM m ORDER BY asset_id
    ON CONFLICT (asset_id) DO UPDATE SET
        state = 'unreachable',
        state_since = CASE WHEN l.state <> 'unreachable' THEN excluded.state_ts ELSE l.state_since END,
        state_ts = excluded.state_ts,
        expected_interval_s = coalesce(excluded.expected_interval_s, l.expected_interval_s)
    WHERE l.state_ts IS NULL OR l.state_ts <= excluded.state_ts
    RETURNING l.asset_id, l.state, l.state_since, l.ts
), ev AS (
    INSERT INTO device_events (asset_id, ts, name, detail, source)
    SELECT asset_id, ts, 'unreachable', detail, src FROM m
)
SELECT count(pg_notify(%(channel)s, json_build_object(
           'type', 'state', 'asset_id', up.asset_id, 'kind', a.kind, 'state', up.state, 'previous', prev.state,
           'since', up.state_since, 'ts', up.ts, 'reason', m.reason)::text))
  FROM up JOIN assets a ON a.id = up.asset_id JOIN m ON m.asset_id = up.asset_id
  LEFT JOIN prev ON prev.asset_id = up.asset_id
 WHERE prev.state IS DISTINCT FROM up.state
"""


def interval_column(interval_s: float) -> int:
    """``expected_interval_s`` is whole seconds: rounded up, at least 1."""
    return max(1, math.ceil(interval_s))


def write_intervals(cur: psycopg.Cursor, intervals: dict[int, int]) -> None:
    """Record each asset's expected report interval (seconds)."""
    if intervals:
        cur.execute(_INTERVALS_SQL, (list(intervals), list(intervals.values())))


def write_unreachable(cur: psycopg.Cursor, marks: Sequence[Unreachable]) -> None:
    """Mark devices unreachable, with their ``unreachable`` events and the live announcements."""
    if not marks:
        return
    cur.execute(_UNREACHABLE_SQL, {
        "ids": [m.asset_id for m in marks], "ts": [m.ts for m in marks], "reasons": [m.reason for m in marks],
        "intervals": [m.interval_s for m in marks],
        "details": [json.dumps({"reason": m.reason, "failures": m.failures, "endpoint": m.endpoint,
                                "source": m.source}) for m in marks],
        "sources": [m.source for m in marks], "channel": LIVE_CHANNEL,
    })
