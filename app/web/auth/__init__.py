"""Sign-in and roles for the web app: who is calling, may they, and the login pages."""

from __future__ import annotations

from flask import Flask

from app.web.auth import guard, views
from app.web.auth.roles import ADMIN, ANYONE, CONTROL_ROOM, EDITORS, SIGNED_IN, STAFF, requires

__all__ = ["ADMIN", "ANYONE", "CONTROL_ROOM", "EDITORS", "SIGNED_IN", "STAFF", "init_app", "requires"]


def init_app(app: Flask) -> None:
    guard.init_app(app)
    views.init_app(app)
