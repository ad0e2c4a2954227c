"""Vector files in and out: GeoJSON, GeoPackage, Shapefile and CSV (lon/lat, x/y or WKT columns).

Pure file work on top of GDAL (through pyogrio), shapely 2 and pyproj: no database, nothing from the
rest of CityPilot. Readers return a column-oriented :class:`VectorData` whose values are plain Python
(``None`` for nulls) and whose geometries stay in the file's CRS; writers append in chunks, so an
export never holds a whole table in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pyogrio
import pyogrio.raw
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import mapping as geojson_mapping

from gis.crs import CrsError, parse_crs, plain_crs, srid_of
from gis.names import fold

FORMATS = ("geojson", "gpkg", "shp", "csv", "zip")
SUFFIXES = {
    ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".shp": "shp", ".csv": "csv", ".txt": "csv",
    ".zip": "zip",  # a zipped shapefile (read only)
}
DRIVERS = {"geojson": "GeoJSON", "gpkg": "GPKG", "shp": "ESRI Shapefile", "zip": "a zipped shapefile"}
MULTI_LAYER = ("gpkg", "zip")
SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")
SHAPEFILE_NAME_MAX = 10
SHAPEFILE_TEXT_MAX = 254  # bytes a DBF text field holds

# CSV geometry columns, compared once folded (lower case, no accents).
WKT_NAMES = ("wkt", "geom", "geometry", "the_geom", "wkt_geom", "geometrie", "ewkt")
LON_NAMES = ("lon", "lng", "long", "longitude")
LAT_NAMES = ("lat", "latitude")
X_NAMES = ("x",)
Y_NAMES = ("y",)
EWKT_PREFIX = re.compile(r"^\s*SRID\s*=\s*(\d+)\s*;\s*", re.IGNORECASE)


class FormatError(ValueError):
    """A file that cannot be read or written as asked; the message is meant for a person."""


@dataclass
class VectorData:
    """The features of one layer, column by column, geometries in ``crs``.

    ``problems`` maps a row index to what could not be read in it (``(field, reason)`` pairs, e.g.
    an unreadable WKT or a CSV line with too many cells); such rows still count as read.
    """

    path: Path
    format: str
    columns: list[str]
    values: dict[str, list[Any]]
    geometries: np.ndarray
    crs: CRS | None
    crs_source: str
    layer: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    geometry_columns: list[str] = field(default_factory=list)
    problems: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.geometries)

    def row(self, i: int) -> dict[str, Any]:
        """The values of row ``i`` (0-based) by column."""
        return {c: self.values[c][i] for c in self.columns}

    @property
    def has_geometry(self) -> bool:
        return self.format != "csv" or bool(self.geometry_columns)


# ---------------------------------------------------------------------------------------------
# detection and CRS


def detect_format(path: str | Path) -> str:
    """``geojson``, ``gpkg``, ``shp``, ``csv`` or ``zip`` (a zipped shapefile) from the file name."""
    suffix = Path(path).suffix.lower()
    try:
        return SUFFIXES[suffix]
    except KeyError:
        known = ", ".join(sorted(SUFFIXES))
        raise FormatError(f"{Path(path).name}: unknown file type {suffix or '(none)'!r} (known: {known})") from None


def describe_crs(crs: CRS | None) -> str:
    """``EPSG:2154`` when the CRS has (or is equivalent to) an EPSG code, else its name."""
    if crs is None:
        return "none"
    code = srid_of(crs)
    return f"EPSG:{code}" if code else crs.name


def _crs_from_text(text: str | None) -> CRS | None:
    if not text:
        return None
    try:
        return plain_crs(parse_crs(text))
    except CrsError:
        return None


def transformer_to(source: CRS, target: str | int) -> Transformer:
    """An x/y ordered transformer from ``source`` to ``target``."""
    return Transformer.from_crs(source, parse_crs(target), always_xy=True)


def looks_projected(geoms: np.ndarray) -> bool:
    """Whether most coordinates lie outside ±180/±90: projected metres in a file said to be lon/lat."""
    present = geoms[np.not_equal(geoms, None)]
    if len(present) == 0:
        return False
    xy = shapely.get_coordinates(present)
    if len(xy) == 0:
        return False
    outside = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
    return bool(outside.mean() > 0.5)


# ---------------------------------------------------------------------------------------------
# reading


def list_layers(path: str | Path) -> list[str]:
    """Layer names of a GeoPackage (or any multi-layer source), layers with geometries first."""
    layers = pyogrio.list_layers(str(path))
    return [str(name) for name, kind in layers if kind is not None] + [
        str(name) for name, kind in layers if kind is None
    ]


def read_vector(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: str | int | None = None,
    xy: tuple[str, str] | None = None,
    wkt: str | None = None,
) -> VectorData:
    """Read every feature of ``path`` (first layer unless ``layer``).

    ``crs`` overrides the file's CRS. For CSV, ``xy`` (x and y column names) or ``wkt`` (a column of
    WKT/EWKT) choose the geometry columns instead of the automatic detection.
    """
    path = Path(path)
    if not path.exists():
        raise FormatError(f"{path}: no such file")
    if path.is_dir():
        raise FormatError(f"{path}: is a folder, not a file")
    fmt = detect_format(path)
    override = parse_crs(crs) if crs is not None else None
    if fmt == "csv":
        return _read_csv(path, override, xy=xy, wkt=wkt)
    if xy or wkt:
        raise FormatError("x/y and wkt column choices only apply to CSV files")
    return _read_ogr(path, fmt, layer, override)


def _read_ogr(path: Path, fmt: str, layer: str | None, override: CRS | None) -> VectorData:
    if fmt == "shp" and not path.with_suffix(".dbf").exists() and not path.with_suffix(".DBF").exists():
        raise FormatError(f"{path.name}: a shapefile needs its .dbf (the attributes) next to the .shp")
    if fmt in MULTI_LAYER:
        try:
            layers = list_layers(path)
        except Exception as exc:  # not a GeoPackage / no vector data in the zip
            raise FormatError(f"{path.name}: cannot read it as {DRIVERS[fmt]} ({exc})") from None
        if not layers:
            raise FormatError(f"{path.name}: holds no layer")
        if layer is None:
            layer = layers[0]
        elif layer not in layers:
            raise FormatError(f"{path.name}: no layer {layer!r} (layers: {', '.join(layers)})")
    elif layer is not None:
        raise FormatError(f"{path.name}: --layer only applies to GeoPackages and zip files")
    try:
        meta, _, wkb, data = pyogrio.raw.read(str(path), layer=layer, force_2d=True)
    except Exception as exc:  # pyogrio raises DataSourceError / DataLayerError and GDAL errors
        raise FormatError(f"{path.name}: cannot read it as {DRIVERS[fmt]} ({exc})") from None
    columns = [str(c) for c in meta["fields"]]
    values = {
        name: _python_values(arr, meta["ogr_types"][i], meta["ogr_subtypes"][i])
        for i, (name, arr) in enumerate(zip(columns, data, strict=True))
    }
    n = len(data[0]) if data else (0 if wkb is None else len(wkb))
    geoms = np.full(n, None, dtype=object) if wkb is None else shapely.from_wkb(wkb, on_invalid="ignore")
    file_crs = _crs_from_text(meta.get("crs"))
    crs, source = (override, "--crs") if override is not None else (file_crs, "file")
    return VectorData(
        path=path, format=fmt, columns=columns, values=values, geometries=np.asarray(geoms, dtype=object),
        crs=crs, crs_source=source if crs is not None else "none", layer=layer, encoding=meta.get("encoding"),
    )


def _python_values(arr: np.ndarray, ogr_type: str, subtype: str) -> list[Any]:
    """Plain Python values with None for nulls (GDAL gives NaN for null numbers, NaT for dates)."""
    kind = arr.dtype.kind
    if kind == "f":
        out: list[Any] = [None if math.isnan(v) else v for v in arr.tolist()]
        if subtype == "OFSTBoolean":
            return [None if v is None else bool(v) for v in out]
        if ogr_type in ("OFTInteger", "OFTInteger64"):
            return [None if v is None else int(v) for v in out]
        return out
    if kind == "M":
        unit = np.datetime_data(arr.dtype)[0]
        items = arr.astype("datetime64[D]" if unit == "D" else "datetime64[us]").tolist()
        return [v if v is None or isinstance(v, dt.date) else None for v in items]
    if kind in "biu":
        return arr.tolist()
    return [None if v is None else v for v in arr.tolist()]


def decode_text(raw: bytes) -> tuple[str, str]:
    """Text of a file in UTF-8 (with or without BOM), else Windows-1252, else Latin-1."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def sniff_delimiter(header: str) -> str:
    """The delimiter splitting the header line into most columns (``,``, ``;``, tab or ``|``)."""
    best, best_count = ",", 1
    for delimiter in (",", ";", "\t", "|"):
        count = len(next(csv.reader([header], delimiter=delimiter)))
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _find(folded: dict[str, str], names: Iterable[str]) -> str | None:
    return next((folded[n] for n in names if n in folded), None)


def _read_csv(
    path: Path, override: CRS | None, *, xy: tuple[str, str] | None, wkt: str | None
) -> VectorData:
    text, encoding = decode_text(path.read_bytes())
    first_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise FormatError(f"{path.name}: empty CSV (no header line)")
    columns = _unique_names([h.strip() for h in header])
    width = len(columns)
    rows: list[list[str]] = []
    problems: dict[int, list[tuple[str, str]]] = {}
    for cells in reader:
        if not cells or not any(c.strip() for c in cells):
            continue
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            problems[len(rows)] = [("row", f"has {len(cells)} cells but the header has {width} columns")]
        rows.append((cells + [""] * width)[:width])
    values = {c: [_cell(r[i]) for r in rows] for i, c in enumerate(columns)}
    folded = {fold(c): c for c in reversed(columns)}
    for chosen in (*(xy or ()), *((wkt,) if wkt else ())):
        if chosen not in columns:
            raise FormatError(f"{path.name}: no column {chosen!r} (columns: {', '.join(columns)})")
    wkt_col = wkt or (None if xy else _find(folded, WKT_NAMES))
    lon_col, lat_col = xy or (_find(folded, LON_NAMES), _find(folded, LAT_NAMES))
    degrees = lon_col is not None and lat_col is not None and not xy
    if not (lon_col and lat_col) and not wkt_col:
        lon_col, lat_col = _find(folded, X_NAMES), _find(folded, Y_NAMES)
    n = len(rows)
    geometry_columns: list[str] = []
    crs: CRS | None = None
    source = "none"
    if wkt_col:
        geoms, srid = _parse_wkt(values[wkt_col], problems)
        geometry_columns = [wkt_col, *(c for c in (lon_col, lat_col) if c and degrees)]
        if srid is not None:
            crs, source = parse_crs(srid), "EWKT SRID"
    elif lon_col and lat_col:
        geoms = _parse_xy(values[lon_col], values[lat_col], problems)
        geometry_columns = [lon_col, lat_col]
        if degrees:
            crs, source = parse_crs(4326), "lon/lat columns (WGS84)"
        elif not looks_projected(geoms) and any(g is not None for g in geoms):
            crs, source = parse_crs(4326), "x/y columns in degrees (WGS84)"
    else:
        geoms = np.full(n, None, dtype=object)
    prj = path.with_suffix(".prj")
    if crs is None and prj.exists():
        crs, source = _crs_from_text(prj.read_text(errors="replace")), ".prj file"
    if override is not None:
        crs, source = override, "--crs"
    return VectorData(
        path=path, format="csv", columns=columns, values=values, geometries=geoms, crs=crs,
        crs_source=source if crs is not None else "none", encoding=encoding, delimiter=delimiter,
        geometry_columns=geometry_columns, problems=problems,
    )


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        name = name or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        seen.setdefault(name, 1)
        out.append(name)
    return out


def _cell(text: str) -> str | None:
    text = text.strip()
    return text or None


def _parse_number(text: str | None) -> float | None:
    if text is None:
        return None
    return float(text.replace(",", ".").replace(" ", "").replace("\u00a0", ""))


def _parse_xy(xs: list[Any], ys: list[Any], problems: dict[int, list[tuple[str, str]]]) -> np.ndarray:
    n = len(xs)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    for i in range(n):
        if xs[i] is None and ys[i] is None:
            continue
        try:
            x[i], y[i] = _parse_number(xs[i]), _parse_number(ys[i])
            if xs[i] is None or ys[i] is None:
                raise ValueError
        except (TypeError, ValueError):
            problems.setdefault(i, []).append(("geom", f"cannot read coordinates {xs[i]!r}, {ys[i]!r}"))
            x[i] = y[i] = np.nan
    ok = ~(np.isnan(x) | np.isnan(y))
    geoms = np.full(n, None, dtype=object)
    geoms[ok] = shapely.points(x[ok], y[ok])
    return geoms


def _parse_wkt(texts: list[Any], problems: dict[int, list[tuple[str, str]]]) -> tuple[np.ndarray, int | None]:
    bare: list[str | None] = []
    file_srid: int | None = None
    srids: dict[int, int] = {}
    for i, text in enumerate(texts):
        if text is None:
            bare.append(None)
            continue
        match = EWKT_PREFIX.match(text)
        if match:
            srids[i] = int(match.group(1))
            file_srid = file_srid or srids[i]
            text = text[match.end():]
        bare.append(text)
    geoms = shapely.force_2d(shapely.from_wkt(np.array(bare, dtype=object), on_invalid="ignore"))
    for i, text in enumerate(bare):
        if text is not None and geoms[i] is None:
            problems.setdefault(i, []).append(("geom", f"cannot read WKT {text[:40]!r}"))
        elif i in srids and srids[i] != file_srid:
            problems.setdefault(i, []).append(("geom", f"SRID {srids[i]} differs from the file's SRID {file_srid}"))
            geoms[i] = None
    return geoms, file_srid


# ---------------------------------------------------------------------------------------------
# geometry conversions for writers


def ewkt(geoms: np.ndarray, srid: int, decimals: int) -> list[str | None]:
    """``SRID=n;WKT`` strings (None stays None), coordinates rounded to ``decimals``."""
    texts = shapely.to_wkt(geoms, rounding_precision=decimals, trim=True)
    return [None if t is None else f"SRID={srid};{t}" for t in texts.tolist()]


def rfc7946_geometries(geoms: np.ndarray, to_wgs84: Transformer, decimals: int = 7) -> list[dict | None]:
    """GeoJSON geometry objects as RFC 7946 wants them: lon/lat, rounded, exterior rings counter-clockwise."""
    present = np.not_equal(geoms, None)
    out: list[dict | None] = [None] * len(geoms)
    if not present.any():
        return out

    def _lonlat(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs84.transform(coords[:, 0], coords[:, 1])
        return np.round(np.column_stack([lon, lat]), decimals)

    converted = shapely.orient_polygons(shapely.transform(geoms[present], _lonlat), exterior_cw=False)
    for i, geom in zip(np.flatnonzero(present), converted, strict=True):
        out[i] = geojson_mapping(geom)
    return out


# ---------------------------------------------------------------------------------------------
# writing


def remove_dataset(path: Path) -> None:
    """Delete ``path`` (and a shapefile's sidecars) so a writer starts afresh."""
    if path.suffix.lower() == ".shp":
        for suffix in (*SHAPEFILE_SIDECARS, ".fields.csv"):
            path.with_suffix(suffix).unlink(missing_ok=True)
            path.with_suffix(suffix.upper()).unlink(missing_ok=True)
    path.unlink(missing_ok=True)


def shapefile_names(names: Sequence[str], preferred: Mapping[str, str] | None = None) -> dict[str, str]:
    """Map each name to a unique DBF field name of at most 10 characters, deterministically.

    ``preferred`` abbreviations are used when short and free; any other long name is cut to 10
    characters, and a clash gets a number in its last characters (``name_2``).
    """
    preferred = preferred or {}
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        wanted = name if len(name) <= SHAPEFILE_NAME_MAX else preferred.get(name, name[:SHAPEFILE_NAME_MAX])
        wanted = wanted[:SHAPEFILE_NAME_MAX]
        candidate, n = wanted, 1
        while candidate.lower() in taken:
            n += 1
            suffix = f"_{n}"
            candidate = wanted[: SHAPEFILE_NAME_MAX - len(suffix)] + suffix
        taken.add(candidate.lower())
        out[name] = candidate
    return out


@dataclass
class OgrWriter:
    """Appends chunks of features to a GeoPackage layer or a Shapefile through GDAL.

    ``geometry_type`` is the layer type ("Point", "MultiPolygon", "Unknown" for mixed...).
    """

    path: Path
    fmt: str
    layer: str
    crs: str
    geometry_type: str
    promote_to_multi: bool = False
    metadata: dict[str, str] = field(default_factory=dict)  # layer metadata (GeoPackage), set on the first chunk
    written: int = 0

    def __post_init__(self) -> None:
        if self.fmt not in ("gpkg", "shp"):
            raise FormatError(f"OgrWriter writes gpkg or shp, not {self.fmt}")
        remove_dataset(self.path)

    def write(self, wkb: np.ndarray, columns: Mapping[str, np.ndarray], masks: Mapping[str, np.ndarray]) -> None:
        """Append one chunk: WKB geometries (None for none) and typed column arrays (with null masks)."""
        names = list(columns)
        options: dict[str, Any] = {}
        if self.fmt == "shp":
            options["encoding"] = "UTF-8"
        pyogrio.raw.write(
            str(self.path), wkb, [columns[c] for c in names], names,
            field_mask=[masks.get(c) for c in names], layer=self.layer, driver=DRIVERS[self.fmt],
            geometry_type=self.geometry_type, crs=self.crs, promote_to_multi=self.promote_to_multi,
            append=self.written > 0, **options,
            **({"layer_metadata": self.metadata} if self.metadata and not self.written else {}),
        )
        self.written += len(wkb)


class GeoJSONWriter:
    """Streams an RFC 7946 FeatureCollection (no ``crs`` member) feature by feature."""

    def __init__(self, path: Path, members: Mapping[str, Any] | None = None) -> None:
        """``members``: foreign members written before the features (e.g. a licence, an attribution)."""
        remove_dataset(path)
        self.path = path
        self.file: TextIO = path.open("w", encoding="utf-8", newline="\n")
        extra = "".join(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}, " for k, v in (members or {}).items())
        self.file.write('{"type": "FeatureCollection", ' + extra + '"features": [\n')
        self.written = 0

    def write(self, geometries: Sequence[dict | None], properties: Sequence[dict[str, Any]]) -> None:
        for geometry, props in zip(geometries, properties, strict=True):
            feature = {"type": "Feature", "geometry": geometry, "properties": props}
            if self.written:
                self.file.write(",\n")
            self.file.write(json.dumps(feature, ensure_ascii=False, separators=(",", ":"), default=_json_default))
            self.written += 1

    def close(self) -> None:
        self.file.write("\n]}\n")
        self.file.close()


class CsvWriter:
    """Streams rows to a UTF-8 CSV (with BOM, so spreadsheets read accents right)."""

    def __init__(self, path: Path, columns: Sequence[str], delimiter: str = ",") -> None:
        remove_dataset(path)
        self.path = path
        self.file: TextIO = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.file, delimiter=delimiter)
        self.writer.writerow(columns)
        self.written = 0

    def write(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.writer.writerow([csv_text(v) for v in row])
            self.written += 1

    def close(self) -> None:
        self.file.close()


def csv_text(value: Any) -> str:
    """A value as CSV text: empty for None, ISO dates, true/false, JSON for dicts and lists."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
