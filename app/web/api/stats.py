"""``/stats``: the inventory figures, the same dict as ``citypilot stats --json``."""

from __future__ import annotations

from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.http import respond
from app.web.auth.roles import SIGNED_IN, requires
from app.web.db import work
from app.web.openapi import Reply, operation
from assets.stats import inventory_stats


@bp.get("/stats")
@requires(*SIGNED_IN)
@operation(
    "Inventory figures: counts per kind and status, fibre km, communes, lighting",
    tags=["statistics"],
    responses={200: Reply(s.STATS, "The figures (no personal data)")},
)
def stats() -> Response:
    with work() as session:
        return respond(inventory_stats(session))
