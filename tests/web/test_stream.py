"""The live stream: a NOTIFY on the live channel arrives as a server-sent event; vehicle positions
only reach the control-room roles; a closed stream leaves the hub."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Flask
from sqlalchemy import Engine, text

from app.web.sse import LIVE_CHANNEL
from assets.db import unit_of_work
from fieldservice import crews
from fieldservice.orders import create_order, transition
from tests.assets.helpers import near
from tests.web.helpers import People


def _notify(engine: Engine, payload: dict[str, Any]) -> None:
    with engine.begin() as conn:  # delivered at commit, as the live writer's would be
        conn.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": LIVE_CHANNEL,
                                                                    "payload": json.dumps(payload)})


def _events(chunks: Iterator[bytes], count: int, max_chunks: int = 40) -> list[tuple[str, dict[str, Any]]]:
    """The next ``count`` events of a stream (comments skipped)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for _ in range(max_chunks):
        block = next(chunks).decode()
        lines = dict(line.split(": ", 1) for line in block.strip().splitlines() if line.startswith(("event", "data")))
        if "event" in lines:
            found.append((lines["event"], json.loads(lines["data"])))
            if len(found) == count:
                return found
    raise AssertionError(f"only {len(found)} events of {count}")


def _open(app: Flask, headers: dict[str, str]):
    response = app.test_client().get("/api/v1/stream", headers=headers, buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    chunks = iter(response.response)
    assert "connected" in next(chunks).decode()  # listening from here on
    return response, chunks


def test_a_state_change_arrives_as_an_event(app: Flask, people: People, engine: Engine) -> None:
    app.config["SSE_HEARTBEAT_S"] = 0.2
    operator, operator_events = _open(app, people["operator"].auth)
    crew, crew_events = _open(app, people["crew"].auth)
    change = {"type": "state", "asset_id": 42, "kind": "luminaire", "state": "fault", "previous": "ok",
              "since": "2026-12-01T21:04:05+00:00", "ts": "2026-12-01T21:04:05+00:00"}
    _notify(engine, {"type": "position", "asset_id": 7, "lon": 5.03, "lat": 47.32, "ts": "2026-12-01T21:04:06Z"})
    _notify(engine, change)
    assert _events(operator_events, 2) == [("position", {"type": "position", "asset_id": 7, "lon": 5.03,
                                                           "lat": 47.32, "ts": "2026-12-01T21:04:06Z"}),
                                           ("state", change)]
    assert _events(crew_events, 1) == [("state", change)]  # no staff positions for the crew role

    hub = app.extensions["citypilot_stream"]
    operator.close()
    crew.close()
    assert hub._subscribers == set()


def test_not_json_notifications_are_ignored(app: Flask, people: People, engine: Engine) -> None:
    app.config["SSE_HEARTBEAT_S"] = 0.2
    response, chunks = _open(app, people["supervisor"].auth)
    with engine.begin() as conn:
        conn.execute(text(f"NOTIFY {LIVE_CHANNEL}, 'not json'"))
    _notify(engine, {"asset_id": 5, "state": "unreachable"})  # no type: a state change
    assert _events(chunks, 1) == [("state", {"asset_id": 5, "state": "unreachable", "type": "state"})]
    response.close()


def test_a_crew_member_gets_only_its_crews_order_events(app: Flask, people: People, engine: Engine) -> None:
    app.config["SSE_HEARTBEAT_S"] = 0.2
    with unit_of_work(engine, None) as s:
        mine = crews.create_crew(s, "Équipe A", ["lighting"]).id
        theirs = crews.create_crew(s, "Équipe B", ["lighting"]).id
        crews.add_member(s, mine, people["crew"].id)
    crew, crew_events = _open(app, people["crew"].auth)
    boss, boss_events = _open(app, people["supervisor"].auth)
    with unit_of_work(engine, None) as s:  # theirs from the start: the crew hears nothing of it
        other = create_order(s, origin="citizen", category="lighting", description="pas la nôtre",
                             location=near()).id
        transition(s, other, "assigned", None, crew_id=theirs)
    with unit_of_work(engine, None) as s:  # ours, then given to the other crew: both moves heard
        order = create_order(s, origin="citizen", category="lighting", description="la nôtre",
                             location=near(10)).id
        transition(s, order, "assigned", None, crew_id=mine)
    with unit_of_work(engine, None) as s:
        transition(s, order, "new", None)
    with unit_of_work(engine, None) as s:
        transition(s, order, "assigned", None, crew_id=theirs)
    _notify(engine, {"type": "escalation", "order_id": other, "clock": "response", "level": "at_risk",
                     "crew_id": theirs})
    _notify(engine, {"type": "escalation", "order_id": order, "clock": "response", "level": "at_risk",
                     "crew_id": mine})
    heard = _events(crew_events, 4)
    assert [(e, d.get("id", d.get("order_id")), d.get("state", d.get("level"))) for e, d in heard] == [
        ("order", order, "assigned"), ("order", order, "new"), ("order", order, "assigned"),
        ("escalation", order, "at_risk")]
    assert heard[2][1]["crew_id"] == theirs and heard[2][1]["previous_crew_id"] == mine  # it left our hands
    everything = _events(boss_events, 8)  # the control room hears every crew's
    assert {d.get("id", d.get("order_id")) for _, d in everything} == {order, other}
    crew.close()
    boss.close()
