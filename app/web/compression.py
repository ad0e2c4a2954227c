"""Text answers gzip-compressed by the app itself when the client accepts it (gunicorn does not compress, and a
tablet on a patchy 4G link should not wait for a reverse proxy to do it).

Compressed: complete ``200`` answers of at least :data:`MIN_BYTES` whose type is text (HTML, JS, CSS, JSON, SVG,
the manifest), not already encoded; never a stream (the live stream stays line by line). Static files are
compressed once per version (their ETag) and kept in memory (:data:`CACHE_BYTES` at most); the ETag of a
compressed answer is weak (the same file, another encoding), so conditional requests still answer ``304``.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict

from flask import Flask, request
from werkzeug.wrappers import Response

MIN_BYTES = 1024
LEVEL = 6
CACHE_BYTES = 8 * 1024 * 1024
TEXT_TYPES = frozenset({
    "text/html", "text/css", "text/javascript", "text/plain", "text/csv", "application/javascript",
    "application/json", "application/geo+json", "application/manifest+json", "application/xml", "image/svg+xml",
})


class CompressedCache:
    """Compressed bodies by (path, ETag), the least recently used dropped beyond ``limit`` bytes."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self.limit = limit
        self.size = 0
        self._items: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> bytes | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, str], body: bytes) -> None:
        with self._lock:
            if key in self._items or len(body) > self.limit:
                return
            self._items[key] = body
            self.size += len(body)
            while self.size > self.limit:
                _, dropped = self._items.popitem(last=False)
                self.size -= len(dropped)


def compressible(response: Response) -> bool:
    """Whether this answer to this request is worth compressing (see the module's docstring)."""
    if request.method not in ("GET", "POST", "PUT", "PATCH") or response.status_code != 200:
        return False
    if response.mimetype not in TEXT_TYPES or "Content-Encoding" in response.headers:
        return False
    if response.is_streamed and not response.direct_passthrough:  # a generator (the live stream), not a file
        return False
    if response.content_length is not None and response.content_length < MIN_BYTES:
        return False
    return request.accept_encodings.quality("gzip") > 0


def compress(response: Response, cache: CompressedCache) -> Response:
    """``response`` gzip-compressed when :func:`compressible` (else as it was)."""
    response.vary.add("Accept-Encoding")
    if not compressible(response):
        return response
    etag, weak = response.get_etag()
    key = (request.path, etag) if etag and not weak and response.direct_passthrough else None
    body = cache.get(key) if key else None
    if body is None:
        response.direct_passthrough = False  # read the file's bytes through the response
        raw = response.get_data()
        if len(raw) < MIN_BYTES:
            return response
        body = gzip.compress(raw, compresslevel=LEVEL, mtime=0)
        if key:
            cache.put(key, body)
    else:
        response.direct_passthrough = False
    close = getattr(response.response, "close", None)
    if close is not None:  # the file of a static answer, now read or replaced
        close()
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    if etag:
        response.set_etag(etag, weak=True)
    return response


def init_app(app: Flask) -> None:
    cache = app.extensions["citypilot_gzip"] = CompressedCache()
    app.after_request(lambda response: compress(response, cache))
