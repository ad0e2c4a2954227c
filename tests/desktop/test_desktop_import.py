"""The import dialog against a real server: a survey previewed on the map, its columns mapped from the server's
suggestions, a dry run that saves nothing, the import with its progress dialog, the rejects shown and saved."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import shapely

from app.desktop.api import ApiClient
from app.desktop.survey import read_survey, upload_path
from tests.desktop.conftest import DesktopCity, open_window
from tests.web.helpers import PASSWORD

PREVIEWED = "JSON.stringify(window.cityMap.previewLayer ? window.cityMap.previewLayer.getLayers().length : -1)"


def _survey(folder: Path) -> Path:
    """Three lamps near place Darcy; the surveyor's French column ``puissance`` is the power (one is negative)."""
    rows = [("IMP-1", 40, 5.0410, 47.3220), ("IMP-2", 60, 5.0415, 47.3222), ("IMP-3", -5, 5.0420, 47.3224)]
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                 "properties": {"code": code, "puissance": power, "is_led": "oui"}}
                for code, power, lon, lat in rows]
    path = folder / "releve.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _codes(client: ApiClient) -> set[str]:
    return {item["code"] for item in client.assets(text="IMP-", kinds=["luminaire"])["items"]}


def _js(qtbot, page, script: str) -> int:
    answers: list[int] = []

    def answered() -> bool:
        page.runJavaScript(script, 0, lambda value: answers.append(int(value or 0)))
        qtbot.wait(200)
        return bool(answers) and answers[-1] >= 0

    qtbot.waitUntil(answered, timeout=10_000)
    return answers[-1]


def test_preview_map_dry_run_import_and_rejects(qtbot, desktop_city: DesktopCity, tmp_path: Path) -> None:
    window = open_window(qtbot, desktop_city)
    client = window.client
    dialog = window.open_import()
    assert dialog.open_file(_survey(tmp_path), "luminaire")
    assert _js(qtbot, window.map.map_page, PREVIEWED) == 3  # drawn over the inventory
    assert dialog.suggested["code"] == "code" and dialog.suggested["is_led"] == "is_led"
    assert dialog.suggested["puissance"] == "attrs.puissance"  # not a field's name: the server keeps it aside
    assert dialog.report is not None and dialog.report["rejected"] == 0 and _codes(client) == set()

    dialog.set_target("puissance", "power_w")
    assert dialog.mapping() == ["puissance=power_w"]
    dialog.run(dry_run=True)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    assert dialog.report["dry_run"] is True
    assert (dialog.report["imported"], dialog.report["rejected"]) == (2, 1)
    assert _codes(client) == set()  # a dry run saves nothing
    assert [row["code"] for row in dialog.rejected_rows()] == ["IMP-3"]

    dialog.run(dry_run=False)
    assert dialog.progress is not None and dialog.progress.isVisible()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=60_000)
    assert not dialog.progress.isVisible()
    assert dialog.report["dry_run"] is False and dialog.report["imported"] == 2
    assert _codes(client) == {"IMP-1", "IMP-2"}
    saved = client.assets(text="IMP-2", kinds=["luminaire"])["items"][0]
    assert client.asset(int(saved["id"]))["properties"]["power_w"] == 60
    (reject,) = dialog.rejected_rows()
    assert reject["code"] == "IMP-3" and any("power_w" in value for value in reject.values())
    assert dialog.save_rejects(tmp_path / "rejects.csv")
    with (tmp_path / "rejects.csv").open(encoding="utf-8") as saved_file:
        assert [row["code"] for row in csv.DictReader(saved_file)] == ["IMP-3"]
    dialog.close()
    assert _js(qtbot, window.map.map_page, PREVIEWED.replace("-1", "0")) == 0  # the preview goes with the dialog
    window.close()
    qtbot.wait(200)


def test_a_shapefile_is_sent_zipped_with_its_sidecars(desktop_city: DesktopCity, tmp_path: Path) -> None:
    shp = tmp_path / "releve.shp"
    pyogrio.raw.write(str(shp), geometry=shapely.to_wkb(shapely.points([[5.04, 47.32]])),
                      field_data=[np.array(["L-1"], dtype=object)], fields=["code"], geometry_type="Point",
                      crs="EPSG:4326", driver="ESRI Shapefile")
    zipped = upload_path(shp, tmp_path)
    assert {".shp", ".shx", ".dbf", ".prj"} <= {Path(n).suffix for n in zipfile.ZipFile(zipped).namelist()}
    survey = read_survey(shp)
    assert survey.rows == 1 and survey.drawn == 1 and survey.columns == ["code"]
    assert list(survey.preview["features"][0]["geometry"]["coordinates"]) == [5.04, 47.32]
    client = ApiClient(desktop_city.url)
    client.sign_in("planner", PASSWORD)
    report = client.import_file(str(zipped), "fibre_node", dry_run=True)
    assert report["read"] == 1 and report["format"] == "zip" and report["crs"] == "EPSG:4326"
