"""The supervisors' control room (``/control-room``): one live map of every piece of equipment and
every vehicle, the alarms beside it, the asset panel and group commands.

The page is the app's own JavaScript (``app/web/static/control_room/``) over Leaflet and
Leaflet.VectorGrid served by the app itself (``app/web/static/vendor/``): no request leaves the
app's origin. It reads the platform's API, tiles and live stream, plus two small read-only routes of
its own (:mod:`app.web.control_room.api`): the base map tiles and the counters per family.

Settings (environment): ``CITYPILOT_BASEMAP_URL`` — a background map tile URL template
(``https://…/{z}/{x}/{y}.png``), off by default; ``CITYPILOT_BASEMAP_ATTRIBUTION`` — its credit line.
Without one, the commune boundaries, the streets and the fibre network draw the city.
"""

from __future__ import annotations

import os

from flask import Flask
from flask_babel import lazy_gettext

from app.web.control_room import api, views
from app.web.home import Link, add_link


def init_app(app: Flask) -> None:
    app.config.setdefault("BASEMAP_URL", os.environ.get("CITYPILOT_BASEMAP_URL", "").strip())
    app.config.setdefault("BASEMAP_ATTRIBUTION", os.environ.get("CITYPILOT_BASEMAP_ATTRIBUTION", "").strip())
    app.register_blueprint(views.bp)
    api.init_app(app)
    add_link(app, Link(lazy_gettext("Control room"),
                       lazy_gettext("The live map of the city, alarms and commands"), "control_room.page"))
