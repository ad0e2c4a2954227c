"""Server-sent events read as they arrive: bytes in any chunks → ``(event name, JSON data)`` per event."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SseParser:
    """Incremental: :meth:`feed` takes what the network gave (split anywhere, even inside a UTF-8 character)
    and returns the events it completed; comments (``: keepalive``) and undecodable data are skipped."""

    _buffer: bytes = b""
    _name: str = "message"
    _data: list[str] = field(default_factory=list)

    def feed(self, chunk: bytes) -> list[tuple[str, Any]]:
        self._buffer += chunk
        events = []
        while b"\n" in self._buffer:
            raw, self._buffer = self._buffer.split(b"\n", 1)
            line = raw.rstrip(b"\r").decode("utf-8", "replace")
            if not line:
                if self._data:
                    with contextlib.suppress(ValueError):
                        events.append((self._name, json.loads("\n".join(self._data))))
                self._name, self._data = "message", []
            elif line.startswith(":"):
                continue
            elif line.startswith("event:"):
                self._name = line[6:].strip()
            elif line.startswith("data:"):
                self._data.append(line[5:].lstrip())
        return events
