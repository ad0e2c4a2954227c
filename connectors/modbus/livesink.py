"""Where the poller's readings go: :class:`assets.live.writer.LiveWriter`, like every MQTT message.

:class:`WriterSink` batches the poller's output as typed records (:func:`as_records`: readings with
their poll interval when it changed, events, :class:`~assets.live.records.Unreachable` marks) and
writes them with the LiveWriter, the one writer path (telemetry history, live state, ``last_seen``,
expected intervals, unreachable marks: ``assets.live.marks``). The ``modbus`` connector hands the same
records to the ingest.
"""

from __future__ import annotations

import logging
import threading

from assets.live.marks import interval_column
from assets.live.records import Event, Reading, Record, Unreachable
from assets.live.writer import LiveWriter, WriteResult
from connectors.modbus.poller import SOURCE, StateMark

log = logging.getLogger(__name__)


class IntervalMemo:
    """Sets a reading's ``interval_s`` only when it differs from the last one given for its device."""

    def __init__(self) -> None:
        self._given: dict[int, int] = {}

    def stamp(self, reading: Reading, interval_s: float) -> Reading:
        seconds = interval_column(interval_s)
        if self._given.get(reading.asset_id) != seconds:
            self._given[reading.asset_id] = seconds
            reading.interval_s = seconds
        return reading

    def forget(self, asset_ids: list[int]) -> None:
        """Give these again next time (their write failed)."""
        for asset_id in asset_ids:
            self._given.pop(asset_id, None)


def mark_record(mark: StateMark) -> Unreachable:
    """The poller's state mark as the record the writer stores."""
    return Unreachable(mark.asset_id, mark.ts, mark.reason, mark.failures, interval_column(mark.interval_s),
                       mark.endpoint, SOURCE)


class WriterSink:
    """The poller's output into PostGIS through a :class:`LiveWriter` (flushed from one thread)."""

    def __init__(self, writer: LiveWriter, max_pending: int = 500_000) -> None:
        self.writer = writer
        self.max_pending = max_pending
        self.written = WriteResult()
        self._lock = threading.Lock()
        self._records: list[Record] = []
        self._intervals = IntervalMemo()

    @property
    def marks_written(self) -> int:
        return self.written.unreachable

    def reading(self, reading: Reading, interval_s: float) -> None:
        with self._lock:
            self._records.append(self._intervals.stamp(reading, interval_s))

    def event(self, event: Event) -> None:
        with self._lock:
            self._records.append(event)

    def mark(self, mark: StateMark) -> None:
        with self._lock:
            self._records.append(mark_record(mark))

    def pending(self) -> int:
        with self._lock:
            return len(self._records)

    def flush(self) -> None:
        """Store what is pending; on a database error keep it for the next flush (up to ``max_pending``)
        and raise."""
        with self._lock:
            records, self._records = self._records, []
        if not records:
            return
        try:
            self.written.add(self.writer.write(records))
        except Exception:
            with self._lock:
                self._records[:0] = records
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
