"""Phone trackers over HTTP, OsmAnd style (Traccar's OsmAnd protocol): a small WSGI app.

``GET`` or ``POST /?id=TRACKER&lat=..&lon=..&timestamp=..&speed=..&bearing=..&altitude=..&accuracy=..``
(parameters in the query string or a form body). ``speed`` is in knots, as OsmAnd sends it;
``timestamp`` in Unix seconds (or milliseconds) or RFC 3339. The answer comes once the position is
stored: ``200 OK``; ``400`` with the reason when the request cannot be read (it is also kept as a
dead letter); ``503`` when the ingest could not store it in time (the phone sends it again: a
position is stored once per tracker and time).

:class:`OsmAndApp` is the WSGI application (the web app can mount it); :class:`OsmAndConnector`
serves it on its own port inside ``citypilot ingest --osmand-port``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from assets.live.devices import DirectoryUnavailable
from assets.live.records import Position, Record, message_key
from connectors.base import ConfigError, Connector, Delivery, FormatError, Sink
from connectors.registry import register_connector

log = logging.getLogger(__name__)

NAME = "osmand"
KNOT_KMH = 1.852
MAX_BODY = 16 * 1024


def parse_request(params: Mapping[str, str], lookup: Callable[[str], Any], received_at: float) -> Position:
    """A Position from OsmAnd parameters; FormatError naming the parameter otherwise."""
    tracker = params.get("id") or params.get("deviceid")
    if not tracker:
        raise FormatError("id: missing (the tracker id)", NAME)
    lat = _number(params, "lat", required=True)
    lon = _number(params, "lon", required=True)
    if not -90 <= lat <= 90:  # type: ignore[operator]
        raise FormatError(f"lat: {lat} is outside -90..90", NAME)
    if not -180 <= lon <= 180:  # type: ignore[operator]
        raise FormatError(f"lon: {lon} is outside -180..180", NAME)
    ts = _timestamp(params.get("timestamp"), received_at)
    device = lookup(tracker)
    if device is None:
        raise FormatError(f"id: unknown tracker {tracker[:64]!r}", NAME)
    speed = _number(params, "speed")
    return Position(
        device.asset_id, ts, lon, lat,  # type: ignore[arg-type]
        speed_kmh=None if speed is None else round(speed * KNOT_KMH, 3),
        heading_deg=_number(params, "bearing") if "bearing" in params else _number(params, "heading"),
        altitude_m=_number(params, "altitude"), accuracy_m=_number(params, "accuracy"),
        key=message_key(NAME, tracker.upper(), ts.isoformat()), source=NAME,
    )


def _number(params: Mapping[str, str], name: str, *, required: bool = False) -> float | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise FormatError(f"{name}: missing", NAME)
        return None
    try:
        value = float(raw)
    except ValueError:
        raise FormatError(f"{name}: {raw[:40]!r} is not a number", NAME) from None
    if not math.isfinite(value):
        raise FormatError(f"{name}: {raw[:40]!r} is not a finite number", NAME)
    return value


def _timestamp(raw: str | None, received_at: float) -> dt.datetime:
    if raw is None or raw == "":
        return dt.datetime.fromtimestamp(received_at, dt.UTC)
    try:
        seconds = float(raw)
    except ValueError:
        try:
            ts = dt.datetime.fromisoformat(raw.replace(" ", "T"))
        except ValueError:
            raise FormatError(f"timestamp: {raw[:40]!r} is neither Unix time nor RFC 3339", NAME) from None
        return (ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    if not math.isfinite(seconds):
        raise FormatError(f"timestamp: {raw[:40]!r} is not a time", NAME)
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise FormatError(f"timestamp: {raw[:40]!r} is out of range", NAME) from None


class OsmAndApp:
    """The WSGI application: each request becomes a delivery of ``connector`` put into ``sink``; the
    answer waits (``timeout_s`` at most) until the ingest stored it."""

    def __init__(self, connector: OsmAndConnector, sink: Sink, timeout_s: float = 10.0) -> None:
        self.connector = connector
        self.sink = sink
        self.timeout_s = timeout_s

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "POST"):
            return _answer(start_response, "405 Method Not Allowed", "GET or POST\n")
        raw = environ.get("QUERY_STRING", "").encode("latin-1")
        if method == "POST":
            try:
                length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
            except ValueError:
                length = 0
            body = environ["wsgi.input"].read(length) if length else b""
            raw = b"&".join(p for p in (raw, body) if p)
        received_at = time.time()
        params = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}
        try:
            records: list[Record] | FormatError = [parse_request(params, self.connector.lookup, received_at)]
        except FormatError as exc:
            records = exc
        except DirectoryUnavailable:
            return _answer(start_response, "503 Service Unavailable", "the inventory is unavailable, send it again\n")
        stored = threading.Event()
        outcome: list[str | None] = [None]

        def done(error: str | None) -> None:
            outcome[0] = error
            stored.set()

        path = environ.get("PATH_INFO") or "/"
        self.sink.put(Delivery(self.connector, f"http:{path}", raw, received_at, records, done))
        if not stored.wait(self.timeout_s):
            return _answer(start_response, "503 Service Unavailable", "not stored yet, send it again\n")
        if isinstance(records, FormatError):
            return _answer(start_response, "400 Bad Request", records.reason + "\n")
        if outcome[0] is not None:
            return _answer(start_response, "503 Service Unavailable", outcome[0] + "\n")
        return _answer(start_response, "200 OK", "OK\n")


def _answer(start_response: Callable, status: str, text: str) -> list[bytes]:
    body = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        log.debug("osmand: " + format, *args)


@register_connector
class OsmAndConnector(Connector):
    """Serves the OsmAnd HTTP protocol on ``host``:``port`` for phone trackers."""

    name = NAME
    description = "phone trackers over HTTP (OsmAnd / Traccar Client protocol)"

    def __init__(self, config: Mapping[str, Any], *, label: str | None = None, devices: Any = None) -> None:
        super().__init__({"host": "127.0.0.1", "port": 5055, "timeout_s": 10.0, **config}, label=label,
                         devices=devices)
        self._server: WSGIServer | None = None
        self.ready = threading.Event()

    @classmethod
    def check_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        merged = {"host": "127.0.0.1", "port": 5055, "timeout_s": 10.0, **config}
        port = merged["port"]
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigError("port", f"expected a port number, got {port!r}")
        try:
            with socket.create_server((merged["host"], port)):
                pass
        except OSError as exc:
            raise ConfigError("port", f"cannot listen on {merged['host']}:{port}: {exc.strerror or exc}") from None
        return merged

    def lookup(self, device_id: str) -> Any:
        return self.devices.lookup(device_id) if self.devices is not None else None

    def app(self, sink: Sink) -> OsmAndApp:
        return OsmAndApp(self, sink, float(self.config["timeout_s"]))

    def run(self, sink: Sink) -> None:
        self._server = make_server(
            self.config["host"], int(self.config["port"]), self.app(sink),
            server_class=_ThreadingServer, handler_class=_QuietHandler,
        )
        self.config["port"] = self._server.server_port  # port 0: the one the system chose
        self.ready.set()
        log.info("osmand: listening on http://%s:%s/", self.config["host"], self.config["port"])
        self._server.serve_forever(poll_interval=0.5)
        self._server.server_close()

    def stop(self) -> None:
        if self._server is not None:
            threading.Thread(target=self._server.shutdown, daemon=True).start()

    def parse(self, delivery: Delivery) -> list[Record]:
        if isinstance(delivery.token, FormatError):
            raise delivery.token
        if isinstance(delivery.token, list):
            return delivery.token
        params = {k: v[-1] for k, v in parse_qs(delivery.payload.decode("utf-8", "replace")).items()}
        return [parse_request(params, self.lookup, delivery.received_at)]
