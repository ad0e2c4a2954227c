"""The control room's two read-only API routes: base map tiles and live counters per family.

Thin routing: the SQL is in :mod:`assets.basemap` and :mod:`assets.live.family_stats`.
"""

from __future__ import annotations

import gzip
from typing import Any

from flask import Blueprint, Flask, request
from werkzeug.wrappers import Response

from app.web.api.http import respond
from app.web.auth.roles import SIGNED_IN, STAFF, requires
from app.web.db import engine, work
from app.web.errors import ApiError
from app.web.openapi import API_PREFIX, Reply, operation
from assets.basemap import LABEL_ZOOM, STREET_ZOOM, basemap_tile
from assets.live.family_stats import FIGURES, family_stats
from gis.tiles import TileError

MVT_TYPE = "application/vnd.mapbox-vector-tile"
BASEMAP_MAX_AGE_S = 3600

bp = Blueprint("control_room_api", __name__, url_prefix=API_PREFIX)

_FIGURES: dict[str, Any] = {name: {"type": "integer", "minimum": 0} for name in FIGURES}
FAMILY_STATS: dict[str, Any] = {
    "type": "object",
    "required": ["families", "kind_family"],
    "properties": {
        "families": {
            "type": "object",
            "description": "per family (lighting, traffic, video, fleet, network, environment, energy)",
            "additionalProperties": {
                "type": "object",
                "required": [*FIGURES, "kinds"],
                "properties": {
                    **_FIGURES,
                    "kinds": {"type": "object", "additionalProperties": {
                        "type": "object", "required": list(FIGURES), "properties": _FIGURES}},
                },
            },
        },
        "kind_family": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


@bp.get("/basemap/<int:z>/<int:x>/<int:y>.mvt")
@requires(*SIGNED_IN)
@operation(
    "The city without a background map: commune boundaries, their names and the streets (vector tile)",
    tags=["tiles"],
    description="Mapbox Vector Tile with the layers `communes` (boundary lines: insee, name), `labels` (one "
                f"point per commune: insee, name; from z{LABEL_ZOOM}) and `streets` (street_class, name; "
                + ", ".join(f"{name} from z{zoom}" for name, zoom in STREET_ZOOM.items())
                + "). Gzip when accepted; an ETag (304 on a match); 204 for an empty tile.",
    responses={
        200: Reply(None, "The tile", content_type=MVT_TYPE, headers={"ETag": "the tile's digest"}),
        204: Reply(None, "Nothing in this tile", content_type=""),
        304: Reply(None, "Not modified (If-None-Match)", content_type=""),
    },
    errors=(400,),
)
def basemap(z: int, x: int, y: int) -> Response:
    try:
        with engine().connect() as conn:
            tile = basemap_tile(conn, z, x, y)
    except TileError as exc:
        raise ApiError(400, str(exc), fields=[{"field": exc.field, "reason": exc.reason}]) from None
    headers = {"Cache-Control": f"private, max-age={BASEMAP_MAX_AGE_S}", "Vary": "Accept-Encoding"}
    if tile.empty:
        return Response(status=204, headers=headers)
    headers["ETag"] = tile.etag
    if tile.etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    data = tile.data
    if request.accept_encodings.quality("gzip") > 0:
        data = gzip.compress(data, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    return Response(data, mimetype=MVT_TYPE, headers=headers)


@bp.get("/stats/families")
@requires(*STAFF)
@operation(
    "Live counters per family: devices in service, ok, in fault, unreachable, unknown",
    tags=["statistics", "live"],
    description="Devices only (poles, circuits and cables have no live state), removed ones left out. "
                "`in_service` is the inventory status (what the planners decided); `ok`, `fault`, "
                "`unreachable`, `unknown` are the live states (what the devices say). Per kind too.",
    responses={200: Reply(FAMILY_STATS, "The counters, per family and per kind")},
)
def families() -> Response:
    with work() as session:
        return respond(family_stats(session))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
