"""The control room's server side: the page (roles, its own-origin policy, its words in the reader's
language), the base map tiles and the counters per family (the browser tests are in tests/browser)."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

import mapbox_vector_tile
import pytest
from flask import Flask
from sqlalchemy import text

from app.web import close_app, create_app
from assets.accounts import issue_token
from assets.db import unit_of_work
from assets.users import create_user
from gis.tiles import tile_for_lonlat
from tests.web.helpers import ContractClient, People, give_password, make_people, sign_in

DARCY = (5.0345, 47.3226)
_CONFIG = re.compile(r'<script type="application/json" id="cr-config">(.*?)</script>', re.S)


def page_config(html: str) -> dict:
    match = _CONFIG.search(html)
    assert match, "no configuration in the page"
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def demo_app(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, dict[str, dict]]]:
    """The app on the demo city (read only), with an operator and a public account made for it (removed after)."""
    home: Path = tmp_path_factory.mktemp("control-room-home")
    app = create_app({"DATABASE_URL": demo_db_url, "CITYPILOT_HOME": home, "TESTING": True, "SECRET_KEY": "k",
                      "AUTH_CACHE_S": 0})
    app.test_client_class = ContractClient
    db = app.extensions["citypilot"].engine
    names = {"operator": "cr-test-operator", "public": "cr-test-public"}
    auth = {}
    try:
        with unit_of_work(db, None) as session:
            for role, name in names.items():
                create_user(session, name, role)
                auth[role] = {"Authorization": f"Bearer {issue_token(session, name, 'tests').secret}"}
        yield app, auth
    finally:
        with unit_of_work(db, None) as session:
            session.execute(text("DELETE FROM users WHERE name = ANY(:n)"), {"n": list(names.values())})
        close_app(app)


def test_the_page_for_the_control_room_roles(app: Flask, client: ContractClient, people: People) -> None:
    give_password(app, "supervisor")
    sign_in(client, "supervisor")
    page = client.get("/control-room?lang=fr")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "<h1 class=\"cr-title\">Poste de pilotage</h1>" in html
    assert page.headers["Content-Security-Policy"] == "default-src 'self'; frame-ancestors 'none'"
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html  # nothing elsewhere
    config = page_config(html)
    assert config["lang"] == "fr" and config["user"]["name"] == "supervisor"
    assert config["csrf"] and config["background"] is None
    assert config["strings"]["acknowledge"] == "Acquitter"
    assert config["strings"]["action_flash"] == "mode clignotant"
    assert config["kinds"]["cabinet"]["label"] == "armoire de commande"
    assert [layer["id"] for layer in config["tiles"]["vector_layers"]] == [
        "lighting", "traffic", "video", "network", "environment", "energy"]
    english = page_config(client.get("/control-room?lang=en").get_data(as_text=True))
    assert english["strings"]["acknowledge"] == "Acknowledge" and english["families"]["lighting"] == "Public lighting"
    home = client.get("/").get_data(as_text=True)
    assert 'href="/control-room"' in home


def test_a_configured_background_map_is_the_only_other_origin(db_url: str, tmp_path: Path, engine) -> None:
    app = create_app({"DATABASE_URL": db_url, "CITYPILOT_HOME": tmp_path, "TESTING": True, "SECRET_KEY": "k",
                      "BASEMAP_URL": "https://tiles.example.org/{z}/{x}/{y}.png", "BASEMAP_ATTRIBUTION": "© Example"})
    try:
        with unit_of_work(engine, None) as session:
            make_people(session)
        give_password(app, "operator")
        client = app.test_client()
        sign_in(client, "operator")
        page = client.get("/control-room")
        assert page.headers["Content-Security-Policy"] == (
            "default-src 'self'; frame-ancestors 'none'; img-src 'self' https://tiles.example.org")
        assert page_config(page.get_data(as_text=True))["background"] == {
            "url": "https://tiles.example.org/{z}/{x}/{y}.png", "attribution": "© Example"}
    finally:
        close_app(app)


def test_basemap_tiles_draw_communes_and_streets(demo_app: tuple[Flask, dict[str, dict]]) -> None:
    app, accounts = demo_app
    client: ContractClient = app.test_client()  # type: ignore[assignment]
    auth = accounts["public"]  # the territory is public data
    tile = tile_for_lonlat(*DARCY, 14)
    answer = client.get(f"/api/v1/basemap/14/{tile.x}/{tile.y}.mvt", headers={**auth, "Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and answer.mimetype == "application/vnd.mapbox-vector-tile"
    assert answer.headers["Content-Encoding"] == "gzip" and "max-age" in answer.headers["Cache-Control"]
    layers = mapbox_vector_tile.decode(gzip.decompress(answer.data))
    assert {f["properties"]["street_class"] for f in layers["streets"]["features"]} >= {"residential"}
    names, boundaries = set(), 0  # the whole metropole at z10: every commune, named once
    for x in range((tile.x >> 4) - 1, (tile.x >> 4) + 2):
        for y in range((tile.y >> 4) - 1, (tile.y >> 4) + 2):
            found = client.get(f"/api/v1/basemap/10/{x}/{y}.mvt", headers=auth)
            if found.status_code == 200:
                decoded = mapbox_vector_tile.decode(found.data)
                names |= {f["properties"]["name"] for f in decoded.get("labels", {}).get("features", [])}
                boundaries += len(decoded.get("communes", {}).get("features", []))
    assert len(names) == 23 and "Dijon" in names and boundaries >= 23
    again = client.get(f"/api/v1/basemap/14/{tile.x}/{tile.y}.mvt",
                       headers={**auth, "If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    low = tile_for_lonlat(*DARCY, 10)
    streets = mapbox_vector_tile.decode(client.get(f"/api/v1/basemap/10/{low.x}/{low.y}.mvt", headers=auth).data)
    assert {f["properties"]["street_class"] for f in streets["streets"]["features"]} == {"primary"}
    assert client.get("/api/v1/basemap/14/0/0.mvt", headers=auth).status_code == 204  # the ocean
    wrong = client.get("/api/v1/basemap/3/9/0.mvt", headers=auth)
    assert wrong.status_code == 400 and wrong.get_json()["fields"][0]["field"] == "x"
    assert client.get(f"/api/v1/basemap/14/{tile.x}/{tile.y}.mvt").status_code == 401


def test_counters_per_family(demo_app: tuple[Flask, dict[str, dict]]) -> None:
    app, accounts = demo_app
    client: ContractClient = app.test_client()  # type: ignore[assignment]
    figures = client.get("/api/v1/stats/families", headers=accounts["operator"]).get_json()
    lighting = figures["families"]["lighting"]
    assert lighting["total"] == 36_500 + lighting["kinds"]["cabinet"]["total"]
    assert lighting["kinds"]["luminaire"]["total"] == 36_500
    assert lighting["ok"] + lighting["fault"] + lighting["unreachable"] + lighting["unknown"] == lighting["total"]
    assert 0 < lighting["in_service"] <= lighting["total"]
    assert set(figures["families"]) == {"lighting", "traffic", "video", "fleet", "network", "environment", "energy"}
    assert figures["families"]["fleet"]["total"] == 205
    assert "pole" not in lighting["kinds"] and "fibre_segment" not in figures["families"]["network"]["kinds"]
    assert figures["kind_family"]["signal_head"] == "traffic"
    assert client.get("/api/v1/stats/families", headers=accounts["public"]).status_code == 403
