"""``POST /tokens``: sign in with a user name and password, get an API token (the QGIS plugin's connect
dialog, other desktop integrations). Rate limited like the login page; the token is shown once."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.http import json_body, respond
from app.web.auth.guard import keyed
from app.web.auth.roles import ANYONE, requires
from app.web.auth.views import policy
from app.web.db import work
from app.web.errors import ApiError
from app.web.openapi import Reply, operation
from assets.accounts import IssuedToken, attempt_login, issue_token
from assets.errors import FieldError, ValidationError

SIGN_IN = s.obj(
    {"username": s.STRING, "password": s.STRING,
     "label": {"type": "string", "maxLength": 200, "description": "what the token is for, unique per user"},
     "expires_days": {"type": "integer", "minimum": 1, "description": "default: until revoked"}},
    ("username", "password", "label"), extra=False,
)
ISSUED = s.obj(
    {"token": s.STRING, "name": s.STRING, "role": s.STRING, "label": s.STRING, "expires_at": s.nullable(s.TIME)},
    ("token", "name", "role", "label", "expires_at"),
)


@bp.post("/tokens", endpoint="issue_token")
@requires(ANYONE)
@keyed
@operation(
    "Sign in and get an API token (shown once)",
    tags=["meta"],
    description="The user name and password of the login page; failures are counted and rate limited as "
                "there (429 with Retry-After). Send the token as `Authorization: Bearer <token>`.",
    body=SIGN_IN,
    errors=(401, 403, 429),
    responses={201: Reply(ISSUED, "The new token")},
)
def issue_token_route() -> Response:
    body = json_body() or {}
    missing = [FieldError(f, "missing") for f in ("username", "password", "label") if not str(body.get(f) or "")]
    if missing:
        raise ValidationError(missing)
    answer = None
    with work() as session:  # committed even when refused: the failure counts towards the rate limit
        result = attempt_login(session, str(body["username"]), str(body["password"]),
                               request.remote_addr or "unknown", policy())
        if result.user is not None:
            issued = _issue(session, result.user.name, body)
            expires = issued.token.expires_at
            answer = {"token": issued.secret, "name": result.user.name, "role": result.user.role,
                      "label": issued.token.label, "expires_at": expires.isoformat() if expires else None}
    if answer is not None:
        return respond(answer, 201)
    if result.reason == "rate_limited":
        raise ApiError(429, _("Too many failed sign-ins: try again in %(seconds)s s.", seconds=result.retry_after),
                       headers={"Retry-After": str(result.retry_after)}, retry_after=result.retry_after)
    if result.reason == "disabled":
        raise ApiError(403, _("This account is disabled."))
    raise ApiError(401, _("Wrong user name or password."))


def _issue(session: Session, name: str, body: dict[str, Any]) -> IssuedToken:
    expires = body.get("expires_days")
    if expires is not None and (not isinstance(expires, int) or isinstance(expires, bool)):
        raise ValidationError(FieldError("expires_days", "must be a whole number of days"))
    return issue_token(session, name, str(body["label"]), expires)
