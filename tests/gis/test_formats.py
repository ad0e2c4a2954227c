"""Reading and writing vector files without a database: formats, CRS, CSV flavours, writers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
import shapely
from pyproj import Transformer

from gis.crs import parse_crs
from gis.formats import (
    CsvWriter,
    FormatError,
    GeoJSONWriter,
    OgrWriter,
    decode_text,
    describe_crs,
    detect_format,
    ewkt,
    looks_projected,
    read_vector,
    rfc7946_geometries,
    shapefile_names,
    sniff_delimiter,
)
from tests.surveys import LAMB93_PRJ, RGF93_LAMBERT_93_PRJ

DATA = Path(__file__).resolve().parents[1] / "data"
DARCY_L93 = (853654.27, 6693343.44)


def _shapefile(folder: Path, prj: str | None, name: str = "points") -> Path:
    path = folder / f"{name}.shp"
    geoms = shapely.to_wkb(shapely.points([DARCY_L93[0], DARCY_L93[0] + 10], [DARCY_L93[1], DARCY_L93[1]]))
    pyogrio.raw.write(
        str(path), geoms, [np.array(["A", "B"], dtype=object)], ["NUM_PL"], driver="ESRI Shapefile",
        geometry_type="Point", crs="EPSG:2154",
    )
    if prj is None:
        path.with_suffix(".prj").unlink()
    else:
        path.with_suffix(".prj").write_text(prj)
    return path


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("a.geojson", "geojson"), ("a.JSON", "geojson"), ("a.gpkg", "gpkg"), ("a.shp", "shp"), ("a.csv", "csv")],
)
def test_detect_format(name: str, fmt: str) -> None:
    assert detect_format(name) == fmt


def test_unknown_format_and_missing_file_are_clear(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"unknown file type '\.xlsx'"):
        detect_format("survey.xlsx")
    with pytest.raises(FormatError, match="no such file"):
        read_vector(tmp_path / "nothing.csv")


@pytest.mark.parametrize("prj", [LAMB93_PRJ, RGF93_LAMBERT_93_PRJ], ids=["IGNF-LAMB93", "ESRI-RGF93_Lambert_93"])
def test_shapefile_with_lambert93_prj_without_epsg_code(tmp_path: Path, prj: str) -> None:
    data = read_vector(_shapefile(tmp_path, prj))
    assert describe_crs(data.crs) == "EPSG:2154"
    assert data.crs_source == "file"
    assert data.values["NUM_PL"] == ["A", "B"]
    assert shapely.get_coordinates(data.geometries)[0].tolist() == list(DARCY_L93)


def test_zipped_shapefile(tmp_path: Path) -> None:
    import zipfile

    path = _shapefile(tmp_path, LAMB93_PRJ)
    archive = tmp_path / "survey.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for suffix in (".shp", ".shx", ".dbf", ".prj"):
            z.write(path.with_suffix(suffix), path.with_suffix(suffix).name)
    data = read_vector(archive)
    assert (data.format, data.layer, describe_crs(data.crs), data.values["NUM_PL"]) == (
        "zip", "points", "EPSG:2154", ["A", "B"]
    )


def test_shapefile_without_prj_has_no_crs_unless_given(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, None)
    assert read_vector(path).crs is None
    given = read_vector(path, crs="IGNF:LAMB93")
    assert (describe_crs(given.crs), given.crs_source) == ("EPSG:2154", "--crs")


def test_shapefile_needs_its_dbf(tmp_path: Path) -> None:
    path = _shapefile(tmp_path, LAMB93_PRJ)
    path.with_suffix(".dbf").unlink()
    with pytest.raises(FormatError, match=r"needs its \.dbf"):
        read_vector(path)


def test_geopackage_layers(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    for layer, code in (("first", "A"), ("second", "B")):
        pyogrio.raw.write(
            str(path), shapely.to_wkb(shapely.points([DARCY_L93])), [np.array([code], dtype=object)], ["code"],
            layer=layer, driver="GPKG", geometry_type="Point", crs="EPSG:2154", append=layer == "second",
        )
    assert read_vector(path).values["code"] == ["A"]
    assert read_vector(path, layer="second").values["code"] == ["B"]
    with pytest.raises(FormatError, match=r"no layer 'third' \(layers: first, second\)"):
        read_vector(path, layer="third")


def test_geojson_is_wgs84_and_nulls_are_none() -> None:
    data = read_vector(DATA / "buildings_cw.geojson")
    assert (describe_crs(data.crs), data.format, len(data)) == ("EPSG:4326", "geojson", 12)
    assert data.values["floor_area_m2"][2] is None
    assert data.geometries[5] is None
    assert data.values["name"][1] == "École Darcy"


def test_csv_semicolon_latin1_lonlat() -> None:
    data = read_vector(DATA / "luminaires_lonlat.csv")
    assert (data.delimiter, data.encoding) == (";", "cp1252")
    assert data.geometry_columns == ["Longitude", "Latitude"]
    assert (describe_crs(data.crs), data.crs_source) == ("EPSG:4326", "lon/lat columns (WGS84)")
    assert data.geometries[0].coords[0] == (5.0345, 47.3226)
    assert data.values["Remarque"][2] == "Sodium à remplacer"
    assert data.geometries[4] is None and 4 not in data.problems  # no position at all: missing, said later
    assert data.problems[5] == [("geom", "cannot read coordinates '5,0370', 'abc'")]


def test_csv_wkt_with_bom_and_bad_wkt() -> None:
    data = read_vector(DATA / "poles_wkt.csv")
    assert data.columns[0] == "code"  # the BOM is not part of the first name
    assert data.delimiter == ","
    assert data.crs is None  # plain WKT says nothing: --crs is needed
    assert data.geometries[0].coords[0] == DARCY_L93
    assert data.problems[4][0][1].startswith("cannot read WKT")
    assert read_vector(DATA / "poles_wkt.csv", crs="EPSG:2154").crs_source == "--crs"


def test_csv_ewkt_and_prj_sidecar(tmp_path: Path) -> None:
    ewkt_csv = tmp_path / "e.csv"
    ewkt_csv.write_text("code,geometry\nA,SRID=2154;POINT (853654.27 6693343.44)\nB,SRID=4326;POINT (5 47)\n")
    data = read_vector(ewkt_csv)
    assert (describe_crs(data.crs), data.crs_source) == ("EPSG:2154", "EWKT SRID")
    assert "differs" in data.problems[1][0][1]
    xy_csv = tmp_path / "xy.csv"
    xy_csv.write_text("code;X;Y\nA;853654,27;6693343,44\n")
    assert read_vector(xy_csv).crs is None  # metres, and nothing says which projection
    xy_csv.with_suffix(".prj").write_text(LAMB93_PRJ)
    assert (describe_crs(read_vector(xy_csv).crs), read_vector(xy_csv).crs_source) == ("EPSG:2154", ".prj file")


def test_csv_chosen_columns_and_ragged_rows(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("ref,E93,N93,note\nA,853654.27,6693343.44,ok\nB,853700,6693400,too,many\n")
    data = read_vector(path, xy=("E93", "N93"), crs=2154)
    assert data.geometry_columns == ["E93", "N93"]
    assert data.problems == {1: [("row", "has 5 cells but the header has 4 columns")]}
    with pytest.raises(FormatError, match="no column 'nope'"):
        read_vector(path, wkt="nope")


def test_decode_and_sniff() -> None:
    assert decode_text("é".encode())[1] == "utf-8"
    assert decode_text(b"\xef\xbb\xbfcode") == ("code", "utf-8-sig")
    assert decode_text("é".encode("latin-1")) == ("é", "cp1252")
    assert sniff_delimiter("a;b;c") == ";"
    assert sniff_delimiter('code,"a;b"') == ","
    assert sniff_delimiter("a\tb") == "\t"


def test_looks_projected() -> None:
    assert looks_projected(np.array([shapely.Point(DARCY_L93), None], dtype=object))
    assert not looks_projected(np.array([shapely.Point(5.03, 47.32)], dtype=object))


def test_shapefile_names_are_short_unique_and_stable() -> None:
    names = ["code", "commune_insee", "fibre_node_id", "fibre_node_code", "power_w_before", "power_w_beyond"]
    short = shapefile_names(names, {"commune_insee": "insee"})
    assert short == shapefile_names(names, {"commune_insee": "insee"})
    assert all(len(s) <= 10 for s in short.values())
    assert len({s.lower() for s in short.values()}) == len(names)
    assert short["commune_insee"] == "insee" and short["code"] == "code"
    assert short["fibre_node_id"] == "fibre_node" and short["fibre_node_code"] == "fibre_no_2"


def test_rfc7946_geometries_are_ccw_rounded_lonlat() -> None:
    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)
    cw = shapely.Polygon([(5.0410, 47.3215), (5.0410, 47.3222), (5.0420, 47.3222), (5.0420, 47.3215)])
    assert not cw.exterior.is_ccw
    l93 = shapely.transform(cw, lambda c: np.column_stack(to_l93.transform(c[:, 0], c[:, 1])))
    out = rfc7946_geometries(np.array([l93, None], dtype=object), Transformer.from_crs(2154, 4326, always_xy=True))
    assert out[1] is None
    ring = out[0]["coordinates"][0]
    assert shapely.LinearRing(ring).is_ccw
    assert all(len(str(v).split(".")[1]) <= 7 for point in ring for v in point)
    assert ring[0] == pytest.approx((5.0410, 47.3215), abs=1e-7)


def test_writers(tmp_path: Path) -> None:
    geojson = tmp_path / "a.geojson"
    writer = GeoJSONWriter(geojson)
    writer.write([{"type": "Point", "coordinates": [5.0, 47.0]}, None], [{"a": 1}, {"a": None}])
    writer.close()
    doc = json.loads(geojson.read_text())
    assert "crs" not in doc and [f["properties"]["a"] for f in doc["features"]] == [1, None]

    csv_path = tmp_path / "a.csv"
    writer = CsvWriter(csv_path, ["a", "b"])
    writer.write([[True, {"k": "é"}], [None, 2.0]])
    writer.close()
    assert csv_path.read_text(encoding="utf-8-sig").splitlines() == ["a,b", 'true,"{""k"": ""é""}"', ",2"]

    gpkg = tmp_path / "a.gpkg"
    ogr = OgrWriter(gpkg, "gpkg", "layer", "EPSG:2154", "Point")
    for _ in range(2):
        ogr.write(
            shapely.to_wkb(shapely.points([DARCY_L93])),
            {"n": np.array([7], dtype=np.int64), "t": np.array([None], dtype=object)},
            {"n": np.array([False])},
        )
    back = read_vector(gpkg)
    assert len(back) == 2 and back.values["n"] == [7, 7] and back.values["t"] == [None, None]
    assert describe_crs(back.crs) == "EPSG:2154"


def test_ewkt() -> None:
    geoms = np.array([shapely.Point(853654.2712, 6693343.4456), None], dtype=object)
    assert ewkt(geoms, 2154, 3) == ["SRID=2154;POINT (853654.271 6693343.446)", None]
    assert parse_crs("EPSG:2154").to_epsg() == 2154
