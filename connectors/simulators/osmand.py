"""Phone trackers: OsmAnd-style HTTP GETs (``/?id=..&lat=..&lon=..&timestamp=..&speed=..&bearing=..``)
sent by one background thread over a kept-alive connection, so a slow or absent server never holds
up the simulator (a full queue drops fixes, as a phone without network would)."""

from __future__ import annotations

import contextlib
import http.client
import logging
import queue
import threading
import time
from urllib.parse import urlsplit

from connectors.simulators.fleet_model import SimulationError

log = logging.getLogger(__name__)


class OsmandSender:
    """Sends query strings to one OsmAnd endpoint."""

    def __init__(self, url: str, max_queue: int = 2000, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SimulationError(f"--osmand-url {url!r}: expected http://host:port/path")
        self.url = url
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = parts.path or "/"
        self._fixed_query = parts.query
        self._timeout = timeout
        self._queue: queue.Queue[str | None] = queue.Queue(max_queue)
        self._conn: http.client.HTTPConnection | None = None
        self.sent = self.failed = self.dropped = 0
        self._last_warning = 0.0
        self._thread = threading.Thread(target=self._run, name="osmand-sender", daemon=True)
        self._thread.start()

    def submit(self, query: str) -> None:
        try:
            self._queue.put_nowait(query)
        except queue.Full:
            self.dropped += 1

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued (up to ``timeout``) and stop."""
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=timeout)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            query = self._queue.get()
            if query is None:
                break
            target = f"{self._path}?{self._fixed_query + '&' if self._fixed_query else ''}{query}"
            try:
                status = self._get(target)
            except (OSError, http.client.HTTPException) as exc:
                self._drop_connection()
                try:  # a kept-alive connection the server closed: one retry on a fresh one
                    status = self._get(target)
                except (OSError, http.client.HTTPException):
                    self._drop_connection()
                    self._fail(f"{type(exc).__name__}: {exc}")
                    continue
            if 200 <= status < 300:
                self.sent += 1
            else:
                self._fail(f"HTTP {status}")
        self._drop_connection()

    def _get(self, target: str) -> int:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self._timeout)
        self._conn.request("GET", target)
        response = self._conn.getresponse()
        response.read()
        if response.will_close:
            self._drop_connection()
        return response.status

    def _drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _fail(self, reason: str) -> None:
        self.failed += 1
        now = time.monotonic()
        if now - self._last_warning > 30:
            self._last_warning = now
            log.warning("osmand: %s answered %s (%d failed so far)", self.url, reason, self.failed)
