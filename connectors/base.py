"""The connector contract: read a protocol, turn what it says into typed records, (next) send commands.

A connector is a small class registered under a name (``@register_connector``), as pygeoapi providers
and Home Assistant integrations are:

- ``check_config(config)`` validates a configuration *and tests it against the real broker or
  device* before anything is saved; it returns the normalised configuration or raises
  :class:`ConfigError` naming the field and the reason.
- ``run(sink)`` receives until ``stop()``: each message goes to ``sink.put(Delivery)`` (which blocks
  while the ingest is full: back-pressure); ``parse(delivery)`` turns it into records (or raises
  :class:`FormatError` with the reason); once the records are committed the ingest calls
  ``acknowledge(deliveries)``, in the order they were received.
- ``send_command(device_id, action, params, command_id=None)`` sends a command to one device on the
  connector's transport (the MQTT connector: CityPilot's ``cmd`` topic); the command worker
  (``connectors.commands``) is what normally sends, follows and verifies commands.

``devices`` (an :class:`assets.live.devices.DeviceDirectory`) tells which asset a device id is.

The records (:class:`Reading`, :class:`Event`, :class:`Position`, :class:`DeadLetter`) are defined by
``assets.live.records`` — live data belongs to the assets — and re-exported here.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from assets.errors import FieldError, ValidationError
from assets.live.records import DeadLetter, Event, Position, Reading, Record, message_key

__all__ = [
    "ConfigError", "Connector", "DeadLetter", "Delivery", "Event", "FormatError", "Position", "Reading", "Record",
    "Sink", "message_key",
]


class FormatError(ValueError):
    """A message that cannot be read: ``reason`` says why (naming the field), ``format`` what it
    looked like when that was recognised."""

    def __init__(self, reason: str, format: str | None = None) -> None:
        self.reason = reason
        self.format = format
        super().__init__(reason)


class ConfigError(ValidationError):
    """A connector configuration that is invalid or does not work against the real thing."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(FieldError(field_name, reason))


@dataclass(slots=True)
class Delivery:
    """One message as a connector received it, held until what it says is stored and acknowledged.

    ``token`` is the connector's own acknowledgement handle; ``done`` is called (if set) once the
    message is stored, with an error text when it could not be.
    """

    connector: Connector
    topic: str
    payload: bytes
    received_at: float = field(default_factory=time.time)
    token: Any = None
    done: Any = None


class Sink(Protocol):
    """Where a connector puts what it receives (the ingest)."""

    def put(self, delivery: Delivery) -> None:
        """Queue one delivery; blocks while the queue is full."""


class Connector(ABC):
    """Base class of every connector; ``name`` is its registry name (``mqtt``, ``osmand``...)."""

    name: ClassVar[str]
    description: ClassVar[str] = ""

    def __init__(self, config: Mapping[str, Any], *, label: str | None = None, devices: Any = None) -> None:
        self.config = dict(config)
        self.label = label or self.name
        self.devices = devices  # an assets.live.devices.DeviceDirectory: device id → asset

    @classmethod
    @abstractmethod
    def check_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """Validate ``config`` and test it against the real broker or device; the normalised config."""

    @abstractmethod
    def run(self, sink: Sink) -> None:
        """Receive until :meth:`stop`, putting every message into ``sink``."""

    @abstractmethod
    def stop(self) -> None:
        """Make :meth:`run` return (soon)."""

    @abstractmethod
    def parse(self, delivery: Delivery) -> list[Record]:
        """The records a delivery carries; raises FormatError with the reason when it cannot be read."""

    def acknowledge(self, deliveries: Sequence[Delivery]) -> None:  # noqa: B027 - optional hook
        """Tell the source that these deliveries are stored (in the order received). Default: nothing."""

    def send_command(self, device_id: str, action: str, params: Mapping[str, Any] | None = None,
                     command_id: str | None = None) -> str:
        """Send a command to a device (``command_id``: the id to use, else a new one); returns the command id."""
        raise NotImplementedError(f"the {self.name} connector cannot send commands")
