"""``/quality``: incomplete assets (what a complete record of their kind lacks), paginated, with counts."""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.http import arg_cursor, arg_int, arg_list, page, respond
from app.web.auth.roles import STAFF, requires
from app.web.db import work
from app.web.openapi import Param, Reply, operation
from assets.kinds import spec_for
from assets.quality import MAX_LIMIT, incomplete_assets


@bp.get("/quality")
@requires(*STAFF)
@operation(
    "Incomplete assets: each with the attributes a complete record of its kind has and it lacks",
    tags=["assets"],
    query=(
        Param("kind", {"type": "string"}, "one asset kind (see /kinds); default: every kind"),
        Param("commune", {"type": "string"}, "communes by INSEE code or name, comma-separated"),
        Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50}, "page size"),
        Param("cursor", {"type": "string"}, "opaque: from the previous page's `next` link"),
    ),
    responses={200: Reply(s.QUALITY_PAGE, "A page of incomplete assets, and counts per kind and attribute")},
)
def quality() -> Response:
    kind = request.args.get("kind") or None
    if kind:
        spec_for(kind)
    limit = arg_int("limit", 50, low=1, high=MAX_LIMIT) or 50
    with work() as session:
        found = incomplete_assets(
            session, kind=kind, commune=arg_list("commune"), after_id=arg_cursor(), limit=limit,
        )
    return respond(page(found.items, found.total, found.limit, found.next_after, missing=found.missing,
                        assets=found.assets))
