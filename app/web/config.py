"""The web application's configuration, from the environment (and ``create_app(config)`` overrides).

- ``DATABASE_URL``, ``CITYPILOT_HOME``: the database and the data folder (see :mod:`app.settings`).
- ``CITYPILOT_SECRET_KEY``: signs session cookies, shared by every worker (default: generated once
  in ``$CITYPILOT_HOME/web/secret_key``).
- ``CITYPILOT_SECURE_COOKIES``: cookies only over HTTPS (``citypilot serve --cert`` sets it).
- ``CITYPILOT_LANGUAGE``: the language when the browser states none (``en``, the default, or ``fr``).
- ``CITYPILOT_MAX_UPLOAD_MB``: the largest accepted upload (200).
- ``CITYPILOT_PROXIES``: reverse proxies in front; trust that many ``X-Forwarded-*`` hops (0).
- ``CITYPILOT_LOGIN_MAX_FAILURES_USER`` / ``_IP``, ``CITYPILOT_LOGIN_WINDOW_S``: failed sign-ins
  allowed per user name / per address within the window (5 / 20 in 900 s).
- ``CITYPILOT_AUTH_CACHE_S``: how long a process trusts who a token or session is (5 s; 0: never).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.settings import Settings

LANGUAGES = ("en", "fr")
TRUE = {"1", "true", "yes", "on"}


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in TRUE


def secret_key(home: Path) -> str:
    """The key of ``home``: created once (readable by its owner only), then read by every worker."""
    path = home / "web" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker wrote it first
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)  # written by another worker this very moment
    raise RuntimeError(f"{path} is empty: delete it or set CITYPILOT_SECRET_KEY")


def load_config(overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The Flask configuration: environment first, ``overrides`` last (a test passes ``DATABASE_URL``)."""
    overrides = dict(overrides or {})
    settings = Settings.load(env)
    home = Path(overrides.get("CITYPILOT_HOME") or settings.home)
    database_url = overrides.get("DATABASE_URL") or settings.require_database_url()
    language = env.get("CITYPILOT_LANGUAGE", "en").strip().lower()
    config: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "CITYPILOT_HOME": home,
        "SECRET_KEY": env.get("CITYPILOT_SECRET_KEY") or None,
        "SESSION_COOKIE_NAME": "citypilot_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag(env, "CITYPILOT_SECURE_COOKIES"),
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=float(env.get("CITYPILOT_SESSION_HOURS", "12"))),
        "CREW_TILES": int(env.get("CITYPILOT_CREW_TILES", "1500")),  # base map tiles a crew tablet keeps
        "MAX_CONTENT_LENGTH": int(env.get("CITYPILOT_MAX_UPLOAD_MB", "200")) * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": language if language in LANGUAGES else "en",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "LANGUAGES": LANGUAGES,
        "PROXIES": int(env.get("CITYPILOT_PROXIES", "0")),
        "LOGIN_MAX_FAILURES_USER": int(env.get("CITYPILOT_LOGIN_MAX_FAILURES_USER", "5")),
        "LOGIN_MAX_FAILURES_IP": int(env.get("CITYPILOT_LOGIN_MAX_FAILURES_IP", "20")),
        "LOGIN_WINDOW_S": int(env.get("CITYPILOT_LOGIN_WINDOW_S", "900")),
        "AUTH_CACHE_S": float(env.get("CITYPILOT_AUTH_CACHE_S", "5")),
        "API_PREFIXES": ("/api/", "/tiles/", "/ogc", "/open311/"),
        "OPEN311_JURISDICTION": env.get("CITYPILOT_OPEN311_JURISDICTION", "dijon-metropole.fr"),
        "OPEN311_RATE_PER_MINUTE": int(env.get("CITYPILOT_OPEN311_RATE_PER_MINUTE", "30")),
        "OPEN_DATA_FIBRE": _flag(env, "CITYPILOT_OPEN_DATA_FIBRE"),  # publish the fibre network as open data
        "SSE_HEARTBEAT_S": 15.0,
    }
    config.update(overrides)
    config["CITYPILOT_HOME"] = Path(config["CITYPILOT_HOME"])
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = secret_key(config["CITYPILOT_HOME"])
    return config
