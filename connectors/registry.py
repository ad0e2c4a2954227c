"""The registry of connectors (each registers itself with ``@register_connector``) and the saved
connector configurations (checked against the real broker or device before they are saved)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assets.errors import FieldError, NotFoundError, ValidationError
from assets.live.models import ConnectorConfig
from connectors.base import Connector

_REGISTRY: dict[str, type[Connector]] = {}
#: Modules whose import registers the connectors CityPilot ships.
BUILTIN = ("connectors.mqtt.connector", "connectors.gps.osmand", "connectors.modbus.connector")


def register_connector(cls: type[Connector]) -> type[Connector]:
    """Class decorator: make a connector reachable by its ``name``."""
    _REGISTRY[cls.name] = cls
    return cls


def load_builtin() -> None:
    for module in BUILTIN:
        importlib.import_module(module)


def connector_class(name: str) -> type[Connector]:
    """The connector registered as ``name``; NotFoundError lists the known ones."""
    load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise NotFoundError(f"no connector called {name!r} (known: {', '.join(sorted(_REGISTRY))})") from None


def connector_names() -> list[str]:
    load_builtin()
    return sorted(_REGISTRY)


# -- saved connectors ------------------------------------------------------------------------------
def saved_connectors(session: Session, enabled_only: bool = False) -> list[ConnectorConfig]:
    """The connectors saved in the database, by name."""
    query = select(ConnectorConfig).order_by(ConnectorConfig.name)
    if enabled_only:
        query = query.where(ConnectorConfig.enabled)
    return list(session.scalars(query))


def add_connector(session: Session, kind: str, config: Mapping[str, Any], name: str | None = None) -> ConnectorConfig:
    """Check ``config`` against the real broker or device (ConfigError when it does not work), then
    save it under ``name`` (default: the kind). Nothing is saved when the check fails."""
    cls = connector_class(kind)
    name = (name or kind).strip()
    if not name:
        raise ValidationError(FieldError("name", "missing"))
    if session.scalars(select(ConnectorConfig).where(ConnectorConfig.name == name)).first() is not None:
        raise ValidationError(FieldError("name", f"a connector named {name!r} already exists"))
    checked = cls.check_config(config)
    saved = ConnectorConfig(name=name, kind=kind, config=checked, enabled=True, checked_at=func.now())
    session.add(saved)
    session.flush()
    return saved


def remove_connector(session: Session, name: str) -> None:
    saved = session.scalars(select(ConnectorConfig).where(ConnectorConfig.name == name)).first()
    if saved is None:
        raise NotFoundError(f"no saved connector called {name!r}")
    session.delete(saved)


def build(kind: str, config: Mapping[str, Any], *, label: str | None = None, devices: Any = None) -> Connector:
    """An instance of the connector ``kind``."""
    return connector_class(kind)(config, label=label, devices=devices)
