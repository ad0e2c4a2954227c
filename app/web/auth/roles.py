"""Every route declares who may use it: ``@requires(*roles)``; the app refuses to start otherwise.

The roles and their groups (``EDITORS``, ``CONTROL_ROOM``...) are the domain's, :mod:`assets.identity`.

The declaration only records; :mod:`app.web.auth.guard` enforces it before every request, so what
is declared is exactly what is enforced (and what the OpenAPI document says).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask

from assets.identity import ADMIN, CONTROL_ROOM, EDITORS, ROLES, SIGNED_IN, STAFF

__all__ = ["ADMIN", "ANYONE", "CONTROL_ROOM", "EDITORS", "ROLES", "SIGNED_IN", "STAFF", "requires"]

#: Anyone, signed in or not (the login page, static files, the API description). The groups of roles
#: are the domain's (:mod:`assets.identity`); this one is the web's alone.
ANYONE = "anyone"

F = TypeVar("F", bound=Callable[..., Any])
_ATTRIBUTE = "__citypilot_roles__"


def requires(*roles: str) -> Callable[[F], F]:
    """Declare the roles that may use a view (``ANYONE`` for everyone, anonymous included)."""
    unknown = [r for r in roles if r not in ROLES and r != ANYONE]
    if unknown or not roles:
        raise ValueError(f"requires() needs roles among {', '.join(ROLES)} or ANYONE, got {roles!r}")
    if ANYONE in roles and len(roles) > 1:
        raise ValueError("requires(ANYONE) takes no other role")

    def declare(view: F) -> F:
        setattr(view, _ATTRIBUTE, frozenset(roles))
        return view

    return declare


def declared_roles(view: Callable[..., Any] | None) -> frozenset[str] | None:
    """The roles a view declared, or None if it declared nothing."""
    return getattr(view, _ATTRIBUTE, None)


def is_allowed(roles: frozenset[str], role: str | None) -> bool:
    """Whether a user of ``role`` (None: anonymous) may use a view declaring ``roles``."""
    return ANYONE in roles or (role is not None and role in roles)


def endpoint_allows(app: Flask, endpoint: str, role: str | None) -> bool:
    """Whether ``role`` may use ``endpoint`` (False for an endpoint that declares nothing)."""
    roles = declared_roles(app.view_functions.get(endpoint))
    return roles is not None and is_allowed(roles, role)


def undeclared_endpoints(app: Flask) -> list[str]:
    """Endpoints whose view declares no roles, by rule."""
    return sorted(
        f"{rule.rule} ({rule.endpoint})"
        for rule in app.url_map.iter_rules()
        if declared_roles(app.view_functions.get(rule.endpoint)) is None
    )


def check_declarations(app: Flask) -> None:
    """Refuse to build an app with a route that does not say who may use it."""
    missing = undeclared_endpoints(app)
    if missing:
        raise RuntimeError("routes without @requires(...): " + ", ".join(missing))


def declare_static(app: Flask, endpoints: Iterable[str] = ("static",)) -> None:
    """Flask's own static-file views are open to anyone."""
    for endpoint in endpoints:
        view = app.view_functions.get(endpoint)
        if view is not None:
            requires(ANYONE)(view)
