"""Where CityPilot keeps its data and which servers it talks to, from the environment and the
private servers' state file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from app.servers.state import read_state, state_file
from assets.errors import CityPilotError

DEFAULT_HOME = "var"


def normalize_database_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` URLs get the psycopg 3 driver SQLAlchemy needs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


@dataclass(frozen=True)
class Settings:
    """``home``: CITYPILOT_HOME (default ./var), absolute. URLs: DATABASE_URL / MQTT_URL when set
    (``external_*`` is then True), else the private servers' (``citypilot services up``), else None."""

    home: Path
    database_url: str | None
    mqtt_url: str | None
    external_database: bool = False
    external_mqtt: bool = False

    @classmethod
    def load(cls, env: Mapping[str, str] = os.environ) -> Settings:
        home = Path(env.get("CITYPILOT_HOME") or DEFAULT_HOME).expanduser().resolve()
        state = read_state(home)
        db_env = env.get("DATABASE_URL") or None
        mqtt_env = env.get("MQTT_URL") or None
        return cls(
            home=home,
            database_url=normalize_database_url(db_env) if db_env else state.get("postgres", {}).get("url"),
            mqtt_url=mqtt_env or state.get("mqtt", {}).get("url"),
            external_database=db_env is not None,
            external_mqtt=mqtt_env is not None,
        )

    @property
    def state_file(self) -> Path:
        return state_file(self.home)

    def require_database_url(self) -> str:
        if not self.database_url:
            raise CityPilotError("no database: run `citypilot services up` or set DATABASE_URL")
        return self.database_url

    def require_mqtt_url(self) -> str:
        if not self.mqtt_url:
            raise CityPilotError("no MQTT broker: run `citypilot services up` or set MQTT_URL")
        return self.mqtt_url
