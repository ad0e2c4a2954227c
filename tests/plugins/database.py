"""Database fixtures: one migrated template per test session, a fresh database per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from assets.db import make_engine, unit_of_work
from assets.db.admin import create_database, create_migrated_database
from assets.users import create_user

TEMPLATE = "cp_template"
_counter = itertools.count()


@pytest.fixture(scope="session")
def template_url(pg_admin_url: str) -> str:
    """A database migrated to head, copied by every test that needs a database."""
    engine = create_migrated_database(pg_admin_url, TEMPLATE)
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    return url


@pytest.fixture
def empty_db_url(pg_admin_url: str) -> str:
    """A fresh database with PostGIS and no CityPilot schema (for migration tests)."""
    url = create_database(pg_admin_url, f"cp_empty_{next(_counter)}")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    return url


@pytest.fixture
def db_url(pg_admin_url: str, template_url: str) -> str:
    """A fresh, migrated database for one test."""
    return create_database(pg_admin_url, f"cp_test_{next(_counter)}", template=TEMPLATE)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test's own database."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def planner_id(engine: Engine) -> int:
    """A planner called 'alice' who makes the test's changes."""
    with unit_of_work(engine, None) as session:
        return create_user(session, "alice", "planner", "Alice Martin").id
