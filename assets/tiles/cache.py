"""A short in-process cache of rendered tiles (LRU with a time to live)."""


from __future__ import annotations

import gzip
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from gis.tiles import Bounds

log = logging.getLogger(__name__)

# -- cache --------------------------------------------------------------------------------------


@dataclass
class RenderedTile:
    """A served tile: the MVT bytes, their ETag, and (on first need) their gzip encoding."""

    data: bytes
    mode: str
    level: int = 1
    etag: str = ""
    _gzipped: bytes | None = None

    def __post_init__(self) -> None:
        self.etag = '"' + hashlib.blake2b(self.data, digest_size=12).hexdigest() + '"'

    @property
    def empty(self) -> bool:
        return not self.data

    @property
    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.data, compresslevel=self.level, mtime=0)
        return self._gzipped


class TileCache:
    """LRU of rendered tiles with a time to live; entries are dropped by area on inventory changes."""

    def __init__(self, ttl_s: float, max_entries: int, max_bytes: int) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple, tuple[float, Bounds, RenderedTile]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: tuple) -> RenderedTile | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                self._drop(key)
                return None
            self.entries.move_to_end(key)
            return entry[2]

    def put(self, key: tuple, bounds: Bounds, tile: RenderedTile) -> None:
        with self.lock:
            if key in self.entries:
                self._drop(key)
            self.entries[key] = (time.monotonic() + self.ttl_s, bounds, tile)
            self.size += len(tile.data)
            while self.entries and (len(self.entries) > self.max_entries or self.size > self.max_bytes):
                self._drop(next(iter(self.entries)))

    def invalidate(self, boxes: list[tuple[str, Bounds]]) -> int:
        """Drop the tiles of a layer that touch one of its boxes (keys start with the layer name)."""
        with self.lock:
            doomed = [
                key for key, (_, (x0, y0, x1, y1), _) in self.entries.items()
                if any(layer == key[0] and bx0 <= x1 and x0 <= bx1 and by0 <= y1 and y0 <= by1
                       for layer, (bx0, by0, bx1, by1) in boxes)
            ]
            for key in doomed:
                self._drop(key)
            return len(doomed)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0

    def _drop(self, key: tuple) -> None:
        self.size -= len(self.entries.pop(key)[2].data)
