"""The import endpoint: a survey with bad rows gives the report and a downloadable rejects file; a
file that cannot be imported at all is refused with a clear message; export downloads."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from flask import Flask

from tests.web.helpers import ContractClient, People

SURVEY = (
    "code;lon;lat;power_w;is_led;Commentaire\n"
    "PL-1;5,0345;47,3226;40;oui;ok\n"
    "PL-2;5,0347;47,3228;beaucoup;non;puissance illisible\n"
    "PL-3;2,3500;48,8500;70;non;à Paris\n"
    "PL-4;5,0349;47,3230;2500;oui;trop puissant\n"
)


def _upload(client: ContractClient, auth: dict[str, str], content: bytes, name: str, **form: object):
    data = {"file": (io.BytesIO(content), name), **form}
    return client.post("/api/v1/imports", headers=auth, data=data, content_type="multipart/form-data")


def test_bad_rows_are_reported_and_downloadable(client: ContractClient, people: People) -> None:
    planner = people["planner"].auth
    response = _upload(client, planner, SURVEY.encode("utf-8"), "releve.csv", kind="luminaire")
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["read"], report["imported"], report["rejected"], report["duplicates"]) == (4, 1, 3, 0)
    assert report["file"] == "releve.csv" and report["kind"] == "luminaire"
    assert set(report["errors_by_field"]) == {"power_w", "geom"}
    assert "/" not in str(report.get("path", ""))  # no server path leaks

    rejects = client.get(report["rejects_url"], headers=planner)
    assert rejects.status_code == 200 and rejects.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(rejects.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    reasons = {r["code"]: r["reject_reason"] for r in rows}
    assert set(reasons) == {"PL-2", "PL-3", "PL-4"}
    assert "power_w" in reasons["PL-2"] and "territory" in reasons["PL-3"] and "outside" in reasons["PL-4"]

    other = client.post("/api/v1/users", headers=people["admin"].auth,
                        json={"name": "bob", "role": "planner"}).get_json()
    assert other["role"] == "planner"
    assert client.get(report["rejects_url"], headers=people["admin"].auth).status_code == 200
    assert client.get(report["rejects_url"], headers=people["supervisor"].auth).status_code == 403
    codes = [a["code"] for a in client.get("/api/v1/assets?kind=luminaire", headers=planner).get_json()["items"]]
    assert codes == ["PL-1"]


def test_dry_run_and_mapping(client: ContractClient, people: People) -> None:
    survey = "NUM;X_WGS;Y_WGS;PUISS;LED\nA-1;5.0345;47.3226;40;yes\n"
    response = _upload(client, people["admin"].auth, survey.encode(), "lamps.csv", kind="luminaire",
                       map=["NUM=code", "X_WGS=x", "Y_WGS=y", "PUISS=power_w", "LED=is_led"], crs="EPSG:4326",
                       dry_run="true")
    report = response.get_json()
    assert response.status_code == 200, report
    assert (report["imported"], report["dry_run"], report["rejects_url"]) == (1, True, None)
    assert client.get("/api/v1/assets", headers=people["admin"].auth).get_json()["total"] == 0


@pytest.mark.parametrize(
    ("content", "name", "form", "status", "field", "words"),
    [
        (b"PK\x03\x04", "survey.docx", {"kind": "pole"}, 415, "file", "unknown file type .docx"),
        (b"\x00", "poles.shp", {"kind": "pole"}, 415, "file", "zip the .shp"),
        (b"{ not json", "poles.geojson", {"kind": "pole"}, 422, "file", "poles.geojson"),
        (b"code;lon;lat\n", "poles.csv", {}, 422, "kind", "missing"),
        (b"code;lon;lat\n", "poles.csv", {"kind": "spaceship"}, 422, "kind", "unknown kind"),
        (b"code;lon;lat\n", "poles.csv", {"kind": "pole", "map": "nonsense"}, 422, "map", "SOURCE=TARGET"),
        (b"code;lon;lat\n", "poles.csv", {"kind": "pole", "crs": "EPSG:99999"}, 422, "crs", "unknown CRS"),
    ],
)
def test_files_that_cannot_be_imported(client, people, content, name, form, status, field, words) -> None:
    response = _upload(client, people["planner"].auth, content, name, **form)
    body = response.get_json()
    assert response.status_code == status, body
    assert words in body["message"] or any(words in f["reason"] for f in body.get("fields", []))
    assert field in {f["field"] for f in body.get("fields", [])}


def test_an_upload_must_be_multipart_with_a_file(client: ContractClient, people: People) -> None:
    as_json = client.post("/api/v1/imports", headers=people["planner"].auth, json={"kind": "pole"})
    assert as_json.status_code == 415 and "multipart/form-data" in as_json.get_json()["message"]
    no_file = client.post("/api/v1/imports", headers=people["planner"].auth, data={"kind": "pole"},
                          content_type="multipart/form-data")
    assert no_file.status_code == 422 and no_file.get_json()["fields"][0]["field"] == "file"


def test_export_downloads(app: Flask, client: ContractClient, people: People) -> None:
    _upload(client, people["planner"].auth, SURVEY.encode("utf-8"), "releve.csv", kind="luminaire")
    auth = people["crew"].auth
    geojson = client.get("/api/v1/exports?kind=luminaire", headers=auth)
    assert geojson.status_code == 200 and geojson.mimetype == "application/geo+json"
    assert [f["properties"]["code"] for f in geojson.get_json()["features"]] == ["PL-1"]
    assert "attachment" in geojson.headers["Content-Disposition"]
    shp = client.get("/api/v1/exports?kind=luminaire&format=shp", headers=auth)
    assert shp.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(shp.data)).namelist()
    assert {"luminaire.shp", "luminaire.dbf", "luminaire.prj"} <= set(names)
    bad = client.get("/api/v1/exports?kind=luminaire&format=kml", headers=auth)
    assert bad.status_code == 422 and bad.get_json()["fields"][0]["field"] == "format"


def test_a_survey_without_codes_then_its_quality_page_by_page(client: ContractClient, people: People) -> None:
    rows = "".join(f"5,03{40 + k:02d};47,32{20 + k:02d};{t}\n"
                   for k, t in enumerate(["LANTERNE", "Projecteur", "", "CROSSE BOIS", "borne colonne"]))
    response = _upload(client, people["planner"].auth, ("lon;lat;type\n" + rows).encode(), "releve.csv",
                       kind="luminaire", map=["type=luminaire_type"], code_template="EP-{n:04d}")
    report = response.get_json()
    assert response.status_code == 200, report
    assert (report["imported"], report["codes_made"], report["code_range"]) == (5, 5, ["EP-0001", "EP-0005"])
    assert report["unmapped"] == {"luminaire_type": {"CROSSE BOIS": 1}}
    assert report["missing"] == {"is_led": 5, "power_w": 5, "model": 5, "luminaire_type": 2}

    crew = people["crew"].auth
    first = client.get("/api/v1/quality?kind=luminaire&limit=3", headers=crew).get_json()
    assert first["total"] == 5 and first["missing"]["luminaire"]["luminaire_type"] == 2
    assert [i["code"] for i in first["items"]] == ["EP-0001", "EP-0002", "EP-0003"]
    assert first["items"][2]["missing"] == ["luminaire_type", "is_led", "power_w", "model"]
    second = client.get(first["next"], headers=crew).get_json()
    assert [i["code"] for i in second["items"]] == ["EP-0004", "EP-0005"] and second["next"] is None
    assert client.get("/api/v1/quality?commune=Dijon", headers=crew).get_json()["total"] == 5
    bad = client.get("/api/v1/quality?kind=lamp", headers=crew)
    assert bad.status_code == 422 and "kind" in str(bad.get_json())
    assert client.get("/api/v1/quality", headers=people["public"].auth).status_code == 403
