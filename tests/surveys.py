"""A realistic legacy street-light survey, written with GDAL, whose import outcome is known exactly.

What a city's GIS team hands over: a Lambert-93 shapefile with an IGNF-named ``.prj`` (``LAMB93``,
no EPSG code), Latin-1 attributes without ``.cpg``, French column names (``NUM_PL``, ``PUISS``,
``TYPE_LAMPE``, ``DATE_POSE``...), every value as text, nulls, inconsistent case, stacked duplicates
(the same lamp entered twice, or twice a few centimetres apart) and a few bad rows (a point far
outside the metropole, power ``abc`` or negative, a code used twice) and gaps that do not reject a
row (no code: one is made; no power or lamp type: imported, incomplete). :func:`make_survey` builds
it deterministically and returns the counts an import must report. :func:`make_legacy_survey`
writes the bare kind of survey a city hands over first: points and a French lantern type only.

Also writes GeoPackage, CSV (``;``, Windows-1252, x/y with decimal commas) and GeoJSON (WGS84) variants.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

import resources

COMMUNES = resources.path("data", "dijon-metropole-communes-2018.geojson")
DIJON_INSEE = "21231"
# An IGN-style .prj: named LAMB93, no EPSG code, a null TOWGS84 and the standard parallels swapped.
LAMB93_PRJ = (
    'PROJCS["LAMB93",GEOGCS["RGF93",DATUM["Reseau_Geodesique_Francais_1993",'
    'SPHEROID["GRS 1980",6378137,298.257222101],TOWGS84[0,0,0,0,0,0,0]],PRIMEM["Greenwich",0],'
    'UNIT["degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic_2SP"],'
    'PARAMETER["standard_parallel_1",44],PARAMETER["standard_parallel_2",49],'
    'PARAMETER["latitude_of_origin",46.5],PARAMETER["central_meridian",3],'
    'PARAMETER["false_easting",700000],PARAMETER["false_northing",6600000],UNIT["Meter",1]]'
)
# An ESRI-style one, as QGIS or ArcGIS write it (also without an EPSG code).
RGF93_LAMBERT_93_PRJ = (
    'PROJCS["RGF93_Lambert_93",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,'
    '298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
    'PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",700000.0],'
    'PARAMETER["False_Northing",6600000.0],PARAMETER["Central_Meridian",3.0],'
    'PARAMETER["Standard_Parallel_1",49.0],PARAMETER["Standard_Parallel_2",44.0],'
    'PARAMETER["Latitude_Of_Origin",46.5],UNIT["Meter",1.0]]'
)

LED_WORDS = ("LED", "led", "Led", "LED ")
OTHER_LAMPS = ("Sodium HP", "SHP", "sodium hp", "IM", "Iodures métalliques", "Fluo")
LED_POWERS = (18, 25, 36, 45, 60)
OLD_POWERS = (70, 100, 150, 250)
SUPPORTS = ("Mât", "MAT", "mat", "Candélabre", "candelabre", "Console", "Façade", None)
MAKERS = ("Philips", "PHILIPS", "Schréder", "Comatelec", "Thorn", None)
REMARKS = ("RAS", "vasque fêlée", "à repeindre", "crosse tordue")

# (counts of bad rows) -> the field their reason names. Each bad row breaks exactly one rule.
BAD_ROWS = {"far": 5, "power_abc": 6, "power_negative": 4, "code_repeated": 7}
BAD_FIELDS = {"far": "geom", "power_abc": "power_w", "power_negative": "power_w", "code_repeated": "code"}
# Rows with a gap that does not reject them: imported, with a code made or listed as incomplete.
GAP_ROWS = {"power_null": 10, "lamp_null": 5, "code_empty": 8}
EXACT_COPIES = 90  # same code, same point
NEAR_COPIES = 90  # another code, 5-30 cm away
TRIPLES = 10  # a lamp entered three times (two extra rows each)
# With ``existing=True``: assets already in the database.
EXISTING_STACKED = 12  # within 40 cm of a survey row (another code): that row is a duplicate
EXISTING_SAME_CODE = 6  # the code of a survey row, elsewhere: that row is rejected
EXISTING_REMOVED = 3  # removed assets on a survey point: not duplicates, the row is imported


@dataclass
class Expected:
    """What importing the survey must report."""

    read: int
    imported: int
    rejected: int
    duplicates: int
    rejected_by_field: dict[str, int]
    duplicates_of_assets: int
    codes_made: int = 0
    missing: dict[str, int] = field(default_factory=dict)  # complete-record attribute -> imported rows lacking it


@dataclass
class Survey:
    path: Path
    mapping: dict[str, Any]
    recode: dict[str, dict[str, str]]
    expected: Expected
    crs: str | None = None  # what to pass as --crs (the CSV variant has none in the file)
    existing: list[dict[str, Any]] = field(default_factory=list)  # records to insert first

    def cli_args(self) -> list[str]:
        """The same choices as ``citypilot import`` options."""
        args = []
        for source, targets in self.mapping.items():
            for target in [targets] if isinstance(targets, str) else targets:
                args += ["--map", f"{source}={target}"]
        for target, table in self.recode.items():
            for value, new in table.items():
                args += ["--recode", f"{target}:{value}={new}"]
        if self.crs:
            args += ["--crs", self.crs]
        return args


def territory() -> tuple[shapely.Geometry, shapely.Geometry]:
    """(all communes, Dijon) in Lambert-93."""
    features = json.loads(COMMUNES.read_text(encoding="utf-8"))["features"]
    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)

    def l93(geometry: dict) -> shapely.Geometry:
        geom = shapely.geometry.shape(geometry)
        return shapely.transform(geom, lambda c: np.column_stack(to_l93.transform(c[:, 0], c[:, 1])))

    shapes = {f["properties"]["code"]: l93(f["geometry"]) for f in features}
    return shapely.union_all(list(shapes.values())), shapes[DIJON_INSEE]


def sample_points(rng: np.random.Generator, n: int, spacing: float = 2.0) -> np.ndarray:
    """``n`` points inside the metropole (half in Dijon, denser), at least ``spacing`` m apart."""
    area, dijon = territory()
    inner = [shapely.buffer(area, -50), shapely.buffer(dijon, -50)]
    for shape in inner:
        shapely.prepare(shape)
    found = np.empty((0, 2))
    while len(found) < n:
        batch = []
        for shape, share in zip(inner, (0.5, 0.5), strict=True):
            x0, y0, x1, y1 = shape.bounds
            m = int(n * share * 3) + 100
            x, y = rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)
            keep = shapely.contains_xy(shape, x, y)
            batch.append(np.column_stack([x[keep], y[keep]])[: int(n * share) + 50])
        found = np.vstack([found, *batch])
        close = cKDTree(found).query_pairs(spacing, output_type="ndarray")
        if len(close):
            found = np.delete(found, np.unique(close[:, 1]), axis=0)
    order = rng.permutation(len(found))[:n]
    return np.round(found[order], 2)


def make_survey(folder: Path, n: int = 30_000, *, fmt: str = "shp", seed: int = 2154, existing: bool = False) -> Survey:
    """Write a street-light survey of ``n`` rows to ``folder`` as ``fmt`` (shp, gpkg, csv or geojson)."""
    rng = np.random.default_rng(seed)
    bad_total = sum(BAD_ROWS.values()) + sum(GAP_ROWS.values())
    stacked = EXACT_COPIES + NEAR_COPIES + 2 * TRIPLES
    n_good = n - bad_total - stacked
    n_existing = (EXISTING_SAME_CODE + EXISTING_REMOVED) if existing else 0
    points = sample_points(rng, n_good + bad_total + n_existing)
    area, _ = territory()
    x0, y0, x1, y1 = area.bounds
    far = [(652_000.0, 6_862_000.0), (842_000.0, 6_519_000.0), (x1 + 3_000, (y0 + y1) / 2),
           ((x0 + x1) / 2, y0 - 4_000), (x0 - 5_000, y1 + 5_000)]

    rows: list[dict[str, Any]] = []
    for i in range(n_good):
        rows.append(_good_row(rng, i + 1, points[i]))
    keys = list(rng.permutation(n_good).astype(float))  # file order of the good rows
    for row, key in zip(rows, keys, strict=True):
        row["key"] = key

    def later(key: float) -> float:
        return key + rng.uniform(0.001, max(0.002, n_good - key))

    # Stacks lead by good rows; other special rows use other good rows, so nothing overlaps.
    picks = rng.choice(n_good, size=EXACT_COPIES + NEAR_COPIES + TRIPLES + BAD_ROWS["code_repeated"]
                       + (EXISTING_STACKED + EXISTING_SAME_CODE + EXISTING_REMOVED if existing else 0), replace=False)
    picks = list(picks)
    extra: list[dict[str, Any]] = []
    next_code = n_good + 1
    for _ in range(EXACT_COPIES):
        original = rows[picks.pop()]
        extra.append({**original, "key": later(original["key"])})
    for copies, count in ((1, NEAR_COPIES), (2, TRIPLES)):
        for _ in range(count):
            original = rows[picks.pop()]
            for _ in range(copies):
                angle, distance = rng.uniform(0, 2 * np.pi), rng.uniform(0.05, 0.24)
                xy = (original["x"] + distance * np.cos(angle), original["y"] + distance * np.sin(angle))
                copy = _good_row(rng, next_code, xy)
                next_code += 1
                copy["TYPE_LAMPE"], copy["PUISS"] = original["TYPE_LAMPE"], original["PUISS"]
                copy["key"] = later(original["key"])
                extra.append(copy)
    bad_points = iter(points[n_good:])
    for reason, count in (*BAD_ROWS.items(), *GAP_ROWS.items()):
        for k in range(count):
            if reason == "code_repeated":
                original = rows[picks.pop()]
                row = _good_row(rng, 0, next(bad_points))
                row["NUM_PL"], row["key"] = original["NUM_PL"], later(original["key"])
            else:
                row = _good_row(rng, next_code, far[k] if reason == "far" else next(bad_points))
                next_code += 1
                row["key"] = rng.uniform(0, n_good)
                if reason == "power_abc":
                    row["PUISS"] = ("abc", "N/C", "?", "abc", "cent", "7O")[k % 6]
                elif reason == "power_negative":
                    row["PUISS"] = f"-{rng.choice(OLD_POWERS)}"
                elif reason == "power_null":
                    row["PUISS"] = None
                elif reason == "code_empty":
                    row["NUM_PL"] = (None, "", "  ")[k % 3]
                elif reason == "lamp_null":
                    row["TYPE_LAMPE"] = None
            extra.append(row)

    existing_records: list[dict[str, Any]] = []
    if existing:
        for k in range(EXISTING_STACKED):
            original = rows[picks.pop()]
            angle, distance = rng.uniform(0, 2 * np.pi), rng.uniform(0.05, 0.4)
            existing_records.append(_existing(f"EXIST-{k + 1:03d}", original["x"] + distance * np.cos(angle),
                                              original["y"] + distance * np.sin(angle)))
        spare = iter(points[n_good + bad_total:])
        for _ in range(EXISTING_SAME_CODE):
            original = rows[picks.pop()]
            existing_records.append(_existing(original["NUM_PL"].strip(), *next(spare)))
        for k in range(EXISTING_REMOVED):
            original = rows[picks.pop()]
            record = _existing(f"REMOVED-{k + 1:03d}", original["x"], original["y"])
            record["status"] = "removed"
            existing_records.append(record)

    table = sorted(rows + extra, key=lambda r: r["key"])
    assert len(table) == n, (len(table), n)
    rejected_by_field: dict[str, int] = {}
    for reason, count in BAD_ROWS.items():
        rejected_by_field[BAD_FIELDS[reason]] = rejected_by_field.get(BAD_FIELDS[reason], 0) + count
    rejected = sum(BAD_ROWS.values())
    duplicates = stacked
    duplicates_of_assets = 0
    if existing:
        rejected_by_field["code"] += EXISTING_SAME_CODE
        rejected += EXISTING_SAME_CODE
        duplicates += EXISTING_STACKED
        duplicates_of_assets = EXISTING_STACKED
    imported = n - rejected - duplicates
    expected = Expected(
        read=n, imported=imported, rejected=rejected, duplicates=duplicates,
        rejected_by_field=rejected_by_field, duplicates_of_assets=duplicates_of_assets,
        codes_made=GAP_ROWS["code_empty"],
        missing={"luminaire_type": imported, "model": imported, "power_w": GAP_ROWS["power_null"],
                 "is_led": GAP_ROWS["lamp_null"]},
    )
    path, power_column, crs = _write(folder, fmt, table)
    mapping: dict[str, Any] = {
        "NUM_PL": "code", power_column: "power_w", "TYPE_LAMPE": ["is_led", "attrs.lamp_type"],
        "DATE_POSE": "install_date", "MARQUE": "manufacturer",
    }
    recode = {"is_led": {"LED": "yes", "*": "no"}}
    return Survey(path, mapping, recode, expected, crs=crs, existing=existing_records)


def _good_row(rng: np.random.Generator, number: int, xy: Any) -> dict[str, Any]:
    led = rng.random() < 0.6
    power = int(rng.choice(LED_POWERS if led else OLD_POWERS))
    code = f"EP-{number:05d}"
    if rng.random() < 0.02:
        code = f" {code} "  # stray spaces: trimmed on import
    year = int(rng.integers(1985, 2021))
    day, month = int(rng.integers(1, 29)), int(rng.integers(1, 13))
    return {
        "x": float(xy[0]), "y": float(xy[1]),
        "NUM_PL": code,
        "PUISS": (str(power), f"{power},0", f"{power}.0")[int(rng.integers(0, 3))],
        "TYPE_LAMPE": str(rng.choice(LED_WORDS if led else OTHER_LAMPS)),
        "SUPPORT": SUPPORTS[int(rng.integers(0, len(SUPPORTS)))],
        "DATE_POSE": None if rng.random() < 0.3 else f"{day:02d}/{month:02d}/{year}",
        "COMMUNE": None if rng.random() < 0.1 else ("DIJON" if rng.random() < 0.3 else "Dijon"),
        "MARQUE": MAKERS[int(rng.integers(0, len(MAKERS)))],
        "HAUTEUR": None if rng.random() < 0.5 else f"{int(rng.integers(4, 13))}",
        "OBS": REMARKS[int(rng.integers(0, len(REMARKS)))] if rng.random() < 0.05 else None,
    }


def _existing(code: str, x: float, y: float) -> dict[str, Any]:
    return {"code": code, "geom": shapely.Point(x, y), "is_led": True, "power_w": 36.0, "status": "in_service"}


ATTRIBUTES = ("NUM_PL", "PUISS", "TYPE_LAMPE", "SUPPORT", "DATE_POSE", "COMMUNE", "MARQUE", "HAUTEUR", "OBS")


def _write(folder: Path, fmt: str, table: list[dict[str, Any]]) -> tuple[Path, str, str | None]:
    """Write ``table``; returns (path, the power column's name, the CRS to pass on import)."""
    folder.mkdir(parents=True, exist_ok=True)
    x = np.array([r["x"] for r in table])
    y = np.array([r["y"] for r in table])
    power = "PUISS" if fmt == "shp" else "Puissance_W"  # a shapefile field name holds 10 characters
    names = [power if a == "PUISS" else a for a in ATTRIBUTES]
    columns = [np.array([r[a] for r in table], dtype=object) for a in ATTRIBUTES]
    if fmt == "csv":
        path = folder / "releve_eclairage.csv"
        with path.open("w", encoding="cp1252", newline="") as f:
            f.write(";".join([*names, "X", "Y"]) + "\r\n")
            for k, row in enumerate(table):
                cells = ["" if row[a] is None else str(row[a]) for a in ATTRIBUTES]
                coords = [f"{x[k]:.2f}".replace(".", ","), f"{y[k]:.2f}".replace(".", ",")]
                f.write(";".join([*cells, *coords]) + "\r\n")
        return path, power, "EPSG:2154"
    if fmt == "geojson":
        path = folder / "releve_eclairage.geojson"
        lon, lat = Transformer.from_crs(2154, 4326, always_xy=True).transform(x, y)
        geoms = shapely.points(np.round(lon, 9), np.round(lat, 9))
        pyogrio.raw.write(str(path), shapely.to_wkb(geoms), columns, names, driver="GeoJSON",
                          geometry_type="Point", crs="EPSG:4326")
        return path, power, None
    geoms = shapely.to_wkb(shapely.points(x, y))
    if fmt == "gpkg":
        path = folder / "releve_eclairage.gpkg"
        pyogrio.raw.write(str(path), geoms, columns, names, layer="eclairage", driver="GPKG",
                          geometry_type="Point", crs=LAMB93_PRJ)
        return path, power, None
    path = folder / "releve_eclairage.shp"
    pyogrio.raw.write(str(path), geoms, columns, names, driver="ESRI Shapefile", geometry_type="Point",
                      crs="EPSG:2154", encoding="ISO-8859-1")
    path.with_suffix(".prj").write_text(LAMB93_PRJ, encoding="ascii")
    path.with_suffix(".cpg").unlink(missing_ok=True)  # legacy: no .cpg, GDAL reads Latin-1
    return path, power, None


# -- the bare survey: points and a French lantern type, nothing else ---------------------------------------------

#: Lantern types as a French survey writes them -> the choice they name (None: not understood, or empty).
LEGACY_TYPES: dict[str | None, str | None] = {
    "LANTERNE": "lantern", "Lanterne": "lantern", "lanterne de style": "lantern",
    "PROJECTEUR": "floodlight", "projecteur": "floodlight",
    "ENCASTRE": "recessed", "Encastré": "recessed",
    "BORNE COLONNE": "bollard", "borne": "bollard",
    "LUMINAIRE AMBIANCE": "ambient", "Luminaire d'ambiance": "ambient",
    "APPLIQUE": "wall_mounted", "ROUTIER": "street",
    "CROSSE BOIS": None, "?": None,  # not understood: listed, the field left empty
    None: None, "": None,
}
LEGACY_WEIGHTS = {"LANTERNE": 30, "Lanterne": 8, "lanterne de style": 2, "PROJECTEUR": 8, "projecteur": 2,
                  "ENCASTRE": 5, "Encastré": 2, "BORNE COLONNE": 6, "borne": 2, "LUMINAIRE AMBIANCE": 8,
                  "Luminaire d'ambiance": 2, "APPLIQUE": 4, "ROUTIER": 15, "CROSSE BOIS": 2, "?": 1, None: 2, "": 1}
LEGACY_STACKED = 25  # rows repeating a lamp 5-40 cm away
LEGACY_FAR = 3  # rows far outside the metropole


@dataclass
class LegacySurvey:
    path: Path
    read: int
    imported: int
    rejected: int
    duplicates: int
    types: dict[str, int]  # choice -> imported rows
    unmapped: dict[str, int]  # text not understood -> rows
    untyped: int  # imported rows without a lantern type (empty or not understood)


def make_legacy_survey(folder: Path, n: int = 3_000, *, seed: int = 93) -> LegacySurvey:
    """A Lambert-93 shapefile of ``n`` light points with only ``TYPE`` (French, mixed case, nulls) and
    a remark: no code, no power, no LED flag; stacked points and a few far away. Written by GDAL."""
    rng = np.random.default_rng(seed)
    n_unique = n - LEGACY_STACKED - LEGACY_FAR
    points = sample_points(rng, n_unique)
    words = list(LEGACY_WEIGHTS)
    weights = np.array([LEGACY_WEIGHTS[w] for w in words], dtype=float)
    picked = rng.choice(len(words), size=n_unique, p=weights / weights.sum())
    rows: list[tuple[float, float, str | None]] = [(x, y, words[k]) for (x, y), k in zip(points, picked, strict=True)]
    lead = rng.choice(n_unique, size=LEGACY_STACKED, replace=False)
    for i in lead:
        angle, distance = rng.uniform(0, 2 * np.pi), rng.uniform(0.05, 0.4)
        x, y, word = rows[i]
        rows.append((x + distance * np.cos(angle), y + distance * np.sin(angle), word))
    area, _ = territory()
    x0, y0, x1, y1 = area.bounds
    rows += [(x1 + 4_000, y0, "LANTERNE"), (652_000.0, 6_862_000.0, "ROUTIER"), (x0 - 9_000, y1, None)]
    # The stacked copies come after their lamp; the far rows anywhere.
    order = list(range(n_unique))
    for k, i in enumerate(lead):
        at = int(rng.integers(order.index(int(i)) + 1, len(order) + 1))
        order.insert(at, n_unique + k)
    for k in range(LEGACY_FAR):
        order.insert(int(rng.integers(0, len(order) + 1)), n_unique + LEGACY_STACKED + k)
    table = [rows[i] for i in order]
    types: dict[str, int] = {}
    unmapped: dict[str, int] = {}
    untyped = 0
    for _, _, word in rows[:n_unique]:
        choice = LEGACY_TYPES[word]
        if choice:
            types[choice] = types.get(choice, 0) + 1
        else:
            untyped += 1
            if word and word.strip():
                unmapped[word] = unmapped.get(word, 0) + 1
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "releve_ep.shp"
    x = np.array([r[0] for r in table])
    y = np.array([r[1] for r in table])
    columns = [np.array([r[2] for r in table], dtype=object),
               np.array(["point lumineux" if rng.random() < 0.1 else None for _ in table], dtype=object)]
    pyogrio.raw.write(str(path), shapely.to_wkb(shapely.points(x, y)), columns, ["TYPE", "OBS"],
                      driver="ESRI Shapefile", geometry_type="Point", crs="EPSG:2154", encoding="ISO-8859-1")
    path.with_suffix(".prj").write_text(LAMB93_PRJ, encoding="ascii")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    return LegacySurvey(path, read=n, imported=n_unique, rejected=LEGACY_FAR, duplicates=LEGACY_STACKED,
                        types=types, unmapped=unmapped, untyped=untyped)
