"""Before every request: who is calling (bearer token or session cookie), CSRF, and the route's roles.

- ``Authorization: Bearer <token>``: an API token; no CSRF (a browser never sends it by itself).
- The session cookie (pages, and the control room calling the API): unsafe methods need the
  session's CSRF token, in the ``csrf_token`` form field (pages) or the ``X-CSRF-Token`` header.
- A route's declared roles decide; anonymous callers get 401 (API) or the login page, others 403.

Who a token or a session is stays cached per process for ``AUTH_CACHE_S`` seconds (5 by default, 0
turns it off), so map tiles and API calls do not pay database round trips each: a revoked token, a
disabled user or a changed password takes effect in other processes within that time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.web.auth.roles import declared_roles, is_allowed
from app.web.db import engine
from app.web.errors import ApiError, is_api_request
from app.web.i18n import role_label
from assets.accounts import password_stamp, resolve_token, session_user
from assets.db import unit_of_work
from assets.errors import PermissionDenied
from assets.models import User

F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Identity:
    """The caller: a user (through ``via`` ``token`` or ``session``), or anonymous."""

    user_id: int | None = None
    name: str | None = None
    role: str | None = None
    full_name: str | None = None
    via: str | None = None

    @classmethod
    def of(cls, user: User, via: str) -> Identity:
        return cls(user.id, user.name, user.role, user.full_name, via)

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None


ANONYMOUS = Identity()


def current_identity() -> Identity:
    return getattr(g, "identity", ANONYMOUS)


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def sign_in(user: User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token: no fixation)."""
    with unit_of_work(engine(), None) as s:
        stamp = password_stamp(s, user.id)
    session.clear()
    session.permanent = True
    session.update(uid=user.id, pw=stamp, csrf=secrets.token_urlsafe(32))


def sign_out() -> None:
    session.clear()


class IdentityCache:
    """Identities by token digest or session, each kept ``ttl`` seconds (a small bounded dict)."""

    def __init__(self, ttl: float, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self._items: dict[tuple, tuple[float, Identity]] = {}

    def get(self, key: tuple) -> Identity | None:
        item = self._items.get(key)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1]

    def put(self, key: tuple, identity: Identity) -> Identity:
        if self.ttl > 0:
            if len(self._items) >= self.size:
                self._items.clear()
            self._items[key] = (time.monotonic() + self.ttl, identity)
        return identity

    def clear(self) -> None:
        """Forget every identity (the next request of each caller goes through the database again)."""
        self._items.clear()


def _cache() -> IdentityCache:
    return current_app.extensions["citypilot_identities"]


def _bearer(header: str) -> Identity:
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, _("Use the header Authorization: Bearer <token>."),
                       headers={"WWW-Authenticate": 'Bearer realm="citypilot"'})
    key = ("token", hashlib.sha256(secret.strip().encode()).digest())
    cached = _cache().get(key)
    if cached is not None:
        return cached
    try:
        with unit_of_work(engine(), None) as s:
            user = resolve_token(s, secret.strip())
            return _cache().put(key, Identity.of(user, "token"))
    except PermissionDenied as exc:
        raise ApiError(401, str(exc), headers={"WWW-Authenticate": 'Bearer realm="citypilot", error="invalid_token"'}
                       ) from None


def identify() -> Identity:
    """Who is calling this request."""
    header = request.headers.get("Authorization")
    if header:
        return _bearer(header)
    uid = session.get("uid")
    if uid is None:
        return ANONYMOUS
    key = ("session", uid, session.get("pw"))
    cached = _cache().get(key)
    if cached is not None:
        return cached
    with unit_of_work(engine(), None) as s:
        user = session_user(s, uid, session.get("pw"))
        identity = Identity.of(user, "session") if user is not None else None
    if identity is None:
        session.clear()  # disabled, or the password changed since
        return ANONYMOUS
    return _cache().put(key, identity)


_KEYED = "__citypilot_keyed__"


def keyed(view: F) -> F:
    """Declare a view that authenticates its callers by a key of its own (Open311's ``api_key``) and
    acts for no session: the session's CSRF check does not apply to it."""
    setattr(view, _KEYED, True)
    return view


def _check_csrf() -> None:
    sent = request.headers.get(CSRF_HEADER) or (request.form.get(CSRF_FIELD) if request.form else None)
    expected = session.get("csrf")
    if not sent or not expected or not hmac.compare_digest(str(sent), str(expected)):
        raise ApiError(403, _("Missing or wrong CSRF token: reload the page, or send the X-CSRF-Token header."),
                       error="csrf")


def guard() -> Response | None:
    """The before-request hook: identify the caller, check CSRF, enforce the route's roles."""
    if request.endpoint in (None, "static") or request.method == "OPTIONS":
        return None  # Flask answers 404 / 405 / OPTIONS itself; static files are open to anyone
    roles = declared_roles(current_app.view_functions.get(request.endpoint))
    if roles is None:
        raise ApiError(500, f"route {request.endpoint} declares no roles")
    identity = identify()
    g.identity = identity
    if not is_allowed(roles, identity.role):
        if identity.signed_in:
            raise ApiError(403, _("Your role (%(role)s) may not do this.", role=role_label(identity.role)))
        if is_api_request():
            raise ApiError(401, _("Sign in first: send a bearer token, or sign in on the login page."),
                           headers={"WWW-Authenticate": 'Bearer realm="citypilot"'})
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    keyed_view = getattr(current_app.view_functions.get(request.endpoint), _KEYED, False)
    if request.method not in SAFE_METHODS and identity.via != "token" and not keyed_view:
        _check_csrf()
    return None


def security_headers(response: Response) -> Response:
    """What browsers should enforce: own resources only, no framing, no sniffing, HTTPS once seen."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    app.extensions["citypilot_identities"] = IdentityCache(float(app.config["AUTH_CACHE_S"]))
    app.before_request(guard)
    app.after_request(security_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_identity"] = current_identity
