"""The login and logout pages (form posts carry the session's CSRF token)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.web.auth.guard import current_identity, sign_in, sign_out
from app.web.auth.roles import ANYONE, requires
from app.web.db import engine
from assets.accounts import LoginPolicy, attempt_login
from assets.db import unit_of_work

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path of this site (no open redirect)."""
    if not target:
        return url_for("home.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.home")
    return target


def policy() -> LoginPolicy:
    config = current_app.config
    return LoginPolicy(config["LOGIN_MAX_FAILURES_USER"], config["LOGIN_MAX_FAILURES_IP"], config["LOGIN_WINDOW_S"])


@bp.get("/login")
@requires(ANYONE)
def login() -> str | Response:
    if current_identity().signed_in:
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", next=request.args.get("next", ""), error=None, name="")


@bp.post("/login")
@requires(ANYONE)
def login_post() -> tuple[str, int, dict[str, str]] | Response:
    name = request.form.get("username", "")
    password = request.form.get("password", "")
    target = request.form.get("next", "")
    with unit_of_work(engine(), None) as session:
        result = attempt_login(session, name, password, request.remote_addr or "unknown", policy())
    if result.ok and result.user is not None:
        sign_in(result.user)
        return redirect(_safe_next(target))
    headers: dict[str, str] = {}
    if result.reason == "rate_limited":
        status, error = 429, _("Too many failed sign-ins: try again in %(seconds)s s.", seconds=result.retry_after)
        headers["Retry-After"] = str(result.retry_after)
    elif result.reason == "disabled":
        status, error = 403, _("This account is disabled.")
    else:
        status, error = 401, _("Wrong user name or password.")
    return render_template("login.html", next=target, error=error, name=name), status, headers


@bp.post("/logout")
@requires(ANYONE)
def logout() -> Response:
    sign_out()
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
