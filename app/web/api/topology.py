"""``/assets/{id}/feeds``: what an asset feeds (hierarchy below it, or what a fibre failure cuts off)."""

from __future__ import annotations

from dataclasses import asdict

from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.http import respond
from app.web.auth.roles import STAFF, requires
from app.web.db import work
from app.web.openapi import Reply, operation
from assets.topology import feeds


@bp.get("/assets/<int:asset_id>/feeds")
@requires(*STAFF)
@operation(
    "What this asset feeds",
    tags=["topology"],
    description="For a cabinet, circuit or controller: everything below it. For a fibre node or segment: every "
                "node and piece of equipment that loses all its paths to a point of presence if it fails.",
    responses={200: Reply(s.FEEDS, "The affected assets, nearest first")},
)
def asset_feeds(asset_id: int) -> Response:
    with work() as session:
        affected = feeds(session, asset_id)
    return respond({"asset_id": asset_id, "total": len(affected), "items": [asdict(a) for a in affected]})
