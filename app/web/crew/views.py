"""``/crew/``: the tablet's page (the app shell), its service worker and its web app manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, render_template, request, send_file, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from app.web.auth.guard import csrf_token, current_identity
from app.web.auth.roles import ANYONE, requires
from app.web.control_room.strings import kind_labels, state_labels
from app.web.crew.strings import js_strings, order_state_labels, waiting_labels
from app.web.i18n import role_label
from fieldservice.access import CREW_MOVES
from fieldservice.states import MOVES

bp = Blueprint("crew", __name__, url_prefix="/crew")

#: Who opens the tablet: the crews (their own orders), and the control room to see what a crew sees.
TABLET_ROLES = ("crew", "admin", "supervisor")
CSP = ("default-src 'self'; img-src 'self' blob: data:; worker-src 'self'; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
STATIC = Path(__file__).resolve().parents[1] / "static" / "crew"


def page_config() -> dict[str, Any]:
    """What the tablet's JavaScript needs, in the page: who, where, the words, the crew's moves."""
    who = current_identity()
    root = request.script_root
    return {
        "lang": str(get_locale()),
        "user": {"id": who.user_id, "name": who.name, "full_name": who.full_name, "role": who.role,
                 "role_label": role_label(who.role)},
        "csrf": csrf_token(),
        "urls": {"api": root + "/api/v1", "page": url_for("crew.page"),
                 "sw": url_for("crew.service_worker", tiles=current_app.config["CREW_TILES"]),
                 "login": url_for("auth.login"), "basemap": root + "/api/v1/basemap/{z}/{x}/{y}.mvt",
                 "static": url_for("static", filename="crew/")},
        "moves": list(CREW_MOVES) if who.role == "crew" else None,  # None: every move the order allows
        "waiting_reasons": waiting_labels(),
        "kinds": kind_labels(),
        "machine": {state: list(moves) for state, moves in MOVES.items()},  # the domain's moves, for offline
        "states": order_state_labels(),
        "live_states": state_labels(),
        "strings": js_strings(),
    }


@bp.get("/")
@requires(*TABLET_ROLES)
def page() -> Response:
    """The tablet: my orders, the map and one order, all drawn by the page's JavaScript."""
    response = current_app.response_class(render_template("crew/page.html", config=page_config()),
                                          mimetype="text/html")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/sw.js")
@requires(ANYONE)
def service_worker() -> Response:
    """The service worker, served from ``/crew/`` so that its scope covers the tablet's pages."""
    response = send_file(STATIC / "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = url_for("crew.page")
    return response


@bp.get("/manifest.webmanifest")
@requires(ANYONE)
def manifest() -> Response:
    """The web app manifest: the tablet opens the crew's page full screen from its home screen."""
    return current_app.response_class(
        render_template("crew/manifest.json", start=url_for("crew.page")),
        mimetype="application/manifest+json")
