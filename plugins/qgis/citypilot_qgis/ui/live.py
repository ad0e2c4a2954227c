"""Live states in the layers: one hidden memory table per CityPilot layer (code, live_state, live_since,
asset_id), joined to the layer on ``code``; a refresh (``/live`` in the visible area) or the live stream's
changes (by asset id) write only the states that changed, then re-join, so the map redraws without
reloading the features (the user's selection stays)."""

from __future__ import annotations

from collections.abc import Iterable

from qgis.core import QgsFeature, QgsProject, QgsVectorLayer, QgsVectorLayerJoinInfo

from ..logic.client import Client
from ..logic.live import LiveState, StateChange, live_states
from .layers import KIND_PROPERTY, TABLE_PROPERTY

FIELDS = ("code", "live_state", "live_since", "asset_id")


def live_table(project: QgsProject, layer: QgsVectorLayer) -> QgsVectorLayer:
    """The layer's live table, made and joined on first use (in the project, not in the layer tree)."""
    table = project.mapLayer(layer.customProperty(TABLE_PROPERTY) or "")
    if isinstance(table, QgsVectorLayer):
        return table
    table = QgsVectorLayer("None?field=code:string&field=live_state:string&field=live_since:string"
                           "&field=asset_id:integer", f"{layer.name()} — live", "memory")
    project.addMapLayer(table, False)
    layer.setCustomProperty(TABLE_PROPERTY, table.id())
    _join(layer, table)
    return table


def _join(layer: QgsVectorLayer, table: QgsVectorLayer) -> None:
    layer.removeJoin(table.id())
    join = QgsVectorLayerJoinInfo()
    join.setJoinLayer(table)
    join.setJoinFieldName("code")
    join.setTargetFieldName("code")
    join.setJoinFieldNamesSubset(["live_state", "live_since"])
    join.setPrefix("")
    join.setUsingMemoryCache(True)
    join.setEditable(False)
    layer.addJoin(join)


def write_states(layer: QgsVectorLayer, table: QgsVectorLayer, states: dict[str, LiveState]) -> int:
    """Store ``states`` in the layer's live table (only the changed ones) and redraw; how many changed."""
    provider = table.dataProvider()
    code_i, state_i, since_i, id_i = (table.fields().indexOf(name) for name in FIELDS)
    known = {f[code_i]: (f.id(), f[state_i]) for f in table.getFeatures()}
    updates, added = {}, []
    for code, live in states.items():
        if code in known:
            fid, state = known[code]
            if state != live.state:
                updates[fid] = {state_i: live.state, since_i: live.since, id_i: live.asset_id}
        else:
            feature = QgsFeature(table.fields())
            feature.setAttributes([code, live.state, live.since, live.asset_id])
            added.append(feature)
    if added:
        provider.addFeatures(added)
    return _store(layer, table, updates, bool(added)) + len(added)


def _store(layer: QgsVectorLayer, table: QgsVectorLayer, updates: dict[int, dict[int, object]],
           added: bool = False) -> int:
    if updates:
        table.dataProvider().changeAttributeValues(updates)
    if updates or added:
        _join(layer, table)  # the join's cache is read again: the renderer sees the new states
        layer.triggerRepaint()
    return len(updates)


def apply_changes(project: QgsProject, layers: Iterable[QgsVectorLayer], changes: Iterable[StateChange]) -> int:
    """The live stream's changes written to the layers of their kind, for the assets the layers' tables know
    (those read in the visible area; the others are read when the map shows them); how many changed."""
    by_kind: dict[str, dict[int, StateChange]] = {}
    for change in changes:
        by_kind.setdefault(change.kind, {})[change.asset_id] = change
    changed = 0
    for layer in layers:
        wanted = by_kind.get(layer.customProperty(KIND_PROPERTY) or "")
        table = project.mapLayer(layer.customProperty(TABLE_PROPERTY) or "")
        if not wanted or not isinstance(table, QgsVectorLayer):
            continue
        _, state_i, since_i, id_i = (table.fields().indexOf(name) for name in FIELDS)
        updates = {}
        for feature in table.getFeatures():
            change = wanted.get(feature[id_i])
            if change is not None and feature[state_i] != change.state:
                updates[feature.id()] = {state_i: change.state, since_i: change.since}
        changed += _store(layer, table, updates)
    return changed


def refresh_live(project: QgsProject, client: Client, layers: Iterable[QgsVectorLayer],
                 bbox: tuple[float, float, float, float] | None, scale: float | None = None) -> dict[str, int]:
    """Read the live states of each layer's kind in ``bbox`` (layers hidden at ``scale`` are skipped);
    how many states changed, by layer name."""
    changed = {}
    for layer in layers:
        if scale is not None and layer.hasScaleBasedVisibility() and not layer.isInScaleRange(scale):
            continue
        kind = layer.customProperty(KIND_PROPERTY)
        if not kind:
            continue
        changed[layer.name()] = write_states(layer, live_table(project, layer), live_states(client, kind, bbox))
    return changed
