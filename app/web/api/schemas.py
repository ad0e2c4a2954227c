"""JSON schemas (2020-12, as OpenAPI 3.1 uses them) of what the API reads and writes.

Plain dicts composed in Python, so the document has them inlined. Kind-specific asset attributes
are open (``additionalProperties``): ``GET /kinds`` lists them per kind.
"""

from __future__ import annotations

from typing import Any

from assets.identity import ROLES
from assets.live.records import LIVE_STATES
from assets.models import INVENTORY_STATUSES

Schema = dict[str, Any]


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema, **kw: Any) -> Schema:
    return {"type": "array", "items": items, **kw}


def obj(properties: dict[str, Schema], required: tuple[str, ...] = (), *, extra: bool = True, **kw: Any) -> Schema:
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": extra,
            **kw}


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
TIME: Schema = {"type": "string", "format": "date-time"}
NEXT: Schema = {**nullable({"type": "string", "format": "uri"}), "description": "the next page, or null"}

GEOMETRY: Schema = obj(
    {
        "type": {"enum": ["Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"]},
        "coordinates": {"type": "array"},
    },
    ("type", "coordinates"),
    description="a GeoJSON geometry in WGS84 (lon, lat)",
)

ASSET_CORE: dict[str, Schema] = {
    "id": INTEGER,
    "kind": STRING,
    "code": STRING,
    "name": nullable(STRING),
    "status": {"enum": list(INVENTORY_STATUSES), "description": "inventory status (not the live state)"},
    "commune_insee": nullable(STRING),
    "install_date": nullable({"type": "string", "format": "date"}),
    "manufacturer": nullable(STRING),
    "model": nullable(STRING),
    "attrs": {"type": "object"},
    "parent_id": nullable(INTEGER),
    "fibre_node_id": nullable(INTEGER),
    "created_at": TIME,
    "created_by": {**nullable(INTEGER), "description": "user id (not shown to the public)"},
    "updated_at": TIME,
    "updated_by": {**nullable(INTEGER), "description": "user id (not shown to the public)"},
    "version": {"type": "integer", "description": "send it back to update (optimistic locking)"},
    "fov": {**nullable(GEOMETRY), "description": "camera field of view (not shown to the public)"},
}
ASSET_REQUIRED = ("id", "kind", "code", "status", "version")

ASSET_PROPERTIES: Schema = obj(ASSET_CORE, ASSET_REQUIRED, description="core fields and the kind's own attributes")
ASSET: Schema = obj({**ASSET_CORE, "geom": nullable(GEOMETRY)}, (*ASSET_REQUIRED, "geom"))
FEATURE: Schema = obj(
    {"type": {"const": "Feature"}, "id": INTEGER, "geometry": nullable(GEOMETRY), "properties": ASSET_PROPERTIES},
    ("type", "id", "geometry", "properties"),
)
FEATURE_COLLECTION: Schema = obj(
    {
        "type": {"const": "FeatureCollection"},
        "features": array(FEATURE),
        "numberMatched": INTEGER,
        "numberReturned": INTEGER,
        "links": array(obj({"rel": STRING, "type": STRING, "href": STRING}, ("rel", "href"))),
    },
    ("type", "features", "numberMatched", "numberReturned", "links"),
)


def page_of(item: Schema, **extra: Schema) -> Schema:
    """A page: ``items``, ``total`` (all matches), ``limit``, ``next`` (link or null)."""
    return obj(
        {"items": array(item), "total": INTEGER, "limit": INTEGER, "next": NEXT, **extra},
        ("items", "total", "limit", "next", *extra),
    )


ASSET_PAGE = page_of(ASSET)

# -- requests -------------------------------------------------------------------------------------

_PROPERTIES_IN: Schema = {
    "type": "object",
    "description": "field values: core fields and the kind's attributes (text is read as the CLI reads it)",
}
CREATE_ASSET: Schema = obj(
    {
        "type": {"const": "Feature"},
        "geometry": nullable(GEOMETRY),
        "properties": {**_PROPERTIES_IN, "required": ["kind"], "properties": {"kind": STRING}},
    },
    ("properties",),
    description="a GeoJSON Feature in WGS84; properties.kind says the asset kind",
)
UPDATE_ASSET: Schema = obj(
    {
        "version": {"type": "integer", "description": "the version edited (or send it in If-Match)"},
        "geometry": nullable(GEOMETRY),
        "properties": _PROPERTIES_IN,
    },
    description="only the fields to change; `version` here or as If-Match",
)
RETIRE_ASSET: Schema = obj({"version": INTEGER}, description="`version` here or as If-Match (optional)")

# -- history, topology, statistics ---------------------------------------------------------------

HISTORY_ENTRY: Schema = obj(
    {
        "id": INTEGER, "asset_id": INTEGER, "action": {"enum": ["insert", "update", "retire", "delete"]},
        "actor": STRING, "actor_id": nullable(INTEGER), "at": TIME, "changed": nullable(array(STRING)),
        "before": nullable({"type": "object"}), "after": nullable({"type": "object"}),
    },
    ("id", "asset_id", "action", "actor", "at"),
)
HISTORY_PAGE = page_of(HISTORY_ENTRY)
FEEDS: Schema = obj(
    {
        "asset_id": INTEGER,
        "total": INTEGER,
        "items": array(obj({"id": INTEGER, "kind": STRING, "code": STRING, "depth": INTEGER},
                           ("id", "kind", "code", "depth"))),
    },
    ("asset_id", "total", "items"),
)
STATS: Schema = obj(
    {"counts": {"type": "object", "additionalProperties": INTEGER}, "by_status": {"type": "object"}},
    ("counts",),
    description="the same figures as `citypilot stats --json`",
)

QUALITY_ITEM: Schema = obj(
    {
        "id": INTEGER, "kind": STRING, "code": STRING, "name": nullable(STRING), "commune_insee": nullable(STRING),
        "commune": nullable(STRING), "missing": array(STRING),
    },
    ("id", "kind", "code", "missing"),
    description="an incomplete asset and the attributes it lacks",
)
QUALITY_PAGE = page_of(
    QUALITY_ITEM,
    missing={"type": "object", "description": "kind -> attribute -> matching assets lacking it",
             "additionalProperties": {"type": "object", "additionalProperties": INTEGER}},
    assets={"type": "object", "description": "kind -> matching assets (complete or not)",
            "additionalProperties": INTEGER},
)

# -- live data ------------------------------------------------------------------------------------

LIVE_STATE: Schema = {"enum": list(LIVE_STATES)}
LIVE: Schema = obj(
    {
        "asset_id": INTEGER, "state": LIVE_STATE, "state_since": nullable(TIME), "ts": nullable(TIME),
        "last_seen": nullable(TIME), "values": {"type": "object"}, "lon": nullable(NUMBER), "lat": nullable(NUMBER),
        "speed_kmh": nullable(NUMBER), "heading_deg": nullable(NUMBER), "source": nullable(STRING),
    },
    ("asset_id", "state"),
    description="what the device last said; state `unknown` and nulls when it never spoke",
)
LIVE_ITEM: Schema = obj({**LIVE["properties"], "kind": STRING, "code": STRING}, ("asset_id", "kind", "code", "state"))
LIVE_PAGE = page_of(LIVE_ITEM)
SERIES: Schema = obj(
    {
        "asset_id": INTEGER, "metric": STRING, "since": TIME, "until": nullable(TIME),
        "points": array(obj({"ts": TIME, "value": {"type": ["number", "string", "null"]}}, ("ts", "value"))),
    },
    ("asset_id", "metric", "since", "points"),
)
VEHICLES: Schema = obj({"items": array(LIVE_ITEM), "total": INTEGER}, ("items", "total"))
TRACK: Schema = obj(
    {
        "asset_id": INTEGER, "since": TIME, "until": nullable(TIME),
        "points": array(obj({
            "ts": TIME, "lon": NUMBER, "lat": NUMBER, "speed_kmh": nullable(NUMBER),
            "heading_deg": nullable(NUMBER), "accuracy_m": nullable(NUMBER), "source": nullable(STRING),
        }, ("ts", "lon", "lat"))),
    },
    ("asset_id", "since", "points"),
)

# -- import ---------------------------------------------------------------------------------------

IMPORT_FORM: Schema = obj(
    {
        "file": {"type": "string", "format": "binary", "description": ".geojson, .json, .gpkg, .csv, .txt or .zip "
                 "(a zipped shapefile)"},
        "kind": STRING,
        "crs": {"type": "string", "description": "overrides the file's CRS (EPSG:2154, 4326...)"},
        "layer": {"type": "string", "description": "GeoPackage layer"},
        "map": array(STRING, description="SOURCE=TARGET column mappings (repeat the field)"),
        "default": array(STRING, description="FIELD=VALUE for empty cells"),
        "recode": array(STRING, description="FIELD:VALUE=NEW rewrites"),
        "code_template": {"type": "string", "description": "codes for rows without one, e.g. LUM-{n:06d} "
                          "(default: the kind's pattern), numbered after the kind's highest"},
        "dry_run": BOOLEAN,
    },
    ("file", "kind"),
)
IMPORT_REPORT: Schema = obj(
    {
        "import_id": STRING, "file": STRING, "kind": STRING, "format": STRING, "layer": nullable(STRING),
        "read": INTEGER, "imported": INTEGER, "rejected": INTEGER, "duplicates": INTEGER,
        "errors": {"type": "object", "additionalProperties": INTEGER, "description": "rows per reason"},
        "errors_by_field": {"type": "object", "additionalProperties": INTEGER},
        "crs": STRING, "crs_source": STRING, "seconds": NUMBER, "dry_run": BOOLEAN, "columns": {"type": "object"},
        "hints": array(STRING),
        "codes_made": INTEGER, "code_range": array(STRING), "code_template": STRING,
        "incomplete": {**INTEGER, "description": "imported rows lacking what a complete record has"},
        "missing": {"type": "object", "additionalProperties": INTEGER,
                    "description": "complete-record attribute -> imported rows lacking it"},
        "unmapped": {"type": "object", "description": "choice field -> value naming no choice -> imported rows",
                     "additionalProperties": {"type": "object", "additionalProperties": INTEGER}},
        "rejects_url": {**nullable(STRING), "description": "the rejected rows with their reasons (CSV), or null"},
    },
    ("import_id", "file", "kind", "read", "imported", "rejected", "duplicates", "errors", "rejects_url"),
)

# -- people ---------------------------------------------------------------------------------------

USER: Schema = obj(
    {
        "id": INTEGER, "name": STRING, "full_name": nullable(STRING), "role": {"enum": list(ROLES)},
        "disabled": BOOLEAN, "created_at": TIME, "last_login_at": nullable(TIME),
    },
    ("id", "name", "role", "disabled"),
)
USERS: Schema = obj({"items": array(USER), "total": INTEGER}, ("items", "total"))
CREATE_USER: Schema = obj(
    {
        "name": {"type": "string", "minLength": 1},
        "role": {"enum": list(ROLES)},
        "full_name": nullable(STRING),
        "password": {"type": "string", "description": "optional: without one, the user cannot sign in"},
    },
    ("name", "role"),
    extra=False,
)
ME: Schema = obj(
    {
        "id": INTEGER, "name": STRING, "full_name": nullable(STRING), "role": {"enum": list(ROLES)},
        "via": {"enum": ["session", "token"]},
        "csrf_token": {"type": "string", "description": "with the session cookie: send it as X-CSRF-Token"},
    },
    ("id", "name", "role", "via"),
)
LABELS: Schema = obj({"en": STRING, "fr": STRING}, ("en", "fr"))
MAP_STYLE: Schema = obj({
    "radius": array(NUMBER, description="point radius by zoom step (z <= 12, <= 14, 15, <= 17, beyond)"),
    "outline": nullable(STRING), "weight": NUMBER, "fixed": nullable(STRING), "line": nullable(STRING),
    "opacity": nullable(NUMBER), "area": BOOLEAN,
    "passive": {**BOOLEAN, "description": "no device: drawn whatever the live-state filter"},
}, ("radius", "weight", "area", "passive"), description="how a map draws the kind (fill: the live state)")
KIND_ATTRIBUTE: Schema = obj({
    "name": STRING,
    "type": {"enum": ["text", "integer", "number", "boolean", "date", "json", "reference"]},
    "unit": nullable(STRING), "labels": LABELS,
    "choices": array(obj({"value": STRING, "label_en": STRING, "label_fr": STRING}, ("value", "label_en", "label_fr"))),
    "required": {**BOOLEAN, "description": "an asset cannot exist without it"},
    "complete": {**BOOLEAN, "description": "a complete record has it"},
    "min": nullable(NUMBER), "max": nullable(NUMBER),
    "references": array(STRING, description="the kinds a reference may point to"),
}, ("name", "type", "labels", "choices", "required", "complete", "references"))
KINDS: Schema = obj(
    {
        "items": array(obj({
            "name": STRING, "family": STRING, "label": STRING, "label_en": STRING, "label_fr": STRING,
            "labels": LABELS, "geometry_types": array(STRING), "geometry_required": BOOLEAN,
            "required": array(STRING), "complete": array(STRING), "parents": array(STRING),
            "parent_required": BOOLEAN,
            "transport": {**nullable(STRING), "description": "lorawan, modbus, mqtt or gps; null: passive"},
            "report_interval_s": nullable(INTEGER),
            "tile_layer": {**nullable(STRING), "description": "null: not in tiles (vehicles)"},
            "min_zoom": nullable(INTEGER), "style": MAP_STYLE, "attributes": array(KIND_ATTRIBUTE),
            "choices": {"type": "object", "additionalProperties": array(STRING)},
            "fields": array(STRING, description="the fields a client may set"),
        }, ("name", "family", "label", "labels", "fields", "attributes", "style"))),
    },
    ("items",),
)
