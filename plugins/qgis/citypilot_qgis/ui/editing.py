"""Editing CityPilot in QGIS: an editable layer of a kind's assets read from the API (ids and versions), whose
save goes through the API — the server's rules decide, refusals are named per feature and field, a conflict
asks "theirs or mine". Nothing is written behind the server's back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from qgis.core import (
    QgsFeature,
    QgsFeatureRequest,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsJsonUtils,
    QgsProject,
    QgsVectorLayer,
)

from ..logic.client import Client
from ..logic.edits import EditSession, Op, Outcome, Status, commit, keep_mine
from ..logic.kinds import Kind
from .layers import KIND_PROPERTY, apply_style
from .qt_compat import BOOL, DOUBLE, INT, STRING

EDIT_PROPERTY = "citypilot/edit"
_TYPES = {"integer": INT, "number": DOUBLE, "boolean": BOOL, "reference": INT}
#: Returns ``"mine"`` or ``"theirs"`` for a conflicting change (the dialog; tests decide directly).
ConflictChoice = Callable[[Outcome], str]


def fields_of(kind: Kind) -> QgsFields:
    fields = QgsFields()
    fields.append(QgsField("id", INT))
    fields.append(QgsField("version", INT))
    for attribute in kind.attributes:
        fields.append(QgsField(attribute.name, _TYPES.get(attribute.type, STRING)))
    return fields


def _geometry(geojson: Mapping[str, Any] | None) -> QgsGeometry:
    if not geojson:
        return QgsGeometry()
    text = json.dumps({"type": "Feature", "geometry": geojson, "properties": {}})
    parsed = QgsJsonUtils.stringToFeatureList(text, QgsFields())
    return parsed[0].geometry() if parsed else QgsGeometry()


def _geojson(geometry: QgsGeometry) -> dict[str, Any]:
    return json.loads(geometry.asJson(7))


def _value(kind: Kind, name: str, value: Any) -> Any:
    attribute = kind.attribute(name)
    if attribute is not None and attribute.type == "json" and value is not None and not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return value


def _to_api(kind: Kind, name: str, value: Any) -> Any:
    if type(value).__name__ == "QVariant" or value is None or value == "":
        return None
    attribute = kind.attribute(name)
    if attribute is not None and attribute.type == "json" and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value  # the server names the field and the reason
    return value


def _geometry_type(kind: Kind, features: list[Mapping[str, Any]]) -> str:
    for feature in features:
        if feature.get("geometry"):
            return str(feature["geometry"]["type"])
    return kind.geometry_types[0] if kind.geometry_types else "Point"


def edit_layer(client: Client, kind: Kind, language: str, bbox: tuple[float, float, float, float] | None = None,
               codes: Iterable[str] = ()) -> QgsVectorLayer:
    """A layer of ``kind``'s assets in ``bbox`` (WGS84) or with ``codes``, as the API has them now."""
    params: dict[str, Any] = {"kind": kind.name, "f": "geojson"}
    if bbox is not None:
        params["bbox"] = ",".join(f"{v:.7f}" for v in bbox)
    wanted = {str(c) for c in codes}
    features = [f for f in client.pages("/assets", **params)
                if not wanted or str((f.get("properties") or {}).get("code")) in wanted]
    layer = QgsVectorLayer(f"{_geometry_type(kind, features)}?crs=EPSG:4326",
                           f"✎ {kind.label(language)}", "memory")
    provider = layer.dataProvider()
    fields = fields_of(kind)
    provider.addAttributes(list(fields))
    layer.updateFields()
    rows = []
    for item in features:
        properties = item.get("properties") or {}
        feature = QgsFeature(layer.fields())
        feature.setAttributes([_value(kind, f.name(), properties.get(f.name())) for f in layer.fields()])
        feature.setGeometry(_geometry(item.get("geometry")))
        rows.append(feature)
    provider.addFeatures(rows)
    layer.updateExtents()
    layer.setCustomProperty(KIND_PROPERTY, kind.name)
    layer.setCustomProperty(EDIT_PROPERTY, True)
    apply_style(layer, kind, language)
    return layer


def read_session(layer: QgsVectorLayer, kind: Kind) -> tuple[EditSession, dict[int, int]]:
    """The layer's pending edits as an :class:`EditSession`; also asset id → QGIS feature id."""
    buffer = layer.editBuffer()
    provider = layer.dataProvider()
    names = [f.name() for f in layer.fields()]
    originals: dict[int, QgsFeature] = {}
    touched = {*buffer.changedAttributeValues(), *buffer.changedGeometries(), *buffer.deletedFeatureIds()}
    for feature in provider.getFeatures(QgsFeatureRequest().setFilterFids([f for f in touched if f >= 0])):
        originals[feature.id()] = feature
    fid_of = {int(f["id"]): fid for fid, f in originals.items()}
    versions = {int(f["id"]): int(f["version"]) for f in originals.values()}
    changed = {int(originals[fid]["id"]): {names[i]: _to_api(kind, names[i], v) for i, v in values.items()}
               for fid, values in buffer.changedAttributeValues().items() if fid in originals}
    moved = {int(originals[fid]["id"]): _geojson(g)
             for fid, g in buffer.changedGeometries().items() if fid in originals}
    added = {}
    for fid, feature in buffer.addedFeatures().items():
        properties = {n: _to_api(kind, n, feature[n]) for n in names if n not in ("id", "version")}
        properties = {k: v for k, v in properties.items() if v is not None}
        geometry = feature.geometry()
        added[fid] = (properties, None if geometry.isNull() else _geojson(geometry))
    deleted = [int(originals[fid]["id"]) for fid in buffer.deletedFeatureIds() if fid in originals]
    return EditSession(kind.name, versions, added, changed, moved, deleted), fid_of


@dataclass
class EditController:
    """Sends an edit layer's save through the API; ``outcomes`` of the last save, ``problems`` as text."""

    client: Client
    kind: Kind
    layer: QgsVectorLayer
    choose: ConflictChoice
    on_saved: Callable[[list[Outcome]], None] = lambda outcomes: None
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.layer.beforeCommitChanges.connect(self._before_commit)
        self.layer.afterCommitChanges.connect(self._after_commit)

    def _before_commit(self, *_: Any) -> None:
        session, fid_of = read_session(self.layer, self.kind)
        outcomes = commit(self.client, session)
        resolved = []
        for outcome in outcomes:
            if outcome.status is Status.CONFLICT and self.choose(outcome) == "mine":
                outcome = keep_mine(self.client, outcome)
            resolved.append(outcome)
        self.outcomes = resolved
        for outcome in resolved:
            self._settle(outcome, fid_of)

    def _settle(self, outcome: Outcome, fid_of: Mapping[int, int]) -> None:
        """Make the edit buffer hold what the server has: saved values, or the server's on a refusal."""
        change = outcome.change
        fid = change.key if change.op is Op.CREATE else fid_of.get(change.asset_id or -1)
        if fid is None:
            return
        record = outcome.saved or outcome.current
        if record is None and change.asset_id is not None:
            record = self.client.asset(change.asset_id)  # refused: show what the server has
        if change.op is Op.CREATE and outcome.status is not Status.SAVED:
            self.layer.deleteFeature(fid)  # not in CityPilot: not kept as if it were (the problem is reported)
            return
        if change.op is Op.RETIRE:
            return  # retired: gone from the edit layer; refused: restored after the save (see _after_commit)
        if record:
            self._write(fid, record)

    def _write(self, fid: int, record: Mapping[str, Any]) -> None:
        properties = record.get("properties") or {}
        for index, item in enumerate(self.layer.fields()):
            if item.name() in properties:
                self.layer.changeAttributeValue(fid, index, _value(self.kind, item.name(), properties[item.name()]))
        if record.get("geometry"):
            self.layer.changeGeometry(fid, _geometry(record["geometry"]))

    def _after_commit(self, *_: Any) -> None:
        refused_retires = [o for o in self.outcomes if o.change.op is Op.RETIRE and o.status is not Status.SAVED]
        for outcome in refused_retires:
            asset_id = outcome.change.asset_id
            current = outcome.current or (self.client.asset(asset_id) if asset_id else None)
            if current:
                feature = QgsFeature(self.layer.fields())
                properties = current.get("properties") or {}
                feature.setAttributes([_value(self.kind, f.name(), properties.get(f.name()))
                                       for f in self.layer.fields()])
                feature.setGeometry(_geometry(current.get("geometry")))
                self.layer.dataProvider().addFeatures([feature])
        self.layer.triggerRepaint()
        self.on_saved(self.outcomes)

    def problems(self, language: str = "en") -> list[str]:
        """One line per refused field or change: ``code · field: reason``."""
        lines = []
        for outcome in self.outcomes:
            if outcome.status is Status.SAVED:
                continue
            who = outcome.change.properties.get("code") or outcome.change.asset_id or outcome.change.key
            if outcome.problems:
                lines.extend(f"{who} · {p.field}: {p.reason}" for p in outcome.problems)
            else:
                lines.append(f"{who}: {outcome.message}")
        return lines


def add_edit_layer(project: QgsProject, layer: QgsVectorLayer) -> QgsVectorLayer:
    project.addMapLayer(layer)
    return layer
