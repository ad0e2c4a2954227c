"""Open311 GeoReport v2: services in French and English, JSON and XML; a report snapped to the right lamp
with its controller's evidence, merged with an open one, flagged when the device says ok; errors."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from pyproj import Transformer
from sqlalchemy import text

from assets.db import unit_of_work
from assets.reports.intake import create_client
from assets.store import create_asset
from fieldservice.orders import cancel
from tests.assets.helpers import MINIMAL, near

TO_WGS = Transformer.from_crs(2154, 4326, always_xy=True)


def _lonlat(dx: float, dy: float = 0.0) -> tuple[float, float]:
    p = near(dx, dy)
    return TO_WGS.transform(p.x, p.y)


@pytest.fixture
def key(engine) -> str:
    with unit_of_work(engine, None) as session:
        return create_client(session, "DansMaRue-test")


@pytest.fixture
def lamps(engine, planner_id) -> dict[str, int]:
    ids = {}
    with unit_of_work(engine, planner_id) as session:
        for k in range(3):
            ids[f"L-{k}"] = create_asset(session, "luminaire", {"code": f"L-{k}", "geom": near(40 * k),
                                                                 **MINIMAL["luminaire"]}).id
    since = dt.datetime(2026, 12, 6, 1, 14, tzinfo=dt.UTC)
    with engine.begin() as conn:
        for code, state in (("L-0", "fault"), ("L-1", "ok")):
            conn.execute(text("INSERT INTO live_state (asset_id, state, state_since, ts, state_ts) "
                              "VALUES (:a, :s, :t, :t, :t)"), {"a": ids[code], "s": state, "t": since})
    return ids


def _post(client, key: str | None, dx: float, service: str = "lamp_out", **extra):
    lon, lat = _lonlat(dx, 3)
    form = {"service_code": service, "lat": str(lat), "long": str(lon), "description": "ne s'allume plus",
            "email": "jeanne@example.org", "first_name": "Jeanne", **extra}
    if key:
        form["api_key"] = key
    return client.post("/open311/v2/requests.json", data=form)


def test_services_in_both_languages_and_formats(client) -> None:
    english = client.get("/open311/v2/services.json").get_json()
    assert {"service_code": "lamp_out", "service_name": "Street light out"}.items() <= english[0].items()
    french = client.get("/open311/v2/services.json?locale=fr").get_json()
    assert french[0]["service_name"] == "Lampadaire éteint"
    xml = ET.fromstring(client.get("/open311/v2/services.xml").get_data())
    assert xml.tag == "services" and xml.find("service/service_code").text == "lamp_out"
    assert client.get("/open311/v2/services/lamp_out.json").get_json()[0]["attributes"] == []
    assert client.get("/open311/v2/services/nope.json").status_code == 404
    wrong = client.get("/open311/v2/services.json?jurisdiction_id=paris.fr")
    assert wrong.status_code == 404 and "jurisdiction_id" in wrong.get_json()[0]["description"]


def test_a_report_on_a_lamp_in_fault_starts_with_the_evidence(client, key, lamps, engine) -> None:
    answer = _post(client, key, 0, locale="fr")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    created = answer.get_json()[0]
    assert "L-0" in created["service_notice"] and "panne depuis 02:14" in created["service_notice"]
    with engine.connect() as conn:
        row = conn.execute(text("SELECT asset_id, evidence, flagged, email FROM citizen_reports")).one()
    assert row.asset_id == lamps["L-0"] and row.evidence["confirms"] is True and not row.flagged
    assert row.email == "jeanne@example.org"  # kept for the city...
    public = client.get(f"/open311/v2/requests/{created['service_request_id']}.json").get_json()[0]
    assert public["status"] == "open" and public["address_id"] == "L-0"
    assert "jeanne" not in str(public).lower()  # ...never published

    again = _post(client, key, 2).get_json()[0]  # the same lamp, reported again
    assert "already reported" in again["service_notice"]
    listed = client.get("/open311/v2/requests.json?service_code=lamp_out&status=open").get_json()
    assert len(listed) == 2 and f"Same as request {created['service_request_id']}" in listed[0]["status_notes"]

    with engine.connect() as conn:  # one work order for the fault, both reports on it, with the evidence
        order = conn.execute(text("SELECT id, origin, category, priority, description FROM work_orders")).one()
        linked = conn.execute(text("SELECT order_id FROM work_order_reports")).scalars().all()
        on = conn.execute(text("SELECT asset_id FROM work_order_assets WHERE order_id = :o"),
                          {"o": order.id}).scalars().all()
    assert (order.origin, order.category, order.priority) == ("citizen", "lighting", "normal")
    assert "Device: fault since" in order.description and "ne s'allume plus" in order.description
    assert linked == [order.id, order.id] and on == [lamps["L-0"]]
    with unit_of_work(engine, None) as session:
        cancel(session, order.id, None, "lamp replaced by the neighbouring works")
    closed = client.get("/open311/v2/requests.json?service_code=lamp_out").get_json()
    assert [r["status"] for r in closed] == ["closed", "closed"]
    assert f"work order {order.id}: cancelled" in closed[0]["status_notes"]


def test_a_lamp_whose_controller_says_ok_is_flagged(client, key, lamps, engine) -> None:
    created = _post(client, key, 40).get_json()[0]
    assert "says it works" in created["service_notice"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT flagged FROM citizen_reports")).scalar_one() is True
    nowhere = _post(client, key, 900).get_json()[0]  # 900 m east: no lamp within 30 m
    assert "no equipment found" in nowhere["service_notice"]
    with engine.connect() as conn:  # both become orders: the flagged one to check, the other at its place
        orders = conn.execute(text(
            "SELECT o.priority, (SELECT count(*) FROM work_order_assets a WHERE a.order_id = o.id) AS assets, "
            "ST_Distance(o.geom, :p) < 5 AS at_place FROM work_orders o ORDER BY o.id"),
            {"p": f"SRID=2154;POINT({near(900, 3).x} {near(900, 3).y})"}).all()
    assert [(o.priority, o.assets) for o in orders] == [("low", 1), ("normal", 0)] and orders[1].at_place


@pytest.mark.parametrize(
    ("changes", "status", "words"),
    [
        ({"service_code": "unicorn"}, 400, "service_code"),
        ({"lat": "north"}, 400, "lat"),
        ({"lat": "48.85", "long": "2.35"}, 400, "outside the metropole"),
        ({"media_url": "ftp://x"}, 400, "media_url"),
    ],
)
def test_bad_reports_are_named(client, key, changes, status, words) -> None:
    lon, lat = _lonlat(0)
    form = {"service_code": "lamp_out", "lat": str(lat), "long": str(lon), "api_key": key, **changes}
    answer = client.post("/open311/v2/requests.json", data=form)
    assert answer.status_code == status and words in answer.get_json()[0]["description"]


def test_keys_and_rate_limit(app, client, key) -> None:
    assert _post(client, None, 0).status_code == 400
    assert _post(client, "o311_wrong", 0).status_code == 403
    app.config["OPEN311_RATE_PER_MINUTE"] = 2
    codes = [_post(client, key, 0).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    xml = client.post("/open311/v2/requests.xml", data={"api_key": key, "service_code": "lamp_out"})
    assert xml.status_code == 429 and ET.fromstring(xml.get_data()).tag == "errors"


def test_cli_registers_an_app_and_lists_reports(db_url, monkeypatch) -> None:
    from click.testing import CliRunner

    from app.cli import build_cli, context, open311_cmd

    monkeypatch.setenv("DATABASE_URL", db_url)
    context.engine.cache_clear()
    try:
        cli = build_cli(open311_cmd)
        done = CliRunner().invoke(cli, ["open311", "register", "portail-citoyen"])
        assert done.exit_code == 0 and "api_key for portail-citoyen: o311_" in done.output
        again = CliRunner().invoke(cli, ["open311", "register", "portail-citoyen"])
        assert again.exit_code == 1 and "already registered" in again.output
        assert CliRunner().invoke(cli, ["open311", "reports"]).exit_code == 0
    finally:
        context.engine.cache_clear()
