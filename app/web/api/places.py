"""``/places``: find a street, a commune or an asset code (the desktop's and the map's search box)."""

from __future__ import annotations

from dataclasses import asdict

from flask import request
from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.http import arg_cursor, arg_limit, page, respond
from app.web.auth.guard import current_identity
from app.web.auth.roles import SIGNED_IN, requires
from app.web.db import work
from app.web.openapi import Param, Reply, operation
from assets.places import search_places
from assets.privacy import readable_kinds

_COORDS = s.array(s.NUMBER)
PLACE = s.obj({
    "type": {"type": "string", "enum": ["commune", "street", "asset"]}, "label": s.STRING,
    "commune": s.nullable(s.STRING), "kind": s.nullable(s.STRING), "asset_id": s.nullable(s.INTEGER),
    "point": s.nullable(_COORDS), "bbox": s.nullable(_COORDS),
}, ("type", "label", "commune", "point", "bbox"))


@bp.get("/places")
@requires(*SIGNED_IN)
@operation(
    "Find a street, a commune or an asset code",
    tags=["places"],
    description="Accent- and case-insensitive: communes and streets whose name contains ``q``, assets whose "
                "code starts with it (the kinds the caller may read), best matches first. Each item has its "
                "type, label, commune and a WGS84 ``point`` (assets standing at one place) or ``bbox``.",
    query=[Param("q", {"type": "string", "minLength": 2}, "the typed text", required=True),
           Param("limit", {"type": "integer"}, "page size"), Param("cursor", {"type": "integer"}, "next page")],
    responses={200: Reply(s.page_of(PLACE), "The matches, best first")},
)
def places() -> Response:
    role = current_identity().role or ""
    limit, offset = arg_limit(), arg_cursor() or 0
    with work() as session:
        found = search_places(session, request.args.get("q", ""), kinds=readable_kinds(role), limit=limit,
                              offset=offset)
    return respond(page([asdict(p) for p in found.items], found.total, limit, found.next_offset))
