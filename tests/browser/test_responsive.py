"""A stream of 1,000 state changes a second keeps the page responsive: changes are coalesced per asset
and applied once per animation frame; frame times are measured in the page with requestAnimationFrame."""

from __future__ import annotations

import json
import random
import threading
import time

import psycopg
import pytest
from sqlalchemy import Engine, text

from assets.live.channels import LIVE_CHANNEL
from assets.live.writer import libpq_url
from tests.browser.helpers import open_control_room

RATE = 1000  # state changes per second
SECONDS = 5.0
BATCHES_PER_S = 20
COLORS = {"ok": "#2e9d46", "fault": "#d62728", "unreachable": "#f28e2b"}

FRAME_RECORDER = """() => {
  window.__frames = [];
  let last = performance.now();
  const tick = (now) => {
    window.__frames.push(now - last);
    last = now;
    if (window.__recording) requestAnimationFrame(tick);
  };
  window.__recording = true;
  requestAnimationFrame(tick);
}"""

DRAWN_STYLES = """(ids) => {
  const layer = controlRoom.city.layers.lighting;
  const found = {};
  for (const tile of Object.values(layer._vectorTiles)) {
    for (const id of ids) {
      const f = tile._features[id];
      if (f && !(id in found)) found[id] = f.feature.options.fillColor;
    }
  }
  return found;
}"""


def _stream(db_url: str, lamps: list[int], in_view: list[int], last: dict[int, str], done: threading.Event) -> int:
    """NOTIFY ``RATE`` state events a second for ``SECONDS`` (half of them on lamps in view)."""
    rng = random.Random(7)
    sent = 0
    period = 1 / BATCHES_PER_S
    with psycopg.connect(libpq_url(db_url), autocommit=True) as conn:
        start = time.monotonic()
        while time.monotonic() - start < SECONDS:
            due = start + (sent / RATE) + period
            payloads = []
            for _ in range(RATE // BATCHES_PER_S):
                asset = rng.choice(in_view) if rng.random() < 0.5 else rng.choice(lamps)
                state = rng.choice(("ok", "fault", "unreachable"))
                previous = last.get(asset, "unknown")
                last[asset] = state
                payloads.append(json.dumps({"type": "state", "asset_id": asset, "kind": "luminaire", "state": state,
                                            "previous": previous, "since": "2026-11-29T21:00:00Z",
                                            "ts": "2026-11-29T21:00:00Z"}))
            conn.execute("SELECT pg_notify(%s, p) FROM unnest(%s::text[]) AS p", (LIVE_CHANNEL, payloads))
            sent += len(payloads)
            time.sleep(max(0.0, due - time.monotonic()))
    done.set()
    return sent


@pytest.mark.slow
def test_a_thousand_changes_a_second_keep_the_page_responsive(page, server, sign_in, city_engine: Engine,
                                                              city_db_url: str, errors) -> None:
    centre = (47.3226, 5.0345)
    with city_engine.connect() as conn:
        lamps = [r[0] for r in conn.execute(text("SELECT id FROM assets WHERE kind = 'luminaire'"))]
    sign_in(page, "operator")
    open_control_room(page, server, view=(*centre, 15))
    in_view = page.evaluate("""() => Object.values(controlRoom.city.layers.lighting._vectorTiles)
        .flatMap((t) => Object.values(t._layers)).filter((f) => f.properties.kind === 'luminaire')
        .map((f) => f.properties.id)""")
    assert len(in_view) > 1000, len(in_view)
    received_before = page.evaluate("() => controlRoom.batch.received")
    page.evaluate(FRAME_RECORDER)

    last: dict[int, str] = {}
    done = threading.Event()
    sent = _stream(city_db_url, lamps, sorted(set(in_view)), last, done)
    page.wait_for_function("(n) => controlRoom.batch.received >= n", arg=received_before + sent, timeout=15000)
    page.wait_for_timeout(300)
    frames = page.evaluate("() => { window.__recording = false; return window.__frames.slice(1); }")
    stats = page.evaluate("() => ({ received: controlRoom.batch.received, frames: controlRoom.batch.frames, "
                          "applied: controlRoom.batch.applied })")

    frames.sort()
    p50, p95, worst = frames[len(frames) // 2], frames[int(len(frames) * 0.95)], frames[-1]
    print(f"\n{sent} state events in {SECONDS:.0f} s; {len(frames)} frames: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
          f"max {worst:.1f} ms; applied in {stats['frames']} batches ({stats['applied']} coalesced changes)")
    assert sent >= RATE * SECONDS * 0.95
    assert len(frames) >= SECONDS * 20, "the page stopped drawing"
    # Loose on purpose (a shared 2-core machine): per-event DOM work shows as frames of hundreds of ms;
    # the batching is proven structurally by the next line, the smoothness figure belongs to benchmarks.
    assert p95 < 100, f"p95 frame time {p95:.1f} ms"
    assert stats["frames"] < sent / 10  # batched: one application per animation frame, not per event

    wrong = page.evaluate("(last) => Object.entries(last).filter(([id, s]) => controlRoom.city.live.get(Number(id)) "
                          "!== s).map(([id]) => id)", {str(k): v for k, v in last.items()})
    assert wrong == [], f"{len(wrong)} final states not applied"
    drawn = page.evaluate(DRAWN_STYLES, [a for a in set(in_view) if a in last])
    assert drawn, "no changed lamp is drawn in view"
    mismatched = {a: c for a, c in drawn.items() if c != COLORS[last[int(a)]]}
    assert mismatched == {}, f"{len(mismatched)} lamps drawn in a stale colour"
    assert errors == []
