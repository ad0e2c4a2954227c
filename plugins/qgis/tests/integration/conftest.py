"""QGIS fixtures (pytest-qgis: ``qgis_app``, ``qgis_new_project``, ``qgis_iface``) plus the plugin's pieces."""

from __future__ import annotations

import pytest

from citypilot_qgis.logic.kinds import Kind, parse_kinds


@pytest.fixture(scope="session")
def kinds(city) -> dict[str, Kind]:
    return {k.name: k for k in parse_kinds(city.client("planner").kinds())}


@pytest.fixture(scope="session")
def collections(city) -> dict[str, int]:
    """Each public OGC collection and how many features the server says it holds."""
    client = city.client("public")
    return {c["id"]: client.get(f"/ogc/collections/{c['id']}/items", limit=1, f="json")["numberMatched"]
            for c in client.ogc_collections()}
