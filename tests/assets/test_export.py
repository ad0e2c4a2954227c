"""``citypilot export``: each format, RFC 7946 GeoJSON, filters, and export -> import round trips into a
fresh database reproducing the same assets (codes, attributes, parents, geometry within 1 cm)."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import Polygon, shape
from sqlalchemy import Engine, text

from app.cli import build_cli, context, io_cmd
from assets.db import make_engine, unit_of_work
from assets.errors import ValidationError
from assets.fields import editable_fields
from assets.io import export, export_assets, import_file
from assets.io.columns import export_columns, shapefile_columns
from assets.store import bulk_insert
from gis.formats import read_vector
from tests.assets.helpers import l93, near
from tests.plugins.database import TEMPLATE, create_database

FORMATS = ("geojson", "gpkg", "csv", "shp")
_targets = itertools.count()


def _square(dx: float, dy: float, size: float = 20.0, clockwise: bool = True) -> Polygon:
    base = near(dx, dy)
    ring = [(base.x, base.y), (base.x + size, base.y), (base.x + size, base.y + size), (base.x, base.y + size)]
    return Polygon(ring[::-1] if clockwise else ring)


@pytest.fixture
def city(engine, planner_id) -> Engine:
    """A few poles, luminaires (parents, nulls, accents, nested attrs), buildings and cameras."""
    with unit_of_work(engine, planner_id) as s:
        bulk_insert(s, "pole", [
            {"code": "P-1", "geom": near(0, 0), "support_type": "candelabra", "height_m": 8.5, "status": "in_service",
             "attrs": {}},
            {"code": "P-2", "geom": near(30, 0), "support_type": None, "height_m": None, "status": "planned",
             "attrs": {}},
        ])
        poles = dict(s.execute(text("SELECT code, id FROM assets WHERE kind = 'pole'")).all())
        bulk_insert(s, "luminaire", [
            {"code": "L-1", "geom": near(0.3, 0.1), "parent_id": poles["P-1"], "is_led": True, "power_w": 36.5,
             "power_w_before": 150.0, "colour_temp_k": 3000, "install_date": dt.date(2019, 3, 12),
             "manufacturer": "Schréder", "name": "Place Darcy « nord »", "luminaire_type": "lantern",
             "dimming_profile": "minuit -50 %", "dev_eui": "70B3D57ED0001234", "status": "in_service",
             "attrs": {"lamp_type": "LED", "n": 3, "nested": {"a": [1, 2]}}},
            {"code": "L-2", "geom": near(30.2, 0), "parent_id": poles["P-2"], "is_led": False, "power_w": 150.0,
             "status": "out_of_service", "attrs": {}},
            {"code": "L-3", "geom": l93(5.00638, 47.29138), "is_led": True, "power_w": 20.0, "status": "removed",
             "attrs": {"note": "déposé"}},
        ])
        bulk_insert(s, "building", [
            {"code": "B-1", "geom": _square(100, 100), "building_use": "school", "floor_area_m2": 400.0,
             "status": "in_service", "attrs": {}},
            {"code": "B-2", "geom": Polygon(_square(200, 100, 40).exterior.coords, [_square(210, 110, 10, False)
                                                                                  .exterior.coords]),
             "building_use": "town_hall", "status": "in_service", "attrs": {}},
            {"code": "B-3", "geom": near(300, 100), "status": "in_service", "attrs": {}},
            {"code": "B-4", "geom": shapely.MultiPolygon([_square(400, 100), _square(440, 100)]),
             "status": "in_service", "attrs": {}},
        ])
        bulk_insert(s, "camera", [
            {"code": "CAM-1", "geom": near(500, 0), "camera_type": "ptz", "fov": _square(500, 0, 30),
             "status": "in_service", "attrs": {}},
            {"code": "CAM-2", "geom": near(600, 0), "camera_type": "fixed", "status": "in_service", "attrs": {}},
        ])
    return engine


@pytest.fixture
def fresh(pg_admin_url, template_url) -> Iterator[Engine]:
    """A second, empty inventory to import exports into."""
    eng = make_engine(create_database(pg_admin_url, f"cp_io_target_{next(_targets)}", template=TEMPLATE))
    yield eng
    eng.dispose()


def _numbers(value: object) -> list[float]:
    return [n for v in value for n in _numbers(v)] if isinstance(value, list) else [value]


def _snapshot(engine: Engine, kind: str) -> dict[str, dict]:
    """Assets of ``kind`` by code: editable fields, parent code, geometries as shapely."""
    fields = [f for f in editable_fields(kind) if f not in ("parent_id", "fibre_node_id")]
    geoms = ["geom", "fov"] if kind == "camera" else ["geom"]
    sql = (
        f"SELECT {', '.join('a.' + f for f in fields)}, p.code AS parent_code, "
        f"{', '.join(f'ST_AsBinary(a.{g}) AS {g}' for g in geoms)} "
        "FROM assets a LEFT JOIN assets p ON p.id = a.parent_id WHERE a.kind = :kind"
    )
    out = {}
    with engine.connect() as conn:
        for row in conn.execute(text(sql), {"kind": kind}).mappings():
            record = dict(row)
            for g in geoms:
                record[g] = None if record[g] is None else shapely.from_wkb(bytes(record[g]))
            out[record["code"]] = record
    return out


def _assert_same(source: dict[str, dict], target: dict[str, dict]) -> None:
    assert sorted(source) == sorted(target)
    for code, before in source.items():
        after = target[code]
        for key, value in before.items():
            if isinstance(value, shapely.Geometry):
                assert after[key].geom_type == value.geom_type, (code, key)
                assert shapely.hausdorff_distance(value, after[key]) < 0.01, (code, key)
            else:
                assert after[key] == value, (code, key, value, after[key])


def _round_trip(source: Engine, target: Engine, kind: str, fmt: str, folder: Path) -> None:
    result = export(source, kind, folder / f"{kind}.{fmt}", fmt)
    assert result.rows == len(_snapshot(source, kind))
    for path in result.paths:
        report = import_file(target, path, kind, None, rejects_path=folder / f"{path.stem}.rejects.csv")
        assert report.rejected == report.duplicates == 0, report.lines()


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_reproduces_the_assets(city, fresh, tmp_path, fmt) -> None:
    for kind in ("pole", "luminaire", "building", "camera"):
        _round_trip(city, fresh, kind, fmt, tmp_path)
        _assert_same(_snapshot(city, kind), _snapshot(fresh, kind))


def test_geojson_is_rfc7946(city, tmp_path) -> None:
    path = tmp_path / "b.geojson"
    assert export_assets(city, "building", path, "geojson") == 4
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    features = {f["properties"]["code"]: f for f in doc["features"]}
    for feature in features.values():
        geom = shape(feature["geometry"])
        for polygon in getattr(geom, "geoms", [geom]):
            if polygon.geom_type == "Polygon":
                assert polygon.exterior.is_ccw
                assert all(not ring.is_ccw for ring in polygon.interiors)
        for x, y in shapely.get_coordinates(geom):
            assert 4.9 < x < 5.2 and 47.2 < y < 47.4  # lon, lat
        assert all(len(repr(v).split(".")[-1]) <= 7 for v in _numbers(feature["geometry"]["coordinates"]))
    assert len(features["B-2"]["geometry"]["coordinates"]) == 2  # exterior and hole
    props = features["B-1"]["properties"]
    assert list(props) == export_columns("building")
    assert props["commune_insee"] == "21231" and props["attrs"] == {} and props["version"] == 1
    assert props["created_at"].endswith("Z")

    cameras = tmp_path / "c.geojson"
    export_assets(city, "camera", cameras)
    fov = {f["properties"]["code"]: f["properties"]["fov"] for f in json.loads(cameras.read_text())["features"]}
    assert fov["CAM-2"] is None and shape(fov["CAM-1"]).exterior.is_ccw


def test_luminaire_properties_in_geojson_and_csv(city, tmp_path) -> None:
    export_assets(city, "luminaire", tmp_path / "l.geojson")
    props = {f["properties"]["code"]: f["properties"]
             for f in json.loads((tmp_path / "l.geojson").read_text())["features"]}
    assert props["L-1"]["install_date"] == "2019-03-12" and props["L-1"]["is_led"] is True
    assert props["L-1"]["attrs"] == {"lamp_type": "LED", "n": 3, "nested": {"a": [1, 2]}}
    assert props["L-1"]["parent_code"] == "P-1" and isinstance(props["L-1"]["parent_id"], int)
    assert props["L-3"]["parent_code"] is None and props["L-2"]["colour_temp_k"] is None

    export_assets(city, "luminaire", tmp_path / "l.csv")
    rows = {r["code"]: r for r in csv.DictReader((tmp_path / "l.csv").read_text(encoding="utf-8-sig").splitlines())}
    assert list(rows["L-1"])[-3:] == ["lon", "lat", "wkt"]
    assert rows["L-1"]["wkt"].startswith("SRID=2154;POINT (")
    assert float(rows["L-1"]["lon"]) == pytest.approx(5.0345, abs=1e-4) and len(rows["L-1"]["lat"].split(".")[1]) == 7
    assert rows["L-1"]["is_led"] == "true" and rows["L-2"]["colour_temp_k"] == ""
    assert json.loads(rows["L-1"]["attrs"])["nested"] == {"a": [1, 2]}


def test_gpkg_and_shapefile_are_lambert93_with_short_names(city, tmp_path) -> None:
    assert export_assets(city, "luminaire", tmp_path / "x.gpkg") == 3
    gpkg = read_vector(tmp_path / "x.gpkg")
    assert (gpkg.layer, len(gpkg), gpkg.crs.to_epsg()) == ("luminaire", 3, 2154)
    assert shapely.get_coordinates(gpkg.geometries)[0][0] > 800_000  # metres
    assert gpkg.values["install_date"][0] == dt.date(2019, 3, 12)  # a real date field, rows in id order

    assert export_assets(city, "luminaire", tmp_path / "x.shp") == 3
    shp = read_vector(tmp_path / "x.shp")
    assert shp.crs is not None and shp.crs.to_epsg() == 2154
    assert all(len(c) <= 10 for c in shp.columns)
    assert shp.columns == list(shapefile_columns("luminaire").values())
    names = list(csv.reader((tmp_path / "x.fields.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert names[0] == ["shapefile_field", "field"] and ["pw_before", "power_w_before"] in names
    assert "Schréder" in shp.values["maker"]


def test_shapefile_splits_mixed_geometries(city, tmp_path) -> None:
    result = export(city, "building", tmp_path / "b.shp")
    assert result.rows == 4
    assert [p.name for p in result.paths] == ["b_points.shp", "b_polygons.shp"]
    assert [len(read_vector(p)) for p in result.paths] == [1, 3]


def test_filters(city, tmp_path) -> None:
    path = tmp_path / "f.geojson"

    def codes(**filters) -> list[str]:
        export_assets(city, "luminaire", path, "geojson", **filters)
        return sorted(f["properties"]["code"] for f in json.loads(path.read_text())["features"])

    assert codes() == ["L-1", "L-2", "L-3"]
    assert codes(status="in_service") == ["L-1"]
    assert codes(status=["in_service", "removed"]) == ["L-1", "L-3"]
    assert codes(commune="21166") == ["L-3"]
    assert codes(commune=["Chenove", "dijon"]) == ["L-1", "L-2", "L-3"]
    assert codes(bbox=(5.034, 47.322, 5.036, 47.324)) == ["L-1", "L-2"]
    darcy = near(0, 0)
    assert codes(bbox=(darcy.x - 5, darcy.y - 5, darcy.x + 5, darcy.y + 5), bbox_crs="EPSG:2154") == ["L-1"]
    with pytest.raises(ValidationError, match="status: 'lost' is not one of"):
        codes(status="lost")
    with pytest.raises(ValidationError, match="commune: no commune 'Paris'"):
        codes(commune="Paris")
    with pytest.raises(ValidationError, match="bbox: expected xmin,ymin,xmax,ymax"):
        codes(bbox=(5.1, 47.3, 5.0, 47.4))


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_export_writes_an_empty_file(engine, tmp_path, fmt) -> None:
    path = tmp_path / f"none.{fmt}"
    assert export_assets(engine, "sensor", path, fmt) == 0
    assert path.exists() and len(read_vector(path, crs="EPSG:2154")) == 0


def test_bad_format_is_named(engine, tmp_path) -> None:
    with pytest.raises(ValidationError, match="format: 'kml' is not one of"):
        export_assets(engine, "pole", tmp_path / "x.kml", "kml")
    with pytest.raises(ValidationError, match=r"format: .*unknown file type '\.kml'"):
        export_assets(engine, "pole", tmp_path / "x.kml")


def test_cli_export(city, db_url, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    context.engine.cache_clear()
    group = build_cli(io_cmd)
    try:
        args = ["export", "--kind", "luminaire", "--format", "gpkg", "--status", "in_service"]
        result = CliRunner().invoke(group, args)
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "exported 1 luminaire to luminaire.gpkg"
        assert len(read_vector(tmp_path / "luminaire.gpkg")) == 1
        result = CliRunner().invoke(group, ["export", "-k", "pole", "-o", "out/poles.csv"])
        assert result.exit_code == 1 and result.output.startswith("error: cannot write out/poles.csv")
        result = CliRunner().invoke(group, ["export", "-k", "pole", "-o", "poles.csv", "--bbox", "5,47,x,48"])
        assert result.exit_code == 1 and result.output.startswith("error: bbox: expected")
        result = CliRunner().invoke(group, ["export", "-k", "pole", "-o", "poles.csv", "--bbox", "4.9,47.2,5.2,47.4"])
        assert result.output.strip() == "exported 2 pole to poles.csv"
    finally:
        context.engine.cache_clear()
