"""Low-zoom clusters: counts per cell and live state in ``tile_cells``, rebuilt and patched."""


from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from assets.tiles.layers import ADVISORY_KEY, CELL_BITS, LAYERS, LIVE_STATES, LayerSpec
from assets.tiles.sql import quoted
from gis.tiles import ORIGIN_SHIFT, WORLD_SIZE, Bounds

log = logging.getLogger(__name__)

# -- clusters -----------------------------------------------------------------------------------


def _cell_size(level: int) -> float:
    return WORLD_SIZE / (1 << (level + CELL_BITS))


_CELL_X = "floor((f.x + {o}) / {s})::int"
_CELL_Y = "floor(({o} - f.y) / {s})::int"


def _finest_cells_sql(spec: LayerSpec, where: str = "") -> str:
    size = _cell_size(spec.cluster_zoom)
    cx = _CELL_X.format(o=ORIGIN_SHIFT, s=size)
    cy = _CELL_Y.format(o=ORIGIN_SHIFT, s=size)
    counts = "".join(
        f", count(*) FILTER (WHERE coalesce(l.state, 'unknown') = '{state}')" for state in LIVE_STATES
    )
    return (
        "INSERT INTO tile_cells (layer, z, x, y, count, ok, fault, unreachable, unknown, sum_x, sum_y) "
        f"SELECT '{spec.name}', {spec.cluster_zoom}, cx, cy, count(*){counts}, sum(f.x), sum(f.y) "
        f"FROM (SELECT f.*, {cx} AS cx, {cy} AS cy FROM tile_features AS f WHERE f.layer = '{spec.name}' "
        f"AND f.kind IN ({quoted(spec.cluster_kinds)}){where}) AS f "
        "LEFT JOIN live_state AS l ON l.asset_id = f.asset_id "
        "WHERE %(x0)s <= cx AND cx <= %(x1)s AND %(y0)s <= cy AND cy <= %(y1)s "
        "GROUP BY cx, cy"
    )


_ROLL_UP = (
    "INSERT INTO tile_cells (layer, z, x, y, count, ok, fault, unreachable, unknown, sum_x, sum_y) "
    "SELECT layer, %(z)s, x >> 1, y >> 1, sum(count), sum(ok), sum(fault), sum(unreachable), sum(unknown), "
    "sum(sum_x), sum(sum_y) FROM tile_cells WHERE layer = %(layer)s AND z = %(z)s + 1 "
    "AND x BETWEEN %(x0)s * 2 AND %(x1)s * 2 + 1 AND y BETWEEN %(y0)s * 2 AND %(y1)s * 2 + 1 "
    "GROUP BY layer, x >> 1, y >> 1"
)
_DELETE_CELLS = (
    "DELETE FROM tile_cells WHERE layer = %(layer)s AND z = %(z)s "
    "AND x BETWEEN %(x0)s AND %(x1)s AND y BETWEEN %(y0)s AND %(y1)s"
)
_EVERYWHERE = {"x0": 0, "y0": 0, "x1": 1 << 28, "y1": 1 << 28}


def rebuild_clusters(raw: Any) -> int:
    """Recount every cell of every layer (on a psycopg connection, in its transaction); returns the
    number of assets counted. Takes the cluster writers' lock."""
    started = time.perf_counter()
    raw.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_KEY,))
    top = raw.execute("SELECT coalesce(max(id), 0) FROM asset_history").fetchone()[0]
    raw.execute("DELETE FROM tile_cells")
    for spec in LAYERS.values():
        raw.execute(_finest_cells_sql(spec), _EVERYWHERE)
        for z in range(spec.cluster_zoom - 1, -1, -1):
            raw.execute(_ROLL_UP, {"layer": spec.name, "z": z, **_EVERYWHERE})
    counted = raw.execute("SELECT coalesce(sum(count), 0) FROM tile_cells WHERE z = 0").fetchone()[0]
    raw.execute(
        "INSERT INTO tile_refresh (id, refreshed_at, seconds, features, history_id) "
        "VALUES (1, now(), %(s)s, %(n)s, %(top)s) ON CONFLICT (id) DO UPDATE SET refreshed_at = excluded.refreshed_at, "
        "seconds = excluded.seconds, features = excluded.features, history_id = excluded.history_id",
        {"s": time.perf_counter() - started, "n": counted, "top": top},
    )
    return int(counted)


def recount_cells(raw: Any, boxes: Iterable[tuple[str, Bounds]], max_cells: int = 4096) -> bool:
    """Recount the cells of a layer holding its Web Mercator boxes (the old and new places of changed
    assets) and their parents, in the caller's transaction. False (nothing done) when a box spans more
    than ``max_cells`` finest cells: rebuild instead."""
    plans = []
    for layer, (xmin, ymin, xmax, ymax) in dict.fromkeys(boxes):
        spec = LAYERS.get(layer)
        if spec is not None:
            size = _cell_size(spec.cluster_zoom)
            x0, x1 = int((xmin + ORIGIN_SHIFT) // size), int((xmax + ORIGIN_SHIFT) // size)
            y0, y1 = int((ORIGIN_SHIFT - ymax) // size), int((ORIGIN_SHIFT - ymin) // size)
            if (x1 - x0 + 1) * (y1 - y0 + 1) > max_cells:
                return False
            plans.append((spec, {"x0": x0, "x1": x1, "y0": y0, "y1": y1}))
    raw.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_KEY,))
    for spec, cells in plans:
        size = _cell_size(spec.cluster_zoom)
        envelope = (
            f" AND f.geom && ST_MakeEnvelope({cells['x0'] * size - ORIGIN_SHIFT}, "
            f"{ORIGIN_SHIFT - (cells['y1'] + 1) * size}, {(cells['x1'] + 1) * size - ORIGIN_SHIFT}, "
            f"{ORIGIN_SHIFT - cells['y0'] * size}, 3857)"
        )
        raw.execute(_DELETE_CELLS, {"layer": spec.name, "z": spec.cluster_zoom, **cells})
        raw.execute(_finest_cells_sql(spec, envelope), cells)
        for z in range(spec.cluster_zoom - 1, -1, -1):
            cells = {k: v >> 1 for k, v in cells.items()}
            raw.execute(_DELETE_CELLS, {"layer": spec.name, "z": z, **cells})
            raw.execute(_ROLL_UP, {"layer": spec.name, "z": z, **cells})
    return True
