"""``/api/v1/commands``: giving a command, reading it device by device, the two-person rule, cancelling,
the audit, errors naming the field, and the ``command`` events of the live stream. Every answer is
checked against the OpenAPI document (ContractClient); who may call what is in test_roles.py."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import Engine

from assets.db import unit_of_work
from assets.store import create_asset
from tests.assets.helpers import MINIMAL, near
from tests.web.helpers import ContractClient, People
from tests.web.test_stream import _events, _open


def _city(engine: Engine, planner_id: int) -> dict[str, int]:
    ids: dict[str, int] = {}
    with unit_of_work(engine, planner_id) as session:
        def make(kind: str, code: str, dx: float | None, **values: Any) -> int:
            ids[code] = create_asset(session, kind, {**MINIMAL[kind], "code": code,
                                                     "geom": None if dx is None else near(dx, 4), **values}).id
            return ids[code]

        cabinet = make("cabinet", "ARM-W1", 0)
        circuit = make("circuit", "ARM-W1-D1", None, parent_id=cabinet)
        for i in range(1, 5):
            pole = make("pole", f"SUP-W{i}", 25 * i, parent_id=circuit)
            make("luminaire", f"LUM-W{i}", 25 * i, parent_id=pole, dev_eui=f"70B3D59BD000000{i}")
        make("signal_controller", "CRF-W1", 300)
        make("camera", "CAM-W1", 320)
    return ids


def test_a_dim_command_is_accepted_and_read_device_by_device(client: ContractClient, people: People,
                                                             engine: Engine) -> None:
    ids = _city(engine, people["planner"].id)
    operator = people["operator"].auth
    created = client.post("/api/v1/commands", headers=operator, json={
        "action": "dim", "params": {"level": 50}, "target": {"circuit_id": ids["ARM-W1-D1"]}, "comment": "test"})
    assert created.status_code == 202
    assert created.get_json() == {"id": created.get_json()["id"], "state": "running", "needs_confirmation": False,
                                  "targets": 4}
    command_id = created.get_json()["id"]

    first = client.get(f"/api/v1/commands/{command_id}?targets_limit=3", headers=people["planner"].auth).get_json()
    assert first["requested_by"] == "operator" and first["counts"]["queued"] == 4 and first["targets_total"] == 4
    assert first["target"] == {"circuit_id": ids["ARM-W1-D1"], "circuit_code": "ARM-W1-D1", "skipped": 0}
    assert [t["code"] for t in first["targets"]] == ["LUM-W1", "LUM-W2", "LUM-W3"]
    assert all(4.9 < t["lon"] < 5.2 and 47.2 < t["lat"] < 47.4 for t in first["targets"])
    rest = client.get(first["targets_next"], headers=operator).get_json()
    assert [t["code"] for t in rest["targets"]] == ["LUM-W4"] and rest["targets_next"] is None

    listed = client.get("/api/v1/commands?state=running", headers=operator).get_json()
    assert [c["id"] for c in listed["items"]] == [command_id] and listed["total"] == 1
    assert listed["items"][0]["counts"]["queued"] == 4
    log = client.get(f"/api/v1/commands/{command_id}/log", headers=operator).get_json()["items"]
    assert [(e["code"], e["to_state"], e["actor"]) for e in log[:4]] == [(f"LUM-W{i}", "queued", "operator")
                                                                         for i in range(1, 5)]
    assert log[-1]["to_state"] == "running" and log[-1]["detail"] == "dim 50 % on 4 devices"


def test_errors_name_the_field_and_the_reason(client: ContractClient, people: People, engine: Engine) -> None:
    ids = _city(engine, people["planner"].id)
    operator = people["operator"].auth

    def fields(body: dict[str, Any]) -> dict[str, str]:
        response = client.post("/api/v1/commands", headers=operator, json=body)
        assert response.status_code == 422, response.get_json()
        return {f["field"]: f["reason"] for f in response.get_json()["fields"]}

    assert fields({"action": "dim", "params": {"level": 50}, "target": {"asset_ids": [ids["CAM-W1"]]}}) == {
        "target.asset_ids[0]": "CAM-W1 is a camera: dim applies to luminaires (a camera takes reboot)"}
    assert fields({"action": "dim", "params": {"level": 150}, "target": {"asset_ids": [ids["LUM-W1"]]}}) == {
        "params.level": "must be between 0 and 100, got 150"}
    assert fields({"action": "flash", "target": {"circuit_id": ids["ARM-W1-D1"]}}) == {
        "action": "flash does not apply to a circuit (a circuit takes dim)"}
    assert "target" in fields({"action": "reboot", "target": {}})
    assert "action" in fields({"action": "explode", "target": {"asset_ids": [ids["LUM-W1"]]}})
    assert fields({"action": "switch", "params": {"on": "yes"}, "target": {"asset_ids": [ids["ARM-W1"]]}}) == {
        "params.on": "expected true or false, got 'yes'"}
    polygon = {"type": "Polygon", "coordinates": [[[0, 0], [0.001, 0], [0.001, 0.001], [0, 0]]]}
    assert fields({"action": "dim", "params": {"level": 10}, "target": {"polygon": polygon}}) == {
        "target.polygon": "no luminaire in service with a device inside the polygon"}
    assert client.get("/api/v1/commands/999999", headers=operator).status_code == 404


def test_traffic_signals_need_a_second_person(client: ContractClient, people: People, engine: Engine) -> None:
    ids = _city(engine, people["planner"].id)
    created = client.post("/api/v1/commands", headers=people["operator"].auth,
                          json={"action": "flash", "target": {"asset_ids": [ids["CRF-W1"]]}}).get_json()
    assert created["state"] == "awaiting_confirmation" and created["needs_confirmation"] is True
    url = f"/api/v1/commands/{created['id']}"
    refused = client.post(f"{url}/confirm", headers=people["operator"].auth)
    assert refused.status_code == 403 and "second person" in refused.get_json()["message"]
    confirmed = client.post(f"{url}/confirm", headers=people["supervisor"].auth)
    assert confirmed.status_code == 200
    assert confirmed.get_json()["state"] == "running" and confirmed.get_json()["confirmed_by"] == "supervisor"
    assert client.post(f"{url}/confirm", headers=people["admin"].auth).status_code == 409

    cancelled = client.post(f"{url}/cancel", headers=people["admin"].auth, json={"reason": "drill over"})
    assert cancelled.status_code == 200
    body = cancelled.get_json()
    assert body["state"] == "cancelled" and body["cancelled_by"] == "admin" and body["counts"]["cancelled"] == 1
    assert body["targets"][0]["detail"] == "cancelled by admin: drill over"
    assert client.post(f"{url}/cancel", headers=people["admin"].auth).status_code == 409


def test_command_changes_arrive_on_the_live_stream(app: Flask, client: ContractClient, people: People,
                                                   engine: Engine) -> None:
    ids = _city(engine, people["planner"].id)
    app.config["SSE_HEARTBEAT_S"] = 0.2
    response, chunks = _open(app, people["supervisor"].auth)
    created = client.post("/api/v1/commands", headers=people["operator"].auth,
                          json={"action": "reboot", "target": {"asset_ids": [ids["CAM-W1"]]}}).get_json()
    assert _events(chunks, 1) == [("command", {"type": "command", "id": created["id"], "state": "running",
                                               "asset_id": None, "target_state": None})]
    client.post(f"/api/v1/commands/{created['id']}/cancel", headers=people["operator"].auth)
    assert _events(chunks, 2) == [
        ("command", {"type": "command", "id": created["id"], "state": "running", "asset_id": ids["CAM-W1"],
                     "target_state": "cancelled"}),
        ("command", {"type": "command", "id": created["id"], "state": "cancelled", "asset_id": None,
                     "target_state": None}),
    ]
    response.close()
