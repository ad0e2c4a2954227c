"""The assets API: filters and pagination, create / update / retire with versions, 409 and 422,
history, topology, GeoJSON in WGS84, and what the public does not see."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import Engine

from assets.db import unit_of_work
from assets.store import create_asset
from tests.assets.helpers import DARCY, MINIMAL, near
from tests.web.helpers import ContractClient, People

# Two places: around place Darcy (Dijon, 21231) and around Chenôve's town hall (21166).
CHENOVE = (5.0053, 47.2925)


def _wgs84_box(lon: float, lat: float, half: float = 0.002) -> str:
    return f"{lon - half},{lat - half},{lon + half},{lat + half}"


@pytest.fixture
def city(engine: Engine, people: People) -> dict[str, int]:
    """A small inventory: a cabinet feeding a circuit, a pole and two lamps; a camera; a lamp in Chenôve."""
    from tests.assets.helpers import l93

    with unit_of_work(engine, people["planner"].id) as s:
        ids: dict[str, int] = {}
        ids["cabinet"] = create_asset(s, "cabinet", {"code": "ARM-0001", "name": "Armoire Darcy", "geom": near(),
                                                     **MINIMAL["cabinet"]}).id
        ids["circuit"] = create_asset(s, "circuit", {"code": "ARM-0001-D1", "parent_id": ids["cabinet"]}).id
        ids["pole"] = create_asset(s, "pole", {"code": "SUP-1", "geom": near(10), "parent_id": ids["circuit"]}).id
        for n in range(1, 3):
            ids[f"lamp{n}"] = create_asset(s, "luminaire", {
                "code": f"PL-{n:04d}", "name": f"Rue de la Liberté {n}", "geom": near(10 + n),
                "parent_id": ids["pole"], **MINIMAL["luminaire"],
            }).id
        ids["planned"] = create_asset(s, "luminaire", {"code": "PL-0100", "status": "planned", "geom": near(30),
                                                      **MINIMAL["luminaire"]}).id
        ids["camera"] = create_asset(s, "camera", {
            "code": "CAM-1", "geom": near(-20), "fov": near(-20).buffer(15), **MINIMAL["camera"],
        }).id
        ids["chenove"] = create_asset(s, "luminaire", {"code": "PL-CHE-1", "geom": l93(*CHENOVE),
                                                      **MINIMAL["luminaire"]}).id
    return ids


def _codes(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["code"] for item in response.get_json()["items"]]


def test_filters(client: ContractClient, people: People, city: dict[str, int]) -> None:
    auth = people["supervisor"].auth
    get = lambda query: client.get(f"/api/v1/assets?{query}", headers=auth)  # noqa: E731
    assert _codes(get("kind=luminaire")) == ["PL-0001", "PL-0002", "PL-0100", "PL-CHE-1"]  # planned too, not removed
    assert _codes(get("kind=luminaire&status=planned")) == ["PL-0100"]
    assert _codes(get("kind=luminaire,camera&status=in_service,planned&commune=Chenôve")) == ["PL-CHE-1"]
    assert _codes(get("commune=21166")) == ["PL-CHE-1"]
    assert _codes(get(f"bbox={_wgs84_box(*CHENOVE)}")) == ["PL-CHE-1"]
    assert _codes(get(f"bbox={_wgs84_box(*DARCY)}&kind=cabinet,camera")) == ["ARM-0001", "CAM-1"]
    assert _codes(get("q=liberté")) == ["PL-0001", "PL-0002"]
    assert _codes(get("q=arm-0001&kind=circuit")) == ["ARM-0001-D1"]
    assert _codes(get("q=100%25")) == []  # % is a character, not a wildcard


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kind=spaceship", "kind"), ("status=lost", "status"), ("commune=Paris", "commune"),
        ("bbox=1,2,3", "bbox"), ("bbox=5,47,4,48", "bbox"), ("limit=501", "limit"), ("limit=x", "limit"),
        ("cursor=-3", "cursor"), ("f=kml", "f"),
    ],
)
def test_bad_filters_are_422_naming_the_field(client, people, query, field) -> None:
    response = client.get(f"/api/v1/assets?{query}", headers=people["planner"].auth)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation"
    assert [f["field"] for f in body["fields"]] == [field]


def test_pagination_follows_next_links(client: ContractClient, people: People, city: dict[str, int]) -> None:
    url, seen, totals = "/api/v1/assets?limit=3", [], set()
    while url:
        body = client.get(url, headers=people["operator"].auth).get_json()
        assert len(body["items"]) <= 3 and body["limit"] == 3
        seen += [item["id"] for item in body["items"]]
        totals.add(body["total"])
        url = body["next"]
    assert seen == sorted(city.values()) and totals == {len(city)}
    geo = client.get("/api/v1/assets?limit=2&f=geojson", headers=people["operator"].auth)
    assert geo.mimetype == "application/geo+json"
    collection = geo.get_json()
    assert (collection["numberMatched"], collection["numberReturned"]) == (len(city), 2)
    assert collection["links"][0]["rel"] == "next"
    accept = client.get("/api/v1/assets?limit=1", headers={**people["operator"].auth, "Accept": "application/geo+json"})
    assert accept.get_json()["type"] == "FeatureCollection"


def test_read_one_as_wgs84_feature(client: ContractClient, people: People, city: dict[str, int]) -> None:
    response = client.get(f"/api/v1/assets/{city['lamp1']}", headers=people["crew"].auth)
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    feature = response.get_json()
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
    lon, lat = feature["geometry"]["coordinates"]
    assert abs(lon - DARCY[0]) < 0.001 and abs(lat - DARCY[1]) < 0.001
    assert response.headers["ETag"] == '"1"'
    assert feature["properties"]["commune_insee"] == "21231"
    assert client.get("/api/v1/assets/999999", headers=people["crew"].auth).status_code == 404


def test_create_update_conflict_and_retire(client: ContractClient, people: People, city: dict[str, int]) -> None:
    auth = people["planner"].auth
    created = client.post("/api/v1/assets", headers=auth, json={
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [5.0350, 47.3230]},
        "properties": {"kind": "luminaire", "code": "PL-NEW", "power_w": "35,5", "is_led": "oui",
                       "parent_id": city["pole"]},
    })
    assert created.status_code == 201, created.get_json()
    lamp = created.get_json()
    assert created.headers["Location"] == f"/api/v1/assets/{lamp['id']}"
    assert (lamp["properties"]["power_w"], lamp["properties"]["is_led"], lamp["properties"]["version"]) == (
        35.5, True, 1)
    url = f"/api/v1/assets/{lamp['id']}"

    first = client.patch(url, headers=auth, json={"version": 1, "properties": {"power_w": 40}})
    assert first.status_code == 200 and first.get_json()["properties"]["version"] == 2
    moved = client.patch(url, headers={**auth, "If-Match": '"2"'},
                         json={"geometry": {"type": "Point", "coordinates": [5.0352, 47.3231]}})
    assert moved.status_code == 200 and moved.get_json()["properties"]["version"] == 3

    stale = client.patch(url, headers=auth, json={"version": 1, "properties": {"power_w": 60}})
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["error"] == "conflict" and body["current_version"] == 3
    assert body["current"]["properties"]["power_w"] == 40  # the other planner's save is kept, and shown

    no_version = client.patch(url, headers=auth, json={"properties": {"power_w": 60}})
    assert no_version.status_code == 422 and no_version.get_json()["fields"][0]["field"] == "version"

    assert client.post(f"{url}/retire", headers=auth, json={"version": 2}).status_code == 409
    retired = client.post(f"{url}/retire", headers={**auth, "If-Match": '"3"'})
    assert retired.status_code == 200 and retired.get_json()["properties"]["status"] == "removed"
    assert lamp["id"] not in [i["id"] for i in client.get("/api/v1/assets", headers=auth).get_json()["items"]]

    history = client.get(f"{url}/history?limit=2", headers=people["crew"].auth).get_json()
    assert [e["action"] for e in history["items"]] == ["insert", "update"] and history["total"] == 4
    rest = client.get(history["next"], headers=people["crew"].auth).get_json()
    assert [e["action"] for e in rest["items"]] == ["update", "retire"] and rest["next"] is None
    assert {e["actor"] for e in history["items"] + rest["items"]} == {"planner"}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"properties": {"kind": "luminaire", "code": "X", "power_w": "abc", "is_led": True},
          "geometry": {"type": "Point", "coordinates": [5.03, 47.32]}}, {"power_w"}),
        ({"properties": {"kind": "luminaire", "code": "X", "power_w": 10},
          "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}}, {"geom"}),
        ({"properties": {"kind": "luminaire", "code": "X", "power_w": 10},
          "geometry": {"type": "Point", "coordinates": [500, 47]}}, {"geometry"}),
        ({"properties": {"code": "X"}}, {"properties.kind"}),
        ({"properties": {"kind": "spaceship"}}, {"kind"}),
        ({"properties": {"kind": "luminaire", "version": 3, "code": "X", "power_w": 10},
          "geometry": {"type": "Point", "coordinates": [5.03, 47.32]}}, {"version"}),
        ({"properties": "nope"}, {"properties"}),
    ],
)
def test_create_refusals_name_each_field(client, people, body, fields) -> None:
    response = client.post("/api/v1/assets", headers=people["admin"].auth, json=body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()
    assert error["error"] == "validation" and error["message"]
    assert fields <= {f["field"] for f in error["fields"]}
    assert all(f["reason"] for f in error["fields"])


def test_feeds(client: ContractClient, people: People, city: dict[str, int]) -> None:
    body = client.get(f"/api/v1/assets/{city['cabinet']}/feeds", headers=people["operator"].auth).get_json()
    assert [(i["code"], i["depth"]) for i in body["items"]] == [
        ("ARM-0001-D1", 1), ("SUP-1", 2), ("PL-0001", 3), ("PL-0002", 3)]
    assert body["total"] == 4


def test_public_sees_no_personal_or_sensitive_data(client: ContractClient, people: People, city) -> None:
    camera = f"/api/v1/assets/{city['camera']}"
    staff = client.get(camera, headers=people["operator"].auth).get_json()["properties"]
    assert staff["fov"]["type"] == "Polygon" and staff["created_by"] == people["planner"].id
    public = client.get(camera, headers=people["public"].auth).get_json()["properties"]
    assert {"fov", "created_by", "updated_by"}.isdisjoint(public)
    listed = client.get("/api/v1/assets?kind=camera", headers=people["public"].auth).get_json()["items"][0]
    assert {"fov", "created_by", "updated_by"}.isdisjoint(listed)
    assert client.get(f"{camera}/history", headers=people["public"].auth).status_code == 403


def test_stats_are_the_cli_figures(client: ContractClient, people: People, city, engine: Engine) -> None:
    from assets.stats import inventory_stats

    with unit_of_work(engine, None) as s:
        expected = inventory_stats(s)
    response = client.get("/api/v1/stats", headers=people["public"].auth)
    assert response.get_json() == expected
    assert list(response.get_json()["counts"])[:3] == ["cabinet", "circuit", "pole"]  # the kinds' order is kept


@pytest.mark.slow
def test_demo_city_box_of_central_dijon(demo_db_url: str, tmp_path) -> None:
    """One request on the demo city (its own app; the user made for it is removed afterwards)."""
    from sqlalchemy import text

    from app.web import close_app, create_app
    from assets.accounts import issue_token
    from assets.users import create_user

    app: Flask = create_app({"DATABASE_URL": demo_db_url, "CITYPILOT_HOME": tmp_path, "SECRET_KEY": "k"})
    app.test_client_class = ContractClient
    db = app.extensions["citypilot"].engine
    try:
        with unit_of_work(db, None) as s:
            create_user(s, "web-test-planner", "planner")
            token = issue_token(s, "web-test-planner", "tests").secret
        response = app.test_client().get(
            f"/api/v1/assets?kind=luminaire&bbox={_wgs84_box(*DARCY, 0.003)}&limit=500",
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.get_json()
        assert response.status_code == 200 and body["total"] > 50
        assert len(body["items"]) == min(500, body["total"])
    finally:
        with unit_of_work(db, None) as s:
            s.execute(text("DELETE FROM users WHERE name = 'web-test-planner'"))
        close_app(app)
