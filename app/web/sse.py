"""``/api/v1/stream``: live changes as server-sent events, read from PostgreSQL LISTEN/NOTIFY.

Whoever changes live data notifies, in the transaction that makes the change (so only committed
changes are announced), on the channel :data:`LIVE_CHANNEL` with a JSON payload (< 8000 bytes)::

    SELECT pg_notify('citypilot_live', '{"type": "state", "asset_id": 42, "state": "fault", ...}')

``type`` is the SSE event name: ``state`` (an asset's live state changed: ``asset_id``, ``kind``, ``state``,
``previous``, ``since``, ``ts``), ``position`` (a vehicle moved: ``asset_id``, ``lon``, ``lat``, ``speed_kmh``,
``heading_deg``, ``ts``), ``alarm`` on :data:`ALARM_CHANNEL` (``action`` raised, grouped, ungrouped,
acknowledged or cleared, and the ``alarm`` item: docs/CONTROL.md), ``command`` on :data:`COMMAND_CHANNEL`
(``id``, ``state``, ``asset_id``, ``target_state``: a command or one of its devices changed). Each web worker
holds one listening connection and fans events out to its streams; a stream too slow to keep up gets a
``resync`` event (fetch the snapshot again), as does every stream after the listener lost the database.
Vehicle positions go only to the roles :func:`assets.privacy.may_see_positions` allows; a crew member's stream
carries only its crews' ``order`` and ``escalation`` events (``crew_id`` or ``previous_crew_id`` one of them).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from flask import Blueprint, Flask, current_app
from sqlalchemy import Engine
from werkzeug.wrappers import Response

from app.web.auth.guard import current_identity
from app.web.auth.roles import STAFF, requires
from app.web.db import engine, state
from app.web.errors import ApiError
from app.web.openapi import API_PREFIX, Reply, operation
from assets.db import unit_of_work
from assets.live.channels import ALARM_CHANNEL, COMMAND_CHANNEL, LIVE_CHANNEL
from assets.models import User
from assets.privacy import may_see_positions
from fieldservice.access import visible_crews

log = logging.getLogger(__name__)

CHANNELS = (LIVE_CHANNEL, ALARM_CHANNEL, COMMAND_CHANNEL)
QUEUE_SIZE = 10_000
REAUTH_S = 60.0
_RESYNC = {"type": "resync"}
_END: dict[str, Any] = {"type": "end"}  # the server stops: streams end, clients reconnect (to another worker)
_HUBS: weakref.WeakSet[StreamHub] = weakref.WeakSet()


#: Events about one order: a crew member's stream carries only its crews' (now or just before).
ORDER_EVENTS = ("order", "escalation")


@dataclass(eq=False)
class Subscriber:
    """One open stream: its queue of events and what its role may see (``crews``: the crews whose order
    events it gets, None for every crew)."""

    role: str
    crews: frozenset[int] | None = None
    events: queue.Queue[dict[str, Any]] = field(default_factory=lambda: queue.Queue(QUEUE_SIZE))
    behind: bool = False

    def offer(self, event: dict[str, Any]) -> None:
        if event.get("type") == "position" and not may_see_positions(self.role):
            return
        if self.crews is not None and event.get("type") in ORDER_EVENTS and not (
                {event.get("crew_id"), event.get("previous_crew_id")} & self.crews):
            return
        try:
            self.events.put_nowait(event)
        except queue.Full:
            if event is _END:
                self.events.get_nowait()
                self.events.put_nowait(event)
            self.behind = True


class StreamHub:
    """One LISTEN connection per worker process, fanning notifications out to the open streams."""

    def __init__(self, dsn: str, channels: tuple[str, ...] = CHANNELS) -> None:
        self.dsn = dsn
        self.channels = channels
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        _HUBS.add(self)

    def subscribe(self, role: str, timeout: float = 10.0, crews: frozenset[int] | None = None) -> Subscriber:
        """A new stream; waits until the listener is listening (so no later event is missed)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="citypilot-stream", daemon=True)
                self._thread.start()
            subscriber = Subscriber(role, crews)
            self._subscribers.add(subscriber)
        if not self._ready.wait(timeout):
            self.unsubscribe(subscriber)
            raise ApiError(503, "the live stream cannot reach the database")
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    def close(self) -> None:
        """Stop listening and end every open stream."""
        self._stop.set()
        self._broadcast(_END)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _broadcast(self, event: dict[str, Any]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber.offer(event)

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True) as conn:
                    for channel in self.channels:
                        conn.execute(f'LISTEN "{channel}"')
                    if not self._ready.is_set():
                        self._ready.set()
                    delay = 0.5
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._dispatch(note.channel, note.payload)
            except psycopg.Error as exc:
                log.warning("live stream listener lost the database (%s); retrying", exc)
            if self._stop.is_set():
                break
            self._ready.clear()
            self._broadcast(_RESYNC)
            time.sleep(delay)
            delay = min(delay * 2, 10.0)

    def _dispatch(self, channel: str, payload: str) -> None:
        try:
            event = json.loads(payload)
        except json.JSONDecodeError:
            log.warning("ignored a notification on %s that is not JSON: %.80s", channel, payload)
            return
        if not isinstance(event, dict):
            return
        event.setdefault("type", "alarm" if channel == ALARM_CHANNEL else "state")
        self._broadcast(event)


_HUB_LOCK = threading.Lock()


def hub() -> StreamHub:
    """This app's hub, started on the first stream."""
    extensions = current_app.extensions
    with _HUB_LOCK:
        found = extensions.get("citypilot_stream")
        if found is None:
            dsn = engine().url.set(drivername="postgresql").render_as_string(hide_password=False)
            found = extensions["citypilot_stream"] = StreamHub(dsn)
            state().closers.append(found.close)
    return found


def close_streams() -> None:
    """End every stream of this process (a worker shutting down: its streams must not hold it up)."""
    for found in list(_HUBS):
        found.close()


def format_event(event: dict[str, Any]) -> str:
    """One server-sent event: its name is the payload's ``type``, its data the payload."""
    name = str(event.get("type", "message")).replace("\n", " ")
    return f"event: {name}\ndata: {json.dumps(event, separators=(',', ':'), default=str)}\n\n"


def _still_allowed(db: Engine, user_id: int | None) -> bool:
    with unit_of_work(db, None) as session:
        user = session.get(User, user_id)
        return user is not None and not user.disabled


def event_stream(
    source: StreamHub, subscriber: Subscriber, db: Engine, user_id: int | None, heartbeat_s: float
) -> Iterator[str]:
    """The text of the stream: events as they come, a comment to keep the line open, checks that the
    user is still enabled."""
    try:
        yield "retry: 5000\n: connected\n\n"
        checked = time.monotonic()
        while True:
            if subscriber.behind:
                subscriber.behind = False
                while not subscriber.events.empty():
                    subscriber.events.get_nowait()
                yield format_event(_RESYNC)
            try:
                event = subscriber.events.get(timeout=heartbeat_s)
            except queue.Empty:
                yield ": keepalive\n\n"
            else:
                if event is _END:
                    return
                yield format_event(event)
            if time.monotonic() - checked > REAUTH_S:
                if not _still_allowed(db, user_id):
                    return
                checked = time.monotonic()
    finally:
        source.unsubscribe(subscriber)


bp = Blueprint("stream", __name__, url_prefix=API_PREFIX)


@bp.get("/stream")
@requires(*STAFF)
@operation(
    "Live changes as server-sent events (state changes, vehicle positions, alarms, commands)",
    tags=["live"],
    description="Events: `state` (asset_id, kind, state, previous, since, ts), `position` (control room roles "
                "only: asset_id, lon, lat, speed_kmh, heading_deg, ts), `alarm` (action, alarm), `command` (id, "
                "state, asset_id, target_state), `resync` (events were missed: fetch the snapshot again). "
                "Comments keep the connection open. Read the snapshot from /live first.",
    responses={200: Reply({"type": "string"}, "An endless event stream", content_type="text/event-stream")},
    errors=(503,),
)
def stream() -> Response:
    who = current_identity()
    with unit_of_work(engine(), None) as session:
        visible = visible_crews(session, who.role, who.user_id)
    source = hub()
    subscriber = source.subscribe(who.role or "", crews=None if visible is None else frozenset(visible))
    body = event_stream(source, subscriber, engine(), who.user_id, float(current_app.config["SSE_HEARTBEAT_S"]))
    return Response(
        body, mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
