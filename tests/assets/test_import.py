"""``citypilot import``: every format, bad rows named by field, rejects file, duplicates, mapping, CRS,
the 30,000-point legacy survey with its exact counts, the CLI end to end."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import numpy as np
import psycopg
import pyogrio.raw
import pytest
import shapely
from click.testing import CliRunner
from sqlalchemy import text

from app.cli import build_cli, context, io_cmd
from assets.db import unit_of_work
from assets.errors import ValidationError
from assets.io import ImportFileError, import_file
from assets.io import importer as importer_module
from assets.store import bulk_insert
from tests.assets.helpers import near
from tests.surveys import LAMB93_PRJ, RGF93_LAMBERT_93_PRJ, make_survey

DATA = Path(__file__).resolve().parents[1] / "data"
LUMINAIRE_MAP = {"Puissance": "power_w", "LED": "is_led", "Date pose": "install_date"}


def _rejects(path: Path) -> list[dict[str, str]]:
    text_ = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text_.split("\n", 1)[0].count(";") > text_.split("\n", 1)[0].count(",") else ","
    return list(csv.DictReader(text_.splitlines(), delimiter=delimiter))


def _count(engine, kind: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM assets WHERE kind = :k"), {"k": kind}).scalar_one()


def _assets(engine, kind: str) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT *, ST_AsText(geom) AS wkt FROM assets WHERE kind = :k ORDER BY code"), {"k": kind}
        ).mappings()
        return {r["code"]: dict(r) for r in rows}


# -- each format ----------------------------------------------------------------------------------


def test_geojson_clockwise_rings_accepted_bad_rows_named(engine, planner_id, tmp_path) -> None:
    rejects = tmp_path / "buildings.rejects.csv"
    report = import_file(engine, DATA / "buildings_cw.geojson", "building", planner_id, rejects_path=rejects)
    assert (report.read, report.imported, report.rejected, report.duplicates) == (12, 6, 6, 0)
    assert report.crs == "EPSG:4326"
    assert report.errors_by_field == {"geom": 4, "floor_area_m2": 1, "code": 1}
    assert (report.codes_made, report.code_range) == (1, ["BAT-000001"])
    assert (report.incomplete, report.missing) == (0, {})
    stored = _assets(engine, "building")
    assert sorted(stored) == ["B-001", "B-002", "B-003", "B-004", "B-009", "BAT-000001"]
    assert stored["B-002"]["building_use"] == "school" and stored["B-002"]["floor_area_m2"] == 1250.5
    assert stored["B-002"]["wkt"].startswith("POLYGON((") and stored["B-002"]["wkt"].count("(") == 3  # with its hole
    assert stored["B-004"]["building_use"] == "technical" and stored["B-004"]["wkt"].startswith("MULTIPOLYGON")
    assert stored["B-009"]["building_use"] == "town_hall"  # 'Mairie': the French word of the choice
    assert stored["BAT-000001"]["name"] == "Sans code"
    reasons = {r["code"]: r["reject_reason"] for r in _rejects(rejects)}
    assert reasons["B-005"].startswith("geom: invalid geometry (Self-intersection")
    assert reasons["B-006"] == "geom: missing: a location is required"
    assert reasons["B-007"] == "geom: is a LineString, expected Point or Polygon or MultiPolygon"
    assert reasons["B-008"].startswith("floor_area_m2: cannot read 'abc'")
    assert reasons["B-010"].startswith("geom: outside the territory")
    assert reasons["B-002"] == "code: 'B-002' is already used by row 2 of the file"


def test_csv_semicolon_lonlat_latin1_with_map(engine, planner_id, tmp_path) -> None:
    source = tmp_path / "luminaires_lonlat.csv"
    source.write_bytes((DATA / source.name).read_bytes())
    report = import_file(engine, source, "luminaire", planner_id, mapping=LUMINAIRE_MAP)
    assert (report.read, report.imported, report.rejected, report.duplicates) == (10, 5, 4, 1)
    assert report.rejects_path == tmp_path / "luminaires_lonlat.rejects.csv"  # beside the file by default
    rows = {r["Code"]: r for r in _rejects(report.rejects_path)}
    assert list(rows["L-008"])[:7] == ["Code", "Longitude", "Latitude", "Puissance", "LED", "Date pose", "Remarque"]
    assert rows["L-008"]["source_row"] == "8" and rows["L-008"]["Remarque"] == ""
    assert rows["L-005"]["reject_reason"] == "geom: missing: a location is required"
    assert rows["L-006"]["reject_reason"] == "geom: cannot read coordinates '5,0370', 'abc'"
    assert rows["L-008"]["reject_reason"].startswith("is_led (LED): cannot read 'peut-être'")
    assert rows["L-009"]["reject_reason"].startswith("geom: probable duplicate of row 1 (code L-001)")
    assert rows["L-010"]["reject_reason"] == "power_w (Puissance): 2500.0 is outside 1..2000"
    stored = _assets(engine, "luminaire")
    assert stored["L-002"]["power_w"] == 45.5 and stored["L-002"]["is_led"] is True
    assert str(stored["L-003"]["install_date"]) == "2008-07-01" and stored["L-003"]["is_led"] is False
    assert stored["L-003"]["attrs"] == {"Remarque": "Sodium à remplacer"}
    assert stored["L-001"]["commune_insee"] == "21231"
    assert stored["L-004"]["power_w"] is None  # no power: imported, listed as incomplete
    assert stored["LUM-000001"]["attrs"] == {"Remarque": "sans numéro"}  # no code: one is made
    assert report.missing == {"luminaire_type": 5, "model": 5, "power_w": 1}


def test_csv_wkt_needs_a_crs_then_recodes_french_values(engine, planner_id, tmp_path) -> None:
    with pytest.raises(ImportFileError, match=r"does not say its CRS.*--crs"):
        import_file(engine, DATA / "poles_wkt.csv", "pole", planner_id, rejects_path=tmp_path / "r.csv")
    report = import_file(
        engine, DATA / "poles_wkt.csv", "pole", planner_id, crs="EPSG:2154", rejects_path=tmp_path / "r.csv",
        recode={"support_type": {"Candélabre": "candelabra", "MAT": "mast"}},
    )
    assert (report.read, report.imported, report.rejected) == (6, 3, 3)
    stored = _assets(engine, "pole")
    assert stored["P-001"]["support_type"] == "candelabra" and stored["P-001"]["height_m"] == 8.5
    assert stored["P-002"]["support_type"] == "mast" and stored["P-001"]["attrs"] == {"remarque": "angle rue"}
    assert report.errors_by_field == {"height_m": 1, "geom": 2}
    assert stored["P-003"]["support_type"] == "wall_bracket"  # 'console': French for a wall bracket


def test_geopackage_and_shapefile_surveys(engine, planner_id, tmp_path) -> None:
    gpkg = make_survey(tmp_path / "g", 800, fmt="gpkg", seed=1)
    report = import_file(engine, gpkg.path, "luminaire", planner_id, mapping=gpkg.mapping, recode=gpkg.recode)
    assert report.layer == "eclairage" and report.crs == "EPSG:2154"
    assert (report.read, report.imported, report.rejected, report.duplicates) == (
        gpkg.expected.read, gpkg.expected.imported, gpkg.expected.rejected, gpkg.expected.duplicates
    )


@pytest.mark.parametrize("fmt", ["shp", "csv", "geojson"])
def test_survey_variants_exact_counts(engine, planner_id, tmp_path, fmt) -> None:
    survey = make_survey(tmp_path, 800, fmt=fmt, seed=3)
    report = import_file(
        engine, survey.path, "luminaire", planner_id, crs=survey.crs, mapping=survey.mapping, recode=survey.recode
    )
    expected = survey.expected
    assert (report.read, report.imported, report.rejected, report.duplicates) == (
        expected.read, expected.imported, expected.rejected, expected.duplicates
    )
    by_field = dict(report.errors_by_field)
    by_field.pop("duplicate")
    assert by_field == expected.rejected_by_field
    assert report.codes_made == expected.codes_made and report.missing == expected.missing
    assert report.crs == "EPSG:4326" if fmt == "geojson" else "EPSG:2154"
    assert _count(engine, "luminaire") == expected.imported


def test_shapefile_with_esri_named_prj(engine, planner_id, tmp_path) -> None:
    survey = make_survey(tmp_path, 800, fmt="shp", seed=4)
    survey.path.with_suffix(".prj").write_text(RGF93_LAMBERT_93_PRJ)
    report = import_file(engine, survey.path, "luminaire", planner_id, mapping=survey.mapping, recode=survey.recode)
    assert report.crs == "EPSG:2154" and report.imported == survey.expected.imported


def test_multipoints_of_one_point_are_points(engine, planner_id, tmp_path) -> None:
    path = tmp_path / "multi.gpkg"
    geoms = shapely.to_wkb([shapely.MultiPoint([near(0, 0)]), shapely.MultiPoint([near(5, 0), near(9, 0)])])
    pyogrio.raw.write(
        str(path), np.array(geoms, dtype=object), [np.array(["M-1", "M-2"], dtype=object)], ["code"],
        driver="GPKG", geometry_type="MultiPoint", crs=LAMB93_PRJ,
    )
    report = import_file(engine, path, "pole", planner_id, rejects_path=tmp_path / "r.csv")
    assert (report.imported, report.rejected) == (1, 1)
    assert report.errors_by_field == {"geom": 1}
    assert _assets(engine, "pole")["M-1"]["wkt"].startswith("POINT(")


# -- duplicates -------------------------------------------------------------------------------------


def test_duplicates_in_file_and_against_database(engine, planner_id, tmp_path) -> None:
    with unit_of_work(engine, planner_id) as session:
        bulk_insert(session, "pole", [
            {"code": "OLD-1", "geom": near(0, 0), "status": "in_service"},
            {"code": "OLD-2", "geom": near(50, 0), "status": "removed"},
        ])
    path = tmp_path / "poles.csv"
    base = near(0, 0)
    rows = [
        ("P-1", base.x + 0.3, base.y),  # 30 cm from OLD-1: duplicate of the existing asset
        ("P-2", base.x + 100, base.y),  # kept: first of its stack
        ("P-3", base.x + 100.2, base.y),  # duplicate of P-2 (row 2)
        ("P-4", base.x + 100.4, base.y + 0.1),  # duplicate of P-2 too (P-3 is not kept)
        ("P-5", base.x + 50, base.y),  # on a *removed* asset: not a duplicate
        ("P-6", base.x + 100.6, base.y + 0.5),  # 0.6 m from P-2: a distinct pole
        ("OLD-1", base.x + 200, base.y),  # code of an existing asset: rejected
    ]
    path.write_text("code,x,y\n" + "".join(f"{c},{x},{y}\n" for c, x, y in rows))
    report = import_file(engine, path, "pole", planner_id, crs="EPSG:2154")
    assert (report.read, report.imported, report.rejected, report.duplicates) == (7, 3, 1, 3)
    assert report.errors["duplicate: of an existing asset"] == 1
    assert report.errors["duplicate: of an earlier row of the file"] == 2
    reasons = {r["code"]: r["reject_reason"] for r in _rejects(report.rejects_path)}
    assert reasons["P-1"].startswith("geom: probable duplicate of asset ") and "(code OLD-1)" in reasons["P-1"]
    assert reasons["P-1"].endswith("0.30 m away")
    assert reasons["P-3"] == "geom: probable duplicate of row 2 (code P-2), 0.20 m away"
    assert reasons["P-4"].startswith("geom: probable duplicate of row 2 (code P-2)")
    assert reasons["OLD-1"].startswith("code: 'OLD-1' is already used by asset")
    assert set(_assets(engine, "pole")) == {"OLD-1", "OLD-2", "P-2", "P-5", "P-6"}
    # The same file again: every code is now taken (reported as such, not as a duplicate).
    again = import_file(engine, path, "pole", planner_id, crs="EPSG:2154", rejects_path=tmp_path / "again.csv")
    assert (again.imported, again.rejected, again.duplicates) == (0, 4, 3)


def test_rejects_file_can_be_fixed_and_imported_again(engine, planner_id, tmp_path) -> None:
    source = tmp_path / "lum.csv"
    source.write_bytes((DATA / "luminaires_lonlat.csv").read_bytes())
    first = import_file(engine, source, "luminaire", planner_id, mapping=LUMINAIRE_MAP)
    rejects = first.rejects_path
    assert rejects == tmp_path / "lum.rejects.csv"
    fixed = rejects.read_text(encoding="utf-8-sig").replace(";2500;", ";250;").replace("peut-être", "non")
    rejects.write_text(fixed, encoding="utf-8")
    second = import_file(engine, rejects, "luminaire", planner_id, mapping=LUMINAIRE_MAP,
                         rejects_path=tmp_path / "still.csv")
    assert second.imported == 2  # L-008 and L-010 fixed; the rest still need work
    assert "reject_reason" in second.columns["ignored"] and "source_row" in second.columns["ignored"]
    assert {"L-008", "L-010"} <= set(_assets(engine, "luminaire"))


# -- mapping, defaults, references ---------------------------------------------------------------------


def test_missing_required_attribute_and_default(engine, planner_id, tmp_path) -> None:
    path = tmp_path / "legacy.csv"
    path.write_text("NUM;lon;lat;PUISS;Type support\nA-1;5.0345;47.3226;70;Mât\nA-2;5.0355;47.3236;;\n")
    report = import_file(engine, path, "luminaire", planner_id, mapping={"NUM": "code", "PUISS": "power_w"},
                         dry_run=True)
    assert (report.imported, report.rejected, report.incomplete) == (2, 0, 2)  # would be: nothing is required
    assert report.missing == {"luminaire_type": 2, "is_led": 2, "model": 2, "power_w": 1}
    assert any("no column feeds is_led (a complete luminaire has it)" in h for h in report.hints)
    assert _count(engine, "luminaire") == 0 and report.rejects_path is None
    (tmp_path / "legacy.rejects.csv").write_text("NUM;reject_reason\nA-1;stale\n")
    report = import_file(engine, path, "luminaire", planner_id, mapping={"NUM": "code", "PUISS": "power_w"},
                         defaults={"is_led": "non", "power_w": "100"})
    assert (report.imported, report.rejected, report.rejects_path) == (2, 0, None)
    assert not (tmp_path / "legacy.rejects.csv").exists()  # an earlier run's, now stale, is gone
    stored = _assets(engine, "luminaire")
    assert (stored["A-1"]["power_w"], stored["A-2"]["power_w"], stored["A-2"]["is_led"]) == (70.0, 100.0, False)
    assert stored["A-1"]["attrs"] == {"Type support": "Mât"} and stored["A-2"]["attrs"] == {}


def test_bad_map_default_and_recode_are_named(engine, planner_id) -> None:
    path = DATA / "luminaires_lonlat.csv"
    with pytest.raises(ValidationError, match=r"map: no column 'Nope'"):
        import_file(engine, path, "luminaire", planner_id, mapping={"Nope": "code"})
    with pytest.raises(ValidationError, match=r"map: 'wattage' is not a field of luminaire"):
        import_file(engine, path, "luminaire", planner_id, mapping={"Puissance": "wattage"})
    with pytest.raises(ValidationError, match=r"map: 'commune_insee' is computed by CityPilot"):
        import_file(engine, path, "luminaire", planner_id, mapping={"Remarque": "commune_insee"})
    with pytest.raises(ValidationError, match=r"default is_led: cannot read 'peut-être'"):
        import_file(engine, path, "luminaire", planner_id, defaults={"is_led": "peut-être"})
    with pytest.raises(ValidationError, match=r"recode: 'colour' is not a field"):
        import_file(engine, path, "luminaire", planner_id, recode={"colour": {"a": "b"}})
    with pytest.raises(ValidationError, match=r"kind: unknown kind 'lamp'"):
        import_file(engine, path, "lamp", planner_id)
    assert _count(engine, "luminaire") == 0


def test_automatic_matching_attrs_and_ignored_columns(engine, planner_id, tmp_path) -> None:
    path = tmp_path / "auto.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [5.0345, 47.3226]},
        "properties": {"CODE": "C-1", "Height_M": "7", "Support_Type": "Candélabre", "id": 99, "Commune_INSEE": "x",
                       "attrs": {"source": "relevé 2019"}, "Numéro rue": 12},
    }]}))
    report = import_file(engine, path, "pole", planner_id, recode={"support_type": {"candélabre": "candelabra"}})
    assert report.imported == 1, report.lines()
    stored = _assets(engine, "pole")["C-1"]
    assert (stored["height_m"], stored["support_type"]) == (7.0, "candelabra")
    assert stored["attrs"] == {"source": "relevé 2019", "Numéro rue": 12}
    assert stored["id"] != 99 and stored["commune_insee"] == "21231"
    assert set(report.columns["ignored"]) == {"id", "Commune_INSEE"}


def test_parent_code_resolves_among_parent_kinds(engine, planner_id, tmp_path) -> None:
    with unit_of_work(engine, planner_id) as session:
        bulk_insert(session, "pole", [{"code": "SUP-1", "geom": near(0, 0)}])
        bulk_insert(session, "cabinet", [{"code": "SUP-2", "geom": near(20, 0), "contract_power_kva": 36.0}])
    path = tmp_path / "lum.csv"
    path.write_text(
        "code,support,lon,lat,power_w,is_led\n"
        "L-1,SUP-1,5.0345,47.3226,40,yes\n"
        "L-2,SUP-2,5.0346,47.3226,40,yes\n"  # a cabinet is no luminaire's parent
        "L-3,SUP-9,5.0347,47.3226,40,yes\n"
        "L-4,,5.0348,47.3226,40,yes\n"
    )
    report = import_file(engine, path, "luminaire", planner_id, mapping={"support": "parent_code"})
    assert (report.imported, report.rejected) == (2, 2)
    reasons = {r["code"]: r["reject_reason"] for r in _rejects(report.rejects_path)}
    assert reasons == {
        "L-2": "parent_code (support): no pole with code 'SUP-2'",
        "L-3": "parent_code (support): no pole with code 'SUP-9'",
    }
    stored = _assets(engine, "luminaire")
    pole_id = _assets(engine, "pole")["SUP-1"]["id"]
    assert stored["L-1"]["parent_id"] == pole_id and stored["L-4"]["parent_id"] is None


def test_references_by_code_and_kinds_without_geometry(engine, planner_id, tmp_path) -> None:
    with unit_of_work(engine, planner_id) as session:
        bulk_insert(session, "cabinet", [{"code": "AR-1", "geom": near(0, 0), "contract_power_kva": 36.0}])
        bulk_insert(session, "fibre_node", [{"code": f"N-{i}", "geom": near(i * 50, 0), "node_type": "chamber"}
                                            for i in (1, 2)])
    circuits = tmp_path / "circuits.csv"
    circuits.write_text("code;armoire;numero\nAR-1-D1;AR-1;1\nAR-1-D2;AR-1;2\nAR-9-D1;AR-9;1\n")
    report = import_file(engine, circuits, "circuit", planner_id,
                         mapping={"armoire": "parent_code", "numero": "circuit_number"})
    assert (report.imported, report.rejected) == (2, 1)
    assert report.errors == {"parent_code: no cabinet with code '…'": 1}
    segments = tmp_path / "segments.csv"
    a, b = near(50, 0), near(100, 0)
    segments.write_text(
        "code,from_node_code,to_node_code,fibre_count,wkt\n"
        f'F-1,N-1,N-2,48,"SRID=2154;LINESTRING ({a.x} {a.y}, {b.x} {b.y})"\n'
        f'F-2,N-1,,48,"SRID=2154;LINESTRING ({a.x} {a.y}, {b.x} {b.y})"\n'
    )
    report = import_file(engine, segments, "fibre_segment", planner_id)
    assert (report.imported, report.rejected) == (1, 1)
    assert report.errors == {"to_node_id: missing: required for a fibre segment": 1}
    stored = _assets(engine, "fibre_segment")["F-1"]
    assert stored["length_m"] == pytest.approx(50.0) and stored["from_node_id"] != stored["to_node_id"]
    assert import_file(engine, circuits, "circuit", planner_id, dry_run=True,
                       mapping={"armoire": "parent_code", "numero": "circuit_number"}).rejected == 3


# -- CRS ------------------------------------------------------------------------------------------------


def test_crs_override_for_geojson_in_lambert93(engine, planner_id, tmp_path) -> None:
    darcy = near(0, 0)
    path = tmp_path / "l93.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [darcy.x, darcy.y]},
        "properties": {"code": "X-1"},
    }]}))
    with pytest.raises(ImportFileError, match=r"look projected.*--crs"):
        import_file(engine, path, "pole", planner_id)
    report = import_file(engine, path, "pole", planner_id, crs="EPSG:2154")
    assert (report.imported, report.crs, report.crs_source) == (1, "EPSG:2154", "--crs")
    with engine.connect() as conn:
        x, y = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM assets WHERE code = 'X-1'")).one()
    assert (x, y) == pytest.approx((darcy.x, darcy.y), abs=1e-6)


def test_shapefile_without_crs_is_an_error(engine, planner_id, tmp_path) -> None:
    survey = make_survey(tmp_path, 800, fmt="shp", seed=5)
    survey.path.with_suffix(".prj").unlink()
    with pytest.raises(ImportFileError, match=r"releve_eclairage\.shp does not say its CRS.*--crs"):
        import_file(engine, survey.path, "luminaire", planner_id, mapping=survey.mapping, recode=survey.recode)
    report = import_file(engine, survey.path, "luminaire", planner_id, crs="IGNF:LAMB93", mapping=survey.mapping,
                         recode=survey.recode)
    assert report.imported == survey.expected.imported


# -- transaction ------------------------------------------------------------------------------------------


def test_a_database_failure_rolls_everything_back(engine, planner_id, tmp_path, monkeypatch) -> None:
    calls = []
    real = importer_module.bulk_insert

    def failing(session, kind, records, validate):
        calls.append(len(records))
        if len(calls) == 2:
            raise psycopg.errors.UniqueViolation('duplicate key value violates unique constraint "uq_assets_kind_code"')
        return real(session, kind, records, validate=validate)

    monkeypatch.setattr(importer_module, "CHUNK", 2)
    monkeypatch.setattr(importer_module, "bulk_insert", failing)
    with pytest.raises(ImportFileError, match="nothing was imported: duplicate key value"):
        import_file(engine, DATA / "luminaires_lonlat.csv", "luminaire", planner_id, mapping=LUMINAIRE_MAP,
                    rejects_path=tmp_path / "r.csv")
    assert calls[0] == 2 and _count(engine, "luminaire") == 0


# -- the 30,000-point legacy survey ----------------------------------------------------------------------------


@pytest.mark.slow
def test_legacy_survey_30k_exact_counts_and_history(engine, planner_id, tmp_path) -> None:
    survey = make_survey(tmp_path, 30_000, fmt="shp", existing=True)
    with unit_of_work(engine, None) as session:
        bulk_insert(session, "luminaire", survey.existing)
    stages: dict[str, tuple[int, int]] = {}
    report = import_file(
        engine, survey.path, "luminaire", planner_id, mapping=survey.mapping, recode=survey.recode,
        progress=lambda stage, done, total: stages.__setitem__(stage, (done, total)),
    )
    expected = survey.expected
    assert report.crs == "EPSG:2154" and report.crs_source == "file"
    assert (report.read, report.imported, report.rejected, report.duplicates) == (
        expected.read, expected.imported, expected.rejected, expected.duplicates
    )
    assert report.read == report.imported + report.rejected + report.duplicates
    by_field = dict(report.errors_by_field)
    assert by_field.pop("duplicate") == expected.duplicates
    assert by_field == expected.rejected_by_field
    assert report.errors["duplicate: of an existing asset"] == expected.duplicates_of_assets
    assert report.codes_made == expected.codes_made and report.missing == expected.missing
    assert report.incomplete == expected.imported  # no row says its model
    assert stages == {"validating": (30_000, 30_000), "inserting": (expected.imported, expected.imported)}
    rejects = _rejects(report.rejects_path)
    assert len(rejects) == expected.rejected + expected.duplicates
    assert all(r["reject_reason"] for r in rejects)
    with engine.connect() as conn:
        history = conn.execute(text(
            "SELECT actor_name, count(*) FROM asset_history WHERE kind = 'luminaire' AND action = 'insert' "
            "AND actor_id IS NOT NULL GROUP BY actor_name"
        )).all()
        sample = conn.execute(text(
            "SELECT is_led, power_w, install_date, attrs FROM assets WHERE kind = 'luminaire' AND created_by = :u "
            "AND attrs ? 'SUPPORT' AND install_date IS NOT NULL LIMIT 1"
        ), {"u": planner_id}).one()
    assert history == [("alice", expected.imported)]
    assert sample.power_w > 0 and sample.install_date.year >= 1985 and "lamp_type" in sample.attrs
    assert report.seconds < 60


# -- the command line ------------------------------------------------------------------------------------------


@pytest.fixture
def cli(db_url, monkeypatch) -> Iterator[click.Group]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    context.engine.cache_clear()
    group = build_cli(io_cmd)
    yield group
    context.engine.cache_clear()


def test_cli_import_end_to_end(cli, planner_id, tmp_path) -> None:
    survey = make_survey(tmp_path, 800, fmt="shp", seed=6)
    result = CliRunner().invoke(cli, ["import", str(survey.path), "--kind", "luminaire", "--user", "alice",
                                      *survey.cli_args()])
    assert result.exit_code == 0, result.output
    e = survey.expected
    assert (f"read {e.read}, imported {e.imported}, rejected {e.rejected}, "
            f"probable duplicates {e.duplicates}") in result.output
    assert "CRS EPSG:2154 (file)" in result.output
    assert f"rejects: {survey.path.with_name('releve_eclairage.rejects.csv')}" in result.output
    as_json = CliRunner().invoke(cli, ["import", str(survey.path), "-k", "luminaire", "--user", "alice", "--json",
                                       "--dry-run", *survey.cli_args()])
    assert as_json.exit_code == 0, as_json.output
    again = json.loads(as_json.output)  # every code is taken now; the near copies sit on imported lamps
    assert again["imported"] == 0 and again["rejected"] + again["duplicates"] == e.read


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "nowhere.shp", "--kind", "luminaire"], "error: nowhere.shp: no such file"),
        (["import", str(DATA / "poles_wkt.csv"), "--kind", "lamp"], "error: kind: unknown kind 'lamp'"),
        (["import", str(DATA / "poles_wkt.csv"), "--kind", "pole"], "error: poles_wkt.csv does not say its CRS"),
        (["import", str(DATA / "poles_wkt.csv"), "-k", "pole", "--map", "code"], "error: map: expected SOURCE=TARGET"),
        (["import", str(DATA / "poles_wkt.csv"), "-k", "pole", "--user", "bob"], "error: no user named 'bob'"),
        (["export", "--kind", "lamp"], "error: kind: unknown kind 'lamp'"),
    ],
)
def test_cli_errors_are_one_clear_line(cli, planner_id, args, message) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert result.output.startswith(message), result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_citypilot_command_end_to_end(db_url, planner_id, tmp_path) -> None:
    survey = make_survey(tmp_path, 800, fmt="gpkg", seed=7)
    env = {**os.environ, "DATABASE_URL": db_url, "CITYPILOT_USER": "alice"}
    command = [sys.executable, "-c", "from app.cli import main; main()"]
    done = subprocess.run([*command, "import", str(survey.path), "--kind", "luminaire", *survey.cli_args()],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"imported {survey.expected.imported}, rejected {survey.expected.rejected}" in done.stdout
    missing = subprocess.run([*command, "import", str(tmp_path / "nope.gpkg"), "--kind", "luminaire"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == f"error: {tmp_path / 'nope.gpkg'}: no such file\n"
