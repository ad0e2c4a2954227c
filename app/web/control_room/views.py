"""``/control-room``: the page. Everything live on it is the app's own JavaScript, reading the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from app.web.auth.guard import csrf_token, current_identity
from app.web.auth.roles import CONTROL_ROOM, requires
from app.web.control_room.strings import family_labels, js_strings, kind_labels, state_labels
from app.web.i18n import role_label
from app.web.tiles import service
from assets.kinds_catalogue import map_styles

bp = Blueprint("control_room", __name__, template_folder="templates")

BASE_CSP = "default-src 'self'; frame-ancestors 'none'"


def _background() -> dict[str, str] | None:
    """The configured background map (``CITYPILOT_BASEMAP_URL``), or None (off: the default)."""
    url = current_app.config.get("BASEMAP_URL") or ""
    if not url:
        return None
    return {"url": url, "attribution": current_app.config.get("BASEMAP_ATTRIBUTION") or ""}


def _csp(background: dict[str, str] | None) -> str:
    """Own origin only; a configured background map's origin may serve images too."""
    if background is None:
        return BASE_CSP
    parts = urlsplit(background["url"].replace("{s}", "a"))
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return f"{BASE_CSP}; img-src 'self' {origin}".rstrip()


def page_config() -> dict[str, Any]:
    """What the page's JavaScript needs, in the page (no extra round trip): who, where, words."""
    who = current_identity()
    root = request.script_root
    background = _background()
    return {
        "lang": str(get_locale()),
        "user": {"id": who.user_id, "name": who.name, "full_name": who.full_name, "role": who.role,
                 "role_label": role_label(who.role)},
        "csrf": csrf_token(),
        "urls": {
            "api": root + "/api/v1",
            "stream": url_for("stream.stream"),
            "tiles": root + "/tiles/{layer}/{z}/{x}/{y}.mvt",
            "basemap": root + "/api/v1/basemap/{z}/{x}/{y}.mvt",
            "home": url_for("home.home"),
            "login": url_for("auth.login"),
        },
        "background": background,
        "tiles": service().describe(root + "/tiles/{layer}/{z}/{x}/{y}.mvt", public=False),
        "kinds": kind_labels(),
        "styles": map_styles(),  # how each kind is drawn (KindSpec.style), as GET /api/v1/kinds serves it
        "families": family_labels(),
        "family_order": list(family_labels()),  # (the page's JSON has its keys sorted)
        "states": state_labels(),
        "strings": js_strings(),
    }


@bp.get("/control-room")
@requires(*CONTROL_ROOM)
def page() -> Response:
    """The control room: live map, alarms, asset panel, group commands."""
    config = page_config()
    response = current_app.response_class(render_template("control_room/page.html", config=config),
                                          mimetype="text/html")
    response.headers["Content-Security-Policy"] = _csp(config["background"])
    response.headers["Cache-Control"] = "no-store"
    return response
