"""Web fixtures: an app per test on the test's own database, a client that checks every API answer
against the OpenAPI document, and people of every role (with API tokens; passwords on demand)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine

from app.web import close_app, create_app
from assets.db import unit_of_work
from tests.web.helpers import ContractClient, People, make_people


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The web app on this test's database, its data folder in ``tmp_path``."""
    application = create_app(
        {"DATABASE_URL": db_url, "CITYPILOT_HOME": tmp_path / "home", "TESTING": True, "SECRET_KEY": "test-key",
         "AUTH_CACHE_S": 0}  # tests disable users and revoke tokens and expect it at once
    )
    application.test_client_class = ContractClient
    yield application
    close_app(application)


@pytest.fixture
def client(app: Flask) -> ContractClient:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def people(app: Flask, engine: Engine) -> People:
    """One user per role (named after it, e.g. ``planner``), each with an API token."""
    with unit_of_work(engine, None) as session:
        return make_people(session)
