"""The control room and the crew tablet share one head (templates/map_app.html): the language, the viewport,
Leaflet and VectorGrid from the app's own files, each page's own styles, module and configuration."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask

from tests.web.helpers import People, give_password, sign_in


@pytest.mark.parametrize(("who", "path", "config_id", "title", "own"), [
    ("supervisor", "/control-room?lang=fr", "cr-config", "Poste de pilotage — CityPilot", "control_room/main.js"),
    ("crew", "/crew/?lang=en", "ct-config", "Crew tablet — CityPilot", "crew/main.js"),
])
def test_both_map_pages_are_built_on_the_same_head(app: Flask, people: People, who: str, path: str,
                                                   config_id: str, title: str, own: str) -> None:
    client = app.test_client()
    give_password(app, who)
    sign_in(client, who)
    html = client.get(path).get_data(as_text=True)
    assert html.startswith("<!doctype html>") and html.count("<head>") == 1 and html.count("<body") == 1
    assert f"<title>{title}</title>" in html and html.count('name="viewport"') == 1
    for script in ("vendor/leaflet/leaflet.js", "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
                   own, "vendor/leaflet/leaflet.css"):
        assert html.count(f"/static/{script}") == 1, script
    config = re.search(rf'<script type="application/json" id="{config_id}">(.*?)</script>', html, re.S)
    assert config and json.loads(config.group(1))["user"]["name"] == who
    assert html.index("leaflet.css") < html.index("</head>") < html.index('id="' + config_id)
