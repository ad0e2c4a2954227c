"""Every kind described for clients (the API's ``/kinds``, the desktop, the QGIS plugin, open data):
its facts and its settable attributes with their types, units, labels, choices and limits.

Built from the kind specs and the models alone, so a new kind is described with no other edit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, Integer, Numeric, SmallInteger
from sqlalchemy.dialects.postgresql import JSONB

from assets.fields import editable_fields
from assets.kinds import KindSpec, all_kinds, model_for, spec_for

#: The attribute types a client meets.
ATTRIBUTE_TYPES = ("text", "integer", "number", "boolean", "date", "datetime", "json", "reference")

#: Labels of the attributes every kind has (a spec's ``labels`` win).
CORE_LABELS: dict[str, tuple[str, str]] = {
    "code": ("code", "code"),
    "name": ("name", "nom"),
    "status": ("status", "statut"),
    "install_date": ("install date", "date de pose"),
    "manufacturer": ("manufacturer", "fabricant"),
    "model": ("model", "modèle"),
    "attrs": ("other attributes", "autres attributs"),
    "parent_id": ("parent", "parent"),
    "fibre_node_id": ("fibre node", "nœud fibre"),
    "dev_eui": ("DevEUI", "DevEUI"),
}


def attribute_type(kind: str, name: str) -> str:
    """The client type of attribute ``name`` of ``kind`` (one of :data:`ATTRIBUTE_TYPES`)."""
    column = model_for(kind).__mapper__.column_attrs[name].columns[0]
    sql_type = column.type
    if column.foreign_keys:
        return "reference"
    if isinstance(sql_type, Boolean):
        return "boolean"
    if isinstance(sql_type, (Integer, SmallInteger, BigInteger)):
        return "integer"
    if isinstance(sql_type, (Float, Numeric)):
        return "number"
    if isinstance(sql_type, DateTime):
        return "datetime"
    if isinstance(sql_type, Date):
        return "date"
    if isinstance(sql_type, JSONB):
        return "json"
    return "text"


def _references(spec: KindSpec, name: str) -> list[str]:
    if name == "parent_id":
        return list(spec.parent_kinds)
    return list(spec.references.get(name, ()))


def describe_attribute(spec: KindSpec, name: str) -> dict[str, Any]:
    """One attribute of ``spec``'s kind as clients read it."""
    en, fr = spec.labels.get(name) or CORE_LABELS.get(name) or (spec.label(name, "en"), spec.label(name, "fr"))
    low, high = spec.ranges.get(name, (None, None))
    kind_type = attribute_type(spec.name, name)
    required = name == "code" or name in spec.required or (name == "parent_id" and spec.parent_required)
    return {
        "name": name,
        "type": kind_type,
        "unit": spec.units.get(name),
        "labels": {"en": en, "fr": fr},
        "choices": [{"value": v, "label_en": spec.choice_label(name, v, "en"),
                     "label_fr": spec.choice_label(name, v, "fr")} for v in spec.choices.get(name, ())],
        "required": required,
        "complete": name in spec.complete,
        "min": low,
        "max": high,
        "references": _references(spec, name) if kind_type == "reference" else [],
    }


def describe_kind(kind: str) -> dict[str, Any]:
    """Every fact of ``kind`` a client needs: identity, geometry, needs, devices, tiles, style, attributes."""
    from assets.tiles.layers import LAYERS

    spec = spec_for(kind)
    layer = LAYERS.get(spec.tile_layer) if spec.tile_layer else None
    return {
        "name": spec.name,
        "family": spec.family,
        "labels": {"en": spec.label_en, "fr": spec.label_fr},
        "geometry_types": list(spec.geometry_types),
        "geometry_required": spec.geometry_required,
        "required": list(spec.required),
        "complete": list(spec.complete),
        "parents": list(spec.parent_kinds),
        "parent_required": spec.parent_required,
        "transport": spec.transport,
        "report_interval_s": spec.report_interval_s,
        "tile_layer": spec.tile_layer,
        "min_zoom": layer.kind_zoom.get(kind, layer.detail_zoom) if layer else None,
        "style": {**spec.style.as_json(), "passive": spec.passive},
        "attributes": [describe_attribute(spec, name) for name in editable_fields(kind)],
    }


def catalogue() -> list[dict[str, Any]]:
    """Every kind described, in the kinds' canonical order."""
    return [describe_kind(kind) for kind in all_kinds()]


def map_styles() -> dict[str, dict[str, Any]]:
    """kind -> how maps draw it (``KindSpec.style``, with ``passive``: drawn whatever the live-state filter)."""
    return {kind: {**spec_for(kind).style.as_json(), "passive": spec_for(kind).passive} for kind in all_kinds()}
