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

from assets.tiles.layers import (
    LAYERS,
    PUBLIC_LAYERS,
    SESSION_OPTIONS,
    LayerSpec,
    TileSettings,
    UnknownLayer,
    layer_spec,
)
from assets.tiles.service import TileService, tile_engine
from assets.tiles.sql import TileQuery, tile_query

__all__ = [
    "LAYERS", "PUBLIC_LAYERS", "SESSION_OPTIONS", "LayerSpec", "TileQuery", "TileService", "TileSettings",
    "UnknownLayer", "layer_spec", "tile_engine", "tile_query",
]
