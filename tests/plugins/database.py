"""Database fixtures: one migrated template per test session, a fresh database per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from assets.db import make_engine, unit_of_work
from assets.db.migrations import upgrade
from assets.users import create_user

TEMPLATE = "cp_template"
_counter = itertools.count()


def _url_for(admin_url: str, dbname: str) -> str:
    return make_url(admin_url).set(database=dbname).render_as_string(hide_password=False)


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    """Create database ``name`` (from ``template``) and return its URL."""
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=None)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    admin.dispose()
    return _url_for(admin_url, name)


@pytest.fixture(scope="session")
def template_url(pg_admin_url: str) -> str:
    """A database migrated to head, copied by every test that needs a database."""
    url = create_database(pg_admin_url, TEMPLATE)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    upgrade(engine)
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
