"""Open data for everyone, signed in or not: OGC API – Features at ``/ogc``, downloads and their
catalogue at ``/open-data`` (thin: the rules are in :mod:`assets.opendata`, :mod:`assets.open_downloads`
and :mod:`assets.privacy`)."""

from __future__ import annotations

from flask import Flask

from app.web.opendata.downloads import downloads_blueprint
from app.web.opendata.ogc import ogc_blueprint
from app.web.opendata.open311 import open311_blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(ogc_blueprint)
    app.register_blueprint(downloads_blueprint)
    app.register_blueprint(open311_blueprint)
