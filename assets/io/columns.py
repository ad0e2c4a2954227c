"""The columns of an exported file and how imports recognise them.

An export holds every field of the kind, plus a ``*_code`` column beside each reference (``parent_code``
beside ``parent_id``...): ids belong to one database, codes travel, so an import resolves references by
code. Shapefile field names are at most 10 characters: :data:`SHAPEFILE_ABBREVIATIONS` gives readable
short names, anything longer and unlisted is cut by :func:`gis.formats.shapefile_names`, and an
import recognises the short names again.
"""

from __future__ import annotations

from dataclasses import dataclass

from assets.fields import GEOMETRY_FIELDS, all_fields
from assets.kinds import spec_for
from gis.formats import shapefile_names

SHAPEFILE_ABBREVIATIONS = {
    "commune_insee": "insee",
    "install_date": "inst_date",
    "manufacturer": "maker",
    "fibre_node_id": "fnode_id",
    "fibre_node_code": "fnode_code",
    "parent_code": "par_code",
    "energy_meter_id": "emeter_id",
    "energy_meter_code": "emeter_cod",
    "contract_power_kva": "contr_kva",
    "circuit_number": "circuit_no",
    "support_type": "supp_type",
    "luminaire_type": "lum_type",
    "power_w_before": "pw_before",
    "colour_temp_k": "col_temp_k",
    "dimming_profile": "dim_prof",
    "intersection": "intersect",
    "bus_priority": "bus_prio",
    "camera_type": "cam_type",
    "vehicle_type": "veh_type",
    "from_node_id": "from_node",
    "from_node_code": "from_ncode",
    "to_node_code": "to_ncode",
    "fibre_count": "fibre_cnt",
    "sensor_type": "sens_type",
    "meter_model": "meter_mod",
    "register_map": "reg_map",
    "modbus_host": "mb_host",
    "modbus_port": "mb_port",
    "building_use": "bldg_use",
    "floor_area_m2": "floor_m2",
}


@dataclass(frozen=True)
class Reference:
    """A reference field (``parent_id``) and the column carrying the referenced asset's code."""

    id_field: str
    code_column: str
    kinds: tuple[str, ...]


def references(kind: str) -> list[Reference]:
    """The references an asset of ``kind`` may hold, parent first."""
    spec = spec_for(kind)
    refs = {}
    if spec.parent_kinds:
        refs["parent_id"] = spec.parent_kinds
    refs.update(spec.references)
    return [Reference(f, f.removesuffix("_id") + "_code", kinds) for f, kinds in refs.items()]


def export_columns(kind: str) -> list[str]:
    """Every field of ``kind`` (geometries apart, but ``fov`` included as a column), with each
    reference's code column right after its id."""
    codes = {r.id_field: r.code_column for r in references(kind)}
    columns: list[str] = []
    for name in all_fields(kind):
        columns.append(name)
        if name in codes:
            columns.append(codes[name])
    columns.extend(g for g in geometry_columns(kind) if g != "geom")
    return columns


def geometry_columns(kind: str) -> list[str]:
    """The geometry fields of ``kind`` (``geom`` first, then ``fov`` for cameras)."""
    from assets.kinds import model_for

    attrs = model_for(kind).__mapper__.column_attrs.keys()
    return [g for g in GEOMETRY_FIELDS if g in attrs]


def shapefile_columns(kind: str) -> dict[str, str]:
    """Export column -> its DBF field name (≤ 10 characters), the same every time."""
    return shapefile_names(export_columns(kind), SHAPEFILE_ABBREVIATIONS)
