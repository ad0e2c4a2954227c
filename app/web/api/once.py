"""Writes applied once per client id (:mod:`fieldservice.replay`) for the work-order routes: the first answer is
kept and given back to every replay with ``"replayed": true``; an action that no longer applies (the order was
reassigned, cancelled or moved on) answers 409 with the order's ``state`` and ``crew_id``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import jsonify
from sqlalchemy import text
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app.web.api.http import respond
from app.web.auth.guard import current_identity
from app.web.db import work
from app.web.errors import SLUGS
from assets.errors import CityPilotError, ConflictError, NotFoundError, PermissionDenied, ValidationError
from fieldservice import access, replay

CLIENT_ID = {"type": "string", "minLength": 1, "maxLength": replay.MAX_CLIENT_ID,
             "description": "the client's own id of this action: applied once, replays get the first answer"}
NO_LONGER = "no longer applies"


def _stale_answer(exc: CityPilotError, order_id: int) -> tuple[int, dict[str, Any]]:
    """The answer kept for an action that failed: 409 when it no longer applies, else its usual status."""
    status = 422 if isinstance(exc, ValidationError) else 409 if isinstance(exc, ConflictError) else \
        403 if isinstance(exc, PermissionDenied) else 404 if isinstance(exc, NotFoundError) else 400
    fields = [{"field": e.field, "reason": e.reason} for e in getattr(exc, "errors", [])]
    moved_on = isinstance(exc, (PermissionDenied, ConflictError)) or any(f["field"] == "state" for f in fields)
    if moved_on:
        status = 409
    body: dict[str, Any] = {"error": SLUGS.get(status, "error"), "message": str(exc)}
    if fields:
        body["fields"] = fields
    with work() as session:
        row = session.execute(text("SELECT state, crew_id FROM work_orders WHERE id = :o"),
                              {"o": order_id}).first()
    if moved_on and row is not None:
        body.update({"state": row.state, "crew_id": row.crew_id, "reason": NO_LONGER})
    return status, body


def once(order_id: int, client_id: str | None, act: Callable[[Session], tuple[dict[str, Any], int]]) -> Response:
    """Run a write for the caller, applied once per ``client_id`` (see the module's docstring)."""
    who = current_identity()
    client_id = replay.check_client_id(client_id)
    if client_id is None:
        with work() as session:
            access.check_can_see(session, who.role, who.user_id, order_id)
            body, status = act(session)
        return respond(body, status)
    try:
        with work() as session:
            replay.lock_order(session, order_id)
            earlier = replay.previous(session, order_id, client_id)
            if earlier is None:
                access.check_can_see(session, who.role, who.user_id, order_id)
                body, status = act(session)
                replay.remember(session, order_id, client_id, who.user_id, status, body)
        if earlier is not None:
            status, body = earlier
            response = jsonify({**body, "replayed": True})
            response.status_code = status
            return response
        return respond({**body, "replayed": False}, status)
    except NotFoundError:
        raise
    except CityPilotError as exc:
        status, body = _stale_answer(exc, order_id)
        with work() as session:
            replay.remember(session, order_id, client_id, who.user_id, status, body)
        response = jsonify(body)
        response.status_code = status
        return response
