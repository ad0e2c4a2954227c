"""Export the assets of one kind to GeoJSON (RFC 7946), GeoPackage, Shapefile or CSV.

Rows are streamed from PostGIS in chunks (plain columns and ``ST_AsBinary``, no ORM objects) and
appended to the file chunk by chunk. What each format holds:

- GeoJSON: WGS84 lon/lat rounded to 7 decimals (about 1 cm), counter-clockwise exterior rings, no
  ``crs`` member; properties are every field of the kind, ``attrs`` as an object, dates in ISO 8601,
  a camera's ``fov`` as a GeoJSON geometry.
- GeoPackage and Shapefile: Lambert-93 (EPSG:2154) geometries, typed fields; ``attrs`` as JSON text,
  times as ISO 8601 text, ``fov`` as EWKT. Shapefile field names are cut to 10 characters by
  :func:`assets.io.columns.shapefile_columns` and listed in ``<stem>.fields.csv``; a kind whose
  geometries mix points, lines and polygons is written as one shapefile per family
  (``<stem>_points.shp``...), which a shapefile cannot mix.
- CSV: every field, ``lon``/``lat`` (WGS84, points only) and ``wkt`` as EWKT in Lambert-93 (mm).

Beside each reference id (``parent_id``) is the referenced asset's code (``parent_code``): imports
resolve references by code, so an export imports into another database as the same assets.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Boolean, Date, DateTime, Engine, Float, Integer, Row, text
from sqlalchemy.dialects.postgresql import JSONB

from assets.errors import CityPilotError, FieldError, ValidationError
from assets.io.columns import export_columns, geometry_columns, references, shapefile_columns
from assets.kinds import model_for, spec_for
from assets.models.base import INVENTORY_STATUSES
from assets.territory import commune_codes
from gis.crs import STORAGE_SRID, WGS84_SRID, from_storage, parse_crs, srid_of
from gis.formats import (
    SHAPEFILE_TEXT_MAX,
    CsvWriter,
    FormatError,
    GeoJSONWriter,
    OgrWriter,
    detect_format,
    ewkt,
    remove_dataset,
    rfc7946_geometries,
)

CHUNK = 5000
EXTENSIONS = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".shp", "csv": ".csv"}
FAMILIES = {0: "points", 1: "lines", 2: "polygons"}
_SHP_TYPES = {0: ("Point", False), 1: ("MultiLineString", True), 2: ("MultiPolygon", True)}


@dataclass
class ExportResult:
    """Rows written and the files holding them (several only for a mixed-geometry shapefile)."""

    rows: int
    paths: list[Path] = field(default_factory=list)


def export_assets(
    engine: Engine,
    kind: str,
    path: str | Path,
    fmt: str | None = None,
    *,
    status: str | Sequence[str] | None = None,
    commune: str | Sequence[str] | None = None,
    bbox: Sequence[float] | None = None,
    bbox_crs: str | int = WGS84_SRID,
) -> int:
    """Write the assets of ``kind`` to ``path``; returns the number of rows written.

    ``fmt`` is ``geojson``, ``gpkg``, ``shp`` or ``csv`` (default: from the suffix). Filters:
    ``status`` (one or several inventory statuses), ``commune`` (INSEE codes or names), ``bbox``
    (xmin, ymin, xmax, ymax in ``bbox_crs``, WGS84 by default).
    """
    return export(engine, kind, path, fmt, status=status, commune=commune, bbox=bbox, bbox_crs=bbox_crs).rows


def export(
    engine: Engine,
    kind: str,
    path: str | Path,
    fmt: str | None = None,
    *,
    status: str | Sequence[str] | None = None,
    commune: str | Sequence[str] | None = None,
    bbox: Sequence[float] | None = None,
    bbox_crs: str | int = WGS84_SRID,
    fields: Sequence[str] | None = None,
    members: Mapping[str, Any] | None = None,
    layer_metadata: Mapping[str, str] | None = None,
) -> ExportResult:
    """:func:`export_assets`, also telling which files were written. ``fields`` keeps only those
    fields (open data); ``members`` are written at the top of a GeoJSON, ``layer_metadata`` in a
    GeoPackage layer's metadata (a licence, an attribution)."""
    spec_for(kind)
    path = Path(path)
    if fmt is None:
        try:
            fmt = detect_format(path)
        except FormatError as exc:
            raise ValidationError(FieldError("format", f"{exc}; choose one of geojson, gpkg, shp, csv")) from None
    fmt = fmt.lower()
    if fmt not in EXTENSIONS:
        raise ValidationError(FieldError("format", f"{fmt!r} is not one of {', '.join(EXTENSIONS)}"))
    if path.is_dir():
        path = path / f"{kind}{EXTENSIONS[fmt]}"
    if not path.parent.exists():
        raise CityPilotError(f"cannot write {path}: folder {path.parent} does not exist")
    query = _Query(kind, fields)
    with engine.connect() as conn:
        where, params = query.filters(conn, status, commune, bbox, bbox_crs)
        if fmt == "shp":
            dims = sorted(d for (d,) in conn.execute(text(query.dimensions_sql(where)), params) if d is not None)
            return _write_shapefiles(conn, query, path, where, params, dims)
        chunks = query.chunks(conn, where, params)
        try:
            if fmt == "geojson":
                rows = _write_geojson(path, query, chunks, members)
            elif fmt == "csv":
                rows = _write_csv(path, query, chunks)
            else:
                rows = _write_ogr(path, "gpkg", query, chunks, _gpkg_type(kind), promote=False,
                                  metadata=layer_metadata)
        except BaseException:
            remove_dataset(path)
            raise
    return ExportResult(rows, [path])


# -- the query ------------------------------------------------------------------------------------


class _Query:
    """Columns of one kind, as SQL and as Python types."""

    def __init__(self, kind: str, fields: Sequence[str] | None = None) -> None:
        self.kind = kind
        self.model = model_for(kind)
        self.columns = [c for c in export_columns(kind) if fields is None or c in fields]
        self.geometries = geometry_columns(kind)
        self.refs = references(kind)
        mapper_columns = self.model.__mapper__.column_attrs
        self.types: dict[str, Any] = {}
        for name in self.columns:
            if name in mapper_columns:
                self.types[name] = mapper_columns[name].columns[0].type
        selects = []
        joins = []
        codes = {r.code_column: r for r in self.refs}
        for n, name in enumerate(self.columns):
            if name in codes:
                joins.append(f"LEFT JOIN assets r{n} ON r{n}.id = a.{codes[name].id_field}")
                selects.append(f"r{n}.code AS {name}")
            elif name in self.geometries:
                selects.append(f"ST_AsBinary(a.{name}) AS {name}")
            else:
                selects.append(f"a.{name}")
        selects.append("ST_AsBinary(a.geom) AS geom")
        self.select = f"SELECT {', '.join(selects)} FROM assets a {' '.join(joins)}"

    def kind_of(self, name: str) -> str:
        """``text``, ``bool``, ``int``, ``float``, ``date``, ``datetime``, ``json`` or ``geometry``."""
        if name in self.geometries:
            return "geometry"
        column_type = self.types.get(name)
        if isinstance(column_type, Boolean):
            return "bool"
        if isinstance(column_type, Integer):
            return "int"
        if isinstance(column_type, Float):
            return "float"
        if isinstance(column_type, DateTime):
            return "datetime"
        if isinstance(column_type, Date):
            return "date"
        if isinstance(column_type, JSONB):
            return "json"
        return "text"

    def filters(
        self, conn: Any, status: Any, commune: Any, bbox: Sequence[float] | None, bbox_crs: str | int
    ) -> tuple[str, dict[str, Any]]:
        where = ["a.kind = :kind"]
        params: dict[str, Any] = {"kind": self.kind}
        statuses = _as_list(status)
        if statuses:
            bad = [s for s in statuses if s not in INVENTORY_STATUSES]
            if bad:
                raise ValidationError(
                    FieldError("status", f"{bad[0]!r} is not one of {', '.join(INVENTORY_STATUSES)}")
                )
            where.append("a.status = ANY(:statuses)")
            params["statuses"] = statuses
        communes = _as_list(commune)
        if communes:
            params["communes"] = commune_codes(conn, communes)
            where.append("a.commune_insee = ANY(:communes)")
        if bbox is not None:
            values = [float(v) for v in bbox]
            if len(values) != 4 or values[0] >= values[2] or values[1] >= values[3]:
                raise ValidationError(FieldError("bbox", "expected xmin,ymin,xmax,ymax with xmin < xmax, ymin < ymax"))
            srid = srid_of(parse_crs(bbox_crs))
            if srid is None:
                raise ValidationError(FieldError("bbox", f"CRS {bbox_crs!r} has no EPSG code"))
            where.append(
                "a.geom && ST_Transform(ST_MakeEnvelope(:x0, :y0, :x1, :y1, :bbox_srid), :srid) "
                "AND ST_Intersects(a.geom, ST_Transform(ST_MakeEnvelope(:x0, :y0, :x1, :y1, :bbox_srid), :srid))"
            )
            params.update(dict(zip(("x0", "y0", "x1", "y1"), values, strict=True)), bbox_srid=srid, srid=STORAGE_SRID)
        return " AND ".join(where), params

    def dimensions_sql(self, where: str) -> str:
        return f"SELECT DISTINCT ST_Dimension(a.geom) FROM assets a WHERE {where}"

    def chunks(self, conn: Any, where: str, params: dict[str, Any]) -> Iterator[list[Row]]:
        sql = text(f"{self.select} WHERE {where} ORDER BY a.id")
        result = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(sql, params)
        yield from result.partitions(CHUNK)


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [v for v in value if v]




# -- GeoJSON and CSV ---------------------------------------------------------------------------------


def _geometries(rows: list[Row], name: str) -> np.ndarray:
    return shapely.from_wkb(np.array([None if r._mapping[name] is None else bytes(r._mapping[name]) for r in rows],
                                     dtype=object))


def _write_geojson(
    path: Path, query: _Query, chunks: Iterator[list[Row]], members: Mapping[str, Any] | None = None
) -> int:
    writer = GeoJSONWriter(path, members)
    to_wgs84 = from_storage()
    extra = [g for g in query.geometries if g != "geom"]
    try:
        for rows in chunks:
            geometries = rfc7946_geometries(_geometries(rows, "geom"), to_wgs84)
            others = {g: rfc7946_geometries(_geometries(rows, g), to_wgs84) for g in extra}
            properties = []
            for k, row in enumerate(rows):
                props = {}
                for name in query.columns:
                    value = row._mapping[name]
                    props[name] = others[name][k] if name in others else _json_ready(value)
                properties.append(props)
            writer.write(geometries, properties)
    finally:
        writer.close()
    return writer.written


def _json_ready(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _iso_utc(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _iso_utc(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None).isoformat() + "Z"
    return value.isoformat()


def _write_csv(path: Path, query: _Query, chunks: Iterator[list[Row]]) -> int:
    writer = CsvWriter(path, [*query.columns, "lon", "lat", "wkt"])
    to_wgs84 = from_storage()
    try:
        for rows in chunks:
            geoms = _geometries(rows, "geom")
            wkts = ewkt(geoms, STORAGE_SRID, 3)
            lon = np.full(len(rows), np.nan)
            lat = np.full(len(rows), np.nan)
            points = shapely.get_type_id(geoms) == 0
            if points.any():
                xy = shapely.get_coordinates(geoms[points])
                lon[points], lat[points] = to_wgs84.transform(xy[:, 0], xy[:, 1])
            extra = {g: ewkt(_geometries(rows, g), STORAGE_SRID, 3) for g in query.geometries if g != "geom"}
            out = []
            for k, row in enumerate(rows):
                values = [
                    extra[name][k] if name in extra else _text_value(row._mapping[name]) for name in query.columns
                ]
                ll = [None, None] if np.isnan(lon[k]) else [f"{lon[k]:.7f}", f"{lat[k]:.7f}"]
                out.append([*values, *ll, wkts[k]])
            writer.write(out)
    finally:
        writer.close()
    return writer.written


def _text_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _iso_utc(value)
    return value


# -- GeoPackage and Shapefile -----------------------------------------------------------------------


def _gpkg_type(kind: str) -> str:
    types = spec_for(kind).geometry_types
    return types[0] if len(types) == 1 else "Unknown"


def _write_ogr(
    path: Path, fmt: str, query: _Query, chunks: Iterator[list[Row]], geometry_type: str, *, promote: bool,
    metadata: Mapping[str, str] | None = None,
) -> int:
    names = shapefile_columns(query.kind) if fmt == "shp" else {c: c for c in query.columns}
    writer = OgrWriter(path, fmt, query.kind, f"EPSG:{STORAGE_SRID}", geometry_type, promote_to_multi=promote,
                       metadata=dict(metadata or {}))
    wrote_any = False
    for rows in chunks:
        columns, masks = _typed_columns(query, rows, fmt)
        wkb = np.array([None if r._mapping["geom"] is None else bytes(r._mapping["geom"]) for r in rows], dtype=object)
        writer.write(wkb, {names[c]: v for c, v in columns.items()}, {names[c]: m for c, m in masks.items()})
        wrote_any = True
    if not wrote_any:
        columns, masks = _typed_columns(query, [], fmt)
        writer.write(
            np.array([], dtype=object), {names[c]: v for c, v in columns.items()},
            {names[c]: m for c, m in masks.items()},
        )
    return writer.written


def _typed_columns(query: _Query, rows: list[Row], fmt: str) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Column arrays GDAL types correctly (ints, bools, dates with null masks; text as objects)."""
    columns: dict[str, np.ndarray] = {}
    masks: dict[str, np.ndarray] = {}
    n = len(rows)
    for name in query.columns:
        kind = query.kind_of(name)
        values = [r._mapping[name] for r in rows]
        null = np.array([v is None for v in values], dtype=bool)
        if kind in ("int", "bool"):
            dtype = np.int64 if kind == "int" else np.bool_
            columns[name] = np.array([0 if v is None else v for v in values], dtype=dtype)
            masks[name] = null
        elif kind == "float":
            columns[name] = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        elif kind == "date":
            columns[name] = np.array(
                [np.datetime64("NaT") if v is None else np.datetime64(v, "D") for v in values], dtype="datetime64[D]"
            )
        elif kind == "geometry":
            geoms = shapely.from_wkb(np.array([None if v is None else bytes(v) for v in values], dtype=object))
            columns[name] = np.array(ewkt(geoms, STORAGE_SRID, 3) if n else [], dtype=object)
        elif kind == "json":
            columns[name] = np.array(
                [None if v is None else json.dumps(v, ensure_ascii=False, sort_keys=True) for v in values], dtype=object
            )
        elif kind == "datetime":
            columns[name] = np.array([None if v is None else _iso_utc(v) for v in values], dtype=object)
        else:
            columns[name] = np.array(values, dtype=object)
        if fmt == "shp" and columns[name].dtype == object:
            _check_dbf_text(name, columns[name], rows)
    return columns, masks


def _check_dbf_text(name: str, values: np.ndarray, rows: list[Row]) -> None:
    for k, value in enumerate(values):
        if value is not None and len(str(value).encode("utf-8")) > SHAPEFILE_TEXT_MAX:
            raise CityPilotError(
                f"asset {rows[k]._mapping['code']!r}: {name} is {len(str(value).encode())} bytes, more than a "
                f"shapefile field holds ({SHAPEFILE_TEXT_MAX}); export to gpkg instead"
            )


def _write_shapefiles(
    conn: Any, query: _Query, path: Path, where: str, params: dict[str, Any], dims: list[int]
) -> ExportResult:
    """One shapefile, or one per geometry family when the kind's geometries mix them."""
    families = dims or [_dimension_of(query.kind)]
    split = len(families) > 1
    result = ExportResult(0)
    for n, dim in enumerate(families):
        target = path.with_name(f"{path.stem}_{FAMILIES[dim]}.shp") if split else path
        condition = f"(ST_Dimension(a.geom) = {dim}" + (" OR a.geom IS NULL)" if n == 0 else ")")
        geometry_type, promote = _SHP_TYPES[dim]
        try:
            rows = _write_ogr(
                target, "shp", query, query.chunks(conn, f"{where} AND {condition}", params),
                geometry_type, promote=promote,
            )
        except BaseException:
            remove_dataset(target)
            raise
        _write_field_names(target, query.kind)
        result.rows += rows
        result.paths.append(target)
    return result


def _dimension_of(kind: str) -> int:
    first = spec_for(kind).geometry_types[0]
    return 0 if "Point" in first else 1 if "LineString" in first else 2


def _write_field_names(path: Path, kind: str) -> None:
    """``<stem>.fields.csv``: each DBF field name and the CityPilot field it holds."""
    writer = CsvWriter(path.with_suffix(".fields.csv"), ["shapefile_field", "field"])
    try:
        writer.write([short, name] for name, short in shapefile_columns(kind).items())
    finally:
        writer.close()
