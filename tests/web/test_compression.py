"""The app compresses its own text answers (gunicorn does not): static scripts and styles, the pages, the API's
JSON, gzip when the client says it accepts it; never the live stream, never a client that did not ask."""

from __future__ import annotations

import gzip
from pathlib import Path

from flask import Flask

from tests.web.helpers import People

STATIC = Path(__file__).resolve().parents[2] / "app" / "web" / "static"
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_a_static_script_is_sent_gzipped_and_its_etag_still_answers_304(app: Flask) -> None:
    client = app.test_client()
    raw = (STATIC / "vendor" / "leaflet" / "leaflet.js").read_bytes()
    answer = client.get("/static/vendor/leaflet/leaflet.js", headers=GZIP)
    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in answer.headers["Vary"]
    assert gzip.decompress(answer.data) == raw
    assert int(answer.headers["Content-Length"]) == len(answer.data) < len(raw) / 2
    etag = answer.headers["ETag"]
    assert etag.startswith('W/"')  # the same file in another encoding: a weak validator
    again = client.get("/static/vendor/leaflet/leaflet.js", headers={**GZIP, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get("/static/vendor/leaflet/leaflet.js", headers=GZIP).data == answer.data  # the kept copy


def test_a_client_that_does_not_accept_gzip_gets_the_bytes_as_they_are(app: Flask) -> None:
    answer = app.test_client().get("/static/crew/order.js")
    assert "Content-Encoding" not in answer.headers
    assert answer.data == (STATIC / "crew" / "order.js").read_bytes()
    refused = app.test_client().get("/static/crew/order.js", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers


def test_the_api_json_and_the_tablet_page_are_compressed_the_stream_is_not(app: Flask, people: People) -> None:
    client = app.test_client()
    listing = client.get("/api/v1/openapi.json", headers={**people["supervisor"].auth, **GZIP})
    assert listing.status_code == 200 and listing.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(listing.data).startswith(b"{")
    small = client.get("/healthz", headers=GZIP)  # under 1 KB: not worth it
    assert "Content-Encoding" not in small.headers
    stream = client.get("/api/v1/stream", headers={**people["crew"].auth, **GZIP}, buffered=False)
    assert stream.mimetype == "text/event-stream" and "Content-Encoding" not in stream.headers
    assert b"connected" in next(iter(stream.response))
    stream.close()
