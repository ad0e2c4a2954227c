"""``POST /api/v1/tokens``: sign in with a password, get an API token (the QGIS plugin's connect dialog)."""

from __future__ import annotations

from flask import Flask

from assets.db import unit_of_work
from assets.users import disable_user
from tests.web.helpers import PASSWORD, ContractClient, People, give_password


def _sign_in(client: ContractClient, name: str, password: str = PASSWORD, label: str = "qgis-plugin", **more):
    return client.post("/api/v1/tokens", json={"username": name, "password": password, "label": label, **more})


def test_a_password_gets_a_token_that_works(app: Flask, client: ContractClient, people: People) -> None:
    give_password(app, "planner")
    answer = _sign_in(client, "planner")
    assert answer.status_code == 201
    body = answer.get_json()
    assert (body["name"], body["role"], body["label"], body["expires_at"]) == ("planner", "planner", "qgis-plugin",
                                                                               None)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"}).get_json()
    assert (me["name"], me["via"]) == ("planner", "token")
    assert client.get("/api/v1/me").status_code == 401  # no session was opened


def test_wrong_password_missing_fields_and_a_taken_label(app: Flask, client: ContractClient, people: People) -> None:
    give_password(app, "operator")
    wrong = _sign_in(client, "operator", "not it")
    assert (wrong.status_code, wrong.get_json()["error"]) == (401, "unauthorized")
    missing = client.post("/api/v1/tokens", json={"username": "operator"})
    assert missing.status_code == 422
    assert {f["field"] for f in missing.get_json()["fields"]} == {"password", "label"}
    assert _sign_in(client, "operator").status_code == 201
    taken = _sign_in(client, "operator")
    assert taken.status_code == 422
    assert [f["field"] for f in taken.get_json()["fields"]] == ["label"]
    bad_days = _sign_in(client, "operator", label="other", expires_days="soon")
    assert bad_days.status_code == 422


def test_failures_are_rate_limited_and_disabled_users_refused(app: Flask, client: ContractClient, people: People,
                                                              engine) -> None:
    app.config["LOGIN_MAX_FAILURES_USER"] = 2
    give_password(app, "crew")
    for _ in range(2):
        assert _sign_in(client, "crew", "guess").status_code == 401
    limited = _sign_in(client, "crew")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    give_password(app, "supervisor")
    with unit_of_work(engine, None) as session:
        disable_user(session, "supervisor")
    assert _sign_in(client, "supervisor").status_code == 403
