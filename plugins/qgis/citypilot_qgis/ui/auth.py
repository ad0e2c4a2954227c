"""The API token lives in QGIS's authentication database (encrypted by the master password), never in
the project file; QGIS's settings keep only the server URL and the auth configuration's id."""

from __future__ import annotations

from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsSettings

SETTINGS = "citypilot"


def save_token(base: str, user: str, token: str, authcfg: str | None = None) -> str:
    """Store (or replace) the token for ``base``; the auth configuration's id."""
    manager = QgsApplication.authManager()
    config = QgsAuthMethodConfig("Basic")
    if authcfg:
        manager.loadAuthenticationConfig(authcfg, config, True)
    config.setName(f"CityPilot {base}")
    config.setUri(base)
    config.setConfig("username", user)
    config.setConfig("password", token)
    saved = manager.updateAuthenticationConfig(config) if config.id() else manager.storeAuthenticationConfig(config)
    if not saved:
        raise RuntimeError("QGIS's authentication database refused the token (is its master password set?)")
    if isinstance(saved, tuple):  # QGIS 3.34+ returns (ok, config)
        config = saved[1] if len(saved) > 1 else config
    QgsSettings().setValue(f"{SETTINGS}/url", base)
    QgsSettings().setValue(f"{SETTINGS}/authcfg", config.id())
    return config.id()


def load_token(authcfg: str) -> str | None:
    config = QgsAuthMethodConfig()
    if not QgsApplication.authManager().loadAuthenticationConfig(authcfg, config, True):
        return None
    return config.config("password") or None


def saved_connection() -> tuple[str, str] | None:
    """``(url, authcfg)`` of the last connection, if any."""
    url = QgsSettings().value(f"{SETTINGS}/url", "")
    authcfg = QgsSettings().value(f"{SETTINGS}/authcfg", "")
    return (str(url), str(authcfg)) if url and authcfg else None


def forget() -> None:
    saved = saved_connection()
    if saved:
        QgsApplication.authManager().removeAuthenticationConfig(saved[1])
    QgsSettings().remove(SETTINGS)
