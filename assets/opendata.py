"""Open data: the public collections of the inventory, their features built as GeoJSON by PostGIS.

What is public is decided by :mod:`assets.privacy` (kinds and fields); this module only reads. A
page of features is one SQL statement whose result is the GeoJSON text of the features (PostGIS
writes the geometry, PostgreSQL the properties), so serving 1,000 features costs one query and no
Python object per feature.

Coordinates: CRS84 (lon, lat) by default; EPSG:4326 (lat, lon, as that CRS says), Lambert-93
(EPSG:2154) and Web Mercator (EPSG:3857) on request. ``datetime`` filters on the time of the
asset's last change (``updated_at``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from assets.errors import FieldError, NotFoundError, ValidationError
from assets.fields import coerce, editable_fields
from assets.kinds import spec_for
from assets.kinds_catalogue import attribute_type
from assets.privacy import open_data_fields, open_data_kinds

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
#: The CRSs features are served in: URI -> (SRID, axes swapped to lat, lon, decimals).
CRS_LIST: dict[str, tuple[int, bool, int]] = {
    CRS84: (4326, False, 7),
    EPSG + "4326": (4326, True, 7),
    EPSG + "2154": (2154, False, 2),
    EPSG + "3857": (3857, False, 2),
}
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 10
LIVE_KINDS = ("sensor",)  # collections carrying the device's latest values


@dataclass(frozen=True)
class Collection:
    """One public collection: a kind of asset."""

    id: str
    title_en: str
    title_fr: str
    geometry_types: tuple[str, ...]
    fields: tuple[str, ...]


@dataclass(frozen=True)
class FeatureQuery:
    """What a client asks of a collection's items. ``bbox`` is in ``bbox_crs``; ``datetime`` a
    closed or half-open interval (None: open end); ``filters`` field -> raw text (equality)."""

    collection: str
    bbox: Sequence[float] | None = None
    bbox_crs: str = CRS84
    crs: str = CRS84
    datetime: tuple[dt.datetime | None, dt.datetime | None] | None = None
    filters: Mapping[str, str] = field(default_factory=dict)
    properties: Sequence[str] | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0


@dataclass(frozen=True)
class FeaturePage:
    """GeoJSON text of the features (comma-joined Feature objects), and the counts."""

    features_json: str
    matched: int
    returned: int


def collections(include_fibre: bool = False) -> list[Collection]:
    """The public collections, in the kinds' order."""
    out = []
    for kind in open_data_kinds(include_fibre):
        spec = spec_for(kind)
        out.append(Collection(kind, spec.label_en, spec.label_fr, spec.geometry_types, open_data_fields(kind)))
    return out


def collection(collection_id: str, include_fibre: bool = False) -> Collection:
    """The public collection ``collection_id``; NotFoundError otherwise."""
    for found in collections(include_fibre):
        if found.id == collection_id:
            return found
    raise NotFoundError(f"no open-data collection {collection_id!r}")


def extent(conn: Connection, collection_id: str) -> dict[str, Any]:
    """The spatial (CRS84) and temporal extent of a collection's features."""
    row = conn.execute(text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1 FROM ("
        " SELECT ST_Transform(ST_SetSRID(ST_Extent(geom), 2154), 4326) AS e, min(updated_at) AS t0,"
        " max(updated_at) AS t1 FROM assets WHERE kind = :kind AND status <> 'removed') q"
    ), {"kind": collection_id}).one()
    bbox = [round(v, 6) for v in row[:4]] if row[0] is not None else [4.9, 47.2, 5.2, 47.4]
    interval = [row[4].isoformat() if row[4] else None, row[5].isoformat() if row[5] else None]
    return {"spatial": {"bbox": [bbox], "crs": CRS84}, "temporal": {"interval": [interval],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}}


def queryables(found: Collection) -> list[str]:
    """The fields a client may filter on by equality."""
    return [f for f in found.fields if f not in ("id",)]


def _properties_sql(found: Collection, wanted: Sequence[str] | None) -> str:
    names = list(found.fields) if wanted is None else [f for f in found.fields if f in wanted]
    pairs = [f"'{name}', a.{name}" for name in names if name != "id"]
    if found.id in LIVE_KINDS and (wanted is None or "values" in wanted):
        pairs += ["'values', l.values", "'last_seen', l.last_seen"]
    # json_build_object takes at most 100 arguments: build in chunks and merge.
    chunks = [pairs[i:i + 40] for i in range(0, len(pairs), 40)] or [[]]
    objects = [f"jsonb_build_object({', '.join(chunk)})" for chunk in chunks]
    return " || ".join(objects)


def _geometry_sql(found: Collection, crs: str) -> str:
    srid, swap, digits = CRS_LIST[crs]
    geom = "a.geom" if srid == 2154 else f"ST_Transform(a.geom, {srid})"
    if any("Polygon" in t for t in found.geometry_types):
        geom = f"ST_ForcePolygonCCW({geom})"
    if swap:
        geom = f"ST_FlipCoordinates({geom})"
    return f"ST_AsGeoJSON({geom}, {digits})::jsonb"


def _feature_sql(found: Collection, crs: str, properties: Sequence[str] | None) -> str:
    live = " LEFT JOIN live_state l ON l.asset_id = a.id" if found.id in LIVE_KINDS else ""
    return (
        f"SELECT a.id, jsonb_build_object('type', 'Feature', 'id', a.id, 'geometry', {_geometry_sql(found, crs)}, "
        f"'properties', {_properties_sql(found, properties)})::text AS f FROM assets a{live}"
    )


def _where(found: Collection, query: FeatureQuery) -> tuple[list[str], dict[str, Any]]:
    where = ["a.kind = :kind", "a.status <> 'removed'"]
    params: dict[str, Any] = {"kind": found.id}
    if query.bbox is not None:
        srid, swap, _ = CRS_LIST[query.bbox_crs]
        x0, y0, x1, y1 = query.bbox
        if swap:
            x0, y0, x1, y1 = y0, x0, y1, x1
        params.update(x0=x0, y0=y0, x1=x1, y1=y1, bsrid=srid)
        where.append("a.geom && ST_Transform(ST_MakeEnvelope(:x0, :y0, :x1, :y1, :bsrid), 2154)")
        where.append("ST_Intersects(a.geom, ST_Transform(ST_MakeEnvelope(:x0, :y0, :x1, :y1, :bsrid), 2154))")
    if query.datetime is not None:
        start, end = query.datetime
        if start is not None:
            where.append("a.updated_at >= :t0")
            params["t0"] = start
        if end is not None:
            where.append("a.updated_at <= :t1")
            params["t1"] = end
    for k, (name, raw) in enumerate(query.filters.items()):
        where.append(f"a.{name} = :v{k}")
        params[f"v{k}"] = _typed(found.id, name, raw)
    return where, params


def _typed(kind: str, name: str, raw: str) -> Any:
    """A filter's text as the column's type (choices read as the import reads them)."""
    if name in editable_fields(kind):
        value = coerce(kind, name, raw)
        if value is None:
            raise ValidationError(FieldError(name, "give a value to filter on"))
        return value
    kind_type = attribute_type(kind, name)
    try:
        if kind_type in ("integer", "reference"):
            return int(raw)
        if kind_type == "number":
            return float(raw)
        if kind_type == "boolean":
            return raw.strip().lower() in ("true", "1", "yes")
        if kind_type == "datetime":
            return dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if kind_type == "date":
            return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationError(FieldError(name, f"cannot read {raw[:40]!r}: {exc}")) from None
    return raw


def check_query(found: Collection, query: FeatureQuery) -> None:
    """ValidationError naming each parameter that cannot be used."""
    errors = []
    if not 1 <= query.limit <= MAX_LIMIT:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_LIMIT}"))
    if query.offset < 0:
        errors.append(FieldError("offset", "must be 0 or more"))
    for name, value in (("crs", query.crs), ("bbox-crs", query.bbox_crs)):
        if value not in CRS_LIST:
            errors.append(FieldError(name, f"{value!r} is not one of {', '.join(CRS_LIST)}"))
    if query.bbox is not None and len(query.bbox) != 4:
        errors.append(FieldError("bbox", "expected 4 numbers: min x, min y, max x, max y"))
    elif query.bbox is not None and not (query.bbox[0] <= query.bbox[2] and query.bbox[1] <= query.bbox[3]):
        errors.append(FieldError("bbox", "expected min x <= max x and min y <= max y"))
    allowed = queryables(found)
    for name in query.filters:
        if name not in allowed:
            errors.append(FieldError(name, f"not a property of {found.id} one may filter on"))
    for name in query.properties or ():
        if name not in found.fields and not (found.id in LIVE_KINDS and name == "values"):
            errors.append(FieldError("properties", f"{name!r} is not a property of {found.id}"))
    if errors:
        raise ValidationError(errors)


def feature_page(conn: Connection, query: FeatureQuery, include_fibre: bool = False) -> FeaturePage:
    """The page of features of ``query`` (by id), as GeoJSON text, with the number matched."""
    found = collection(query.collection, include_fibre)
    check_query(found, query)
    where, params = _where(found, query)
    condition = " AND ".join(where)
    matched = conn.execute(text(f"SELECT count(*) FROM assets a WHERE {condition}"), params).scalar_one()
    # The page's ids first: the rows OFFSET skips are never turned into GeoJSON.
    sql = (
        f"SELECT coalesce(string_agg(f, ',' ORDER BY id), ''), count(*) FROM ("
        f"{_feature_sql(found, query.crs, query.properties)} WHERE a.id IN ("
        f"SELECT a.id FROM assets a WHERE {condition} ORDER BY a.id LIMIT :limit OFFSET :offset)) q"
    )
    body, returned = conn.execute(text(sql), {**params, "limit": query.limit, "offset": query.offset}).one()
    return FeaturePage(body, matched, returned)


def feature_json(conn: Connection, collection_id: str, feature_id: int, crs: str = CRS84,
                 include_fibre: bool = False) -> str:
    """One public feature as GeoJSON text; NotFoundError if it is not in the collection."""
    found = collection(collection_id, include_fibre)
    if crs not in CRS_LIST:
        raise ValidationError(FieldError("crs", f"{crs!r} is not one of {', '.join(CRS_LIST)}"))
    row = conn.execute(
        text(f"{_feature_sql(found, crs, None)} WHERE a.id = :id AND a.kind = :kind AND a.status <> 'removed'"),
        {"id": feature_id, "kind": found.id},
    ).first()
    if row is None:
        raise NotFoundError(f"no feature {feature_id} in {collection_id}")
    return row.f
