"""``GET /api/v1/places``: find a street, a commune or an asset code, whatever the accents and case."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import Engine

from assets.db import unit_of_work
from assets.store import create_asset
from tests.assets.helpers import MINIMAL, near
from tests.web.helpers import ContractClient, People


def _streets(engine: Engine) -> None:
    """In Dijon (its communes come with the database): the Rue de la Liberté in two pieces, other streets."""
    base = near()
    with engine.begin() as conn:
        pieces = [("Rue de la Liberté", 0), ("Rue de la Liberté", 100), ("Avenue Jean Jaurès", 500)]
        pieces += [(f"Rue Libération {n}", 600 + 10 * n) for n in range(5)]
        for name, dx in pieces:
            conn.execute(text(
                "INSERT INTO streets (name, street_class, commune_insee, geom) VALUES (:name, 'residential', '21231', "
                "ST_SetSRID(ST_MakeLine(ST_MakePoint(:x, :y), ST_MakePoint(:x + 90, :y)), 2154))"),
                {"name": name, "x": base.x + dx, "y": base.y})


def test_liberte_without_accent_finds_the_street_with_its_extent(app: Flask, client: ContractClient, people: People,
                                                                 engine: Engine) -> None:
    _streets(engine)
    body = client.get("/api/v1/places?q=LIBERTE", headers=people["planner"].auth).get_json()
    assert [(p["type"], p["label"], p["commune"]) for p in body["items"]] == [("street", "Rue de la Liberté", "Dijon")]
    west, south, east, north = body["items"][0]["bbox"]
    assert 5.03 < west < east < 5.06 and 47.31 < south <= north < 47.33  # both pieces, around place Darcy
    assert east - west > 0.002  # 190 m of street, not one piece
    jaures = client.get("/api/v1/places?q=jean%20jaures", headers=people["crew"].auth).get_json()["items"]
    assert [p["label"] for p in jaures] == ["Avenue Jean Jaurès"]
    commune = client.get("/api/v1/places?q=dij", headers=people["public"].auth).get_json()["items"]
    assert [(p["type"], p["label"]) for p in commune][:2] == [("commune", "Dijon"), ("commune", "Fontaine-lès-Dijon")]
    assert "Chenôve" in [p["label"] for p in client.get("/api/v1/places?q=CHENOVE", headers=people["public"].auth)
                         .get_json()["items"]]


def test_pages_of_matches_and_asset_codes(app: Flask, client: ContractClient, people: People, engine: Engine) -> None:
    _streets(engine)
    first = client.get("/api/v1/places?q=rue%20lib&limit=4", headers=people["planner"].auth).get_json()
    assert (first["total"], len(first["items"])) == (5, 4)
    second = client.get(first["next"], headers=people["planner"].auth).get_json()
    assert len(second["items"]) == 1 and second["next"] is None
    labels = [p["label"] for p in first["items"] + second["items"]]
    assert len(set(labels)) == 5 and "Rue de la Liberté" not in labels  # "rue lib..." does not match "rue de la lib"
    with unit_of_work(engine, None) as s:
        create_asset(s, "cabinet", {"code": "ARM-0042", "name": "Armoire Darcy", "geom": near(), **MINIMAL["cabinet"]})
        create_asset(s, "cabinet", {"code": "ARM-0043", "geom": near(50), **MINIMAL["cabinet"]})
    found = client.get("/api/v1/places?q=arm-0042", headers=people["public"].auth).get_json()["items"]
    assert [(p["type"], p["label"], p["kind"]) for p in found] == [("asset", "ARM-0042 · Armoire Darcy", "cabinet")]
    assert client.get("/api/v1/places?q=ARM-004", headers=people["crew"].auth).get_json()["total"] == 2
    assert found[0]["point"] is not None and found[0]["bbox"] is None


def test_too_short_a_text_names_the_field(app: Flask, client: ContractClient, people: People) -> None:
    answer = client.get("/api/v1/places?q=%20a", headers=people["planner"].auth)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.get_json()["fields"]] == ["q"]
