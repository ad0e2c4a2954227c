"""The API against its own OpenAPI document: the document is valid OpenAPI 3.1 with every schema
inlined, it lists every /api/v1 route, and every answer exercised here (and in every web test:
:class:`tests.web.helpers.ContractClient`) has a documented status and matches its schema."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from flask import Flask
from openapi_spec_validator import validate

from app.web.openapi import API_PREFIX, openapi_path
from assets.db import unit_of_work
from assets.live.records import Position, Reading
from assets.live.writer import LiveWriter
from assets.store import create_asset
from tests.assets.helpers import MINIMAL, near
from tests.web.helpers import ContractClient, People, check_contract


def _document(client: ContractClient) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_document_is_valid_openapi_with_everything_inlined(client: ContractClient) -> None:
    doc = _document(client)
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    assert '"$ref"' not in json.dumps(doc)


def test_every_api_route_is_documented(app: Flask, client: ContractClient) -> None:
    doc = _document(client)
    routes = {
        (openapi_path(rule)[0], method.lower())
        for rule in app.url_map.iter_rules() if rule.rule.startswith(API_PREFIX)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert routes == documented
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op["summary"] and op["responses"] and "x-roles" in op, f"{method} {path}"


def test_the_checker_catches_a_wrong_body(app: Flask, client: ContractClient, people: People) -> None:
    response = client.get("/api/v1/me", headers=people["crew"].auth)
    response.set_data(json.dumps({"id": "not a number", "name": "crew", "role": "crew", "via": "token"}))
    with pytest.raises(AssertionError, match="does not match its schema"):
        check_contract(app, "GET", "/api/v1/me", response)
    response.status_code = 418
    with pytest.raises(AssertionError, match="does not list"):
        check_contract(app, "GET", "/api/v1/me", response)


def test_every_read_operation_answers_as_documented(app: Flask, client: ContractClient, people: People,
                                                    engine, db_url: str) -> None:
    """One call of each GET operation with data behind it; the client checks each answer."""
    with unit_of_work(engine, people["planner"].id) as s:
        cabinet = create_asset(s, "cabinet", {"code": "ARM-1", "geom": near(), **MINIMAL["cabinet"]}).id
        van = create_asset(s, "vehicle", {"code": "VAN-1", "geom": near(50), **MINIMAL["vehicle"]}).id
        camera = create_asset(s, "camera", {"code": "CAM-1", "geom": near(9), "fov": near(9).buffer(5),
                                            **MINIMAL["camera"]}).id
    now = dt.datetime.now(dt.UTC)
    with LiveWriter(db_url) as writer:
        writer.write([
            Reading(cabinet, now - dt.timedelta(minutes=5), {"power_w": 1200.0, "door_open": False}, state="ok"),
            Position(van, now - dt.timedelta(minutes=1), 5.0345, 47.3226, speed_kmh=20.0, heading_deg=90.0),
        ])
    admin = people["admin"].auth
    calls = [
        "/api/v1/me", "/api/v1/kinds", "/api/v1/stats", "/api/v1/assets?kind=cabinet,camera",
        "/api/v1/assets?f=geojson", f"/api/v1/assets/{camera}", f"/api/v1/assets/{cabinet}/history",
        f"/api/v1/assets/{cabinet}/feeds", f"/api/v1/assets/{cabinet}/live", f"/api/v1/assets/{camera}/live",
        f"/api/v1/assets/{cabinet}/telemetry?metric=power_w", "/api/v1/live?kind=cabinet,vehicle",
        "/api/v1/vehicles", f"/api/v1/vehicles/{van}/track", "/api/v1/users", "/api/v1/exports?kind=cabinet",
        "/api/v1/exports?kind=camera&format=csv", "/api/v1/openapi.json",
    ]
    for url in calls:
        response = client.get(url, headers=admin)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
    live = client.get(f"/api/v1/assets/{cabinet}/live", headers=admin).get_json()
    assert (live["state"], live["values"]["power_w"]) == ("ok", 1200.0)
    series = client.get(f"/api/v1/assets/{cabinet}/telemetry?metric=power_w", headers=admin).get_json()
    assert [p["value"] for p in series["points"]] == [1200.0]
    assert client.get(f"/api/v1/assets/{camera}/live", headers=admin).get_json()["state"] == "unknown"
    fleet = client.get("/api/v1/vehicles", headers=admin).get_json()["items"]
    assert fleet[0]["code"] == "VAN-1" and abs(fleet[0]["lon"] - 5.0345) < 1e-6
    track = client.get(f"/api/v1/vehicles/{van}/track", headers=admin).get_json()["points"]
    assert len(track) == 1 and track[0]["speed_kmh"] == 20.0
    crew_view = client.get("/api/v1/live?kind=vehicle", headers=people["crew"].auth).get_json()["items"][0]
    assert crew_view["lon"] is None and crew_view["lat"] is None  # staff positions: control room only


def test_error_bodies_are_documented_json(app: Flask, client: ContractClient, people: People) -> None:
    auth = people["planner"].auth
    assert client.get("/api/v1/nothing-here", headers=auth).get_json()["error"] == "not_found"
    wrong_method = client.delete("/api/v1/assets/1", headers=auth)
    assert wrong_method.status_code == 405 and wrong_method.is_json and "PATCH" in wrong_method.headers["Allow"]
    not_json = client.post("/api/v1/assets", headers=auth, data="kind=pole", content_type="text/plain")
    assert not_json.status_code == 415 and not_json.get_json()["error"] == "unsupported_media_type"
    broken = client.post("/api/v1/assets", headers=auth, data="{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["error"] == "bad_request"
    app.config["MAX_CONTENT_LENGTH"] = 1000
    upload = {"kind": "pole", "file": (io.BytesIO(b"x" * 5000), "a.csv")}
    big = client.post("/api/v1/imports", headers=auth, data=upload)
    assert big.status_code == 413 and big.get_json()["error"] == "payload_too_large"


def test_an_unexpected_failure_is_a_json_500_without_trace(app: Flask, people: People) -> None:
    from app.web.auth.roles import ANYONE, requires
    from app.web.openapi import Reply, operation

    def boom() -> str:
        raise RuntimeError("secret internals")

    view = requires(ANYONE)(operation("boom", tags=["t"], responses={200: Reply(None, "never")})(boom))
    app.add_url_rule("/api/v1/boom", "boom", view)
    response = app.test_client().get("/api/v1/boom")
    assert response.status_code == 500 and response.get_json() == {
        "error": "internal", "message": "Internal error: it has been logged."}
