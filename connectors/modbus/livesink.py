"""Where the poller's readings go: :class:`assets.live.writer.LiveWriter`, like every MQTT message.

:class:`WriterSink` batches readings and events and writes them with the LiveWriter (telemetry history,
live state, ``last_seen``), then records each device's ``expected_interval_s`` in ``live_state`` (for
silence detection). A :class:`~connectors.modbus.poller.StateMark` is not something the device said,
so it does not go through the writer (which would move ``last_seen``, "when CityPilot last heard from
the device"): one statement sets the state ``unreachable`` (``state_since`` = the mark's time, unless the
device told a newer state meanwhile), stores an ``unreachable`` device event with the reason, and
announces the change on ``citypilot_live`` like the writer does (``{"type": "state", ..., "reason"}``).
"""

from __future__ import annotations

import json
import logging
import math
import threading

from assets.live.channels import LIVE_CHANNEL
from assets.live.records import Event, Reading
from assets.live.writer import LiveWriter, WriteResult
from connectors.modbus.poller import SOURCE, StateMark

log = logging.getLogger(__name__)

_INTERVALS_SQL = """
UPDATE live_state l SET expected_interval_s = u.s
FROM unnest(%s::int8[], %s::int4[]) AS u(id, s)
WHERE l.asset_id = u.id AND l.expected_interval_s IS DISTINCT FROM u.s
"""

_MARK_SQL = """
WITH m AS (
    SELECT * FROM unnest(%(ids)s::int8[], %(ts)s::timestamptz[], %(reasons)s::text[], %(intervals)s::int4[],
                         %(details)s::jsonb[]) AS m(asset_id, ts, reason, interval_s, detail)
), prev AS (
    SELECT l.asset_id, l.state FROM live_state l JOIN m USING (asset_id)
), up AS (
    INSERT INTO live_state AS l (asset_id, state, state_ts, state_since, ts, last_seen, expected_interval_s, source)
    SELECT asset_id, 'unreachable', ts, ts, ts, ts, interval_s, %(source)s FROM m ORDER BY asset_id
    ON CONFLICT (asset_id) DO UPDATE SET
        state = 'unreachable',
        state_since = CASE WHEN l.state <> 'unreachable' THEN excluded.state_ts ELSE l.state_since END,
        state_ts = excluded.state_ts,
        expected_interval_s = excluded.expected_interval_s
    WHERE l.state_ts IS NULL OR l.state_ts <= excluded.state_ts
    RETURNING l.asset_id, l.state, l.state_since, l.ts
), ev AS (
    INSERT INTO device_events (asset_id, ts, name, detail, source)
    SELECT asset_id, ts, 'unreachable', detail, %(source)s FROM m
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


class WriterSink:
    """The poller's output into PostGIS through a :class:`LiveWriter` (flushed from one thread)."""

    def __init__(self, writer: LiveWriter, max_pending: int = 500_000) -> None:
        self.writer = writer
        self.max_pending = max_pending
        self.written = WriteResult()
        self.marks_written = 0
        self._lock = threading.Lock()
        self._records: list[Reading | Event] = []
        self._marks: list[StateMark] = []
        self._intervals: dict[int, int] = {}
        self._recorded: dict[int, int] = {}

    def reading(self, reading: Reading, interval_s: float) -> None:
        with self._lock:
            self._records.append(reading)
            seconds = interval_column(interval_s)
            if self._recorded.get(reading.asset_id) != seconds:
                self._intervals[reading.asset_id] = seconds

    def event(self, event: Event) -> None:
        with self._lock:
            self._records.append(event)

    def mark(self, mark: StateMark) -> None:
        with self._lock:
            self._marks.append(mark)

    def pending(self) -> int:
        with self._lock:
            return len(self._records) + len(self._marks)

    def flush(self) -> None:
        """Store what is pending; on a database error keep it for the next flush (up to ``max_pending``)
        and raise."""
        with self._lock:
            records, marks, intervals = self._records, self._marks, self._intervals
            self._records, self._marks, self._intervals = [], [], {}
        if not (records or marks or intervals):
            return
        try:
            if records:
                self.written.add(self.writer.write(records))
                records = []
            conn = self.writer.connection()
            if intervals:
                conn.execute(_INTERVALS_SQL, (list(intervals), list(intervals.values())))
                self._recorded.update(intervals)
                intervals = {}
            if marks:
                conn.execute(_MARK_SQL, {
                    "ids": [m.asset_id for m in marks], "ts": [m.ts for m in marks],
                    "reasons": [m.reason for m in marks], "intervals": [interval_column(m.interval_s) for m in marks],
                    "details": [json.dumps({"reason": m.reason, "failures": m.failures, "endpoint": m.endpoint,
                                            "source": SOURCE}) for m in marks],
                    "source": SOURCE, "channel": LIVE_CHANNEL,
                })
                self.marks_written += len(marks)
                marks = []
        except Exception:
            with self._lock:
                self._records[:0] = records
                self._marks[:0] = marks
                for asset_id, seconds in intervals.items():
                    self._intervals.setdefault(asset_id, seconds)
                dropped = len(self._records) - self.max_pending
                if dropped > 0:
                    del self._records[:dropped]
                    log.warning("modbus: %d readings dropped (the database has been failing)", dropped)
            raise


class MemorySink:
    """Keeps everything in memory (``citypilot modbus read`` and tests)."""

    def __init__(self) -> None:
        self.readings: list[Reading] = []
        self.events: list[Event] = []
        self.marks: list[StateMark] = []

    def reading(self, reading: Reading, interval_s: float) -> None:
        self.readings.append(reading)

    def event(self, event: Event) -> None:
        self.events.append(event)

    def mark(self, mark: StateMark) -> None:
        self.marks.append(mark)

    def flush(self) -> None:
        pass
