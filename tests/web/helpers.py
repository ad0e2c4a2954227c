"""Helpers for web tests: people per role, signing in, the contract check of every API answer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from sqlalchemy.orm import Session
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.test import TestResponse

from app.web.openapi import API_PREFIX, ERROR_SCHEMA, build_document, openapi_path
from assets.accounts import issue_token, set_password
from assets.identity import ROLES
from assets.users import create_user

PASSWORD = "correct horse battery"
JSON_TYPES = ("application/json", "application/geo+json")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Person:
    id: int
    name: str
    role: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


People = dict[str, Person]


def make_people(session: Session) -> People:
    """A user per role, named after the role, with a token (no password: see :func:`sign_in`)."""
    people = {}
    for role in ROLES:
        user = create_user(session, role, role, f"{role.title()} Person")
        people[role] = Person(user.id, user.name, role, issue_token(session, role, "tests").secret)
    return people


def give_password(app: Flask, name: str, password: str = PASSWORD) -> None:
    from app.web.db import WebState
    from assets.db import unit_of_work

    state: WebState = app.extensions["citypilot"]
    with unit_of_work(state.engine, None) as session:
        set_password(session, name, password)


def page_csrf(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of a page's forms."""
    match = _CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, name: str, password: str = PASSWORD, **environ: Any) -> TestResponse:
    """Post the login form as a browser does (CSRF token from the page first)."""
    token = page_csrf(client)
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token},
                       environ_base=environ)


def session_csrf(client: FlaskClient) -> str:
    """The X-CSRF-Token of the signed-in session (as the control room page reads it)."""
    return client.get("/api/v1/me").get_json()["csrf_token"]


# -- the contract -----------------------------------------------------------------------------------


def documented_response(app: Flask, method: str, path: str, status: int) -> tuple[dict[str, Any] | None, str]:
    """The documented response of ``method path`` for ``status`` (None for a path outside the API)."""
    doc = app.extensions.get("test_openapi") or app.extensions.setdefault("test_openapi", build_document(app))
    adapter = app.url_map.bind("localhost")
    try:
        rule, _ = adapter.match(path, method=method, return_rule=True)
    except (NotFound, MethodNotAllowed):
        return {"content": {"application/json": {"schema": ERROR_SCHEMA}}}, "(no route)"
    except RequestRedirect:
        return None, "(redirect)"
    if not rule.rule.startswith(API_PREFIX):
        return None, rule.rule
    op_path, _ = openapi_path(rule)
    operation = doc["paths"][op_path][method.lower()]
    responses = operation["responses"]
    assert str(status) in responses, f"{method} {rule.rule} answered {status}, which its documentation does not list"
    return responses[str(status)], rule.rule


def check_contract(app: Flask, method: str, path: str, response: TestResponse) -> None:
    """The response of an API call has a documented status, media type and body shape."""
    if method in ("HEAD", "OPTIONS") or response.is_streamed:
        return
    documented, rule = documented_response(app, method, path, response.status_code)
    if documented is None:
        return
    content = documented.get("content") or {}
    if not content:
        assert not response.data, f"{method} {rule}: a body where none is documented"
        return
    assert response.mimetype in content, f"{method} {rule}: {response.mimetype} is not documented ({list(content)})"
    schema = content[response.mimetype].get("schema")
    if schema and response.mimetype in JSON_TYPES:
        body = response.get_json()
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in Draft202012Validator(schema).iter_errors(body)]
        assert not errors, f"{method} {rule} {response.status_code}: body does not match its schema: {errors[:5]}"
    if response.status_code >= 400 and response.mimetype == "application/json":
        assert "Traceback" not in response.get_data(as_text=True)


class ContractClient(FlaskClient):
    """A test client checking every ``/api/v1`` answer against the app's own OpenAPI document."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:  # type: ignore[override]
        response = super().open(*args, **kwargs)
        request = response.request
        if request.path.startswith(API_PREFIX):
            check_contract(self.application, request.method, request.path, response)
        return response
