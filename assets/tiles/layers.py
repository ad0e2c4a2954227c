"""Tile layers, one per asset family (their kinds from the kind specs), and the service's settings."""


from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from assets.errors import NotFoundError
from assets.kinds import KindSpec, all_kinds, spec_for

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


@dataclass(frozen=True)
class FamilyLayer:
    """The tile settings of one family's layer (its kinds come from the kind specs)."""

    detail_zoom: int
    cluster_zoom: int  # dense tiles stay clusters up to here; must be >= detail_zoom - 1
    public: bool = False
    description: str = ""


#: The layer settings of each family drawn in tiles. A family not listed here gets :data:`OTHER_FAMILY`.
FAMILIES: dict[str, FamilyLayer] = {
    "lighting": FamilyLayer(13, 15, public=True,
                            description="Public lighting: cabinets, circuits, poles (from z16), luminaires"),
    "traffic": FamilyLayer(12, 13, description="Traffic signals: controllers, signal heads (from z15)"),
    "video": FamilyLayer(11, 12, description="CCTV cameras (staff only)"),
    "network": FamilyLayer(12, 13, description="Fibre network: segments, nodes (from z14); staff only"),
    "environment": FamilyLayer(10, 11, public=True, description="Environmental sensors (noise, air, temperature)"),
    "energy": FamilyLayer(11, 12, public=True, description="Connected public buildings and their energy meters"),
}
OTHER_FAMILY = FamilyLayer(12, 13)


def build_layers(specs: Iterable[KindSpec]) -> dict[str, LayerSpec]:
    """One layer per family of tiled kinds, in the kinds' order: its kinds, the devices clusters count
    (passive supports and cables left out) and the zoom each kind is drawn from (``KindSpec.detail_zoom``)."""
    by_layer: dict[str, list[KindSpec]] = {}
    for spec in specs:
        if spec.tile_layer is not None:
            by_layer.setdefault(spec.tile_layer, []).append(spec)
    layers = {}
    for name, members in by_layer.items():
        family = FAMILIES.get(name, OTHER_FAMILY)
        layers[name] = LayerSpec(
            name, tuple(s.name for s in members), tuple(s.name for s in members if not s.passive),
            detail_zoom=family.detail_zoom, cluster_zoom=family.cluster_zoom,
            kind_zoom={s.name: s.detail_zoom for s in members if s.detail_zoom is not None},
            public=family.public, description=family.description or f"{name} (staff only)",
        )
    return layers


class _Layers(Mapping[str, LayerSpec]):
    """The tile layers of the registered kinds, built on first use (and again when a kind registers)."""

    def __init__(self) -> None:
        self._kinds: tuple[str, ...] = ()
        self._layers: dict[str, LayerSpec] = {}

    def _current(self) -> dict[str, LayerSpec]:
        kinds = tuple(all_kinds())
        if kinds != self._kinds:
            self._layers, self._kinds = build_layers(spec_for(k) for k in kinds), kinds
        return self._layers

    def __getitem__(self, name: str) -> LayerSpec:
        return self._current()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())


#: Tile layers by name, one per asset family drawn in tiles.
LAYERS: Mapping[str, LayerSpec] = _Layers()
PUBLIC_LAYERS = tuple(name for name, family in FAMILIES.items() if family.public)


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
