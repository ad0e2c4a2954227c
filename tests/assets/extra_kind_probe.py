"""Run in a subprocess by ``test_extra_kind.py``: register the test-only bollard kind, migrate the
database given, and report as JSON what validation, import, export, tiles, the API and the control room
make of it — with no edit anywhere else. Usage: ``python -m tests.assets.extra_kind_probe DB_URL WORKDIR``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import tests.assets.extra_kind  # noqa: F401  (registers the bollard before anything reads the kinds)
from app.web import close_app, create_app
from assets.alarms.rules import default_intervals_s
from assets.db import make_engine, unit_of_work
from assets.errors import ValidationError
from assets.io.exporter import export_assets
from assets.io.importer import import_file
from assets.kinds import passive_kinds
from assets.live.devices import DeviceDirectory
from assets.store import create_asset
from assets.tiles import LAYERS
from gis.tiles import tile_for_lonlat
from tests.assets.extra_kind import migrate
from tests.assets.helpers import DARCY, near
from tests.web.helpers import make_people


def _rejection(session: Any, values: dict[str, Any]) -> str:
    try:
        create_asset(session, "bollard", {"code": "BOR-BAD", "geom": near(), **values})
    except ValidationError as exc:
        return str(exc)
    return "accepted"


def probe(db_url: str, work: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    engine = make_engine(db_url)
    with engine.begin() as conn:
        migrate(conn)
    with unit_of_work(engine, None) as session:
        out["bad_height"] = _rejection(session, {"rise_height_mm": 5000})
        out["bad_type"] = _rejection(session, {"bollard_type": "flying"})
    with unit_of_work(engine, None) as session:
        people = make_people(session)
    lon, lat = DARCY
    source = work / "bollards.geojson"
    source.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon + 0.0001 * i, lat]},
         "properties": {"code": f"BOR-{i}", "bollard_type": "retractable", "rise_height_mm": 600 + i}}
        for i in (1, 2)
    ]}))
    report = import_file(engine, source, "bollard", people["planner"].id)
    out["import"] = {"read": report.read, "imported": report.imported, "errors": report.errors}
    exported = work / "out.geojson"
    out["exported_rows"] = export_assets(engine, "bollard", exported)
    out["exported"] = sorted((f["properties"]["code"], f["properties"]["bollard_type"],
                              f["properties"]["rise_height_mm"])
                             for f in json.loads(exported.read_text())["features"])
    out["layers"] = {name: list(spec.kinds) for name, spec in LAYERS.items()}
    out["kind_zoom"] = dict(LAYERS["traffic"].kind_zoom)
    out["passive"] = list(passive_kinds())
    out["intervals"] = default_intervals_s()
    directory = DeviceDirectory(engine)
    directory.load()
    device = directory.lookup("BOR-1")
    out["device"] = None if device is None else device.kind

    app = create_app({"DATABASE_URL": db_url, "CITYPILOT_HOME": str(work), "TESTING": True, "SECRET_KEY": "k"})
    try:
        client = app.test_client()
        operator = people["operator"]
        tiles = {}
        for z in (14, 16):
            tile = tile_for_lonlat(lon + 0.0001, lat, z)
            response = client.get(f"/tiles/traffic/{z}/{tile.x}/{tile.y}.mvt", headers=operator.auth)
            tiles[z] = (response.status_code, response.data.hex())
        out["tiles"] = tiles
        kinds = client.get("/api/v1/kinds", headers={**operator.auth, "Accept-Language": "fr"})
        out["kinds_status"] = kinds.status_code
        out["kinds"] = [k for k in kinds.get_json()["items"] if k["name"] == "bollard"]
        page = client.get("/control-room", headers=operator.auth).get_data(as_text=True)
        found = re.search(r'<script type="application/json" id="cr-config">(.*?)</script>', page, re.S)
        out["page_style"] = json.loads(found.group(1))["styles"].get("bollard") if found else None
    finally:
        close_app(app)
        engine.dispose()
    return out


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1], Path(sys.argv[2]))))
