"""``/assets/{id}/history``: who changed what and when (names people: not for the public)."""

from __future__ import annotations

from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.http import arg_cursor, arg_limit, page, respond
from app.web.auth.roles import STAFF, requires
from app.web.db import work
from app.web.openapi import Param, Reply, operation
from assets.search import MAX_LIMIT
from assets.serialize import history_dict
from assets.store import get_asset, history


@bp.get("/assets/<int:asset_id>/history")
@requires(*STAFF)
@operation(
    "The audit trail of an asset, oldest first (paginated)",
    tags=["assets"],
    description="Every insert, update and retirement: who, when, the fields changed, before and after.",
    query=(
        Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50}, "page size"),
        Param("cursor", {"type": "string"}, "opaque: from the previous page's `next` link"),
    ),
    responses={200: Reply(s.HISTORY_PAGE, "A page of history entries")},
)
def asset_history(asset_id: int) -> Response:
    limit, after = arg_limit(), arg_cursor()
    with work() as session:
        get_asset(session, asset_id)
        entries = history(session, asset_id)
    remaining = [e for e in entries if after is None or e.id > after]
    shown = remaining[:limit]
    next_cursor = shown[-1].id if len(remaining) > limit else None
    return respond(page([history_dict(e) for e in shown], len(entries), limit, next_cursor))
