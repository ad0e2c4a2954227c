"""Throwaway PostgreSQL + PostGIS and Mosquitto servers for the test session (one pair per xdist worker).

They live in a temporary folder under /tmp that the ``postgres`` and ``mosquitto`` users can reach when
pytest runs as root, listen on free ports, and are stopped and deleted at the end of the session.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.servers import PrivateBroker, PrivatePostgres


@pytest.fixture(scope="session")
def servers_dir() -> Iterator[Path]:
    """A temporary folder for this session's servers, traversable by their system users."""
    folder = Path(tempfile.mkdtemp(prefix="citypilot-servers-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server(servers_dir: Path) -> Iterator[PrivatePostgres]:
    """The session's PostgreSQL + PostGIS (``restart()`` / ``down(mode="immediate")`` for crash tests)."""
    server = PrivatePostgres(servers_dir / "postgres", durable=False)
    server.up()
    yield server
    server.purge()


@pytest.fixture(scope="session")
def pg_admin_url(postgres_server: PrivatePostgres) -> str:
    """URL of the ``postgres`` database as a superuser: may create and drop databases."""
    return postgres_server.admin_url("postgres")


@pytest.fixture(scope="session")
def broker(servers_dir: Path) -> Iterator[PrivateBroker]:
    """The session's Mosquitto: ``add_client()`` for device accounts, ``restart()``."""
    server = PrivateBroker(servers_dir / "mosquitto")
    server.up()
    yield server
    server.purge()


@pytest.fixture(scope="session")
def mqtt_url(broker: PrivateBroker) -> str:
    """``mqtt://citypilot:PASSWORD@127.0.0.1:PORT``: the broker's service account."""
    return broker.url
