"""The project's own servers under its data folder: ``citypilot services up|down|status``."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.servers.broker import PrivateBroker
from app.servers.postgres import PrivatePostgres
from app.servers.state import read_state, write_state
from app.servers.system import ServerError, port_open
from app.settings import Settings


@dataclass(frozen=True)
class ServerStatus:
    """What ``status`` says about one server."""

    name: str  # postgres | mqtt
    mode: str  # private | external
    running: bool
    url: str | None
    folder: str | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def private_postgres(home: Path, state: dict[str, Any] | None = None) -> PrivatePostgres:
    """The private cluster of ``home``, with the port and password it was given last time."""
    saved = (read_state(home) if state is None else state).get("postgres", {})
    return PrivatePostgres(home / "postgres", port=saved.get("port"), password=saved.get("password"))


def private_broker(home: Path, state: dict[str, Any] | None = None) -> PrivateBroker:
    """The private broker of ``home``, with the port and service password it was given last time."""
    saved = (read_state(home) if state is None else state).get("mqtt", {})
    return PrivateBroker(home / "mosquitto", port=saved.get("port"), password=saved.get("password"))


def up(settings: Settings) -> list[ServerStatus]:
    """Start the private servers not replaced by DATABASE_URL / MQTT_URL; idempotent."""
    with _locked(settings.home):
        state = read_state(settings.home)
        for name, external in (("postgres", settings.external_database), ("mqtt", settings.external_mqtt)):
            if external:
                continue
            server = _private(name, settings.home, state)
            url = server.up()
            state[name] = {"folder": str(server.folder), "port": server.port, "password": server.password}
            state[name].update(url=url, note=server.moved_reason)
            write_state(settings.home, state)
    return status(settings)


def down(settings: Settings, purge: bool = False) -> None:
    """Stop the private servers (even when DATABASE_URL / MQTT_URL are set); ``purge`` deletes their data."""
    if not settings.home.exists():
        return
    with _locked(settings.home):
        state = read_state(settings.home)
        for name in ("postgres", "mqtt"):
            if name not in state:  # never started here
                continue
            server = _private(name, settings.home, state)
            if purge:
                server.purge()
            else:
                server.down()
        if purge:
            write_state(settings.home, {})


def status(settings: Settings) -> list[ServerStatus]:
    """Each server: external (from the environment) or private, running or not, its URL and folder."""
    state = read_state(settings.home)
    result = []
    for name, external, url in (
        ("postgres", settings.external_database, settings.database_url),
        ("mqtt", settings.external_mqtt, settings.mqtt_url),
    ):
        if external and url:
            result.append(ServerStatus(name, "external", _reachable(url), _mask(url)))
            continue
        saved = state.get(name)
        if saved is None:
            result.append(ServerStatus(name, "private", False, None, note="not created yet"))
            continue
        server = _private(name, settings.home, state)
        try:
            running = server.running()
        except ServerError as exc:  # e.g. its package was removed since
            running, saved = False, {**saved, "note": str(exc)}
        result.append(ServerStatus(name, "private", running, saved.get("url"), saved.get("folder"), saved.get("note")))
    return result


def _private(name: str, home: Path, state: dict[str, Any]) -> PrivatePostgres | PrivateBroker:
    return private_postgres(home, state) if name == "postgres" else private_broker(home, state)


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    default = 1883 if parts.scheme.startswith("mqtt") else 5432
    try:
        port = parts.port or default
    except ValueError:
        return False
    return port_open(port, parts.hostname or "127.0.0.1", timeout=1.0)


def _mask(url: str) -> str:
    """An external URL with its password hidden (production credentials stay off the screen)."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    """One ``up`` / ``down`` at a time per data folder."""
    home.mkdir(parents=True, exist_ok=True)
    with (home / ".servers.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
