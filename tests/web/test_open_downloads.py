"""/open-data: the catalogue, downloads in three formats with the licence in each, regenerated when the
collection changes, CSVW and DCAT-AP metadata; nothing private in any of them."""

from __future__ import annotations

import csv
import io
import json

import pyogrio
from sqlalchemy import text

from assets.db import unit_of_work
from assets.open_downloads import LICENCE_URL
from assets.store import create_asset
from tests.assets.helpers import MINIMAL, near


def _lamps(engine, planner_id, n: int, start: int = 0) -> None:
    with unit_of_work(engine, planner_id) as session:
        for k in range(start, start + n):
            create_asset(session, "luminaire", {"code": f"L-{k:02d}", "geom": near(10 * k), **MINIMAL["luminaire"],
                                                "dev_eui": f"70B3D5{k:010X}", "attrs": {"note": "M. Martin"}})


def test_downloads_carry_the_licence_and_follow_changes(client, engine, planner_id, tmp_path) -> None:
    _lamps(engine, planner_id, 3)
    page = client.get("/open-data?lang=fr")
    assert page.status_code == 200 and "Données ouvertes" in page.get_data(as_text=True)
    assert "luminaire" in page.get_data(as_text=True)

    geojson = client.get("/open-data/luminaire.geojson")
    assert geojson.status_code == 200 and geojson.mimetype == "application/geo+json"
    assert f'<{LICENCE_URL}>; rel="license"' in geojson.headers["Link"]
    body = json.loads(geojson.get_data())
    assert body["license"] == LICENCE_URL and "Dijon" in body["attribution"] and len(body["features"]) == 3
    assert not {"dev_eui", "attrs", "created_by"} & set(body["features"][0]["properties"])

    answer = client.get("/open-data/luminaire.csv")
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["code"] for r in rows] == ["L-00", "L-01", "L-02"] and "dev_eui" not in rows[0]
    meta = client.get("/open-data/luminaire.csv-metadata.json").get_json()
    assert meta["dc:license"]["@id"] == LICENCE_URL and meta["url"].endswith("/open-data/luminaire.csv")
    assert 'rel="describedby"' in answer.headers["Link"]

    gpkg = tmp_path / "l.gpkg"
    gpkg.write_bytes(client.get("/open-data/luminaire.gpkg").get_data())
    info = pyogrio.read_info(gpkg)
    assert info["features"] == 3 and info["crs"] == "EPSG:2154"
    assert info["layer_metadata"]["LICENSE"] == LICENCE_URL

    _lamps(engine, planner_id, 2, start=3)  # a change: the next download is rewritten
    with engine.begin() as conn:
        conn.execute(text("UPDATE assets SET status = 'removed' WHERE code = 'L-00'"))
    again = json.loads(client.get("/open-data/luminaire.geojson").get_data())
    assert sorted(f["properties"]["code"] for f in again["features"]) == ["L-01", "L-02", "L-03", "L-04"]


def test_dcat_catalogue_and_unknown_things(client, engine, planner_id) -> None:
    _lamps(engine, planner_id, 1)
    catalogue = client.get("/open-data/catalog.jsonld")
    assert catalogue.mimetype == "application/ld+json"
    body = json.loads(catalogue.get_data())
    lamp = next(d for d in body["dcat:dataset"] if d["dct:identifier"] == "luminaire")
    formats = {d["dct:format"] for d in lamp["dcat:distribution"]}
    assert formats == {"geojson", "gpkg", "csv", "OGC API - Features"}
    assert all(d["dct:license"]["@id"] == LICENCE_URL for d in lamp["dcat:distribution"])
    assert not any(d["dct:identifier"] == "vehicle" for d in body["dcat:dataset"])
    assert client.get("/open-data/vehicle.geojson").status_code == 404
    assert client.get("/open-data/luminaire.kml").status_code == 404
