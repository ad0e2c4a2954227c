"""The live stream (``/api/v1/stream``, server-sent events) read through QGIS's network manager (its proxy and
SSL settings), without a thread: state changes are gathered and handed over in one batch a moment after a
burst ends (one redraw, no flicker); a ``resync`` asks for a full refresh; a dropped stream reconnects."""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import QgsNetworkAccessManager
from qgis.PyQt.QtCore import QByteArray, QObject, QTimer, QUrl
from qgis.PyQt.QtNetwork import QNetworkReply, QNetworkRequest

from ..logic.client import Client
from ..logic.live import StateChange, latest, state_change
from ..logic.sse import SseParser

BATCH_MS = 500
RETRY_MS = 5_000


class LiveStream(QObject):
    """``on_changes(list[StateChange])`` per batch, ``on_alarms()`` once per batch in which alarms changed,
    ``on_resync()`` when events were missed, ``on_connected(bool)`` when the stream opens or drops.
    :meth:`start` / :meth:`stop`."""

    def __init__(self, client: Client, on_changes: Callable[[list[StateChange]], None],
                 on_resync: Callable[[], None], on_connected: Callable[[bool], None] = lambda up: None,
                 retry_ms: int = RETRY_MS, on_alarms: Callable[[], None] = lambda: None) -> None:
        super().__init__()
        self.client, self.on_changes, self.on_resync, self.on_connected = client, on_changes, on_resync, on_connected
        self.on_alarms = on_alarms
        self._alarms_changed = False
        self.connected = False
        self._reply: QNetworkReply | None = None
        self._parser = SseParser()
        self._pending: list[StateChange] = []
        self._batch = QTimer(self)
        self._batch.setSingleShot(True)
        self._batch.setInterval(BATCH_MS)
        self._batch.timeout.connect(self._flush)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.setInterval(retry_ms)
        self._retry.timeout.connect(self.start)
        self._stopped = True

    def start(self) -> None:
        self._stopped = False
        if self._reply is not None:
            return
        request = QNetworkRequest(QUrl(self.client.url("/stream")))
        for name, value in (("Accept", "text/event-stream"), ("Accept-Language", self.client.language),
                            ("User-Agent", self.client.user_agent), ("Cache-Control", "no-cache"),
                            ("Authorization", f"Bearer {self.client.token or ''}")):
            request.setRawHeader(QByteArray(name.encode()), QByteArray(value.encode()))
        self._parser = SseParser()
        self._reply = QgsNetworkAccessManager.instance().get(request)
        self._reply.readyRead.connect(self._read)
        self._reply.finished.connect(self._dropped)

    def stop(self) -> None:
        self._stopped = True
        self._retry.stop()
        reply, self._reply = self._reply, None
        if reply is not None:
            reply.finished.disconnect(self._dropped)
            reply.abort()
            reply.deleteLater()
        self._flush()
        self._set_connected(False)

    def _read(self) -> None:
        if self._reply is None:
            return
        self._set_connected(True)
        for name, data in self._parser.feed(bytes(self._reply.readAll())):
            if name == "state":
                change = state_change(data)
                if change is not None:
                    self._pending.append(change)
                    self._batch.start()
            elif name == "alarm":
                self._alarms_changed = True
                self._batch.start()
            elif name == "resync":
                self._pending.clear()
                self.on_resync()

    def _flush(self) -> None:
        if self._pending:
            changes, self._pending = list(latest(self._pending).values()), []
            self.on_changes(changes)
        if self._alarms_changed:
            self._alarms_changed = False
            self.on_alarms()

    def _dropped(self) -> None:
        reply, self._reply = self._reply, None
        refused = False
        if reply is not None:
            refused = reply.attribute(QNetworkRequest.Attribute.HttpStatusCodeAttribute) in (401, 403)
            reply.deleteLater()
        self._flush()
        self._set_connected(False)
        if not self._stopped and not refused:  # a refused token is not retried: signing in again is needed
            self._retry.start()

    def _set_connected(self, up: bool) -> None:
        if up != self.connected:
            self.connected = up
            self.on_connected(up)
