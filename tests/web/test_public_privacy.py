"""Privacy, decided once: every route the public (or anyone) may read is requested, and none of the
forbidden fields or values appears — no vehicle position or plate, no user name, no camera field of
view, no device key or identifier, no free remark naming a person."""

from __future__ import annotations

import gzip
import re

from flask import Flask
from pyproj import Transformer
from sqlalchemy import text

from assets.db import unit_of_work
from assets.store import create_asset
from gis.tiles import tile_for_lonlat
from tests.assets.helpers import MINIMAL, near
from tests.web.helpers import People
from tests.web.test_roles import MATRIX

SECRETS = ("70B3D5AA00000042", "GPS-SECRET42", "ZZ-999-ZZ", "Mme Secretname", "Planner Person", "10.9.8.7")
FORBIDDEN_FIELDS = ("fov", "created_by", "updated_by", "dev_eui", "tracker_id", "plate", "modbus_host")


def test_nothing_private_leaves_through_a_public_route(app: Flask, people: People, engine) -> None:
    with unit_of_work(engine, people["planner"].id) as session:
        lamp = create_asset(session, "luminaire", {"code": "L-1", "geom": near(), **MINIMAL["luminaire"],
                                                   "dev_eui": SECRETS[0], "attrs": {"remark": SECRETS[3]}}).id
        create_asset(session, "vehicle", {"code": "V-1", "geom": near(8), "plate": SECRETS[2],
                                          "tracker_id": SECRETS[1]})
        create_asset(session, "camera", {"code": "C-1", "geom": near(0, 20), **MINIMAL["camera"]})
        create_asset(session, "energy_meter", {"code": "M-1", "geom": near(0, 40), **MINIMAL["energy_meter"],
                                               "modbus_host": SECRETS[5]})
    with engine.begin() as conn:
        conn.execute(text("UPDATE assets SET fov = ST_Buffer(geom, 25) WHERE kind = 'camera'"))
    here = near()
    tile = tile_for_lonlat(*Transformer.from_crs(2154, 4326, always_xy=True).transform(here.x, here.y), 16)
    z, x, y = tile.z, tile.x, tile.y
    values = {"asset_id": str(lamp), "collection_id": "luminaire", "feature_id": str(lamp), "ext": "geojson",
              "filename": "citypilot.css", "z": str(z), "x": str(x), "y": str(y)}
    checked = 0
    for (method, rule), allowed in sorted(MATRIX.items()):
        if method != "GET" or not (allowed["public"] or allowed["anonymous"]) or "stream" in rule:
            continue
        urls = [rule]
        if "<any(" in rule:
            urls = [re.sub(r"<any\(([^)]*)\):layer>", name.strip(), rule)
                    for name in re.search(r"<any\(([^)]*)\)", rule).group(1).split(",")]
        for url in urls:
            for name, value in values.items():
                url = re.sub(rf"<(?:\w+:)?{name}>", value, url)
            if "<" in url:
                continue
            for ext in (["geojson", "csv", "gpkg"] if "<ext>" in rule else [None]):
                target = url if ext is None else url.replace("geojson", ext)
                for headers in ({}, people["public"].auth):
                    response = app.test_client().get(target, headers=headers)
                    if response.status_code in (401, 403, 302):
                        continue
                    body = response.get_data()
                    if response.headers.get("Content-Encoding") == "gzip":
                        body = gzip.decompress(body)
                    for secret in SECRETS:
                        assert secret.encode() not in body, (target, secret)
                    if response.is_json and "openapi" not in target and not target.endswith("/api"):
                        found = re.findall(rb'"(' + b"|".join(f.encode() for f in FORBIDDEN_FIELDS) + rb')"\s*:', body)
                        assert not found, (target, found)
                    checked += 1
    assert checked >= 20
