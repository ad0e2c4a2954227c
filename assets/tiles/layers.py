"""Tile layers, one per asset family, and the service's settings."""


from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from assets.errors import NotFoundError

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
ADVISORY_KEY = 0x7C17E5  # serialises every writer of tile_cells, across processes
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




def layer_spec(name: str) -> LayerSpec:
    """The layer called ``name``; UnknownLayer otherwise."""
    try:
        return LAYERS[name]
    except KeyError:
        raise UnknownLayer(f"no tile layer {name!r} (layers: {', '.join(LAYERS)})") from None
