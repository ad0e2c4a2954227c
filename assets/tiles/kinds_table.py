"""``tile_kinds`` filled from the kind specs: the tile triggers copy an asset into ``tile_features`` when
its kind has a row there, in the layer of its family (``KindSpec.tile_layer``). So the SQL names no kind:
a migration that adds a kind calls :func:`sync_tile_kinds` (migration 0012_kind_facts does it once)."""

from __future__ import annotations

from sqlalchemy import Connection, text

from assets.kinds import all_specs


def tile_kind_layers() -> dict[str, str]:
    """kind -> tile layer, for every registered kind drawn in tiles (vehicles are not)."""
    return {spec.name: spec.tile_layer for spec in all_specs() if spec.tile_layer is not None}


def sync_tile_kinds(conn: Connection) -> bool:
    """Make ``tile_kinds`` say what the specs say; when it changed, refill the tile tables from ``assets``.
    Returns whether anything changed."""
    wanted = tile_kind_layers()
    held = dict(conn.execute(text("SELECT kind, layer FROM tile_kinds")).tuples().all())
    if held == wanted:
        return False
    conn.execute(text("DELETE FROM tile_kinds WHERE kind <> ALL(:kinds)"), {"kinds": list(wanted)})
    conn.execute(
        text("INSERT INTO tile_kinds (kind, layer) VALUES (:kind, :layer) "
             "ON CONFLICT (kind) DO UPDATE SET layer = excluded.layer"),
        [{"kind": kind, "layer": layer} for kind, layer in wanted.items()],
    )
    conn.execute(text("SELECT citypilot_tiles_rebuild()"))
    return True
