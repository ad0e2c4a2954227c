"""Signing in: pages with CSRF-protected sessions, API tokens, rate limiting, disabled users, CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import Engine, text

from app.cli import build_cli
from assets.accounts import hash_password, verify_password
from assets.db import unit_of_work
from assets.users import disable_user
from tests.web.helpers import PASSWORD, ContractClient, People, give_password, page_csrf, session_csrf, sign_in


def test_passwords_are_argon2id_hashes(app: Flask, people: People, engine: Engine) -> None:
    give_password(app, "planner")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM user_credentials")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(stored, PASSWORD) and not verify_password(stored, PASSWORD.upper())
    assert hash_password(PASSWORD) != stored  # salted


def test_sign_in_home_and_sign_out(app: Flask, client: ContractClient, people: People) -> None:
    assert client.get("/").headers["Location"] == "/login?next=/"
    give_password(app, "supervisor")
    response = sign_in(client, "supervisor")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Supervisor Person" in home and "/api/v1/vehicles" in home and "/api/v1/users" not in home
    assert client.get("/api/v1/me").get_json()["via"] == "session"
    logout = client.post("/logout", data={"csrf_token": page_csrf(client, "/")})
    assert logout.status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_password_and_open_redirects(app: Flask, client: ContractClient, people: People) -> None:
    give_password(app, "crew")
    wrong = sign_in(client, "crew", "not the password")
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.get_data(as_text=True)
    unknown = sign_in(client, "nobody")
    assert unknown.status_code == 401
    token = page_csrf(client)
    evil = client.post("/login", data={"username": "crew", "password": PASSWORD, "csrf_token": token,
                                       "next": "https://evil.example/"})
    assert evil.headers["Location"] == "/"


def test_csrf_is_required_with_the_session(app: Flask, client: ContractClient, people: People) -> None:
    give_password(app, "planner")
    refused = client.post("/login", data={"username": "planner", "password": PASSWORD})
    assert refused.status_code == 403  # a login form without the page's token
    sign_in(client, "planner")
    body = {"properties": {"kind": "pole", "code": "SUP-9"},
            "geometry": {"type": "Point", "coordinates": [5.0345, 47.3226]}}
    no_header = client.post("/api/v1/assets", json=body)
    assert no_header.status_code == 403 and no_header.get_json()["error"] == "csrf"
    wrong = client.post("/api/v1/assets", json=body, headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    ok = client.post("/api/v1/assets", json=body, headers={"X-CSRF-Token": session_csrf(client)})
    assert ok.status_code == 201
    assert client.get("/api/v1/assets").status_code == 200  # safe methods need no token
    logout = client.post("/logout")
    assert logout.status_code == 403  # pages too: a form post without the token


def test_api_tokens(app: Flask, client: ContractClient, people: People, engine: Engine) -> None:
    planner = people["planner"]
    me = client.get("/api/v1/me", headers=planner.auth)
    assert me.get_json() == {"id": planner.id, "name": "planner", "full_name": "Planner Person", "role": "planner",
                             "via": "token"}
    body = {"properties": {"kind": "pole", "code": "SUP-7"},
            "geometry": {"type": "Point", "coordinates": [5.0345, 47.3226]}}
    assert client.post("/api/v1/assets", json=body, headers=planner.auth).status_code == 201  # no CSRF with a token
    for header in ("Bearer cp_wrong", "Basic cGxhbm5lcjp4", "Bearer "):
        refused = client.get("/api/v1/me", headers={"Authorization": header})
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash, last_used_at FROM api_tokens WHERE user_id = :u"),
                              {"u": planner.id}).one()
    assert planner.token not in stored[0] and stored[1] is not None
    with engine.begin() as conn:
        conn.execute(text("UPDATE api_tokens SET expires_at = now() - interval '1 s' WHERE user_id = :u"),
                     {"u": planner.id})
    expired = client.get("/api/v1/me", headers=planner.auth)
    assert expired.status_code == 401 and "expired" in expired.get_json()["message"]


def test_disabled_users_can_neither_sign_in_nor_use_tokens(app: Flask, client, people: People, engine) -> None:
    give_password(app, "operator")
    browser: ContractClient = app.test_client()  # type: ignore[assignment]
    sign_in(browser, "operator")
    assert browser.get("/api/v1/me").status_code == 200
    with unit_of_work(engine, None) as s:
        disable_user(s, "operator")
    assert browser.get("/api/v1/me").status_code == 401  # the open session ends
    refused = sign_in(client, "operator")
    assert refused.status_code == 403 and "disabled" in refused.get_data(as_text=True)
    token = client.get("/api/v1/me", headers=people["operator"].auth)
    assert token.status_code == 401 and "disabled" in token.get_json()["message"]


def test_admin_creates_and_disables_users(client: ContractClient, people: People) -> None:
    admin = people["admin"].auth
    created = client.post("/api/v1/users", headers=admin,
                          json={"name": "zoe", "role": "crew", "full_name": "Zoé Petit", "password": "long enough pw"})
    assert created.status_code == 201 and created.get_json()["role"] == "crew"
    duplicate = client.post("/api/v1/users", headers=admin, json={"name": "zoe", "role": "crew"})
    assert duplicate.status_code == 422 and duplicate.get_json()["fields"][0]["field"] == "name"
    bad = client.post("/api/v1/users", headers=admin, json={"name": "x", "role": "king", "password": "short"})
    assert bad.status_code == 422 and {f["field"] for f in bad.get_json()["fields"]} == {"role"}
    short = client.post("/api/v1/users", headers=admin, json={"name": "yann", "role": "crew", "password": "short"})
    assert short.status_code == 422 and short.get_json()["fields"][0]["field"] == "password"
    assert sign_in(client, "zoe", "long enough pw").status_code == 302
    names = [u["name"] for u in client.get("/api/v1/users", headers=admin).get_json()["items"]]
    assert "zoe" in names and "yann" not in names  # the refused one was not half-created
    disabled = client.post("/api/v1/users/zoe/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.get_json()["disabled"] is True
    assert client.get("/api/v1/me").status_code == 401


def test_failed_logins_are_rate_limited_per_user(app: Flask, client: ContractClient, people: People) -> None:
    give_password(app, "crew")
    for _ in range(5):
        assert sign_in(client, "crew", "wrong password!").status_code == 401
    limited = sign_in(client, "crew")  # even the right password: the count is what matters
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= 900
    assert sign_in(app.test_client(), "crew", REMOTE_ADDR="10.9.9.9").status_code == 429  # from anywhere
    give_password(app, "public")  # another user is not affected
    assert sign_in(client, "public").status_code == 302


def test_failed_logins_are_rate_limited_per_address(app: Flask, people: People) -> None:
    app.config["LOGIN_MAX_FAILURES_IP"] = 3
    client: ContractClient = app.test_client()  # type: ignore[assignment]
    for name in ("a1", "a2", "a3"):
        assert sign_in(client, name, "x", REMOTE_ADDR="192.0.2.7").status_code == 401
    give_password(app, "planner")
    assert sign_in(client, "planner", REMOTE_ADDR="192.0.2.7").status_code == 429
    assert sign_in(client, "planner", REMOTE_ADDR="192.0.2.8").status_code == 302


def test_a_password_change_ends_open_sessions(app: Flask, client: ContractClient, people: People) -> None:
    give_password(app, "admin")
    sign_in(client, "admin")
    assert client.get("/api/v1/me").status_code == 200
    give_password(app, "admin", "another long password")
    assert client.get("/api/v1/me").status_code == 401


def test_cli_password_and_tokens(app: Flask, client: ContractClient, people: People, db_url, monkeypatch) -> None:
    from app.cli import accounts_cmd, users_cmd
    from app.cli.context import engine as cli_engine

    monkeypatch.setenv("DATABASE_URL", db_url)
    cli_engine.cache_clear()
    try:
        cli = build_cli(users_cmd, accounts_cmd)
        run = CliRunner().invoke
        done = run(cli, ["users", "password", "crew", "--password-stdin"], input="a new crew password\n")
        assert done.exit_code == 0, done.output
        assert sign_in(client, "crew", "a new crew password").status_code == 302
        short = run(cli, ["users", "password", "crew", "--password-stdin"], input="short\n")
        assert short.exit_code == 1 and "password: too short" in short.output

        issued = run(cli, ["tokens", "create", "crew", "--label", "tablet", "--expires", "30"])
        assert issued.exit_code == 0, issued.output
        secret = issued.stdout.strip().splitlines()[0]
        assert secret.startswith("cp_")
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        again = run(cli, ["tokens", "create", "crew", "--label", "tablet"])
        assert again.exit_code == 1 and "already has a token labelled" in again.output
        listed = run(cli, ["tokens", "list", "crew"])
        assert "tablet" in listed.output and secret not in listed.output
        assert run(cli, ["tokens", "revoke", "crew", "--label", "tablet"]).exit_code == 0
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
        assert run(cli, ["tokens", "revoke", "crew", "--label", "tablet"]).exit_code == 1
    finally:
        cli_engine.cache_clear()


@pytest.mark.parametrize("role", ["admin", "public"])
def test_the_home_page_lists_what_the_role_may_open(app: Flask, client, people: People, role: str) -> None:
    give_password(app, role)
    sign_in(client, role)
    page = client.get("/").get_data(as_text=True)
    assert ("/api/v1/users" in page) is (role == "admin")
    assert ("/api/v1/live" in page) is (role != "public")
    assert "/api/v1/stats" in page


def test_identities_are_cached_for_a_few_seconds_then_checked_again(app: Flask, people: People, engine) -> None:
    from app.web.auth.guard import IdentityCache

    app.extensions["citypilot_identities"] = cache = IdentityCache(ttl=60)
    client: ContractClient = app.test_client()  # type: ignore[assignment]
    operator = people["operator"]
    assert client.get("/api/v1/me", headers=operator.auth).status_code == 200
    with unit_of_work(engine, None) as s:
        disable_user(s, "operator")
    assert client.get("/api/v1/me", headers=operator.auth).status_code == 200  # trusted for the cache's time
    cache.ttl = 0
    cache._items.clear()  # the time is up
    assert client.get("/api/v1/me", headers=operator.auth).status_code == 401
