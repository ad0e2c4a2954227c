"""The work-record API as the crew tablet uses it: the record read in the caller's language, writes applied
once per client id (a replay changes nothing and says so), a queued action on an order reassigned meanwhile
answered 409 with what happened, photos uploaded, served only to who may see the order, bad files refused
naming the field (every answer checked against the OpenAPI document by the contract client)."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import Engine, text

from assets.db import unit_of_work
from fieldservice import crews
from tests.fieldservice.helpers import lighting_policy, user
from tests.fieldservice.test_worklog import JPEG
from tests.web.helpers import ContractClient, People
from tests.web.test_work_orders_api import DARCY, _crew_of


def _assigned_order(client: ContractClient, people: People, engine: Engine) -> int:
    lighting_policy(engine, "urgent")
    crew = _crew_of(engine, people)
    sup = people["supervisor"].auth
    order = client.post("/api/v1/work-orders", headers=sup, json={
        "origin": "citizen", "category": "lighting", "priority": "urgent", "location": DARCY}).get_json()
    moved = client.post(f"/api/v1/work-orders/{order['id']}/transition", headers=sup,
                        json={"to": "assigned", "version": 1, "crew_id": crew})
    assert moved.status_code == 200
    return order["id"]


def _count(engine: Engine, table: str, order_id: int) -> int:
    with unit_of_work(engine, None) as s:
        return s.execute(text(f"SELECT count(*) FROM {table} WHERE order_id = :o"), {"o": order_id}).scalar_one()


def test_a_queue_replayed_twice_is_applied_once(client: ContractClient, people: People, engine: Engine) -> None:
    order = _assigned_order(client, people, engine)
    me = {**people["crew"].auth, "Accept-Language": "fr"}
    base = f"/api/v1/work-orders/{order}"
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    queue = [
        ("post", "/transition", {"to": "en_route", "client_id": "q-1"}),
        ("post", "/transition", {"to": "on_site", "client_id": "q-2",
                                 "position": {**DARCY, "accuracy_m": 6}}),
        ("put", "/checklist/signage", {"done": True, "note": "cônes posés", "client_id": "q-3"}),
        ("post", "/labour", {"started_at": (now - dt.timedelta(hours=1)).isoformat(),
                             "ended_at": (now - dt.timedelta(minutes=10)).isoformat(), "client_id": "q-4"}),
        ("post", "/parts", {"reference": "DRV-350MA", "label": "Driver LED", "quantity": 1, "client_id": "q-5"}),
        ("post", "/notes", {"text": "Driver grillé, remplacé", "client_id": "q-6"}),
    ]
    first = [getattr(client, m)(base + path, headers=me, json=body) for m, path, body in queue]
    assert [r.status_code for r in first] == [200, 200, 200, 201, 201, 201], [r.get_json() for r in first]
    assert not any(r.get_json()["replayed"] for r in first)
    again = [getattr(client, m)(base + path, headers=me, json=body) for m, path, body in queue]
    assert [r.status_code for r in again] == [200, 200, 200, 201, 201, 201]
    assert all(r.get_json()["replayed"] for r in again)
    tables = ("work_order_labour", "work_order_parts", "work_order_notes")
    assert [_count(engine, t, order) for t in tables] == [1, 1, 1]
    assert _count(engine, "work_order_events", order) == 4  # new, assigned, en route, on site: once each
    record = client.get(base + "/work", headers=me).get_json()
    signage = next(i for i in record["checklist"] if i["key"] == "signage")
    assert signage["done"] and signage["note"] == "cônes posés" and signage["label"].startswith("Zone de travail")
    assert record["presence"]["proven"] and record["presence"]["nearest_m"] < 1
    assert record["state"] == "on_site" and "done" in record["allowed"]


def test_an_action_that_no_longer_applies_says_what_happened(client: ContractClient, people: People,
                                                             engine: Engine) -> None:
    order = _assigned_order(client, people, engine)
    me, sup = people["crew"].auth, people["supervisor"].auth
    with unit_of_work(engine, None) as s:
        other = crews.create_crew(s, "Équipe Nord", ["lighting"]).id
    nord = user(engine, "nord")
    with unit_of_work(engine, None) as s:
        crews.add_member(s, other, nord)
        crews.set_clearance(s, nord, "BR", dt.date(2030, 1, 1))
    reassigned = client.post(f"/api/v1/work-orders/{order}/transition", headers=sup,
                             json={"to": "new", "version": 2})
    assert reassigned.status_code == 200
    again = client.post(f"/api/v1/work-orders/{order}/transition", headers=sup,
                        json={"to": "assigned", "version": 3, "crew_id": other})
    assert again.status_code == 200, again.get_json()
    note = {"text": "sur place", "client_id": "n-1"}
    queued = client.post(f"/api/v1/work-orders/{order}/notes", headers=me, json=note)
    body = queued.get_json()
    assert queued.status_code == 409 and body["reason"] == "no longer applies"
    assert (body["state"], body["crew_id"]) == ("assigned", other)
    replayed = client.post(f"/api/v1/work-orders/{order}/notes", headers=me, json=note)
    assert replayed.status_code == 409 and replayed.get_json()["replayed"] is True
    assert _count(engine, "work_order_notes", order) == 0
    illegal = client.post(f"/api/v1/work-orders/{order}/transition", headers=sup,
                          json={"to": "done", "client_id": "t-1"})
    assert illegal.status_code == 409 and illegal.get_json()["state"] == "assigned"


def test_photos_upload_and_are_served_only_to_who_sees_the_order(client: ContractClient, people: People,
                                                                 engine: Engine) -> None:
    order = _assigned_order(client, people, engine)
    me = people["crew"].auth
    url = f"/api/v1/work-orders/{order}/attachments"

    def upload(data: bytes, **form: str):
        return client.post(url, headers=me, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), "photo.jpg"), "kind": "photo", **form})

    sent = upload(JPEG, taken_at="2026-11-09T10:05:00+01:00", lon=str(DARCY["lon"]), lat=str(DARCY["lat"]),
                  client_id="p-1")
    assert sent.status_code == 201, sent.get_json()
    photo = sent.get_json()["attachments"][0]
    assert photo["size"] == len(JPEG) and abs(photo["position"]["lon"] - DARCY["lon"]) < 1e-6
    assert upload(JPEG, client_id="p-1").get_json()["replayed"] is True
    assert len(client.get(f"/api/v1/work-orders/{order}/work", headers=me).get_json()["attachments"]) == 1
    got = client.get(photo["url"], headers=me)
    assert got.status_code == 200 and got.data == JPEG and got.mimetype == "image/jpeg"
    assert "private" in got.headers["Cache-Control"]
    assert client.get(photo["url"], headers=people["planner"].auth).status_code == 200
    with unit_of_work(engine, None) as s:
        s.execute(text("UPDATE work_orders SET crew_id = NULL WHERE id = :o"), {"o": order})
    assert client.get(photo["url"], headers=me).status_code == 403
    for data, form, field in ((b"GIF89a-not-a-photo", {}, "file"), (JPEG, {"lon": "east"}, "lon"),
                              (JPEG, {"taken_at": "yesterday"}, "taken_at")):
        refused = client.post(url, headers=people["supervisor"].auth, content_type="multipart/form-data",
                              data={"file": (io.BytesIO(data), "x.jpg"), "kind": "photo", **form})
        assert refused.status_code == 422 and refused.get_json()["fields"][0]["field"] == field
