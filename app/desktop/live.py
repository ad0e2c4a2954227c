"""The live stream (``/api/v1/stream``, server-sent events) read on a thread of its own; reconnects by itself."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from PyQt6.QtCore import QThread, pyqtSignal

from app.desktop.api import ApiClient, ApiError

RETRY_S = 2.0


def events(lines: Any) -> Any:
    """The events of a server-sent event stream (an iterable of byte lines): (name, data as JSON)."""
    name, data = "message", []
    for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if data:
                with contextlib.suppress(ValueError):
                    yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


class LiveStream(QThread):
    """``event(name, data)`` per event; ``connected(bool)`` when the stream opens or drops."""

    event = pyqtSignal(str, dict)
    connected = pyqtSignal(bool)

    def __init__(self, client: ApiClient, parent: Any = None) -> None:
        super().__init__(parent)
        self.client = client
        self._answer: Any = None

    def run(self) -> None:
        while not self.isInterruptionRequested():
            try:
                self._answer = self.client.stream()
                self.connected.emit(True)
                for name, data in events(self._answer):
                    if self.isInterruptionRequested():
                        break
                    if isinstance(data, dict):
                        self.event.emit(name, data)
            except (ApiError, OSError, ValueError):
                pass
            finally:
                self._close()
            if self.isInterruptionRequested():
                break
            self.connected.emit(False)
            self.msleep(int(RETRY_S * 1000))

    def _close(self) -> None:
        answer, self._answer = self._answer, None
        if answer is not None:
            with contextlib.suppress(OSError):
                answer.close()

    def stop(self) -> None:
        self.requestInterruption()
        answer = self._answer
        if answer is not None:
            with contextlib.suppress(AttributeError, OSError):  # unblocks the read
                answer.fp.raw._sock.shutdown(2)
        self.wait(5000)
