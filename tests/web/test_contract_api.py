"""``/api/v1/contract/month``: the month's clauses as the supervisors and operators read them (checked against
the OpenAPI document), refused to crews, 422 naming the month when it is not YYYY-MM."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from fieldservice.contract.heartbeats import Recorder
from tests.fieldservice.test_kpis import month  # noqa: F401 (the hand-made month of orders)
from tests.web.helpers import ContractClient, People


@pytest.mark.usefixtures("month")
def test_the_month_figures(client: ContractClient, people: People, engine: Engine) -> None:
    start = dt.datetime(2026, 10, 31, 23, tzinfo=dt.UTC)  # 1 November, midnight in Paris
    down = {"web": range(2, 4)}
    recorder = Recorder(engine, {c: (lambda now, c=c: "refused" if now.minute in down.get(c, ()) else None)
                                 for c in ("ingest", "web", "broker", "database")})
    for m in range(10):
        recorder.beat(start + dt.timedelta(minutes=m))
    answer = client.get("/api/v1/contract/month?month=2026-11", headers=people["supervisor"].auth)
    assert answer.status_code == 200, answer.get_json()
    figures = answer.get_json()
    assert figures["month"] == "2026-11" and "cabinets" not in figures
    delays = figures["delays"]
    assert (delays["on_time"], delays["closed"], delays["breaches"], delays["met"]) == (8, 9, 5, False)
    assert figures["penalties_eur"] == delays["total_penalty"]
    web = {c["component"]: c for c in figures["it"]["components"]}["web"]
    assert (web["up_min"], web["down_min"]) == (8, 2)
    assert figures["it"]["met"] is False  # the rest of November has no heartbeat: not proved up
    assert len(figures["equipment"]["nights"]) == 30 and figures["equipment"]["lamps"] == 0
    assert figures["energy"]["savings"] is None and figures["energy"]["met"] is None  # no lamps: no baseline
    assert client.get("/api/v1/contract/month?month=2026-11", headers=people["operator"].auth).status_code == 200
    assert client.get("/api/v1/contract/month", headers=people["crew"].auth).status_code == 403
    bad = client.get("/api/v1/contract/month?month=2026-13", headers=people["supervisor"].auth)
    assert bad.status_code == 422 and "month" in str(bad.get_json())


def test_the_trend_of_the_last_months(client: ContractClient, people: People) -> None:
    auth = people["supervisor"].auth
    answer = client.get("/api/v1/contract/month?month=2026-11&months=3", headers=auth)
    assert answer.status_code == 200, answer.get_json()
    figures = answer.get_json()
    assert [p["month"] for p in figures["trend"]] == ["2026-09", "2026-10", "2026-11"]
    last = figures["trend"][-1]
    assert last["energy"] == {"value": figures["energy"]["savings"], "met": figures["energy"]["met"]}
    assert last["delays"]["value"] == figures["delays"]["rate"] and last["penalties_eur"] == figures["penalties_eur"]
    assert "trend" not in client.get("/api/v1/contract/month?month=2026-11", headers=auth).get_json()
    across = client.get("/api/v1/contract/month?month=2026-01&months=2", headers=auth).get_json()
    assert [p["month"] for p in across["trend"]] == ["2025-12", "2026-01"]
    for bad in ("0", "14", "x"):
        refused = client.get(f"/api/v1/contract/month?months={bad}", headers=auth)
        assert refused.status_code == 422 and "months" in str(refused.get_json()), bad
