"""The REST API ``/api/v1``: one small module per resource, thin routes over the domain services.

Later features (alarms, commands) add a module that imports :data:`app.web.api.blueprint.bp`, and
one line to :data:`RESOURCES`; every route declares its roles (``@requires``) and describes itself
(``@operation``), or the app refuses to start.
"""

from __future__ import annotations

import importlib

from flask import Flask

from app.web.api.blueprint import bp

RESOURCES = (
    "meta", "assets", "quality", "history", "topology", "live", "stats", "imports", "exports", "users", "alarms",
    "commands", "work_orders", "work_records", "crews",
    "planning",  # maintenance plans, escalations, KPIs per commune/crew
    "tokens",  # sign in → API token (QGIS plugin, desktop)
    "contract",  # the contract's month: energy, availability, delays and penalties
    "places",  # find a street, a commune or an asset code (desktop search box)
)


def init_app(app: Flask) -> None:
    for name in RESOURCES:
        importlib.import_module(f"app.web.api.{name}")
    if "api" not in app.blueprints:
        app.register_blueprint(bp)
