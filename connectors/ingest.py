"""The ingest: connectors → bounded buffer → parse → batched write → acknowledge, losing nothing.

Three threads per process besides the connectors' own: connectors put deliveries into a bounded
buffer (``put`` blocks when full; an MQTT connector's receive-maximum window keeps it from ever
filling); the parse stage takes batches (``batch_size`` deliveries, or whatever came within
``flush_ms`` of the first), turns them into records or dead letters; the write stage stores each
batch in one transaction and only then acknowledges its deliveries, in order.

Failures: a database or directory outage is retried with back-off until it comes back (nothing is
acknowledged meanwhile, so the broker keeps the messages); a batch the database refuses for its data
is split in halves until the offending message is found, which becomes a dead letter with the
database's reason. The ingest never dies on bad input.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import psycopg
from sqlalchemy import Engine

from assets.live.devices import DirectoryUnavailable
from assets.live.partitions import maintain
from assets.live.records import DeadLetter, Record
from assets.live.writer import LiveWriter, WriteResult
from connectors.base import Connector, Delivery, FormatError

log = logging.getLogger(__name__)

#: Errors that are the data's fault: the batch is split to find the message that causes them.
DATA_ERRORS = (psycopg.errors.DataError, psycopg.errors.IntegrityError)


def _transient(exc: Exception) -> bool:
    """A row routed to the default partition while a dated partition was being attached (partition
    maintenance in another session): not the data's fault, the same batch succeeds when retried."""
    return "violates partition constraint" in str(exc)


class Buffer:
    """A bounded FIFO of deliveries: ``put`` blocks while full; ``take`` hands out batches."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: deque[Delivery] = deque()
        self._cond = threading.Condition()
        self.closed = False

    def __len__(self) -> int:
        return len(self._items)

    def put(self, delivery: Delivery) -> None:
        with self._cond:
            while len(self._items) >= self.capacity and not self.closed:
                self._cond.wait(0.5)
            self._items.append(delivery)
            if len(self._items) == 1:
                self._cond.notify_all()

    def take(self, max_items: int, flush_s: float, idle_s: float = 0.5) -> list[Delivery]:
        """Up to ``max_items`` deliveries: returns when that many are there, or ``flush_s`` after the
        first arrived; an empty list after ``idle_s`` with nothing (or once closed and empty)."""
        with self._cond:
            if not self._items:
                self._cond.wait(idle_s)
                if not self._items:
                    return []
            if len(self._items) < max_items:
                deadline = self._items[0].received_at + flush_s
                while len(self._items) < max_items and not self.closed:
                    remaining = deadline - time.time()
                    if remaining <= 0:
                        break
                    self._cond.wait(min(remaining, 0.05))
            n = min(max_items, len(self._items))
            batch = [self._items.popleft() for _ in range(n)]
            self._cond.notify_all()
            return batch

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


@dataclass
class IngestStats:
    """Running totals since the ingest started."""

    received: int = 0
    acknowledged: int = 0
    batches: int = 0
    written: WriteResult = field(default_factory=WriteResult)
    retries: int = 0
    started: float = field(default_factory=time.monotonic)


Parsed = list[tuple[Delivery, list[Record]]]


class Ingest:
    """Runs connectors into the database through one :class:`LiveWriter`; ``run()`` blocks until
    ``stop()``. ``put`` is the connectors' sink."""

    def __init__(
        self,
        engine: Engine,
        connectors: Sequence[Connector],
        writer: LiveWriter,
        *,
        batch_size: int = 2000,
        flush_ms: int = 100,
        buffer_capacity: int | None = None,
        maintenance_every_s: float = 3600.0,
        on_batch: Callable[[WriteResult], None] | None = None,
    ) -> None:
        self.engine = engine
        self.connectors = list(connectors)
        self.writer = writer
        self.batch_size = batch_size
        self.flush_s = flush_ms / 1000
        windows = sum(int(c.config.get("receive_maximum", 0)) for c in self.connectors)
        self.buffer = Buffer(buffer_capacity or max(windows + batch_size, 4 * batch_size))
        self.maintenance_every_s = maintenance_every_s
        self.on_batch = on_batch
        self.stats = IngestStats()
        self._parsed: queue.Queue[Parsed | None] = queue.Queue(maxsize=2)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- sink ---------------------------------------------------------------------------------------
    def put(self, delivery: Delivery) -> None:
        self.stats.received += 1
        self.buffer.put(delivery)

    # -- life cycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Make today's partitions, then start the stages and the connectors in background threads."""
        first_wait = self.maintenance_every_s
        try:
            maintain(self.engine)
        except Exception as exc:  # the database may be down: the maintenance thread tries again soon
            log.warning("partition maintenance failed (retried in a minute): %s", exc)
            first_wait = min(60.0, first_wait)
        self._spawn("ingest-maintenance", self._maintenance_loop, first_wait)
        self._spawn("ingest-parse", self._parse_loop)
        self._spawn("ingest-write", self._write_loop)
        for connector in self.connectors:
            self._spawn(f"connector-{connector.label}", connector.run, self)

    def run(self) -> None:
        """Start, then block until :meth:`stop` (from a signal handler or another thread)."""
        self.start()
        while not self._stopping.wait(1.0):
            pass
        self.join()

    def stop(self) -> None:
        """Stop receiving; what is not stored yet is not acknowledged (the broker delivers it again)."""
        self._stopping.set()
        for connector in self.connectors:
            try:
                connector.stop()
            except Exception:
                log.exception("stopping connector %s", connector.label)
        self.buffer.close()

    @property
    def pending(self) -> int:
        """Messages received and not yet stored and acknowledged."""
        return self.stats.received - self.stats.acknowledged

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds; True once the ingest is stopping."""
        return self._stopping.wait(timeout)

    def join(self, timeout: float = 10.0) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def _spawn(self, name: str, target: Callable, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    # -- stages -------------------------------------------------------------------------------------
    def _maintenance_loop(self, first_wait: float) -> None:
        if self._stopping.wait(first_wait):
            return
        while not self._stopping.is_set():
            try:
                report = maintain(self.engine)
                if report.created or report.dropped or report.deleted_rows:
                    log.info("partitions: created %s, dropped %s, deleted %s",
                             report.created, report.dropped, report.deleted_rows)
            except Exception as exc:
                log.warning("partition maintenance failed (retried later): %s", exc)
                if self._stopping.wait(60):
                    return
                continue
            if self._stopping.wait(self.maintenance_every_s):
                return

    def _parse_loop(self) -> None:
        while not self._stopping.is_set():
            batch = self.buffer.take(self.batch_size, self.flush_s)
            if not batch:
                continue
            parsed = [(d, self._parse(d)) for d in batch]
            while not self._stopping.is_set():
                try:
                    self._parsed.put(parsed, timeout=0.5)
                    break
                except queue.Full:
                    continue

    def _parse(self, delivery: Delivery) -> list[Record]:
        delay = 0.5
        while True:
            try:
                return delivery.connector.parse(delivery)
            except FormatError as exc:
                return [self._dead(delivery, exc.reason, exc.format)]
            except DirectoryUnavailable as exc:
                if self._stopping.is_set():
                    return [self._dead(delivery, f"not read: the ingest stopped ({exc})", None)]
                log.warning("%s; retrying in %.1f s", exc, delay)
                self.stats.retries += 1
                time.sleep(delay)
                delay = min(delay * 2, 10)
            except Exception as exc:
                log.exception("parsing %s failed", delivery.topic)
                return [self._dead(delivery, f"internal error while parsing: {type(exc).__name__}: {exc}", None)]

    @staticmethod
    def _dead(delivery: Delivery, reason: str, fmt: str | None) -> DeadLetter:
        return DeadLetter(
            delivery.topic, delivery.payload, reason, fmt, delivery.connector.label,
            dt.datetime.fromtimestamp(delivery.received_at, dt.UTC),
        )

    def _write_loop(self) -> None:
        while True:
            try:
                parsed = self._parsed.get(timeout=0.5)
            except queue.Empty:
                if self._stopping.is_set():
                    return
                continue
            if parsed is None:
                return
            result = self._store(parsed)
            if result is None:  # stopping while the database was away: not acknowledged
                return
            self._acknowledge([d for d, _ in parsed], None)
            self.stats.batches += 1
            self.stats.written.add(result)
            if self.on_batch is not None:
                self.on_batch(result)

    def _store(self, parsed: Parsed) -> WriteResult | None:
        """Write a batch, retrying while the database is away and isolating refused messages."""
        delay = 0.2
        while not self._stopping.is_set():
            try:
                return self.writer.write(r for _, records in parsed for r in records)
            except DATA_ERRORS as exc:
                if not _transient(exc):
                    return self._isolate(parsed, exc)
                self.stats.retries += 1
                log.info("batch raced a partition being attached; retrying")
            except (psycopg.Error, OSError) as exc:
                self.stats.retries += 1
                log.warning("database write failed (%s); retrying in %.1f s", str(exc).strip()[:200], delay)
                self.writer.close()
                if self._stopping.wait(delay):
                    return None
                delay = min(delay * 2, 5.0)
        return None

    def _isolate(self, parsed: Parsed, exc: Exception) -> WriteResult | None:
        if len(parsed) == 1:
            delivery, records = parsed[0]
            if len(records) == 1 and isinstance(records[0], DeadLetter):  # even the dead letter was refused
                log.error("dropping a message the database refuses even as a dead letter (%s): topic %r payload %r",
                          exc, delivery.topic, delivery.payload[:200])
                return WriteResult()
            reason = f"database refused it: {str(exc).strip().splitlines()[0][:300]}"
            return self._store([(delivery, [self._dead(delivery, reason, None)])])
        half = len(parsed) // 2
        total = WriteResult()
        for part in (parsed[:half], parsed[half:]):
            result = self._store(part)
            if result is None:
                return None
            total.add(result)
        return total

    def _acknowledge(self, deliveries: list[Delivery], error: str | None) -> None:
        by_connector: dict[int, tuple[Connector, list[Delivery]]] = {}
        self.stats.acknowledged += len(deliveries)
        for d in deliveries:
            by_connector.setdefault(id(d.connector), (d.connector, []))[1].append(d)
            if d.done is not None:
                d.done(error)
        for connector, mine in by_connector.values():
            try:
                connector.acknowledge(mine)
            except Exception:
                log.exception("acknowledging to %s failed", connector.label)
