"""The CityPilot web application: ``create_app()`` builds it, one blueprint per feature.

Every route declares its roles (``@requires``) and every API route describes itself
(``@operation``): :func:`create_app` refuses to build an app where one does not.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.web import errors, i18n
from app.web.auth.roles import check_declarations, declare_static
from app.web.config import load_config
from app.web.db import WebState
from app.web.openapi import check_documented
from assets.db import make_engine

#: Feature modules, each with ``init_app(app)`` registering its blueprint(s). Add new features here.
FEATURES = (
    "app.web.compression",  # first: its after_request runs last, on the final body
    "app.web.auth",
    "app.web.home",
    "app.web.api",
    "app.web.sse",
    "app.web.tiles",
    "app.web.control_room",
    "app.web.crew",
    "app.web.opendata",
    "app.web.openapi",
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The app, configured from the environment, then ``config`` (e.g. ``{"DATABASE_URL": ...}``)."""
    app = Flask(__name__)
    app.config.update(load_config(config))
    app.json.sort_keys = False  # type: ignore[attr-defined]  (keep the domain's order: kinds, fields)
    if app.config["PROXIES"]:
        n = app.config["PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.extensions["citypilot"] = WebState(make_engine(app.config["DATABASE_URL"]))
    errors.init_app(app)
    i18n.init_app(app)
    for name in FEATURES:
        importlib.import_module(name).init_app(app)
    declare_static(app)
    check_declarations(app)
    check_documented(app)
    return app


def close_app(app: Flask) -> None:
    """Stop what the app started (the live stream's listener) and close its database connections."""
    app.extensions["citypilot"].close()
