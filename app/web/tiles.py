"""Vector tiles over HTTP: ``/tiles/{layer}/{z}/{x}/{y}.mvt`` and ``/tiles/layers.json``.

Thin routing over :class:`assets.tiles.TileService`. Who reads what (declared per route):

- lighting, energy, environment: every signed-in role; the ``public`` role gets them without live
  state (open-data-safe: what exists and where, not how it is doing);
- traffic, video (sensitive), network (critical infrastructure): staff only;
- ``layers.json``: every signed-in role, listing the layers that role may read.

Answers: ``application/vnd.mapbox-vector-tile``, gzip when accepted, an ETag (304 on a match),
``Cache-Control: private, max-age=5``; 204 for an empty tile; 400 (JSON, naming ``z``, ``x`` or
``y``) for an address outside the pyramid; 404 for an unknown layer.

Settings (``create_app`` config key, else environment variable ``CITYPILOT_<KEY>``):
``TILES_CACHE_TTL_S`` (5; 0 turns the in-process cache off), ``TILES_CACHE_ENTRIES`` (2048),
``TILES_MAX_FEATURES`` (4000 features per tile before dense tiles become clusters),
``TILES_CLUSTERS_MAX_AGE_S`` (30: how old cluster counts may get), ``TILES_MAX_AGE_S`` (5: HTTP).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from werkzeug.wrappers import Response

from app.web.auth.guard import current_identity
from app.web.auth.roles import SIGNED_IN, STAFF, requires
from app.web.errors import ApiError
from assets.identity import is_public
from assets.tiles import LAYERS, PUBLIC_LAYERS, TileService, TileSettings, tile_engine
from gis.tiles import TileError

MVT_TYPE = "application/vnd.mapbox-vector-tile"
EXTENSION = "citypilot_tiles"
STAFF_LAYERS = tuple(name for name in LAYERS if name not in PUBLIC_LAYERS)

tiles_blueprint = Blueprint("tiles", __name__, url_prefix="/tiles")


def _setting(config: Mapping[str, Any], key: str, default: float) -> float:
    value = config.get(key, os.environ.get(f"CITYPILOT_{key}", default))
    return float(value)


def tile_settings(config: Mapping[str, Any]) -> TileSettings:
    """The tile service's settings from the app's configuration, then the environment."""
    return TileSettings(
        cache_ttl_s=_setting(config, "TILES_CACHE_TTL_S", 5.0),
        cache_entries=int(_setting(config, "TILES_CACHE_ENTRIES", 2048)),
        max_features=int(_setting(config, "TILES_MAX_FEATURES", 4000)),
        aggregate_max_age_s=_setting(config, "TILES_CLUSTERS_MAX_AGE_S", 30.0),
    )


def service() -> TileService:
    return current_app.extensions[EXTENSION]


def _address(z: str, x: str, y: str) -> tuple[int, int, int]:
    values = []
    for name, raw in (("z", z), ("x", x), ("y", y)):
        try:
            values.append(int(raw))
        except ValueError:
            raise ApiError(400, f"{name}: {raw!r} is not an integer",
                           fields=[{"field": name, "reason": "not an integer"}]) from None
    return values[0], values[1], values[2]


def tile_answer(
    tiles: TileService, config: Mapping[str, Any], layer: str, address: tuple[int, int, int], *, public: bool,
    gzip_ok: bool, if_none_match: str,
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a tile answer (the Flask route and the fast path share it).
    Raises TileError for an address outside the pyramid."""
    tile = tiles.tile(layer, *address, public=public)
    headers = {
        "Cache-Control": f"private, max-age={int(_setting(config, 'TILES_MAX_AGE_S', 5))}",
        "Vary": "Authorization, Cookie, Accept-Encoding",
    }
    if tile.empty:
        return 204, headers, b""
    etag = tile.etag[:-1] + '-gz"' if gzip_ok else tile.etag
    headers["ETag"] = etag
    if etag in if_none_match or tile.etag in if_none_match:
        return 304, headers, b""
    headers["Content-Type"] = MVT_TYPE
    if gzip_ok:
        headers["Content-Encoding"] = "gzip"
    return 200, headers, tile.gzipped if gzip_ok else tile.data


def _serve(layer: str, z: str, x: str, y: str) -> Response:
    address = _address(z, x, y)
    try:
        status, headers, body = tile_answer(
            service(), current_app.config, layer, address, public=is_public(current_identity().role),
            gzip_ok=request.accept_encodings.quality("gzip") > 0,
            if_none_match=request.headers.get("If-None-Match", ""),
        )
    except TileError as exc:
        raise ApiError(400, str(exc), fields=[{"field": exc.field, "reason": exc.reason}]) from None
    content_type = headers.pop("Content-Type", None)
    return Response(body or None, status=status, headers=headers, mimetype=content_type)


@tiles_blueprint.get(f"/<any({', '.join(PUBLIC_LAYERS)}):layer>/<z>/<x>/<y>.mvt")
@requires(*SIGNED_IN)
def public_layer_tile(layer: str, z: str, x: str, y: str) -> Response:
    """A tile of a layer the public may read too (without live state)."""
    return _serve(layer, z, x, y)


@tiles_blueprint.get(f"/<any({', '.join(STAFF_LAYERS)}):layer>/<z>/<x>/<y>.mvt")
@requires(*STAFF)
def staff_layer_tile(layer: str, z: str, x: str, y: str) -> Response:
    """A tile of a staff-only layer."""
    return _serve(layer, z, x, y)


@tiles_blueprint.get("/<layer>/<z>/<x>/<y>.mvt")
@requires(*SIGNED_IN)
def unknown_layer_tile(layer: str, z: str, x: str, y: str) -> Response:
    """Any other layer name: a clear 404."""
    raise ApiError(404, f"no tile layer {layer!r} (layers: {', '.join(LAYERS)})")


@tiles_blueprint.get("/layers.json")
@requires(*SIGNED_IN)
def layers() -> Response:
    """TileJSON-like description of the layers the caller may read."""
    url = request.url_root.rstrip("/") + "/tiles/{layer}/{z}/{x}/{y}.mvt"
    response = jsonify(service().describe(url, public=is_public(current_identity().role)))
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


def init_app(app: Flask) -> None:
    """Mount the tiles on ``app`` with a tile service of its own (closed with the app)."""
    if "tiles" in app.blueprints:
        return
    tiles = TileService(tile_engine(app.config["DATABASE_URL"]), tile_settings(app.config))
    app.extensions[EXTENSION] = tiles
    state = app.extensions.get("citypilot")
    if state is not None:
        state.closers.append(tiles.close)
    app.register_blueprint(tiles_blueprint)
    if app.config.get("TILES_FAST_PATH", True):
        from app.web.tiles_fast import TileFastPath

        app.wsgi_app = TileFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
