"""The tile service: the one object the web layer calls."""


from __future__ import annotations

import logging
import threading
import time
from typing import Any

import psycopg
from sqlalchemy import Engine

from assets.db import make_engine
from assets.errors import PermissionDenied
from assets.tiles.cache import RenderedTile, TileCache
from assets.tiles.changes import ChangeFeed
from assets.tiles.clusters import rebuild_clusters, recount_cells
from assets.tiles.layers import (
    ADVISORY_KEY,
    BUFFER,
    CLUSTER_FIELDS,
    EXTENT,
    FEATURE_FIELDS,
    LAYERS,
    MAX_ZOOM,
    PUBLIC_LAYERS,
    SESSION_OPTIONS,
    LayerSpec,
    TileSettings,
    layer_spec,
)
from assets.tiles.sql import tile_query
from gis.tiles import Bounds, tile_bounds

log = logging.getLogger(__name__)

def tile_engine(url: str, **kw: Any) -> Engine:
    """An engine for tile queries: its own pool, autocommit (a tile is one statement, one round
    trip), :data:`SESSION_OPTIONS`, no ping on checkout (:class:`TileService` retries instead)."""
    kw.setdefault("pool_pre_ping", False)
    kw.setdefault("isolation_level", "AUTOCOMMIT")
    return make_engine(url, connect_args={"options": SESSION_OPTIONS}, **kw)


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
                if not raw.execute("SELECT pg_try_advisory_xact_lock(%s)", (ADVISORY_KEY,)).fetchone()[0]:
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
