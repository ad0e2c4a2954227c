"""A citizen report against the served demo city, read back through a real Open311 client (the
``georeport`` package, which reads services and requests; it has no call to post one, so the report is
posted as the standard says, a form POST): it lands on the right lamp with its controller's evidence,
and its status can be followed."""

from __future__ import annotations

import datetime as dt

import requests
from georeport import GeoReport
from sqlalchemy import text

from assets.db import unit_of_work
from assets.reports.intake import create_client


def test_georeport_client_reports_a_lamp_and_follows_it(server: str, city_engine) -> None:
    with unit_of_work(city_engine, None) as session:
        key = create_client(session, "georeport-e2e")
        lamp = session.execute(text(
            "SELECT id, code, ST_X(ST_Transform(geom, 4326)) AS lon, ST_Y(ST_Transform(geom, 4326)) AS lat "
            "FROM assets WHERE kind = 'luminaire' AND status = 'in_service' ORDER BY id DESC LIMIT 1")).one()
        since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
        session.execute(text(
            "INSERT INTO live_state (asset_id, state, state_since, ts, state_ts) VALUES (:a, 'fault', :t, :t, :t) "
            "ON CONFLICT (asset_id) DO UPDATE SET state = 'fault', state_since = :t, ts = :t, state_ts = :t"),
            {"a": lamp.id, "t": since})
    client = GeoReport(f"{server}/open311/v2", jurisdiction="dijon-metropole.fr", api_key=key)
    services = client.get_service_list()
    assert "lamp_out" in [s["service_code"] for s in services]
    posted = requests.post(f"{server}/open311/v2/requests.json", timeout=30, data={
        "api_key": key, "jurisdiction_id": "dijon-metropole.fr", "service_code": "lamp_out",
        "lat": lamp.lat + 0.00003, "long": lamp.lon, "description": "Lampadaire éteint devant le 12",
        "email": "citoyen@example.org",
    })
    assert posted.status_code == 201, posted.text
    answer = posted.json()[0]
    assert lamp.code in answer["service_notice"] and "fault since" in answer["service_notice"]
    followed = client.get_service_request(answer["service_request_id"])
    assert followed["status"] == "open" and followed["address_id"] == lamp.code
    assert "citoyen" not in str(followed)
    listed = client.get_service_requests(service_code="lamp_out", status="open")
    assert answer["service_request_id"] in [r["service_request_id"] for r in listed]
    with city_engine.connect() as conn:  # it became one work order on that lamp, starting with the evidence
        order = conn.execute(text(
            "SELECT o.origin, o.description, wa.asset_id FROM work_order_reports l "
            "JOIN work_orders o ON o.id = l.order_id JOIN work_order_assets wa ON wa.order_id = o.id "
            "WHERE l.report_id = :r"), {"r": int(answer["service_request_id"])}).one()
    assert order.origin == "citizen" and order.asset_id == lamp.id and "Device: fault since" in order.description
