"""The home page (what the signed-in user may open) and the health check."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, jsonify, render_template, url_for
from flask_babel import lazy_gettext
from sqlalchemy import text
from werkzeug.wrappers import Response

from app.web.auth.guard import current_identity
from app.web.auth.roles import ANYONE, SIGNED_IN, endpoint_allows, requires
from app.web.db import engine
from app.web.i18n import role_label

bp = Blueprint("home", __name__)

@dataclass(frozen=True)
class Link:
    """An entry of the home page; shown to the roles its endpoint allows."""

    label: object  # a lazy string: translated when shown
    description: object
    endpoint: str
    kwargs: tuple[tuple[str, str], ...] = ()


LINKS = [
    Link(lazy_gettext("Inventory figures"), lazy_gettext("Light points, cabinets, fibre, communes"), "api.stats"),
    Link(lazy_gettext("Assets"), lazy_gettext("The inventory through the API (GeoJSON)"), "api.list_assets",
         (("f", "geojson"),)),
    Link(lazy_gettext("Asset kinds"), lazy_gettext("What the inventory holds"), "api.kinds"),
    Link(lazy_gettext("Live states"), lazy_gettext("What the devices say"), "api.live_in_box"),
    Link(lazy_gettext("Fleet"), lazy_gettext("Where the municipal vehicles are"), "api.vehicles"),
    Link(lazy_gettext("Users"), lazy_gettext("Who may sign in, with which role"), "api.users"),
    Link(lazy_gettext("API documentation"), lazy_gettext("The OpenAPI description of the REST API"),
         "openapi.document"),
]


def add_link(app: Flask, link: Link) -> None:
    """Let a feature (control room, crew tablet...) appear on the home page."""
    app.extensions.setdefault("citypilot_links", []).append(link)


@bp.get("/")
@requires(*SIGNED_IN)
def home() -> str:
    who = current_identity()
    links = [
        (link, url_for(link.endpoint, **dict(link.kwargs)))
        for link in [*LINKS, *current_app.extensions.get("citypilot_links", [])]
        if link.endpoint in current_app.view_functions and endpoint_allows(current_app, link.endpoint, who.role)
    ]
    return render_template("home.html", links=links, role_label=role_label(who.role))


@bp.get("/healthz")
@requires(ANYONE)
def healthz() -> Response:
    with engine().connect() as conn:
        conn.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
