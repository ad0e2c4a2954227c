"""French and English (Flask-Babel): the browser's language, or the one chosen with ``?lang=``
(remembered in a cookie). Catalogs are in ``resources/translations`` (English is the source)."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import Babel, get_locale, lazy_gettext
from werkzeug.wrappers import Response

import resources

LANG_COOKIE = "lang"
LANG_COOKIE_AGE = 365 * 24 * 3600
ROLE_LABELS = {
    "admin": lazy_gettext("administrator"),
    "planner": lazy_gettext("planner"),
    "supervisor": lazy_gettext("supervisor"),
    "operator": lazy_gettext("operator"),
    "crew": lazy_gettext("crew member"),
    "public": lazy_gettext("public"),
}


def role_label(role: str | None) -> str:
    """A role as the users call it, in the current language."""
    return str(ROLE_LABELS.get(role or "", role or ""))


def _chosen() -> str | None:
    lang = (request.args.get("lang") or "").strip().lower()
    return lang if lang in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    """``?lang=``, else the cookie, else the browser's Accept-Language, else the default."""
    languages = current_app.config["LANGUAGES"]
    chosen = _chosen() or request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _remember(response: Response) -> Response:
    chosen = _chosen()
    if chosen and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(LANG_COOKIE, chosen, max_age=LANG_COOKIE_AGE, samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    response.vary.update(("Accept-Language", "Cookie"))
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(resources.path("translations")))
    Babel(app, locale_selector=select_locale)
    app.after_request(_remember)
    app.context_processor(lambda: {"current_locale": str(get_locale())})
