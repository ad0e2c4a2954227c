"""``/users`` (admin): list, create (optionally with a password), disable."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from app.web.api import schemas as s
from app.web.api.blueprint import bp
from app.web.api.http import json_body, respond
from app.web.auth.roles import ADMIN, requires
from app.web.db import work
from app.web.openapi import Reply, operation
from assets.accounts import last_logins, set_password
from assets.models import User
from assets.users import create_user, disable_user, list_users


def user_json(user: User, last_login: Any = None) -> dict[str, Any]:
    return {
        "id": user.id, "name": user.name, "full_name": user.full_name, "role": user.role, "disabled": user.disabled,
        "created_at": user.created_at.isoformat(), "last_login_at": last_login.isoformat() if last_login else None,
    }


@bp.get("/users")
@requires(*ADMIN)
@operation("The users, by name", tags=["users"], responses={200: Reply(s.USERS, "Every user")})
def users() -> Response:
    with work() as session:
        logins = last_logins(session)
        items = [user_json(u, logins.get(u.id)) for u in list_users(session)]
    return respond({"items": items, "total": len(items)})


@bp.post("/users", endpoint="create_user")
@requires(*ADMIN)
@operation(
    "Create a user (with a password to sign in on the pages)",
    tags=["users"],
    body=s.CREATE_USER,
    responses={201: Reply(s.USER, "The new user")},
)
def create_user_route() -> Response:
    body = json_body() or {}
    with work() as session:
        user = create_user(session, body["name"], body["role"], body.get("full_name"))
        if body.get("password"):
            set_password(session, user.name, body["password"])
        session.refresh(user)
        created = user_json(user)
    return respond(created, 201)


@bp.post("/users/<name>/disable", endpoint="disable_user")
@requires(*ADMIN)
@operation(
    "Disable a user: no more sign-in nor token use; their history stays",
    tags=["users"],
    responses={200: Reply(s.USER, "The disabled user")},
)
def disable_user_route(name: str) -> Response:
    with work() as session:
        user = disable_user(session, name)
        return respond(user_json(user, last_logins(session).get(user.id)))
