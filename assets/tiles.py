"""Vector tiles of the inventory: layers, the SQL of one tile, low-zoom clusters, a short cache.

No Flask here: ``app/web/tiles.py`` routes HTTP to :class:`TileService`.

- **Layers**: one per asset family (:data:`LAYERS`); vehicles are never in tiles (they move: the live
  stream carries them). A feature carries ``id`` (the asset id, also the MVT feature id), ``kind``,
  ``code``, ``status`` (inventory status) and ``live`` (live state when the tile is served; ``unknown``
  when the device never spoke).
- **Zooms**: below a layer's ``detail_zoom`` a tile holds clusters: one point per cell (a 32 × 32 grid
  per tile) at the mean position of its assets, with ``count`` and the count per live state (``ok``,
  ``fault``, ``unreachable``, ``unknown``). From ``detail_zoom`` to ``cluster_zoom`` a tile holds one
  feature per asset unless it would hold more than ``max_features``: the densest tiles stay clusters
  (as tippecanoe's "cluster densest as needed"). Deeper, always features. Some kinds are drawn only
  from a deeper zoom (``kind_zoom``: a pole carries its luminaire; cables need street zooms).
- **Storage**: ``tile_features`` (migration 0005) holds every drawable asset in Web Mercator, kept by
  triggers; a tile transforms nothing and reads one partial GiST index. Clusters come from
  ``tile_cells``, rebuilt when older than ``aggregate_max_age_s`` (in a background thread, one
  process at a time) and patched cell by cell right after an inventory change.
- **Cache and invalidation**: an in-process LRU with a TTL of a few seconds. Inventory changes are
  read from the audit trail (``asset_history``) before serving: the tiles holding the old and the new
  place of a changed asset are dropped and its clusters recomputed, so the next request shows it.
  Live state may lag by the TTL (later changes arrive on the live stream).
- **The public** reads only :data:`PUBLIC_LAYERS`, without live state (open-data-safe).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import Engine

from assets.db import make_engine
from assets.errors import NotFoundError, PermissionDenied
from gis.tiles import ORIGIN_SHIFT, WORLD_SIZE, Bounds, check_tile, tile_bounds

log = logging.getLogger(__name__)

EXTENT = 4096
BUFFER = 64  # tile units drawn beyond each edge (symbols crossing tile edges)
CELL_BITS = 5  # clusters: a cell is a tile 5 zooms deeper (32 × 32 cells per tile)
MAX_ZOOM = 22
LIVE_STATES = ("ok", "fault", "unreachable", "unknown")
FEATURE_FIELDS = {
    "id": "Number: the asset id (also the feature id)",
    "kind": "String: the asset kind",
    "code": "String: the asset code",
    "status": "String: inventory status (planned, in_service, out_of_service)",
    "live": "String: live state when served (ok, fault, unreachable, unknown)",
}
CLUSTER_FIELDS = {
    "count": "Number: assets in the cell",
    **{state: f"Number: assets whose live state is {state}" for state in LIVE_STATES},
}
_ADVISORY_KEY = 0x7C17E5  # serialises every writer of tile_cells, across processes
#: Session settings of tile connections: parallel workers cost more to start (each loads PostGIS)
#: than a tile query takes; JIT and generic plans as for every CityPilot connection.
SESSION_OPTIONS = "-c timezone=UTC -c jit=off -c plan_cache_mode=force_custom_plan -c max_parallel_workers_per_gather=0"


@dataclass(frozen=True)
class LayerSpec:
    """One tile layer: an asset family, its kinds and at which zooms they are drawn."""

    name: str
    kinds: tuple[str, ...]
    cluster_kinds: tuple[str, ...]  # what clusters count: devices, not passive supports or cables
    detail_zoom: int
    cluster_zoom: int  # dense tiles stay clusters up to here; must be >= detail_zoom - 1
    kind_zoom: Mapping[str, int] = field(default_factory=dict)
    public: bool = False
    description: str = ""

    def kinds_at(self, z: int) -> tuple[str, ...]:
        """The kinds drawn as features at zoom ``z``."""
        return tuple(k for k in self.kinds if z >= self.kind_zoom.get(k, self.detail_zoom))


LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (
        LayerSpec(
            "lighting", ("cabinet", "circuit", "pole", "luminaire"), ("cabinet", "luminaire"),
            detail_zoom=13, cluster_zoom=15, kind_zoom={"circuit": 15, "pole": 16}, public=True,
            description="Public lighting: cabinets, circuits, poles (from z16), luminaires",
        ),
        LayerSpec(
            "traffic", ("signal_controller", "signal_head"), ("signal_controller", "signal_head"),
            detail_zoom=12, cluster_zoom=13, kind_zoom={"signal_head": 15},
            description="Traffic signals: controllers, signal heads (from z15)",
        ),
        LayerSpec(
            "video", ("camera",), ("camera",), detail_zoom=11, cluster_zoom=12,
            description="CCTV cameras (staff only)",
        ),
        LayerSpec(
            "network", ("fibre_node", "fibre_segment"), ("fibre_node",), detail_zoom=12, cluster_zoom=13,
            kind_zoom={"fibre_node": 14}, description="Fibre network: segments, nodes (from z14); staff only",
        ),
        LayerSpec(
            "environment", ("sensor",), ("sensor",), detail_zoom=10, cluster_zoom=11, public=True,
            description="Environmental sensors (noise, air, temperature)",
        ),
        LayerSpec(
            "energy", ("energy_meter", "building"), ("energy_meter", "building"), detail_zoom=11, cluster_zoom=12,
            public=True, description="Connected public buildings and their energy meters",
        ),
    )
}
PUBLIC_LAYERS = tuple(name for name, spec in LAYERS.items() if spec.public)


@dataclass(frozen=True)
class TileSettings:
    """Tuning of the tile service (see ``app/web/tiles.py`` for the environment variables)."""

    max_features: int = 4000  # beyond this, a tile between detail_zoom and cluster_zoom stays clusters
    cache_ttl_s: float = 5.0  # 0 turns the cache off
    cache_entries: int = 2048
    cache_bytes: int = 64 * 1024 * 1024
    aggregate_max_age_s: float = 30.0  # clusters' live-state counts are at most this old
    gzip_level: int = 1  # MVT compresses well at level 1 (~5 % larger than at 6, 4 × faster)
    max_changes: int = 500  # more inventory changes at once: rebuild clusters, empty the cache


class UnknownLayer(NotFoundError):
    """A layer name that does not exist."""


@dataclass(frozen=True)
class TileQuery:
    """The SQL producing one tile (a single ``ST_AsMVT`` bytea) and its parameters."""

    sql: str
    params: dict[str, Any]
    mode: str  # "features", "clusters" or "adaptive"


def tile_engine(url: str, **kw: Any) -> Engine:
    """An engine for tile queries: its own pool, autocommit (a tile is one statement, one round
    trip), :data:`SESSION_OPTIONS`, no ping on checkout (:class:`TileService` retries instead)."""
    kw.setdefault("pool_pre_ping", False)
    kw.setdefault("isolation_level", "AUTOCOMMIT")
    return make_engine(url, connect_args={"options": SESSION_OPTIONS}, **kw)


NEWEST_CHANGE = "SELECT coalesce(max(id), 0) FROM asset_history"

# -- SQL ----------------------------------------------------------------------------------------


def _quoted(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _detail_select(spec: LayerSpec, z: int, live: bool, with_cluster_columns: bool) -> str:
    kinds = spec.kinds_at(z)
    kind_filter = "" if set(kinds) == set(spec.kinds) else f" AND f.kind IN ({_quoted(kinds)})"
    live_column = "coalesce(l.state, 'unknown')" if live else "NULL::text"
    join = " LEFT JOIN live_state AS l ON l.asset_id = f.asset_id" if live else ""
    cluster_nulls = (", NULL::int AS count" + "".join(f", NULL::int AS {s}" for s in LIVE_STATES)
                     if with_cluster_columns else "")
    return (
        f"SELECT f.asset_id AS id, f.kind, f.code, f.status, {live_column} AS live{cluster_nulls}, "
        f"ST_AsMVTGeom(f.geom, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), {EXTENT}, {BUFFER}, true) AS geom "
        f"FROM tile_features AS f{join} "
        f"WHERE f.layer = '{spec.name}' "
        f"AND f.geom && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {BUFFER / EXTENT}){kind_filter}"
    )


def _cluster_select(spec: LayerSpec, live: bool, with_feature_columns: bool) -> str:
    states = "".join(f", c.{s}" if live else f", NULL::int AS {s}" for s in LIVE_STATES)
    features = ("NULL::bigint AS id, NULL::text AS kind, NULL::text AS code, NULL::text AS status, "
                "NULL::text AS live, " if with_feature_columns else "")
    return (
        f"SELECT {features}c.count{states}, "
        "ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.sum_x / c.count, c.sum_y / c.count), 3857), "
        f"ST_TileEnvelope(%(z)s, %(x)s, %(y)s), {EXTENT}, {BUFFER}, true) AS geom "
        f"FROM tile_cells AS c WHERE c.layer = '{spec.name}' AND c.z = %(z)s "
        "AND c.x BETWEEN %(cx0)s AND %(cx1)s AND c.y BETWEEN %(cy0)s AND %(cy1)s"
    )


def tile_query(layer: str, z: int, x: int, y: int, *, live: bool = True, max_features: int = 4000) -> TileQuery:
    """The one statement producing tile ``layer/z/x/y``; ``live=False`` leaves live state out."""
    spec = layer_spec(layer)
    tile = check_tile(z, x, y, MAX_ZOOM)
    side = 1 << CELL_BITS
    params: dict[str, Any] = {
        "z": tile.z, "x": tile.x, "y": tile.y,
        "cx0": tile.x * side, "cx1": tile.x * side + side - 1, "cy0": tile.y * side, "cy1": tile.y * side + side - 1,
    }
    # The second column tells the service whether the inventory changed (see TileService.tile).
    mvt = f"SELECT ST_AsMVT(q, '{spec.name}', {EXTENT}, 'geom', 'id'), ({NEWEST_CHANGE}) FROM ("
    if z < spec.detail_zoom:
        return TileQuery(f"{mvt}{_cluster_select(spec, live, True)}) AS q", params, "clusters")
    if z > spec.cluster_zoom:
        return TileQuery(f"{mvt}{_detail_select(spec, z, live, False)}) AS q", params, "features")
    # Dense or not: the tile's own count is one cell, 5 zooms up (one primary-key lookup).
    params.update(nz=z - CELL_BITS, nx=tile.x, ny=tile.y, max_features=max_features)
    count = (
        f"WITH n AS (SELECT coalesce((SELECT count FROM tile_cells WHERE layer = '{spec.name}' "
        "AND z = %(nz)s AND x = %(nx)s AND y = %(ny)s), 0) AS n) "
    )
    sql = (
        f"{count}{mvt}{_detail_select(spec, z, live, True)} AND (SELECT n FROM n) <= %(max_features)s "
        f"UNION ALL {_cluster_select(spec, live, True)} AND (SELECT n FROM n) > %(max_features)s) AS q"
    )
    return TileQuery(sql, params, "adaptive")


def layer_spec(name: str) -> LayerSpec:
    """The layer called ``name``; UnknownLayer otherwise."""
    try:
        return LAYERS[name]
    except KeyError:
        raise UnknownLayer(f"no tile layer {name!r} (layers: {', '.join(LAYERS)})") from None


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
        f"AND f.kind IN ({_quoted(spec.cluster_kinds)}){where}) AS f "
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
    raw.execute("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_KEY,))
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
    raw.execute("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_KEY,))
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


# -- inventory changes --------------------------------------------------------------------------

_CHANGES = """
SELECT h.id, k.layer,
       ST_XMin(b.g), ST_YMin(b.g), ST_XMax(b.g), ST_YMax(b.g),
       ST_XMin(a.g), ST_YMin(a.g), ST_XMax(a.g), ST_YMax(a.g)
  FROM asset_history AS h
  LEFT JOIN tile_kinds AS k
         ON k.kind = h.kind AND (h.action <> 'update' OR h.changed && ARRAY['geom', 'code', 'status'])
 CROSS JOIN LATERAL (SELECT CASE WHEN k.layer IS NOT NULL THEN
       ST_Transform(ST_Envelope(ST_GeomFromText(h.before ->> 'geom', 2154)), 3857) END AS g) AS b
 CROSS JOIN LATERAL (SELECT CASE WHEN k.layer IS NOT NULL THEN
       ST_Transform(ST_Envelope(ST_GeomFromText(h.after ->> 'geom', 2154)), 3857) END AS g) AS a
 WHERE h.id > %(after)s OR h.id = ANY(%(gaps)s)
 ORDER BY h.id
 LIMIT %(limit)s
"""


@dataclass
class Changes:
    """What changed in the inventory since the last look: (layer, Web Mercator box) of the old and new
    place of each changed asset, or everything."""

    boxes: list[tuple[str, Bounds]] = field(default_factory=list)
    everything: bool = False

    def __bool__(self) -> bool:
        return self.everything or bool(self.boxes)


class ChangeFeed:
    """Reads the audit trail forward. Ids are taken at insert time, not at commit, so an id below the
    newest one seen may still appear (a longer transaction): such gaps are asked again for a while."""

    GAP_TTL_S = 60.0

    def __init__(self, start_after: int, limit: int = 500) -> None:
        self.seen = start_after
        self.limit = limit
        self.gaps: dict[int, float] = {}
        self.lock = threading.Lock()

    def poll(self, raw: Any) -> Changes:
        with self.lock:
            top = raw.execute(NEWEST_CHANGE).fetchone()[0]
            if top < self.seen:  # the history was emptied (demo reset): start again
                self.seen, self.gaps = top, {}
                return Changes(everything=True)
            now = time.monotonic()
            self.gaps = {i: t for i, t in self.gaps.items() if now - t < self.GAP_TTL_S}
            if top == self.seen and not self.gaps:
                return Changes()
            rows = raw.execute(
                _CHANGES, {"after": self.seen, "gaps": list(self.gaps), "limit": self.limit + 1}
            ).fetchall()
            if len(rows) > self.limit:
                self.seen, self.gaps = top, {}
                return Changes(everything=True)
            changes = Changes()
            newest = self.seen
            for row in rows:
                self.gaps.pop(row[0], None)
                newest = max(newest, row[0])
                if row[1] is not None:
                    changes.boxes.extend((row[1], tuple(row[i:i + 4])) for i in (2, 6) if row[i] is not None)
            found = {row[0] for row in rows}
            missing = [i for i in range(self.seen + 1, newest) if i not in found]
            if len(missing) <= self.limit:  # more: ids of a rolled-back bulk write, not worth asking for
                self.gaps.update(dict.fromkeys(missing, now))
            self.seen = newest
            return changes


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


# -- the service --------------------------------------------------------------------------------


class TileService:
    """Serves tiles of one database; thread-safe; one per process (e.g. per web app).

    ``engine`` should come from :func:`tile_engine` (autocommit, tile session settings)."""

    def __init__(self, engine: Engine, settings: TileSettings | None = None) -> None:
        self.engine = engine
        self.settings = settings or TileSettings()
        self.cache = TileCache(self.settings.cache_ttl_s, self.settings.cache_entries, self.settings.cache_bytes)
        self._feed: ChangeFeed | None = None
        self._refreshed_at: float | None = None  # epoch seconds of the clusters' last rebuild; 0: none
        self._refreshing = threading.Lock()
        self._pending: list[tuple[str, Bounds]] = []
        self._lock = threading.Lock()
        self._bounds: list[float] | None = None

    @property
    def caching(self) -> bool:
        return self.settings.cache_ttl_s > 0

    def tile(self, layer: str, z: int, x: int, y: int, *, public: bool = False) -> RenderedTile:
        """Tile ``layer/z/x/y``; ``public`` callers get public layers only, without live state."""
        spec = layer_spec(layer)
        if public and not spec.public:
            raise PermissionDenied(f"the {layer} layer is not public (public layers: {', '.join(PUBLIC_LAYERS)})")
        query = tile_query(layer, z, x, y, live=not public, max_features=self.settings.max_features)
        key = (layer, z, x, y, public)
        clusters = query.mode != "features"

        def render(raw: Any) -> RenderedTile:
            if self.caching:  # changes first: they drop cached tiles
                self._catch_up(raw, clusters=clusters)
                hit = self.cache.get(key)
                if hit is not None:
                    return hit
            elif clusters:
                self._ensure_clusters(raw)
            data, newest = raw.execute(query.sql, query.params).fetchone()
            if not self.caching and self._behind(newest):  # the statement also says if the inventory changed
                self._catch_up(raw, clusters=clusters)
                if clusters:
                    data, _ = raw.execute(query.sql, query.params).fetchone()  # with the recounted cells
            rendered = RenderedTile(bytes(data or b""), query.mode, self.settings.gzip_level)
            if self.caching:
                self.cache.put(key, tile_bounds(z, x, y, BUFFER / EXTENT), rendered)
            return rendered

        return self._run(render)

    def refresh_clusters(self) -> float:
        """Rebuild every cluster count now; returns the seconds it took."""
        started = time.perf_counter()

        def rebuild(raw: Any) -> None:
            with raw.transaction():
                rebuild_clusters(raw)

        self._run(rebuild)
        self._refreshed_at = time.time()
        return time.perf_counter() - started

    def _run(self, work: Any) -> Any:
        """``work(psycopg connection)`` on a pooled connection; once more on a fresh one if the server
        dropped it (a database restart: the pool does not ping, to save a round trip per tile)."""
        for attempt in (1, 2):
            pooled = self.engine.raw_connection()
            try:
                return work(pooled.driver_connection)
            except psycopg.OperationalError:
                pooled.invalidate()
                if attempt == 2:
                    raise
            finally:
                pooled.close()
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the service's database connections."""
        self.engine.dispose()

    def layers(self, *, public: bool) -> list[LayerSpec]:
        """The layers a caller may read."""
        return [spec for spec in LAYERS.values() if spec.public or not public]

    def describe(self, tile_url: str, *, public: bool) -> dict[str, Any]:
        """A TileJSON-like description of the layers (``tile_url`` holds ``{layer}``)."""
        live = not public
        layers = []
        for spec in self.layers(public=public):
            fields = {k: v for k, v in FEATURE_FIELDS.items() if live or k != "live"}
            cluster_fields = {k: v for k, v in CLUSTER_FIELDS.items() if live or k == "count"}
            layers.append({
                "id": spec.name,
                "description": spec.description,
                "tiles": [tile_url.replace("{layer}", spec.name)],
                "minzoom": 0,
                "maxzoom": MAX_ZOOM,
                "fields": fields,
                "kinds": {k: max(spec.kind_zoom.get(k, spec.detail_zoom), 0) for k in spec.kinds},
                "detail_minzoom": spec.detail_zoom,
                "cluster_maxzoom": spec.cluster_zoom,
                "cluster_kinds": list(spec.cluster_kinds),
                "cluster_fields": cluster_fields,
                "live": live,
            })
        bounds = self._territory_bounds()
        return {
            "tilejson": "3.0.0",
            "name": "CityPilot",
            "description": (
                "One vector tile source per layer. Below detail_minzoom a tile holds clusters (cluster_fields); "
                f"up to cluster_maxzoom a tile with more than {self.settings.max_features} assets also does; "
                "deeper, one feature per asset (fields), each kind from its own zoom (kinds)."
            ),
            "scheme": "xyz",
            "format": "pbf",
            "minzoom": 0,
            "maxzoom": MAX_ZOOM,
            "bounds": bounds,
            "center": [round((bounds[0] + bounds[2]) / 2, 5), round((bounds[1] + bounds[3]) / 2, 5), 12]
            if bounds else None,
            "vector_layers": layers,
            "cache_max_age_s": self.settings.cache_ttl_s,
            "clusters_max_age_s": self.settings.aggregate_max_age_s,
        }

    # -- keeping up with the inventory ------------------------------------------------------------

    def _behind(self, newest: int) -> bool:
        """Whether the audit trail holds changes this process has not applied (``newest``: its max id)."""
        feed = self._feed
        return feed is None or newest != feed.seen or bool(feed.gaps)

    def _catch_up(self, raw: Any, *, clusters: bool) -> None:
        """Apply the inventory changes made since the last request (cached tiles of their places
        dropped, their cells recounted); with ``clusters``, make sure clusters exist and are fresh."""
        changes = self._change_feed(raw).poll(raw)
        if changes.everything:
            self.cache.clear()
            self._refresh_in_background(force=True)
        elif changes.boxes:
            self.cache.invalidate(changes.boxes)
            with self._lock:
                self._pending.extend(changes.boxes)
        if clusters or self._pending:
            self._ensure_clusters(raw)

    def _ensure_clusters(self, raw: Any) -> None:
        """Clusters exist (the first build is waited for, once), pending recounts are applied, and a
        rebuild is started in the background when they are older than ``aggregate_max_age_s``."""
        if self._refreshed_at is None:
            row = raw.execute("SELECT extract(epoch FROM refreshed_at) FROM tile_refresh").fetchone()
            self._refreshed_at = float(row[0]) if row else 0.0
        if not self._refreshed_at:
            with self._refreshing:
                if not self._refreshed_at:
                    with raw.transaction():
                        rebuild_clusters(raw)
                    self._refreshed_at = time.time()
                    with self._lock:
                        self._pending.clear()
            return
        self._apply_pending(raw)
        if time.time() - self._refreshed_at > self.settings.aggregate_max_age_s:
            self._refresh_in_background()

    def _change_feed(self, raw: Any) -> ChangeFeed:
        with self._lock:
            if self._feed is None:
                row = raw.execute("SELECT history_id FROM tile_refresh").fetchone()
                if row is None:
                    row = raw.execute("SELECT coalesce(max(id), 0) FROM asset_history").fetchone()
                self._feed = ChangeFeed(int(row[0]), self.settings.max_changes)
            return self._feed

    def _apply_pending(self, raw: Any) -> None:
        with self._lock:
            boxes, self._pending = self._pending, []
        if not boxes:
            return
        try:
            with raw.transaction():
                raw.execute("SET LOCAL lock_timeout = '250ms'")
                done = recount_cells(raw, boxes)
        except psycopg.errors.LockNotAvailable:  # a rebuild holds the lock: next request
            with self._lock:
                self._pending.extend(boxes)
            return
        if not done:
            self._refresh_in_background(force=True)

    def _refresh_in_background(self, *, force: bool = False) -> None:
        """Rebuild the clusters in a thread, unless this process or another one is already at it."""
        if not self._refreshing.acquire(blocking=False):
            return

        def rebuild(raw: Any) -> None:
            with raw.transaction():
                if not raw.execute("SELECT pg_try_advisory_xact_lock(%s)", (_ADVISORY_KEY,)).fetchone()[0]:
                    self._refreshed_at = time.time()  # another process is rebuilding right now
                    return
                row = raw.execute("SELECT extract(epoch FROM refreshed_at) FROM tile_refresh").fetchone()
                if not force and row and time.time() - float(row[0]) < self.settings.aggregate_max_age_s:
                    self._refreshed_at = float(row[0])  # another process just did it
                    return
                rebuild_clusters(raw)
            self._refreshed_at = time.time()

        def run() -> None:
            try:
                self._run(rebuild)
            except Exception:
                log.exception("rebuilding tile clusters failed")
            finally:
                self._refreshing.release()

        threading.Thread(target=run, name="tile-clusters", daemon=True).start()

    def _territory_bounds(self) -> list[float] | None:
        if self._bounds is None:
            row = self._run(lambda raw: raw.execute(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
                "ST_Extent(ST_Transform(geom, 4326)) AS e FROM communes WHERE valid_to IS NULL) AS t"
            ).fetchone())
            if row and row[0] is not None:
                self._bounds = [round(v, 5) for v in row]
        return self._bounds
