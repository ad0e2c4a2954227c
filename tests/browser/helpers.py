"""What the browser tests do to the control room page: open it, wait for the map, read what it drew."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, text

from assets.live.records import Reading
from assets.live.writer import LiveWriter

RED = (214, 39, 40)  # STATE_COLORS.fault in app/web/static/control_room/styles.js
GREEN = (46, 157, 70)

TILES_LOADED = """() => {
  const city = window.controlRoom?.city;
  if (!city) return false;
  const layers = [...Object.values(city.layers).filter((l) => city.map.hasLayer(l)), city.base];
  return layers.every((l) => l._tileZoom !== undefined && !l.isLoading());
}"""

DRAWN_CANVASES = """(pane) => {
  let drawn = 0, total = 0;
  for (const canvas of document.querySelectorAll(`.leaflet-${pane}-pane canvas`)) {
    total += 1;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < data.length; i += 64) { if (data[i]) { drawn += 1; break; } }
  }
  return { drawn, total };
}"""

# The pixels drawn around an asset's feature in its tile canvas: [r, g, b] of every opaque pixel in a
# small square, and the style the renderer used.
FEATURE_PIXELS = """([layerName, id]) => {
  const layer = window.controlRoom.city.layers[layerName];
  for (const tile of Object.values(layer._vectorTiles)) {
    const found = tile._features[id];
    if (!found || !found.feature._point) continue;
    const p = found.feature._point;
    const canvas = tile.getContainer();
    const size = 5;
    const [x, y, side] = [Math.round(p.x) - size, Math.round(p.y) - size, 2 * size + 1];
    const data = canvas.getContext('2d').getImageData(x, y, side, side).data;
    const pixels = [];
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 200) pixels.push([data[i], data[i + 1], data[i + 2]]);
    return { fillColor: found.feature.options.fillColor, pixels };
  }
  return null;
}"""


def open_control_room(page: Any, server: str, *, lang: str = "fr",
                      view: tuple[float, float, int] | None = None) -> None:
    """Open the page, optionally move to (lat, lon, zoom), and wait until every tile is drawn."""
    response = page.goto(f"{server}/control-room?lang={lang}")
    assert response is not None and response.status == 200, response and response.status
    page.wait_for_function("() => window.controlRoom && document.querySelector('#cr-counters li.counter')")
    if view is not None:
        page.evaluate("([lat, lon, z]) => { controlRoom.city.map.setView([lat, lon], z, { animate: false }); }",
                      list(view))
    page.wait_for_timeout(100)
    page.wait_for_function(TILES_LOADED, timeout=20000)


def lonlat(engine: Engine, asset_id: int) -> tuple[float, float]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(geom, 4326) AS g FROM assets "
                                "WHERE id = :id) AS t"), {"id": asset_id}).one()
    return float(row[0]), float(row[1])


def lamps_near(engine: Engine, lon: float, lat: float, n: int, offset: int = 0) -> list[tuple[int, str]]:
    """The ``n`` luminaires nearest to a point (after skipping ``offset``), as (id, code)."""
    with engine.connect() as conn:
        return [(int(r[0]), str(r[1])) for r in conn.execute(text(
            "SELECT id, code FROM assets WHERE kind = 'luminaire' AND status = 'in_service' ORDER BY geom <-> "
            "ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 2154) LIMIT :n OFFSET :o"
        ), {"lon": lon, "lat": lat, "n": n, "o": offset})]


def report(db_url: str, asset_id: int, state: str, values: dict[str, Any] | None = None) -> None:
    """A device report through the live writer (as the ingest stores it: live state, history, NOTIFY)."""
    with LiveWriter(db_url, client="browser-tests") as writer:
        writer.write([Reading(asset_id, dt.datetime.now(dt.UTC), values or {"lamp_failure": state == "fault"},
                              state=state)])


def near(color: list[int], target: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(color, target, strict=True))
