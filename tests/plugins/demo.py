"""The demo city, loaded once per test session into its own database (``cp_demo``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from assets.db import make_engine
from assets.demo import DEFAULT_SEED, DemoCity, communes_from_db, generate_city, load_demo
from tests.plugins.database import TEMPLATE, create_database


@pytest.fixture(scope="session")
def demo_db_url(pg_admin_url: str, template_url: str) -> str:
    """A migrated database holding the demo city (seed ``DEFAULT_SEED``); tests must not change it."""
    url = create_database(pg_admin_url, "cp_demo", template=TEMPLATE)
    engine = make_engine(url)
    try:
        load_demo(engine, seed=DEFAULT_SEED)
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def demo_engine(demo_db_url: str) -> Iterator[Engine]:
    """An engine on the demo city's database."""
    engine = make_engine(demo_db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_city(demo_engine: Engine) -> DemoCity:
    """The demo city generated again in memory (same seed), to compare with what was loaded."""
    with demo_engine.connect() as conn:
        communes = communes_from_db(conn)
    return generate_city(communes, DEFAULT_SEED)
