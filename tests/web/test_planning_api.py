"""``/api/v1/maintenance-plans``, ``/escalations`` and ``/kpis/breakdown``: a planner creates a plan (422 naming
the field for a bad rule), lists it with its next occurrences, runs it once (running again makes nothing), the
supervisors read escalations and the figures per commune (every answer checked against the OpenAPI document)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from assets.db import unit_of_work
from fieldservice.escalation import escalate
from fieldservice.orders import create_order
from fieldservice.sla import month_of
from tests.assets.helpers import near
from tests.fieldservice.helpers import lighting_policy
from tests.web.helpers import ContractClient, People


def _next_week() -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).replace(microsecond=0).isoformat()


def test_a_planner_creates_lists_and_runs_a_plan(client: ContractClient, people: People) -> None:
    planner = people["planner"].auth
    bad = client.post("/api/v1/maintenance-plans", headers=planner, json={
        "name": "Armoires", "category": "lighting", "rrule": "FREQ=FORTNIGHTLY", "dtstart": _next_week()})
    assert bad.status_code == 422
    assert "rrule" in str(bad.get_json()) and "not an RFC 5545 rule" in str(bad.get_json())
    created = client.post("/api/v1/maintenance-plans", headers=planner, json={
        "name": "Inspection des armoires", "category": "lighting", "rrule": "FREQ=YEARLY",
        "dtstart": _next_week(), "due_after_min": 10080, "commune_insee": "21231"})
    assert created.status_code == 201, created.get_json()
    plan = created.get_json()
    assert (plan["split"], plan["priority"], plan["active"], plan["orders_made"]) == ("plan", "low", True, 0)
    assert len(plan["next"]) == 3
    refused = client.post("/api/v1/maintenance-plans/run", headers=people["operator"].auth, json={})
    assert refused.status_code == 403
    ran = client.post("/api/v1/maintenance-plans/run", headers=people["supervisor"].auth, json={}).get_json()
    assert ran["created"] == 1 and len(ran["orders"]["Inspection des armoires"]) == 1
    again = client.post("/api/v1/maintenance-plans/run", headers=planner, json={}).get_json()
    assert again["created"] == 0
    listed = client.get("/api/v1/maintenance-plans?limit=1", headers=people["operator"].auth).get_json()
    assert listed["total"] == 1 and listed["items"][0]["orders_made"] == 1 and listed["next"] is None
    order_id = ran["orders"]["Inspection des armoires"][0]
    order = client.get(f"/api/v1/work-orders/{order_id}", headers=planner).get_json()
    assert order["origin"] == "planned" and order["commune_insee"] == "21231" and order["clocks"] == {}
    assert client.get(f"/api/v1/maintenance-plans/{plan['id']}", headers=planner).get_json()["name"] == plan["name"]
    assert client.get("/api/v1/maintenance-plans/999", headers=planner).status_code == 404


def test_escalations_and_figures_per_commune(client: ContractClient, people: People, engine: Engine) -> None:
    lighting_policy(engine)
    created = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=100)
    with unit_of_work(engine, None) as s:
        order_id = create_order(s, origin="planner", category="lighting", priority="urgent", location=near(),
                                at=created).id
        escalate(s)
    sup = people["supervisor"].auth
    found = client.get("/api/v1/escalations?open=true&level=at_risk", headers=sup).get_json()
    assert found["total"] == 1
    assert (found["items"][0]["order_id"], found["items"][0]["clock"]) == (order_id, "response")
    assert client.get("/api/v1/escalations?level=late", headers=sup).status_code == 422
    month = month_of(created)
    figures = client.get(f"/api/v1/kpis/breakdown?by=commune&month={month}", headers=sup).get_json()
    assert [(r["key"], r["label"], r["opened"], r["backlog"]["total"]) for r in figures["rows"]] == [
        ("21231", "Dijon", 1, 1)]
    bad = client.get("/api/v1/kpis/breakdown?by=street", headers=sup)
    assert bad.status_code == 422 and "by" in str(bad.get_json())
