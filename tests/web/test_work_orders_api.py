"""``/api/v1/work-orders``: opening, the paged list, one order, moving it by role; a crew sees and moves its own
orders only; 422 naming the state and the allowed moves, 409 on a stale version (every answer checked against
the OpenAPI document by the contract client)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from assets.alarms.lifecycle import clear_active, raise_alarm
from assets.db import unit_of_work
from fieldservice import crews
from tests.assets.alarm_helpers import lighting_cabinet
from tests.fieldservice.helpers import WHEN, crew_with_van, lighting_policy
from tests.web.helpers import ContractClient, People

DARCY = {"lon": 5.0345, "lat": 47.3226}


def _crew_of(engine: Engine, people: People, name: str = "Équipe Centre") -> int:
    with unit_of_work(engine, None) as s:
        crew = crews.create_crew(s, name, ["lighting"]).id
        crews.add_member(s, crew, people["crew"].id)
        crews.set_clearance(s, people["crew"].id, "BR", dt.date(2030, 1, 1))
    return crew


def test_open_list_show_and_move(client: ContractClient, people: People, engine: Engine) -> None:
    lighting_policy(engine, "urgent")
    crew = _crew_of(engine, people)
    sup = people["supervisor"].auth
    created = client.post("/api/v1/work-orders", headers=sup, json={
        "origin": "citizen", "category": "lighting", "priority": "urgent", "location": DARCY,
        "description": "Lampadaire éteint rue de la Liberté"})
    assert created.status_code == 201, created.get_json()
    order = created.get_json()
    assert (order["state"], order["version"], order["commune_insee"]) == ("new", 1, "21231")
    assert order["allowed_moves"] == ["assigned", "cancelled"] and set(order["clocks"]) == {
        "response", "make_safe", "resolution"}
    assert abs(order["lon"] - DARCY["lon"]) < 1e-6 and order["events"][0]["actor"] == "supervisor"
    for _ in range(2):
        client.post("/api/v1/work-orders", headers=sup, json={"category": "video", "location": DARCY})

    first = client.get("/api/v1/work-orders?limit=2", headers=people["planner"].auth).get_json()
    assert first["total"] == 3 and first["items"][0]["id"] == order["id"]  # the one with a clock
    rest = client.get(first["next"], headers=people["planner"].auth).get_json()
    assert len(rest["items"]) == 1 and rest["next"] is None

    url = f"/api/v1/work-orders/{order['id']}/transition"
    illegal = client.post(url, headers=sup, json={"to": "done", "version": 1})
    assert illegal.status_code == 422
    assert "cannot go from new to done; allowed from new: assigned, cancelled" in str(illegal.get_json())
    assigned = client.post(url, headers=sup, json={"to": "assigned", "version": 1, "crew_id": crew})
    assert assigned.status_code == 200 and assigned.get_json()["crew"] == {"id": crew, "name": "Équipe Centre"}
    stale = client.post(url, headers=people["crew"].auth, json={"to": "en_route", "version": 1})
    assert stale.status_code == 409
    me = people["crew"].auth
    for version, state in enumerate(("en_route", "on_site", "made_safe"), start=2):
        moved = client.post(url, headers=me, json={"to": state, "version": version, "position": DARCY})
        assert moved.status_code == 200, moved.get_json()
    refused = client.post(url, headers=me, json={"to": "done", "version": 5, "position": DARCY})
    assert refused.status_code == 422 and [f["field"] for f in refused.get_json()["fields"]] == ["checklist"]
    for item in client.get(f"/api/v1/work-orders/{order['id']}/work", headers=me).get_json()["checklist"]:
        if item["required"]:
            client.put(f"/api/v1/work-orders/{order['id']}/checklist/{item['key']}", headers=me, json={"done": True})
    moved = client.post(url, headers=me, json={"to": "done", "version": 5, "position": DARCY})
    assert moved.status_code == 200, moved.get_json()
    shown = client.get(f"/api/v1/work-orders/{order['id']}", headers=me).get_json()
    assert shown["state"] == "done" and shown["events"][-1]["actor"] == "crew"
    assert shown["clocks"]["response"]["stopped_at"] is not None and shown["allowed_moves"] == ["verified"]
    proof = client.get(f"/api/v1/work-orders/{order['id']}/proof", headers=sup).get_json()
    moves = [f["properties"] for f in proof["features"] if f["properties"]["role"] == "move"]
    assert [m["state"] for m in moves] == ["new", "en_route", "on_site", "made_safe", "done"]  # new: the reported place
    assert moves[2]["proven"] is True and moves[2]["distance_m"] < 1  # on site at the reported place itself
    assert proof["features"][0]["geometry"]["coordinates"] == [DARCY["lon"], DARCY["lat"]]


def test_a_crew_sees_and_moves_its_own_orders_only(client: ContractClient, people: People, engine: Engine) -> None:
    mine = _crew_of(engine, people)
    with unit_of_work(engine, None) as s:
        other = crews.create_crew(s, "Équipe Nord", ["lighting"]).id
    sup = people["supervisor"].auth
    ids = []
    for crew in (mine, other, None):
        order = client.post("/api/v1/work-orders", headers=sup, json={"category": "lighting", "location": DARCY})
        ids.append(order.get_json()["id"])
        if crew is not None:
            client.post(f"/api/v1/work-orders/{ids[-1]}/transition", headers=sup,
                        json={"to": "assigned", "version": 1, "crew_id": crew})
    me = people["crew"].auth
    listed = client.get("/api/v1/work-orders", headers=me).get_json()
    assert [i["id"] for i in listed["items"]] == [ids[0]] and listed["total"] == 1
    assert client.get(f"/api/v1/work-orders/{ids[1]}", headers=me).status_code == 403
    assert client.get(f"/api/v1/work-orders/{ids[2]}", headers=me).status_code == 403
    assert client.get("/api/v1/work-orders/424242", headers=me).status_code == 404
    theirs = client.post(f"/api/v1/work-orders/{ids[1]}/transition", headers=me, json={"to": "en_route", "version": 2})
    assert theirs.status_code == 403
    cancel = client.post(f"/api/v1/work-orders/{ids[0]}/transition", headers=me,
                         json={"to": "cancelled", "version": 2, "reason": "no"})
    assert cancel.status_code == 403 and "a crew does not move an order to cancelled" in str(cancel.get_json())
    assert client.get("/api/v1/work-orders?state=all", headers=sup).get_json()["total"] == 3


def test_bad_input_and_planner_orders(client: ContractClient, people: People) -> None:
    planner = people["planner"].auth
    bad = client.post("/api/v1/work-orders", headers=planner, json={"category": "plumbing", "location": DARCY})
    assert bad.status_code == 422 and "category" in str(bad.get_json())
    nowhere = client.post("/api/v1/work-orders", headers=planner, json={"category": "lighting"})
    assert nowhere.status_code == 422 and "an order needs a place or an asset" in str(nowhere.get_json())
    alarm = client.post("/api/v1/work-orders", headers=planner, json={"category": "lighting", "origin": "alarm",
                                                                      "location": DARCY})
    assert alarm.status_code == 403 and "planned orders only" in str(alarm.get_json())
    planned = client.post("/api/v1/work-orders", headers=planner, json={"category": "lighting", "origin": "planned",
                                                                        "location": DARCY})
    assert planned.status_code == 201
    assert client.get("/api/v1/work-orders?state=nowhere", headers=planner).status_code == 422


def test_proposals_crews_and_kpis(client: ContractClient, people: People, engine: Engine, db_url: str) -> None:
    near_crew = crew_with_van(engine, db_url, "Proche", 600)
    crew_with_van(engine, db_url, "Sans BR", 100, clearance=None)
    sup = people["supervisor"].auth
    order = client.post("/api/v1/work-orders", headers=sup, json={"category": "lighting", "location": DARCY})
    url = f"/api/v1/work-orders/{order.get_json()['id']}/proposals"
    found = client.get(url, query_string={"at": WHEN.isoformat()}, headers=sup).get_json()["items"]
    assert [p["crew_id"] for p in found] == [near_crew] and 590 < found[0]["distance_m"] < 610
    assert found[0]["queue"] == [] and found[0]["eta"].endswith("Z")
    sunday = client.get(url, query_string={"at": "2026-11-15T10:00:00+01:00"}, headers=sup).get_json()
    assert sunday["items"] == []

    listed = client.get("/api/v1/crews", query_string={"at": WHEN.isoformat()}, headers=people["crew"].auth)
    assert [(c["name"], c["available"], c["vehicle"]) for c in listed.get_json()["items"]] == [
        ("Proche", True, "VEH-Proche"), ("Sans BR", True, "VEH-Sans BR")]

    month = client.get("/api/v1/kpis", query_string={"month": "2026-12"}, headers=people["planner"].auth)
    assert month.status_code == 200 and month.get_json() == {"month": "2026-12", "rows": []}
    bad = client.get("/api/v1/kpis", query_string={"month": "2026-13"}, headers=people["planner"].auth)
    assert bad.status_code == 422 and "month" in str(bad.get_json())


def test_batch_assign_gives_a_round_or_names_the_order_refused(client: ContractClient, people: People,
                                                               engine: Engine) -> None:
    crew = _crew_of(engine, people)
    sup = people["supervisor"].auth
    with unit_of_work(engine, None) as s:
        crews.add_shift(s, crew, dt.time(0, 0), dt.time(0, 0), kind="on_call",
                        weekday=dt.datetime.now(dt.UTC).weekday())
        crews.add_shift(s, crew, dt.time(0, 0), dt.time(0, 0), kind="on_call",
                        weekday=(dt.datetime.now(dt.UTC).weekday() + 1) % 7)
    ids = [client.post("/api/v1/work-orders", headers=sup, json={"category": cat, "location": DARCY}).get_json()["id"]
           for cat in ("lighting", "lighting", "video")]
    refused = client.post("/api/v1/work-orders/batch-assign", headers=sup, json={"order_ids": ids, "crew_id": crew})
    assert refused.status_code == 422 and refused.get_json()["fields"][0]["field"] == f"order_ids.{ids[2]}"
    assert client.get(f"/api/v1/work-orders/{ids[0]}", headers=sup).get_json()["state"] == "new"  # all or none
    done = client.post("/api/v1/work-orders/batch-assign", headers=sup, json={"order_ids": ids[:2], "crew_id": crew})
    assert done.status_code == 200, done.get_json()
    assert sorted(done.get_json()["route"]) == ids[:2]
    assert {i["state"] for i in done.get_json()["items"]} == {"assigned"}
    crew_may_not = client.post("/api/v1/work-orders/batch-assign", headers=people["crew"].auth,
                               json={"order_ids": ids[:1], "crew_id": crew})
    assert crew_may_not.status_code == 403


def test_an_operator_opens_the_order_of_an_alarm_once(client: ContractClient, people: People, engine: Engine) -> None:
    cab = lighting_cabinet(engine, people["planner"].id, lamps=2)
    with unit_of_work(engine, None) as s:
        failed = raise_alarm(s, cab.lamps[0], "lamp_failure", WHEN)
        hot = raise_alarm(s, cab.lamps[0], "sensor_threshold", WHEN)  # never opens an order by itself
        gone = raise_alarm(s, cab.lamps[1], "lamp_failure", WHEN)
        clear_active(s, cab.lamps[1], "lamp_failure", WHEN + dt.timedelta(minutes=1))
    op = people["operator"].auth
    opened = client.post(f"/api/v1/alarms/{failed}/work-order", headers=op, json={})
    assert opened.status_code == 201, opened.get_json()
    order = opened.get_json()
    assert (order["origin"], order["category"], order["priority"]) == ("alarm", "lighting", "normal")
    assert [a["id"] for a in order["alarms"]] == [failed] and order["opened"] is True
    again = client.post(f"/api/v1/alarms/{failed}/work-order", headers=op, json={})
    assert again.status_code == 200 and (again.get_json()["id"], again.get_json()["opened"]) == (order["id"], False)
    joined = client.post(f"/api/v1/alarms/{hot}/work-order", headers=op, json={"priority": "high"})
    assert joined.status_code == 200 and {a["id"] for a in joined.get_json()["alarms"]} == {failed, hot}
    cleared = client.post(f"/api/v1/alarms/{gone}/work-order", headers=op, json={})
    assert cleared.status_code == 422 and cleared.get_json()["fields"][0]["field"] == "alarm_id"
    assert client.post("/api/v1/alarms/999999/work-order", headers=op, json={}).status_code == 404
